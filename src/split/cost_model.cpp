#include "hivemind/split/cost_model.hpp"

#include <cmath>

namespace hivemind::split {

TaskTraffic TaskTraffic::of(const Problem& problem) {
  TaskTraffic task;
  task.layers = problem.layers;
  task.deliver = problem.deliver;
  task.cut_bytes.reserve(static_cast<std::size_t>(problem.layers) + 1);
  for (int x = 0; x <= problem.layers; ++x) task.cut_bytes.push_back(problem.cut_bytes(x));
  return task;
}

void build_compute_row(std::span<const double> forward, std::span<const double> backward,
                       double speed, double unit, std::vector<double>& row) {
  row.resize(forward.size());
  for (std::size_t l = 0; l < forward.size(); ++l) {
    // Eq. 9: one assignment serves both passes, tau + tau'.
    const double t = backward.empty() ? forward[l] : forward[l] + backward[l];
    row[l] = std::isinf(t) ? t : t / speed * unit;  // +inf (forbidden) stays +inf
  }
}

void build_transfer_row(const TaskTraffic& task, const TransferCost& up, const TransferCost& down,
                        double unit, std::vector<double>& row) {
  const int L = task.layers;
  row.resize(static_cast<std::size_t>(L) + 1);
  const bool training = !task.gradient_bytes.empty();
  for (int x = 0; x <= L; ++x) {
    if (x == L && task.deliver != Deliver::kSink) {
      row[x] = 0.0;  // the model has finished and the result goes no further up
      continue;
    }
    double cost = up.of(task.cut_bytes[x]);  // Eq. 10
    if (training && task.gradient_bytes[x] >= 0.0)
      cost += down.of(task.gradient_bytes[x]);  // Eq. 9: epsilon'
    if (task.deliver == Deliver::kSource && x < L) cost += down.of(task.cut_bytes[L]);
    row[x] = cost * unit;
  }
}

}  // namespace hivemind::split
