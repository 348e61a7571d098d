#include "hivemind/split/objectives.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/split/cost_model.hpp"

namespace hivemind::split {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

int metric_index(const MultiObjective& multi, const std::string& name, const std::string& field) {
  for (std::size_t k = 0; k < multi.metrics.size(); ++k)
    if (multi.metrics[k].name == name) return static_cast<int>(k);
  std::string known;
  for (const auto& m : multi.metrics) known += (known.empty() ? "" : ", ") + m.name;
  throw InputError(field + ": unknown metric \"" + name + "\" (metrics: " + known + ")");
}

// phi of node p's edge for one metric: its incoming transfer of cut i-1, its block i..j and,
// when it runs layer L, its finish cost (the quantity Eq. 12 reshapes).
double edge_value(const ChainCosts& c, int p, int i, int j) {
  double phi = p > 0 ? c.transfer[p - 1][i - 1] : 0.0;
  for (int l = i; l <= j; ++l) phi += c.compute[p][l - 1];
  if (j >= i && j == c.layers) phi += c.finish[p];
  return phi;
}

}  // namespace

void validate(const MultiObjective& multi, const Problem& problem) {
  const int L = problem.layers;
  const int P = problem.node_count();
  if (multi.metrics.empty()) throw InputError("metrics: at least one metric is needed");
  std::set<std::string> names;
  for (std::size_t k = 0; k < multi.metrics.size(); ++k) {
    const Metric& m = multi.metrics[k];
    const std::string field = "metrics[" + std::to_string(k) + "]";
    if (m.name.empty()) throw InputError(field + ".name: empty name");
    if (!names.insert(m.name).second)
      throw InputError(field + ".name: metric \"" + m.name + "\" is defined twice");
    if (m.from_problem) continue;
    if (m.compute.size() != static_cast<std::size_t>(P))
      throw InputError(field + ".compute: expected " + std::to_string(P) +
                       " rows (one per node), got " + std::to_string(m.compute.size()));
    for (int p = 0; p < P; ++p) {
      if (m.compute[p].size() != static_cast<std::size_t>(L))
        throw InputError(field + ".compute[" + std::to_string(p) + "]: expected " +
                         std::to_string(L) + " entries, got " +
                         std::to_string(m.compute[p].size()));
      for (int l = 0; l < L; ++l)
        require_non_negative(m.compute[p][l], field + ".compute[" + std::to_string(p) + "][" +
                                                  std::to_string(l) + "]");
    }
    if (m.links.size() + 1 != static_cast<std::size_t>(P))
      throw InputError(field + ".links: expected " + std::to_string(P - 1) + " entries, got " +
                       std::to_string(m.links.size()));
    for (std::size_t q = 0; q < m.links.size(); ++q) {
      const std::string lf = field + ".links[" + std::to_string(q) + "]";
      require_non_negative(m.links[q].per_byte, lf + ".per_byte");
      require_non_negative(m.links[q].fixed, lf + ".fixed");
      if (m.links[q].down_per_byte >= 0)
        require_non_negative(m.links[q].down_per_byte, lf + ".down_per_byte");
      if (m.links[q].down_fixed >= 0)
        require_non_negative(m.links[q].down_fixed, lf + ".down_fixed");
    }
  }
  std::set<std::string> used;
  for (std::size_t t = 0; t < multi.objective.minimize.size(); ++t) {
    const auto& term = multi.objective.minimize[t];
    const std::string field = "objective.minimize." + term.metric;
    metric_index(multi, term.metric, field);
    require_non_negative(term.value, field);
    used.insert(term.metric);
  }
  for (const auto& term : multi.objective.limits) {
    const std::string field = "objective.limits." + term.metric;
    metric_index(multi, term.metric, field);
    if (std::isnan(term.value) || term.value < 0)
      throw InputError(field + ": threshold " + exact_number(term.value) + " must be >= 0");
    if (used.count(term.metric))
      throw InputError(field + ": metric \"" + term.metric +
                       "\" is both minimised and limited; give it one role");
  }
  for (const auto& term : multi.objective.linear_weights) {
    const std::string field = "objective.linear_weights." + term.metric;
    metric_index(multi, term.metric, field);
    require_non_negative(term.value, field);
  }
  if (multi.objective.minimize.empty())
    throw InputError("objective.minimize: at least one best-effort metric is needed");
}

