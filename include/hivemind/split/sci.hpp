// Split Cost Information (SCI), Sec. IV-C and Algorithm 1.
//
// Each node p computes, from what it alone knows (its per-layer compute costs, the cost of the
// link it receives data on, its finish cost) and the SCI message of its downstream neighbour,
// its own SCI message for its upstream neighbour, and its split table. Decisions are then
// taken locally, downstream (Sec. IV-C3).
//
// Indexing follows Algorithm 1: a "split point set" i in 0..L+1 means node p starts at layer i
// (layer 0 is the paper's dummy input layer, tau_0 = 0). The node then runs layers i..j for
// some j >= i-1 (j = i-1: it runs nothing and only relays).
//   zeta[i]  = min over j of theta^i_j, the cheapest cost-to-go for split point set i,
//              including the transfer that brings the data to node p (Algorithm 1, line 9);
//   stop[i]  = n^p_i, the argmin j: the last layer node p runs (line 8).
// Ties go to the largest j (a node runs as much as it can at the same cost); over the whole
// chain this picks, among all optimal plans, the one with lexicographically largest boundaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hivemind::split {

struct ChainCosts;

// What node p knows. All spans must outlive the call.
struct SciNodeInput {
  std::span<const double> compute;  // tau^p_1..tau^p_L (L values)
  // incoming[x], x = 0..L: cost of the data at cut x arriving at node p over link p-1
  // (epsilon^{p-1}_x). Empty for the source node, where the input already is.
  std::span<const double> incoming;
  double finish = 0.0;  // charged if node p runs layer L
  // zeta^{p+1}_0..zeta^{p+1}_{L+1} from the downstream node; empty for the sink node P.
  std::span<const double> downstream_zeta;
};

// Node p's outputs. Sized L+2 by sci_node.
struct SciNodeOutput {
  std::vector<double> zeta;  // the SCI message for node p-1: L+2 values
  std::vector<int> stop;     // the split table n^p_i, i = 0..L+1
};

// The per-node SCI computation in O(L): theta^i_j = (T_j - T_{i-1}) + in_i + zeta'_{j+1}, with
// T the prefix sum of tau, so min over j >= i is a suffix minimum of T_j + zeta'_{j+1}.
// `out` is reused across calls (no allocation once sized).
//
// Input checks (in every build type, since a node's inputs may come from another machine):
// `incoming` is empty or has L+1 values, `downstream_zeta` is empty or has L+2 values (L =
// compute.size()), and every value (compute, incoming, finish, downstream zeta) is a cost:
// >= 0, +inf allowed (a forbidden layer, an impossible transfer, "no finite plan from here"),
// NaN and negative refused. Otherwise throws hivemind::InputError with one line naming the
// field, the index and the value; `out` is then unspecified. The checks allocate nothing.
void sci_node(const SciNodeInput& in, SciNodeOutput& out);

// Algorithm 1 as printed, O(L^2) worst case, with its skip step (lines 10-15). We correct one
// detail of the skip: zeta_z = zeta_i - sum_{l=i}^{z-1} tau_l + in_z - in_i (the paper omits the
// change of incoming transfer, which is constant in j, so n_z = n_i still holds).
// Checks its input as sci_node does.
void algorithm1_node(const SciNodeInput& in, SciNodeOutput& out);

// Throws the InputError of sci_decide for an upstream stop outside 0..L (cold path).
[[noreturn]] void refuse_upstream_stop(const SciNodeOutput& node, int upstream_stop);

// The decision of Sec. IV-C3: given that the upstream node stopped at layer x (x = 0 at the
// source), node p runs layers x+1 .. stop[x+1]. x comes from the upstream node ("cut x"), so it
// is checked: outside 0..L (or before sci_node filled `node`) throws InputError.
inline int sci_decide(const SciNodeOutput& node, int upstream_stop) {
  if (upstream_stop < 0 || static_cast<std::size_t>(upstream_stop) + 1 >= node.stop.size())
    refuse_upstream_stop(node, upstream_stop);
  return node.stop[static_cast<std::size_t>(upstream_stop) + 1];
}

// Bytes of the header every SCI wire message starts with (format, version, L, sender, model
// architecture hash, epoch; the byte layout is in docs/formats.md, the codec in sci_codec.hpp).
inline constexpr std::size_t kSciHeaderBytes = 32;

// Size in bytes of one SCI message on the wire: the 32-byte header, then the L+2 values as
// IEEE-754 float32, little endian (L = 52 -> 248 bytes, L = 515 -> 2100 bytes, under the
// paper's 4 KB). In-process solves keep double precision.
inline std::size_t sci_message_bytes(int layers) {
  return kSciHeaderBytes + static_cast<std::size_t>(layers + 2) * sizeof(std::uint32_t);
}

// Reusable full-chain solver for hot loops: runs sci_node from sink to source, then the
// downstream decisions. Buffers are kept between calls.
class SciChainSolver {
 public:
  enum class Variant { kLinear, kAlgorithm1 };
  explicit SciChainSolver(Variant variant = Variant::kLinear) : variant_(variant) {}

  // Returns the optimal cost and fills `boundaries` (P values). Returns +inf (and leaves
  // boundaries empty) when every plan has infinite cost.
  double solve(const ChainCosts& costs, std::vector<int>& boundaries);

  // The per-node outputs of the last solve (node 0 = source).
  const std::vector<SciNodeOutput>& nodes() const { return nodes_; }

 private:
  Variant variant_;
  std::vector<SciNodeOutput> nodes_;
};

}  // namespace hivemind::split
