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

bool is_core_name(const std::string& method) {
  for (Method c : all_methods())
    if (to_string(c) == method) return true;
  return false;
}

// "method NAME (L = .., P = ..)" for the budget's messages; L is the linearised one for rnn.
std::string budget_subject(const ExtendedProblem& ext, const std::string& method, double L) {
  char buf[200];
  std::snprintf(buf, sizeof buf, " (L = %.0f, P = %d", L, ext.problem.node_count());
  std::string s = "method " + method + buf;
  if (ext.rnn && method != "standard")
    s += ", " + std::to_string(ext.rnn->steps) + " rnn steps linearised";
  if (ext.multi && method == "exact") {
    const std::size_t C = ext.multi->objective.limits.size();
    s += ", " + std::to_string(C) + (C == 1 ? " limit" : " limits");
  }
  return s + ")";
}

// Layers of the problem the method plans on: R * L for rnn (except standard, which plans one step).
double planned_layers(const ExtendedProblem& ext, const std::string& method) {
  const double L = ext.problem.layers;
  return ext.rnn && method != "standard" ? L * ext.rnn->steps : L;
}

}  // namespace

WorkEstimate estimate_extended(const ExtendedProblem& ext, const std::string& method) {
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

  if (method == "standard" && ext.rnn) {
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
    tables += 2 * M + 2 + (method == "linear" ? 2 : 0);
    steps +=
        (2 * M + (method == "linear" ? 2 + 2 * ext.multi->objective.limits.size() : 0)) * values;
  }
  steps += tables * values;
  double bytes = tables * T;

  if (method == "barrier" && ext.multi) {
    const double C = static_cast<double>(ext.multi->objective.limits.size());
    steps += Pd * (L + 1) * (L + 2) / 2 * (1 + 3 * C);  // as solve_barrier counts it
    bytes += sci_bytes;
  } else if (method == "exact" && ext.multi) {
    const double D = 1.0 + static_cast<double>(ext.multi->objective.limits.size());
    steps += Pd * (L + 2) * D;  // at least one label per split point set; then counted
    bytes += D * (L + 1) * sizeof(double) + Pd * (L + 2) * 24;  // prefix sums, front headers
  } else if (is_core_name(method)) {
    const Method m = parse_method(method);
    // The feasibility probe (one SCI pass), then the core method on the cost tables (its
    // estimate counts the tables it reads, already counted above).
    const WorkEstimate core = estimate_work(Li, P, m);
    steps += sci_steps + core.steps;
    bytes += sci_bytes + std::max(0.0, core.bytes - 2 * T);
  } else {
    // bottleneck, standard (collaborative), linear, opt-METRIC, and unknown names: one SCI pass.
    steps += sci_steps;
    bytes += sci_bytes;
  }
  return {steps, bytes};
}

std::vector<std::string> applicable_methods(const ExtendedProblem& ext) {
  std::vector<std::string> m;
  if (ext.multi) {
    for (const auto& metric : ext.multi->metrics) m.push_back("opt-" + metric.name);
    m.insert(m.end(), {"linear", "barrier", "exact"});
    return m;
  }
  m.push_back("sci");
  if (ext.omega || ext.rnn) m.push_back("standard");
  m.push_back("bottleneck");
  if (!ext.constraints.has_memory()) m.insert(m.end(), {"ue-only", "cloud-only", "single-split"});
  return m;
}