void set_limits(Objective& objective, const std::vector<Objective::Term>& limits) {
  for (const auto& t : limits) {
    bool replaced = false;
    for (auto& l : objective.limits)
      if (l.metric == t.metric) {
        l.value = t.value;
        replaced = true;
      }
    if (!replaced) objective.limits.push_back(t);
  }
}

ChainCosts compile_metric(const Problem& problem, const Metric& metric) {
  if (metric.from_problem) return compile(problem);
  return build_chain_costs(
      TaskTraffic::of(problem), problem.node_count(),
      [&](int p, std::vector<double>& row) {
        build_compute_row(metric.compute[p], {}, 1.0, 1.0, row);
      },
      [&](int p) {
        // The metric's per-byte and per-transfer costs (Eq. 10 with 1/c = per_byte, psi = fixed).
        const MetricLink& link = metric.links[p];
        return std::pair{
            TransferCost{1.0, link.per_byte, link.fixed},
            TransferCost{1.0, link.down_per_byte >= 0 ? link.down_per_byte : link.per_byte,
                         link.down_fixed >= 0 ? link.down_fixed : link.fixed}};
      });
}

ChainCosts weighted_sum(const std::vector<const ChainCosts*>& costs,
                        const std::vector<double>& weights) {
  ChainCosts out = *costs.front();
  auto scale = [](double w, double x) { return w == 0.0 && std::isinf(x) ? x : w * x; };
  for (auto& row : out.compute)
    for (auto& x : row) x = scale(weights[0], x);
  for (auto& row : out.transfer)
    for (auto& x : row) x = scale(weights[0], x);
  for (auto& x : out.finish) x = scale(weights[0], x);
  for (std::size_t k = 1; k < costs.size(); ++k) {
    const ChainCosts& c = *costs[k];
    for (std::size_t p = 0; p < out.compute.size(); ++p)
      for (std::size_t l = 0; l < out.compute[p].size(); ++l)
        out.compute[p][l] += scale(weights[k], c.compute[p][l]);
    for (std::size_t p = 0; p < out.transfer.size(); ++p)
      for (std::size_t x = 0; x < out.transfer[p].size(); ++x)
        out.transfer[p][x] += scale(weights[k], c.transfer[p][x]);
    for (std::size_t p = 0; p < out.finish.size(); ++p)
      out.finish[p] += scale(weights[k], c.finish[p]);
  }
  return out;
}

CompiledObjective compile_objective(const Problem& problem, const MultiObjective& multi) {
  validate(multi, problem);
  CompiledObjective obj;
  for (const auto& m : multi.metrics) {
    obj.names.push_back(m.name);
    obj.metric.push_back(compile_metric(problem, m));
  }
  std::vector<const ChainCosts*> parts;
  std::vector<double> weights;
  for (const auto& term : multi.objective.minimize) {
    parts.push_back(&obj.metric[metric_index(multi, term.metric, "objective.minimize")]);
    weights.push_back(term.value);
  }
  obj.best_effort = weighted_sum(parts, weights);
  for (const auto& term : multi.objective.limits) {
    obj.limited.push_back(metric_index(multi, term.metric, "objective.limits"));
    obj.threshold.push_back(term.value);
    double w = 1.0;
    for (const auto& lw : multi.objective.linear_weights)
      if (lw.metric == term.metric) w = lw.value;
    obj.linear_weight.push_back(w);
  }
  return obj;
}

std::vector<double> metric_totals(const CompiledObjective& obj, const Boundaries& b) {
  std::vector<double> totals;
  for (const auto& c : obj.metric) totals.push_back(evaluate(c, b).total);
  return totals;
}

double barrier_weight(double x, double threshold) {
  if (!(x < threshold)) return kInf;
  return -1.0 / (x - threshold);  // W_c of Eq. 12
}

ChainCosts linear_costs(const CompiledObjective& obj) {
  std::vector<const ChainCosts*> parts{&obj.best_effort};
  std::vector<double> weights{1.0};
  for (std::size_t c = 0; c < obj.limited.size(); ++c) {
    parts.push_back(&obj.metric[obj.limited[c]]);
    weights.push_back(obj.linear_weight[c]);
  }
  return weighted_sum(parts, weights);  // Eq. 11
}

double barrier_cost(const CompiledObjective& obj, const Boundaries& b) {
  double total = 0.0;
  int first = 1;
  for (std::size_t p = 0; p < b.size(); ++p) {
    const int P = static_cast<int>(p);
    total += edge_value(obj.best_effort, P, first, b[p]);
    for (std::size_t c = 0; c < obj.limited.size(); ++c)
      total +=
          barrier_weight(edge_value(obj.metric[obj.limited[c]], P, first, b[p]), obj.threshold[c]);
    first = b[p] + 1;
  }
  return total;
}

