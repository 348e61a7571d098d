#include "hivemind/split/training.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/split/cost_model.hpp"

namespace hivemind::split {

double gradient_bytes_at(const Problem& problem, const TrainingSpec& spec, int x) {
  if (x <= 0 || x >= problem.layers) return 0.0;
  return spec.gradient_bytes.empty() ? problem.cut_bytes(x) : spec.gradient_bytes[x - 1];
}

double migration_cost_s(const Problem& problem, double bytes, int from, int to) {
  double cost = 0.0;
  if (to > from)
    for (int k = from; k < to; ++k) cost += latency_of(problem.links[k].up).of(bytes);
  else
    for (int k = to; k < from; ++k) cost += latency_of(problem.links[k].down).of(bytes);
  return cost;
}

int node_of_layer(const Boundaries& b, int l) {
  for (std::size_t p = 0; p < b.size(); ++p)
    if (l <= b[p]) return static_cast<int>(p);
  return static_cast<int>(b.size()) - 1;
}

void validate(const TrainingSpec& spec, const Problem& problem) {
  const int L = problem.layers;
  const int P = problem.node_count();
  if (spec.backward_compute_s.size() != static_cast<std::size_t>(P))
    throw InputError("training.backward_compute: expected " + std::to_string(P) +
                     " rows (one per node), got " + std::to_string(spec.backward_compute_s.size()));
  for (int p = 0; p < P; ++p) {
    const std::string field = "training.backward_compute[" + std::to_string(p) + "]";
    if (spec.backward_compute_s[p].size() != static_cast<std::size_t>(L))
      throw InputError(field + ": expected " + std::to_string(L) + " entries, got " +
                       std::to_string(spec.backward_compute_s[p].size()));
    for (int l = 0; l < L; ++l)
      require_non_negative(spec.backward_compute_s[p][l], field + "[" + std::to_string(l) + "]");
  }
  if (!spec.gradient_bytes.empty()) {
    if (spec.gradient_bytes.size() != static_cast<std::size_t>(L - 1))
      throw InputError("training.gradient_bytes: expected " + std::to_string(L - 1) +
                       " entries (cuts 1..L-1), got " + std::to_string(spec.gradient_bytes.size()));
    for (std::size_t x = 0; x < spec.gradient_bytes.size(); ++x)
      require_non_negative(spec.gradient_bytes[x],
                           "training.gradient_bytes[" + std::to_string(x) + "]");
  }
  if (!spec.current_plan.empty()) {
    if (spec.parameter_bytes.size() != static_cast<std::size_t>(L))
      throw InputError("parameter_bytes: migration needs " + std::to_string(L) +
                       " entries (one per layer), got " +
                       std::to_string(spec.parameter_bytes.size()));
    if (spec.current_plan.size() != static_cast<std::size_t>(P))
      throw InputError("training.current_boundaries: expected " + std::to_string(P) +
                       " entries, got " + std::to_string(spec.current_plan.size()));
    int prev = 0;
    for (int p = 0; p < P; ++p) {
      const int b = spec.current_plan[p];
      if (b < prev || b > L || (p + 1 == P && b != L))
        throw InputError("training.current_boundaries[" + std::to_string(p) +
                         "]: " + std::to_string(b) +
                         " breaks 0 <= b_0 <= ... <= b_{P-1} = L = " + std::to_string(L));
      prev = b;
    }
  }
  for (std::size_t l = 0; l < spec.parameter_bytes.size(); ++l)
    require_non_negative(spec.parameter_bytes[l], "parameter_bytes[" + std::to_string(l) + "]");
  if (!std::isfinite(spec.migration_weight) || spec.migration_weight < 0)
    throw InputError("training.migration_weight: " + exact_number(spec.migration_weight) +
                     " must be a finite number >= 0");
}

ChainCosts compile_training(const Problem& problem, const TrainingSpec& spec) {
  validate(spec, problem);
  const int L = problem.layers;
  const int P = problem.node_count();
  // Row by row (cost_model.hpp): tau + tau' per node (Eq. 9, first sum) and epsilon + epsilon'
  // per link (Eq. 9: the gradient of cut x goes back down the link that carried the cut up; none
  // crosses cut 0 or cut L).
  TaskTraffic task = TaskTraffic::of(problem);
  task.gradient_bytes.assign(static_cast<std::size_t>(L) + 1, -1.0);
  for (int x = 1; x < L; ++x) task.gradient_bytes[x] = gradient_bytes_at(problem, spec, x);
  ChainCosts costs = build_chain_costs(
      task, P,
      [&](int p, std::vector<double>& row) {
        build_compute_row(problem.nodes[p].compute_s, spec.backward_compute_s[p], 1.0, 1.0, row);
      },
      [&](int p) {
        return std::pair{latency_of(problem.links[p].up), latency_of(problem.links[p].down)};
      });
  // Eq. 8, last sum: eta_l^{cur(l),p} for a layer that moves. Unlike the rows above it is not
  // local: it needs the links between the layer's current node and p (a deployment hands each
  // node its eta from the current plan).
  if (!spec.current_plan.empty())
    for (int p = 0; p < P; ++p)
      for (int l = 1; l <= L; ++l) {
        const int from = node_of_layer(spec.current_plan, l);
        if (from != p)
          costs.compute[p][l - 1] +=
              spec.migration_weight *
              migration_cost_s(problem, spec.parameter_bytes[l - 1], from, p);
      }
  return costs;
}

std::vector<double> parameter_push_costs(const Problem& problem, double push_bytes) {
  const int P = problem.node_count();
  std::vector<double> omega(P, 0.0);
  for (int p = P - 2; p >= 0; --p)
    omega[p] = omega[p + 1] + latency_of(problem.links[p].up).of(push_bytes);
  return omega;
}

void add_parameter_push(ChainCosts& costs, const std::vector<double>& omega) {
  for (std::size_t p = 0; p < omega.size(); ++p) costs.finish[p] += omega[p];
}

}  // namespace hivemind::split
