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
#include "hivemind/runtime/tls.hpp"
#include "hivemind/split/cost_model.hpp"
#include "hivemind/split/problem.hpp"

namespace hivemind::runtime {

// A node downstream of this one: its address and the link that brings data into it.
struct DownstreamNode {
  std::string address;  // host:port
  split::Link link;     // link q-1 (into node q), as the route configures it
};

// Emulating a testbed on one machine (docs/runtime.md). Every emulated time is the profile's or
// the link's time times `dilation`, so that the fastest device class can still be padded up to
// on this machine (a cloud GPU's layers are faster than this CPU's; dilated, they are not).
struct Emulation {
  bool devices = false;   // pad each layer's real time up to dilation x its compute_s
  bool links = false;     // shape each send to dilation x (bytes / bandwidth + overhead)
  double dilation = 1.0;  // >= 1
};

// The ranges an emulated link direction must keep wherever it is read (a node's links with
// --emulate-links, Shape, a task's path links, `hivemind run --shape`): bandwidth in
// [1 kB/s, 10 TB/s], overhead in [0, 10 s]. Outside them an emulated wait is either
// meaningless (a transfer of hours or a negative one) or a way to hold a node's threads;
// every wait is also capped by the task's deadline.
inline constexpr double kMinEmulatedBandwidth = 1e3;   // bytes/s
inline constexpr double kMaxEmulatedBandwidth = 1e13;  // bytes/s
inline constexpr double kMaxEmulatedOverheadS = 10.0;  // seconds
// Throws InputError "WHAT: bandwidth 0.001 B/s is outside [1000, 1e+13] B/s" (or overhead).
void check_emulated_link(const split::LinkDirection& d, const std::string& what);

// A node's bound on the payloads of the tasks it holds at once (received, decoded and being
// sent on: each task counts three times its message's bytes): a task past it is refused with
// RESOURCE_EXHAUSTED. gRPC's own buffers are held to it too (its resource quota).
inline constexpr std::uint64_t kDefaultMaxInflightBytes = 1024ull * 1024 * 1024;

enum class LogLevel { kError, kWarn, kInfo, kDebug };
// "error" | "warn" | "info" | "debug"; InputError otherwise.
LogLevel parse_log_level(const std::string& name);

struct NodeConfig {
  int position = 0;                     // p: 0 = the source (UE)
  bool sink = false;                    // the last node of the chain
  split::TaskTraffic task;              // what every node holds
  std::uint64_t architecture = 0;       // split::architecture_hash of the model
  std::vector<double> compute_s;        // its own tau^p_l, l = 1..L, seconds
  std::optional<split::Link> incoming;  // link p-1 (absent at the source)
  // Nodes p+1 .. P-1 in chain order (empty at the sink). The first is the neighbour it plans
  // and sends through; the others, and their links, are used only to bypass a dead neighbour.
  std::vector<DownstreamNode> downstream;
  // Deadline of each call downstream (a task's: the whole rest). Also the node's own bound on
  // any wait for a caller: a task it serves ends by then whatever deadline the caller sent.
  double call_timeout_s = 5.0;
  // The receiver estimates its incoming link from the transfers it sees (the median of the
  // seconds per byte beyond the link's overhead over the last 5 transfers of at least 1 KiB
  // that took 0..call_timeout_s) and plans with the estimate at the next SCI update (Eq. 10).
  // Off: it plans with the configured link.
  bool estimate_links = true;
  std::uint64_t max_inflight_bytes = kDefaultMaxInflightBytes;  // see kDefaultMaxInflightBytes
  Emulation emulation;
  TlsFiles tls;
  LogLevel log_level = LogLevel::kError;  // log lines on stderr at this level and above
  // The model it executes (split tasks); null: the node only plans. Its layers must be the
  // problem's (L and cut bytes from the same profile).
  std::shared_ptr<const model::TorchLayerExecutor> executor;
};

// Node `position`'s knowledge of a problem (hivemind.problem/v1): its own compute row, its
// incoming link, the task, and the addresses (with their links) of the nodes downstream of it,
// `downstream[k]` being node position+1+k's. Throws InputError for a position outside the
// chain or a downstream list that does not name every node after it.
NodeConfig node_config_from_problem(const split::Problem& problem, int position,
                                    const std::vector<std::string>& downstream);

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
  std::vector<int> boundaries;    // b_0..b_{P-1} (a bypassed node's b_p = b_{p-1}: it runs none)
  double cost = 0.0;              // zeta^0_1, seconds, from the float32 messages (docs/formats.md)
  std::size_t message_bytes = 0;  // the SCI message the source received
  double update_s = 0.0;          // wall time of the SCI update (sink to source, Fig. 5 step 1)
  double round_s = 0.0;           // ... and of the decisions down the chain after it
  std::vector<int> absent;        // nodes bypassed in this round (no answer in time)
  bool pushed = false;  // the update came up the standing subscriptions (SciSubscribe), not
                        // down and back up the nested calls (Sci)
};