Boundaries solve_barrier(const CompiledObjective& obj, const std::vector<std::vector<int>>& windows,
                         double* cost_out, const Budget& budget) {
  const ChainCosts& be = obj.best_effort;
  const int L = be.layers;
  const int P = be.node_count();
  const int C = static_cast<int>(obj.limited.size());
  {
    // W_c is not additive, so every block (i, j) of every node is evaluated (the worst case: a
    // window, an infinite cost or a metric reaching its threshold cuts the j loop short), at
    // 1 + 3C steps each: the best-effort value added, and per limited metric its value added,
    // compared with Phi and turned into W_c (a division); measured 4.4 ns per block for C = 1
    // on the reference VM. Memory: one zeta (double) and one stop (int) per node and split
    // point set.
    const double Ld = L, Pd = P;
    check_steps(budget, Pd * (Ld + 1) * (Ld + 2) / 2 * (1 + 3.0 * C),
                "method barrier (L = " + std::to_string(L) + ", P = " + std::to_string(P) + ")");
    check_bytes(budget, Pd * (Ld + 2) * (sizeof(double) + sizeof(int)),
                "method barrier (L = " + std::to_string(L) + ", P = " + std::to_string(P) + ")");
  }
  std::vector<std::vector<double>> zeta(P, std::vector<double>(L + 2, kInf));
  std::vector<std::vector<int>> stop(P, std::vector<int>(L + 2, 0));
  std::vector<double> in(C + 1), block(C + 1), fin(C + 1);
  auto table = [&](int k) -> const ChainCosts& {
    return k == 0 ? be : obj.metric[obj.limited[k - 1]];
  };
  std::vector<const double*> row(C + 1);  // node p's compute row of each table
  for (int p = P - 1; p >= 0; --p) {
    auto down = [&](int k) {
      if (p + 1 == P) return k == L + 1 ? 0.0 : kInf;
      return zeta[p + 1][k];
    };
    for (int k = 0; k <= C; ++k) {
      row[k] = table(k).compute[p].data();
      fin[k] = table(k).finish[p];
    }
    for (int i = 1; i <= L + 1; ++i) {
      for (int k = 0; k <= C; ++k) in[k] = p > 0 ? table(k).transfer[p - 1][i - 1] : 0.0;
      // theta for j = i-1 (relay): the edge carries only the incoming transfer.
      auto edge = [&](const std::vector<double>& phi) {
        double e = phi[0];
        for (int c = 0; c < C; ++c) e += barrier_weight(phi[c + 1], obj.threshold[c]);  // Eq. 12
        return e;
      };
      double best = edge(in) + down(i);
      int best_j = i - 1;
      block = in;
      const int last = windows.empty() ? L : std::min(L, windows[p][i]);
      for (int j = i; j <= last; ++j) {
        bool blocked = false;
        for (int k = 0; k <= C; ++k) {
          block[k] += row[k][j - 1];
          if (!std::isfinite(block[k])) blocked = true;
        }
        if (blocked) break;
        // A limited metric at or above its threshold makes W_c +inf for this block and, as
        // costs are non-negative, for every longer one: no later stop has a finite theta (only
        // the stop of a +inf zeta, which no decision ever follows, could differ).
        bool over = false;
        for (int c = 0; c < C; ++c) over = over || !(block[c + 1] < obj.threshold[c]);
        if (over) break;
        // edge(phi) with phi = block (+ finish at L), without copying the block.
        double e = j == L ? block[0] + fin[0] : block[0];
        for (int c = 0; c < C; ++c)
          e += barrier_weight(j == L ? block[c + 1] + fin[c + 1] : block[c + 1], obj.threshold[c]);
        const double theta = e + down(j + 1);
        if (theta <= best) {
          best = theta;
          best_j = j;
        }
      }
      zeta[p][i] = best;
      stop[p][i] = best_j;
    }
  }
  Boundaries b;
  const double cost = zeta[0][1];
  if (cost_out) *cost_out = cost;
  if (!std::isfinite(cost)) return b;
  int x = 0;
  for (int p = 0; p < P; ++p) {
    x = stop[p][x + 1];
    b.push_back(x);
  }
  return b;
}

}  // namespace hivemind::split
