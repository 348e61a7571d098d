#include "hivemind/split/extensions.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/solve.hpp"

namespace hivemind::split {

namespace {

std::string show(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

// Everything a method needs, compiled once.
struct Prepared {
  Problem problem;                 // the problem plans refer to (linearised for rnn)
  ChainCosts costs;                // primary tables: training/omega/pins applied
  ChainCosts costs_without_omega;  // collaborative only: for its "standard" baseline
  std::vector<std::vector<int>> windows;
  std::optional<CompiledObjective> objective;
};

Prepared prepare(const ExtendedProblem& ext) {
  Prepared pr;
  pr.problem = ext.rnn ? linearize_rnn(ext.problem, *ext.rnn) : ext.problem;
  pr.costs = ext.training ? compile_training(pr.problem, *ext.training) : compile(pr.problem);
  apply_pins(ext.constraints, pr.costs);
  if (ext.omega) {
    pr.costs_without_omega = pr.costs;
    add_parameter_push(pr.costs, *ext.omega);  // Eq. 13
  }
  pr.windows = memory_windows(ext.constraints, pr.problem.layers, pr.problem.node_count());
  if (ext.multi) {
    CompiledObjective obj = compile_objective(pr.problem, *ext.multi);
    for (auto& m : obj.metric) apply_pins(ext.constraints, m);
    apply_pins(ext.constraints, obj.best_effort);
    pr.costs = obj.best_effort;
    pr.objective = std::move(obj);
  }
  return pr;
}

std::string constraint_reason(const ExtendedProblem& ext) {
  std::string r;
  if (ext.constraints.has_memory()) r = "the memory budgets";
  if (ext.constraints.has_pins()) r += std::string(r.empty() ? "" : " and ") + "the pinned layers";
  return r.empty() ? "every placement has infinite cost" : "no plan satisfies " + r;
}

const CompiledObjective& need_objective(const Prepared& pr, const std::string& method) {
  if (!pr.objective)
    throw InputError("method " + method +
                     ": needs the metrics and objective sections (docs/extensions.md)");
  return *pr.objective;
}

double migration_total(const Problem& problem, const TrainingSpec& spec, const Boundaries& b) {
  if (spec.current_plan.empty()) return 0.0;
  double total = 0.0;
  for (int l = 1; l <= problem.layers; ++l)
    total += spec.migration_weight * migration_cost_s(problem, spec.parameter_bytes[l - 1],
                                                      node_of_layer(spec.current_plan, l),
                                                      node_of_layer(b, l));
  return total;
}

std::string boundaries_text(const Boundaries& b) {
  std::string out = "[";
  for (std::size_t p = 0; p < b.size(); ++p) out += (p ? ", " : "") + std::to_string(b[p]);
  return out + "]";
}

// "method NAME (L = .., P = ..)" for the budget's messages; L is the linearised one for rnn.
std::string budget_subject(const ExtendedProblem& ext, const MethodChoice& method, double L) {
  char buf[200];
  std::snprintf(buf, sizeof buf, " (L = %.0f, P = %d", L, ext.problem.node_count());
  std::string s = "method " + method.name() + buf;
  if (ext.rnn && method.method != Method::kStandard)
    s += ", " + std::to_string(ext.rnn->steps) + " rnn steps linearised";
  if (ext.multi && method.method == Method::kExact) {
    const std::size_t C = ext.multi->objective.limits.size();
    s += ", " + std::to_string(C) + (C == 1 ? " limit" : " limits");
  }
  return s + ")";
}

// Layers of the problem the method plans on: R * L for rnn (except standard, which plans one step).
double planned_layers(const ExtendedProblem& ext, const MethodChoice& method) {
  const double L = ext.problem.layers;
  return ext.rnn && method.method != Method::kStandard ? L * ext.rnn->steps : L;
}

// The metrics of a plan without an objective section: its total and its slowest stage on the
// tables it was costed on.
void add_stage_metrics(Plan& s, double total, const ChainCosts& costs) {
  s.metrics.push_back({"total", total, "", 0.0, true});
  s.metrics.push_back({"slowest_stage", evaluate_bottleneck(costs, s.boundaries), "", 0.0, true});
}

// A plain problem (no sections) solved by a table method: compiled and solved on its tables.
bool plain_table_solve(const ExtendedProblem& ext, const MethodChoice& method) {
  return !ext.any() && method_info(method.method).on_tables;
}

}  // namespace

WorkEstimate estimate_work(const ExtendedProblem& ext, const MethodChoice& method) {
  if (plain_table_solve(ext, method))
    return estimate_work(ext.problem.layers, ext.problem.node_count(), method.method);
  const int P = ext.problem.node_count();
  const double Pd = P;
  const double L = planned_layers(ext, method);
  const int Li =
      static_cast<int>(std::min(L, 2e9));  // estimate_work's argument; huge L is refused anyway
  const double T = table_bytes(Li, P);     // one table: P x (L+1) doubles
  const double values = Pd * (L + 1);      // values in one table: one step each to build it
  // One SCI pass (sci_node_window / sci_node_bottleneck): a few steps per split point set,
  // and its messages: zeta (double) and stop (int) per node and split point set.
  const double sci_steps = Pd * (L + 2);
  const double sci_bytes = Pd * (L + 2) * (sizeof(double) + sizeof(int));

  const Method m = method.method;
  if (m == Method::kStandard && ext.rnn) {
    // rnn_standard: one step's problem (cuts + H) compiled and solved by SCI; no linearisation.
    return {3 * values + sci_steps, 3 * T + sci_bytes};
  }
  // prepare(): the problem (linearised for rnn: one more compute table) and the copy the
  // solution keeps, the cost tables (compute + transfer; twice with omega: the standard
  // baseline keeps the tables without it), the stop windows (ints), the objective's tables.
  double tables = 1 + (ext.rnn ? 1 : 0) + 2 + (ext.omega ? 2 : 0);
  if (ext.constraints.has_memory()) tables += 0.5;
  double steps = 0;
  if (ext.training && !ext.training->current_plan.empty()) {
    // compile_training: eta of layer l on node p sums the |p - cur(l)| links between them.
    const Boundaries& cur = ext.training->current_plan;
    for (int l = 1; l <= ext.problem.layers; ++l) {
      const double f = node_of_layer(cur, l);
      steps += f * (f + 1) / 2 + (Pd - 1 - f) * (Pd - f) / 2;
    }
  }
  if (ext.multi) {
    // Each metric's tables, the best-effort sum and its copy as the primary tables (+ Eq. 11's
    // weighted sum for linear).
    const double M = static_cast<double>(ext.multi->metrics.size());
    tables += 2 * M + 2 + (m == Method::kLinear ? 2 : 0);
    steps +=
        (2 * M + (m == Method::kLinear ? 2 + 2 * ext.multi->objective.limits.size() : 0)) * values;
  }
  steps += tables * values;
  double bytes = tables * T;

  if (m == Method::kBarrier && ext.multi) {
    const double C = static_cast<double>(ext.multi->objective.limits.size());
    steps += Pd * (L + 1) * (L + 2) / 2 * (1 + 3 * C);  // as solve_barrier counts it
    bytes += sci_bytes;
  } else if (m == Method::kExact && ext.multi) {
    const double D = 1.0 + static_cast<double>(ext.multi->objective.limits.size());
    steps += Pd * (L + 2) * D;  // at least one label per split point set; then counted
    bytes += D * (L + 1) * sizeof(double) + Pd * (L + 2) * 24;  // prefix sums, front headers
  } else if (method_info(m).on_tables) {
    // The feasibility probe (one SCI pass), then the core method on the cost tables (its
    // estimate counts the tables it reads, already counted above).
    const WorkEstimate core = estimate_work(Li, P, m);
    steps += sci_steps + core.steps;
    bytes += sci_bytes + std::max(0.0, core.bytes - 2 * T);
  } else {
    // bottleneck, standard (collaborative), linear, opt-METRIC: one SCI pass.
    steps += sci_steps;
    bytes += sci_bytes;
  }
  return {steps, bytes};
}

std::vector<MethodChoice> applicable_methods(const ExtendedProblem& ext) {
  std::vector<MethodChoice> m;
  if (ext.multi) {
    for (const auto& metric : ext.multi->metrics) m.emplace_back(Method::kOptMetric, metric.name);
    m.insert(m.end(), {Method::kLinear, Method::kBarrier, Method::kExact});
    return m;
  }
  m.push_back(Method::kSci);
  if (ext.omega || ext.rnn) m.push_back(Method::kStandard);
  m.push_back(Method::kBottleneck);
  if (!ext.constraints.has_memory())
    m.insert(m.end(), {Method::kUeOnly, Method::kCloudOnly, Method::kSingleSplit});
  return m;
}

Plan solve(const ExtendedProblem& ext, const MethodChoice& method, const Budget& budget) {
  const Method m = method.method;
  const std::string name = method.name();
  Plan s;
  s.method = method;
  Boundaries& b = s.boundaries;
  if (plain_table_solve(ext, method)) {
    // A plain problem and a table method: its estimate before the tables are compiled (which
    // it counts), then the method on the tables.
    const int L = ext.problem.layers, P = ext.problem.node_count();
    check_work(budget, estimate_work(L, P, m), work_subject(m, L, P));
    s.problem = ext.problem;
    const ChainCosts costs = compile(ext.problem);
    const Solution core = solve(costs, m, budget);
    b = core.boundaries;
    s.graph = core.graph;
    s.breakdown = core.breakdown;
    s.cost = core.cost;
    s.cost_name = "total (sum of stages)";
    add_stage_metrics(s, s.breakdown.total, costs);
    return s;
  }
  // The estimate first, from the sizes alone: a hostile size is refused before prepare()
  // builds a single table (an rnn of 1e6 steps on 1e4 nodes would ask for 80 GB).
  check_work(budget, estimate_work(ext, method),
             budget_subject(ext, method, planned_layers(ext, method)));
  if (m == Method::kStandard && ext.rnn) {
    // Splits one step and repeats it: needs neither the linearised problem nor its tables.
    ChainCosts step_costs;
    const RnnStandard st = rnn_standard(ext.problem, *ext.rnn);
    s.problem = rnn_step_problem(ext.problem, *ext.rnn);
    step_costs = compile(s.problem);
    b = st.module_plan;
    s.cost = st.total;
    s.cost_name = "R steps of the module plan + (R-1) hidden-state returns";
    s.notes.push_back("standard RNN split: one step " + show(st.step_cost) + " x " +
                      std::to_string(ext.rnn->steps) + " steps + hidden return " +
                      show(st.hidden_return) + " x " + std::to_string(ext.rnn->steps - 1));
    s.breakdown = evaluate(step_costs, b);
    if (!std::isfinite(s.breakdown.total))
      throw InputError("method standard: its plan " + boundaries_text(b) + " has infinite cost");
    add_stage_metrics(s, s.cost, step_costs);
    return s;
  }
  const Prepared pr = prepare(ext);
  s.problem = pr.problem;
  const ChainCosts& reported = pr.costs;  // the tables the breakdown is read from

  switch (m) {
    case Method::kBottleneck:
      s.cost = solve_chain(pr.costs, pr.windows, Combine::kMax, b);
      s.cost_name = "slowest stage (throughput objective)";
      if (b.empty()) throw InputError("method bottleneck: " + constraint_reason(ext));
      break;
    case Method::kStandard:
      if (!ext.omega) throw InputError("method standard: needs a collaborative or rnn section");
      // Plan as if omega did not exist, then pay it (Fig. 19b's "standard HiveMind").
      solve_chain(pr.costs_without_omega, pr.windows, Combine::kSum, b);
      if (b.empty()) throw InputError("method standard: " + constraint_reason(ext));
      s.cost_name = "total, planned without omega then charged omega";
      break;
    case Method::kLinear: {
      const CompiledObjective& obj = need_objective(pr, name);
      s.cost = solve_chain(linear_costs(obj), pr.windows, Combine::kSum, b);
      s.cost_name = "Eq. 11 weighted sum";
      if (b.empty()) throw InputError("method linear: " + constraint_reason(ext));
      break;
    }
    case Method::kBarrier: {
      const CompiledObjective& obj = need_objective(pr, name);
      b = solve_barrier(obj, pr.windows, &s.cost, budget);
      s.cost_name = "Eq. 12 (W_c on every edge)";
      if (b.empty())
        throw InputError(
            "method barrier: every plan has an edge (incoming transfer + block) whose "
            "limited metric reaches its threshold, where W_c is infinite (or " +
            constraint_reason(ext) + "); try exact");
      break;
    }
    case Method::kExact: {
      const CompiledObjective& obj = need_objective(pr, name);
      const ExactResult r = solve_exact(obj, pr.windows, budget);
      if (r.boundaries.empty()) {
        std::string why;
        bool each_alone = true;
        for (std::size_t c = 0; c < obj.limited.size(); ++c) {
          Boundaries alone;
          const double best =
              solve_chain(obj.metric[obj.limited[c]], pr.windows, Combine::kSum, alone);
          each_alone = each_alone && best <= obj.threshold[c];
          why += (why.empty() ? "" : "; ") + obj.names[obj.limited[c]] +
                 " <= " + show(obj.threshold[c]) + " (smallest end-to-end " +
                 obj.names[obj.limited[c]] + " of any plan: " + show(best) + ")";
        }
        Boundaries any_plan;
        if (obj.limited.empty() ||
            !std::isfinite(solve_chain(obj.best_effort, pr.windows, Combine::kSum, any_plan)))
          why = constraint_reason(ext);
        throw InputError("method exact: no plan meets the thresholds: " + why +
                         (each_alone && obj.limited.size() > 1
                              ? " (each alone can be met, not all together)"
                              : ""));
      }
      b = r.boundaries;
      s.cost = r.best_effort;
      s.cost_name = "best effort, subject to every limit (exact)";
      s.exact = r.stats;
      break;
    }
    case Method::kOptMetric: {
      const CompiledObjective& obj = need_objective(pr, name);
      int k = -1;
      for (std::size_t q = 0; q < obj.names.size(); ++q)
        if (obj.names[q] == method.metric) k = static_cast<int>(q);
      if (k < 0) throw InputError("method " + name + ": unknown metric \"" + method.metric + "\"");
      s.cost = solve_chain(obj.metric[k], pr.windows, Combine::kSum, b);
      s.cost_name = "end-to-end " + method.metric + " alone";
      if (b.empty()) throw InputError("method " + name + ": " + constraint_reason(ext));
      break;
    }
    default:  // the table methods on the prepared tables
      if (!pr.windows.empty()) {
        if (m == Method::kSci) {
          solve_chain(pr.costs, pr.windows, Combine::kSum, b);
          if (b.empty()) throw InputError("method sci: " + constraint_reason(ext));
        } else if (is_optimal(m)) {
          throw InputError("method " + name +
                           ": memory budgets are solved by sci only (windowed SCI)");
        } else {
          b = solve_baseline(pr.costs, m);
          if (!plan_fits_windows(pr.windows, b))
            throw InputError("method " + name +
                             ": the baseline plan does not fit the memory budgets");
        }
      } else {
        Boundaries probe;
        if (!std::isfinite(solve_chain(pr.costs, {}, Combine::kSum, probe)))
          throw InputError("method " + name + ": " + constraint_reason(ext));
        const Solution core = solve(pr.costs, m, budget);
        b = core.boundaries;
        s.graph = core.graph;
      }
      break;
  }

  s.breakdown = evaluate(reported, b);
  if (s.cost_name.empty() || m == Method::kStandard) {
    s.cost = s.breakdown.total;
    if (s.cost_name.empty()) s.cost_name = "total (sum of stages)";
  }
  if (!std::isfinite(s.breakdown.total) && m != Method::kBottleneck)
    throw InputError("method " + name + ": its plan " + boundaries_text(b) +
                     " has infinite cost (it breaks the pinned layers)");

  if (pr.objective) {
    const CompiledObjective& obj = *pr.objective;
    const std::vector<double> totals = metric_totals(obj, b);
    for (std::size_t k = 0; k < obj.names.size(); ++k) {
      MetricValue v{obj.names[k], totals[k], "", 0.0, true};
      for (const auto& t : ext.multi->objective.minimize)
        if (t.metric == v.name) {
          v.role = "minimize";
          v.parameter = t.value;
        }
      for (std::size_t c = 0; c < obj.limited.size(); ++c)
        if (static_cast<int>(k) == obj.limited[c]) {
          v.role = "limit";
          v.parameter = obj.threshold[c];
          v.met = totals[k] <= obj.threshold[c];
        }
      s.metrics.push_back(v);
    }
    double be = 0.0;
    for (const auto& t : ext.multi->objective.minimize)
      for (std::size_t k = 0; k < obj.names.size(); ++k)
        if (obj.names[k] == t.metric) be += t.value * totals[k];
    s.metrics.push_back({"best_effort", be, "", 0.0, true});
  } else {
    add_stage_metrics(s, s.breakdown.total, reported);
    if (ext.omega)
      s.metrics.push_back(
          {"parameter_push", (*ext.omega)[s.breakdown.finishing_node], "", 0.0, true});
    if (ext.training)
      s.metrics.push_back(
          {"migration", migration_total(pr.problem, *ext.training, b), "", 0.0, true});
  }
  return s;
}

}  // namespace hivemind::split
