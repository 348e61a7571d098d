// The cost model of the paper, in one place: Eq. 7 and 9 (compute), Eq. 10 (transfer), the
// deliver mode and the task kind, built ROW BY ROW from what each node knows (Sec. IV-C):
//  - node p builds its compute row from its own per-layer costs (build_compute_row);
//  - node p builds the row of its incoming link p-1 from that link's own numbers, both
//    directions (build_transfer_row): the receiver estimates the link;
//  - nothing else: the deliver mode's return path and the gradients are terms of the link rows
//    (see build_transfer_row), so no row needs another node's data.
// compile(Problem), compile_training, compile_metric, the simulator's tables (whose link state
// gives the per-link numbers: bytes/s, overhead, radio power) and route -> problem all build
// their rows here. The simulator rebuilds only the rows whose capacity changed.
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/problem.hpp"

namespace hivemind::split {

// One direction of a link for one metric (Eq. 10 generalised):
//     cost(s) = s / rate * weight + fixed          for a transfer of s bytes
//   latency (Eq. 10 itself): rate = c (bytes/s), weight = 1, fixed = psi (s per transfer);
//   energy of a radio sending at c bytes/s drawing W watts: rate = c, weight = W, fixed = 0 (J);
//   any metric given per byte: rate = 1, weight = cost per byte, fixed = cost per transfer.
// A transfer of 0 bytes still pays `fixed` (the paper's psi is per transfer).
struct TransferCost {
  double rate = 1.0;    // > 0
  double weight = 1.0;  // >= 0
  double fixed = 0.0;   // >= 0

  double of(double bytes) const { return bytes / rate * weight + fixed; }
};

// The latency of one direction of a problem's link (Eq. 10): rate = bandwidth, fixed = psi.
inline TransferCost latency_of(const LinkDirection& d) {
  return {d.bandwidth_bytes_per_s, 1.0, d.overhead_s};
}

// The planning floor: a node that saw (or forecasts) no capacity on a link at all still plans,
// with kPlanningFloor times the link's nominal capacity; every transfer on it then looks very
// expensive but finite, and plans stay comparable.
inline constexpr double kPlanningFloor = 1e-3;
inline double planning_capacity(double observed, double nominal) {
  return observed > nominal * kPlanningFloor ? observed : nominal * kPlanningFloor;
}

// What the task moves, the same on every node (the model's architecture side and the task
// kind); every node of a deployment holds it.
struct TaskTraffic {
  int layers = 0;                 // L
  std::vector<double> cut_bytes;  // s_0..s_L (L+1 values): what crosses cut x going up
  Deliver deliver = Deliver::kSink;
  // Training (Eq. 8-9): gradient_bytes[x], x = 0..L, the bytes of the gradient that comes back
  // down the link that carried cut x; a negative entry = no gradient crosses that cut (not even
  // a transfer's fixed cost). Empty = inference: nothing comes back.
  std::vector<double> gradient_bytes;

  // The task of a problem: its cut bytes and deliver mode, inference.
  static TaskTraffic of(const Problem& problem);
};

// Eq. 7 / Eq. 9 (first sum), one node: row[l-1] = (forward[l-1] + backward[l-1]) / speed *
// unit, l = 1..L, with `backward` empty for inference; `speed` is the node's speed-up over the
// measured costs, `unit` converts the measured unit into the table's (1 for seconds, 1e3 for
// ms, the active power in W for joules). An entry of +inf (a forbidden layer) stays +inf.
void build_compute_row(std::span<const double> forward, std::span<const double> backward,
                       double speed, double unit, std::vector<double>& row);

// Eq. 10 (and Eq. 9's second sum), one link, from its own numbers: row[x], x = 0..L, the cost
// of the link carrying cut x, times `unit`:
//   up(s_x)                        the activations (the model input at x = 0) going up;
//   + down(g_x)                    training: the gradient of cut x coming back (if g_x >= 0);
//   + down(s_L)    (x < L)         Deliver::kSource: a link that carried a cut before L lies
//                                  between the UE and the node that finishes, so the result
//                                  comes back over it (the paper's return path, charged to the
//                                  finishing node in Eq. 1's terms, made local to each link);
// except row[L] = 0 unless the result must reach the sink (Deliver::kSink): once layer L has
// run, links carry nothing else.
void build_transfer_row(const TaskTraffic& task, const TransferCost& up, const TransferCost& down,
                        double unit, std::vector<double>& row);

// The whole chain's tables, row by row: compute_row(p, row) fills node p's compute row (with
// build_compute_row), link_costs(p) returns link p's {up, down} TransferCost for
// build_transfer_row (unit 1); finish all zeros.
template <class ComputeRow, class LinkCosts>
ChainCosts build_chain_costs(const TaskTraffic& task, int nodes, ComputeRow&& compute_row,
                             LinkCosts&& link_costs) {
  ChainCosts costs;
  costs.layers = task.layers;
  costs.compute.resize(static_cast<std::size_t>(nodes));
  for (int p = 0; p < nodes; ++p) compute_row(p, costs.compute[p]);
  costs.transfer.resize(static_cast<std::size_t>(nodes - 1));
  for (int p = 0; p + 1 < nodes; ++p) {
    const auto [up, down] = link_costs(p);
    build_transfer_row(task, up, down, 1.0, costs.transfer[p]);
  }
  costs.finish.assign(static_cast<std::size_t>(nodes), 0.0);
  return costs;
}

}  // namespace hivemind::split