// The source's side (node 0, which runs in the caller's process): asks its downstream
// neighbour for the SCI update of `epoch`, runs its own node, then the decisions downstream.
// Throws InputError (one line) when a neighbour does not answer in time or sends a message
// this node refuses.
PlanResult plan_from_source(const NodeConfig& source, std::uint64_t epoch);

// One node's part of a split task. Planned times are under the node's emulation dilation.
struct NodeRun {
  int position = 0;
  int first_layer = 1, last_layer = 0;  // first > last: it only relayed
  double compute_s = 0.0;               // measured: its layers (with padding when emulating)
  double planned_compute_s = 0.0;       // dilation x sum of its tau^p_l
  std::size_t bytes_in = 0;             // encoded values it received (0 at the source)
  double transfer_in_s = 0.0;           // measured: upstream's send start to arrival here
  double planned_transfer_in_s = 0.0;   // dilation x Eq. 10 for the cut's s_x on the link(s) used
  double return_s = 0.0;          // deliver: source, at the node that ran layer L — the result's
                                  // return over the links back to the source
  double planned_return_s = 0.0;  // ... dilation x Eq. 10 (down) for s_L
  int retries = 0;                // tasks it re-sent past a dead neighbour
  std::vector<int> bypassed;      // the dead nodes it sent past
};

struct TaskResult {
  c10::IValue output;           // forward's result
  std::vector<NodeRun> runs;    // node 0 first; bypassed nodes are absent
  std::vector<int> boundaries;  // the plan the task followed
  double end_to_end_s = 0.0;    // measured at the source
  double planned_s = 0.0;       // dilation x the plan's cost (zeta^0_1)
  bool delivered = false;       // the result came straight from the node that finished the
                                // task (Deliveries), not back up the chain
};

// Re-shapes the link out of the node at `address` (its sends downstream) during a run: the
// emulated bandwidth and overhead of link p. Throws InputError when the node refuses or does
// not answer within `timeout_s`.
void shape_link(const std::string& address, const split::LinkDirection& up, const TlsFiles& tls,
                double timeout_s = 5.0);

// The source (node 0) in the caller's process: plan() runs a planning round through the chain;
// run() then executes one split task (Fig. 5, step 2): layers 1..b_0 here on `inputs`, the live
// values of its cut sent downstream, where each node runs to its own stop; the result returns
// here, straight from the node that finished the task (plan() subscribes to every node's
// Deliveries), or up the chain where that node had no subscription. Both throw InputError
// (one line) on any failure; run() before plan() too.
class Source {
 public:
  explicit Source(NodeConfig config);
  ~Source();
  PlanResult plan(std::uint64_t epoch);
  TaskResult run(std::uint64_t task, const std::vector<c10::IValue>& inputs);
  // Re-shapes the emulated link out of the source (link 0; shape_link does it for a daemon).
  void shape(const split::LinkDirection& up);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hivemind::runtime
