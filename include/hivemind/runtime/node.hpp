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

#include "hivemind/model/torch_executor.hpp"
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
  double call_timeout_s =
      5.0;  // deadline of each call to the downstream neighbour  // The model it executes (split
            // tasks); null: the node only plans. Its layers must be the
  // problem's (L and cut bytes from the same profile).
  std::shared_ptr<const model::TorchLayerExecutor> executor;
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

// One node's part of a split task.
struct NodeRun {
  int position = 0;
  int first_layer = 1, last_layer = 0;  // first > last: it only relayed
  double compute_s = 0.0;
  std::size_t bytes_in = 0;  // pickled values it received (0 at the source)
};

struct TaskResult {
  c10::IValue output;           // forward's result
  std::vector<NodeRun> runs;    // node 0 first
  std::vector<int> boundaries;  // the plan the task followed
  double end_to_end_s = 0.0;
};

// The source (node 0) in the caller's process: plan() runs a planning round through the chain;
// run() then executes one split task (Fig. 5, step 2): layers 1..b_0 here on `inputs`, the live
// values of its cut sent downstream, where each node runs to its own stop; the result returns
// here. Both throw InputError (one line) on any failure; run() before plan() too.
class Source {
 public:
  explicit Source(NodeConfig config);
  ~Source();
  PlanResult plan(std::uint64_t epoch);
  TaskResult run(std::uint64_t task, const std::vector<c10::IValue>& inputs);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hivemind::runtime
