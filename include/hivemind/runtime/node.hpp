// A HiveMind node as a daemon (issue 13, first step): a gRPC server that takes part in the SCI
// update (Fig. 5, step 1; Algorithm 1) and the downstream decisions (Sec. IV-C3) with real
// processes. A node holds only what the paper says it knows (Sec. IV-C): its own per-layer
// compute costs, the link it receives data on (both directions), the task (cut bytes, deliver
// mode) and the address of its downstream neighbour. It builds its own cost rows
// (split/cost_model.hpp), exchanges the codec's messages (split/sci_codec.hpp) and keeps its
// latest split table. Service: proto/hivemind/v1/node.proto.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hivemind/split/cost_model.hpp"
#include "hivemind/split/problem.hpp"

namespace hivemind::runtime {

struct NodeConfig {
  int position = 0;                     // p: 0 = the source (UE)
  bool sink = false;                    // the last node of the chain
  split::TaskTraffic task;              // what every node holds
  std::uint64_t architecture = 0;       // split::architecture_hash of the model
  std::vector<double> compute_s;        // its own tau^p_l, l = 1..L
  std::optional<split::Link> incoming;  // link p-1 (absent at the source)
  std::string downstream;               // host:port of node p+1 (empty at the sink)
  double call_timeout_s = 5.0;          // deadline of each call to the downstream neighbour
};

// Node `position`'s knowledge of a problem (hivemind.problem/v1): its own compute row, its
// incoming link and the task; nothing of the other nodes. Throws InputError for a position
// outside the chain.
NodeConfig node_config_from_problem(const split::Problem& problem, int position,
                                    const std::string& downstream);

// The daemon: serves node.proto on `listen` ("127.0.0.1:0" picks a free port).
class NodeServer {
 public:
  NodeServer(NodeConfig config, const std::string& listen);
  ~NodeServer();
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;
  int port() const;  // the port it got
  void shutdown();   // stops serving (in-flight calls finish)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What the source gets from one planning round.
struct PlanResult {
  std::vector<int> boundaries;    // b_0..b_{P-1}
  double cost = 0.0;              // zeta^0_1, from the float32 messages (docs/formats.md)
  std::size_t message_bytes = 0;  // the SCI message the source received
  double round_s = 0.0;           // wall time of the SCI update and the decisions
};

// The source's side (node 0, which runs in the caller's process): asks its downstream
// neighbour for the SCI update of `epoch`, runs its own node, then the decisions downstream.
// Throws InputError (one line) when a neighbour does not answer in time or sends a message
// this node refuses.
PlanResult plan_from_source(const NodeConfig& source, std::uint64_t epoch);

}  // namespace hivemind::runtime
