// The multi-split problem of Sec. IV-B (Eq. 1-7): a model of L layers and a chain of P nodes
// (node 0 = the UE/source, node P-1 = the cloud/sink, MEC servers between).
//
// Indices in code are 0-based for nodes and links and 1-based for layers, as in the paper:
// layer l in 1..L; cut x in 0..L is the point after layer x (cut 0 = the model input).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hivemind::split {

// Where the final result goes once layer L has run.
enum class Deliver {
  kSink,    // Eq. 1: the result travels on to node P, every link is crossed
  kNone,    // links after the node that finishes layer L carry nothing
  kSource,  // as kNone, plus s_L travels back to the UE over each link's down direction
};

// Parses "sink" | "none" | "source"; throws InputError naming `field` otherwise.
Deliver parse_deliver(std::string_view text, std::string_view field = "deliver");
std::string_view to_string(Deliver deliver);

// One direction of a link, the numbers of Eq. 10 (epsilon = s / c + psi; the cost itself is
// computed in cost_model.hpp, latency_of).
struct LinkDirection {
  double bandwidth_bytes_per_s = 1.0;  // c, > 0
  double overhead_s = 0.0;             // psi, >= 0, paid once per transfer (also for 0 bytes)
};

// Link p joins node p and node p+1.
struct Link {
  LinkDirection up;    // node p -> node p+1 (towards the cloud)
  LinkDirection down;  // node p+1 -> node p (used by Deliver::kSource)
};

struct Node {
  std::string name;
  std::vector<double> compute_s;  // tau^p_l for l = 1..L (index l-1), seconds or any additive unit
};

struct Problem {
  int layers = 0;                    // L >= 1
  double input_bytes = 0.0;          // s_0
  std::vector<double> output_bytes;  // s_l for l = 1..L (index l-1)
  std::vector<Node> nodes;           // P >= 2
  std::vector<Link> links;           // P-1 links
  Deliver deliver = Deliver::kSink;

  int node_count() const { return static_cast<int>(nodes.size()); }
  // Bytes crossing cut x (0..L): s_0 = input, s_x = output of layer x.
  double cut_bytes(int x) const { return x == 0 ? input_bytes : output_bytes[x - 1]; }
};

// Checks every invariant (sizes, finite non-negative costs, positive bandwidths); throws
// InputError naming the first offending field and value.
void validate(const Problem& problem);

}  // namespace hivemind::split