ExtSolution solve_extended(const ExtendedProblem& ext, const std::string& method,
                           const Budget& budget) {
  // The estimate first, from the sizes alone: a hostile size is refused before prepare()
  // builds a single table (an rnn of 1e6 steps on 1e4 nodes would ask for 80 GB).
  check_work(budget, estimate_extended(ext, method),
             budget_subject(ext, method, planned_layers(ext, method)));
  ExtSolution s;
  s.method = method;
  Boundaries& b = s.boundaries;
  if (method == "standard" && ext.rnn) {
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
    s.metrics.push_back({"total", s.cost, "", 0.0, true});
    s.metrics.push_back({"slowest_stage", evaluate_bottleneck(step_costs, b), "", 0.0, true});
    return s;
  }
  const Prepared pr = prepare(ext);
  s.problem = pr.problem;
  const ChainCosts& reported = pr.costs;  // the tables the breakdown is read from

  if (method == "bottleneck") {
    s.cost = solve_chain(pr.costs, pr.windows, Combine::kMax, b);
    s.cost_name = "slowest stage (throughput objective)";
    if (b.empty()) throw InputError("method bottleneck: " + constraint_reason(ext));
  } else if (method == "standard") {
    if (ext.omega) {
      // Plan as if omega did not exist, then pay it (Fig. 19b's "standard HiveMind").
      solve_chain(pr.costs_without_omega, pr.windows, Combine::kSum, b);
      if (b.empty()) throw InputError("method standard: " + constraint_reason(ext));
      s.cost_name = "total, planned without omega then charged omega";
    } else {
      throw InputError("method standard: needs a collaborative or rnn section");
    }
  } else if (method == "linear") {
    const CompiledObjective& obj = need_objective(pr, method);
    s.cost = solve_chain(linear_costs(obj), pr.windows, Combine::kSum, b);
    s.cost_name = "Eq. 11 weighted sum";
    if (b.empty()) throw InputError("method linear: " + constraint_reason(ext));
  } else if (method == "barrier") {
    const CompiledObjective& obj = need_objective(pr, method);
    b = solve_barrier(obj, pr.windows, &s.cost, budget);
    s.cost_name = "Eq. 12 (W_c on every edge)";
    if (b.empty())
      throw InputError(
          "method barrier: every plan has an edge (incoming transfer + block) whose "
          "limited metric reaches its threshold, where W_c is infinite (or " +
          constraint_reason(ext) + "); try exact");
  } else if (method == "exact") {
    const CompiledObjective& obj = need_objective(pr, method);
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
  } else if (method.rfind("opt-", 0) == 0) {
    const CompiledObjective& obj = need_objective(pr, method);
    const std::string name = method.substr(4);
    int k = -1;
    for (std::size_t q = 0; q < obj.names.size(); ++q)
      if (obj.names[q] == name) k = static_cast<int>(q);
    if (k < 0) throw InputError("method " + method + ": unknown metric \"" + name + "\"");
    s.cost = solve_chain(obj.metric[k], pr.windows, Combine::kSum, b);
    s.cost_name = "end-to-end " + name + " alone";
    if (b.empty()) throw InputError("method " + method + ": " + constraint_reason(ext));
  } else {
    if (!is_core_name(method))
      throw InputError("method: unknown method \"" + method +
                       "\" (expected sci, algorithm1, dijkstra, brute, ue-only, cloud-only, "
                       "single-split, bottleneck, standard, linear, barrier, exact or opt-METRIC)");
    const Method m = parse_method(method);
    if (!pr.windows.empty()) {
      if (m == Method::kSci) {
        solve_chain(pr.costs, pr.windows, Combine::kSum, b);
        if (b.empty()) throw InputError("method sci: " + constraint_reason(ext));
      } else if (is_optimal(m)) {
        throw InputError("method " + method +
                         ": memory budgets are solved by sci only (windowed SCI)");
      } else {
        b = solve_baseline(pr.costs, m);
        if (!plan_fits_windows(pr.windows, b))
          throw InputError("method " + method +
                           ": the baseline plan does not fit the memory budgets");
      }
    } else {
      Boundaries probe;
      if (!std::isfinite(solve_chain(pr.costs, {}, Combine::kSum, probe)))
        throw InputError("method " + method + ": " + constraint_reason(ext));
      b = solve(pr.costs, m, budget).boundaries;
    }
  }

  s.breakdown = evaluate(reported, b);
  if (s.cost_name.empty() || method == "standard") {
    s.cost = s.breakdown.total;
    if (s.cost_name.empty()) s.cost_name = "total (sum of stages)";
  }
  if (!std::isfinite(s.breakdown.total) && method != "bottleneck")
    throw InputError("method " + method + ": its plan " + boundaries_text(b) +
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
    s.metrics.push_back({"total", s.breakdown.total, "", 0.0, true});
    s.metrics.push_back({"slowest_stage", evaluate_bottleneck(reported, b), "", 0.0, true});
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
