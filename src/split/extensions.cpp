#include "hivemind/split/extensions.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/solve.hpp"

namespace hivemind::split {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string show(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

// Everything a method needs, compiled once.
struct Prepared {
  Problem problem;                  // the problem plans refer to (linearised for rnn)
  ChainCosts costs;                 // primary tables: training/omega/pins applied
  ChainCosts costs_without_omega;   // for the collaborative "standard" baseline
  std::vector<std::vector<int>> windows;
  std::optional<CompiledObjective> objective;
};

Prepared prepare(const ExtendedProblem& ext) {
  Prepared pr;
  pr.problem = ext.rnn ? linearize_rnn(ext.problem, *ext.rnn) : ext.problem;
  pr.costs = ext.training ? compile_training(pr.problem, *ext.training) : compile(pr.problem);
  apply_pins(ext.constraints, pr.costs);
  pr.costs_without_omega = pr.costs;
  if (ext.omega) add_parameter_push(pr.costs, *ext.omega);  // Eq. 13
  pr.windows = memory_windows(ext.constraints, pr.problem.layers, pr.problem.node_count());
  if (ext.multi) {
    CompiledObjective obj = compile_objective(pr.problem, *ext.multi);
    for (auto& m : obj.metric) apply_pins(ext.constraints, m);
    apply_pins(ext.constraints, obj.best_effort);
    pr.costs = obj.best_effort;
    pr.costs_without_omega = obj.best_effort;
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
    throw InputError("method " + method + ": needs the metrics and objective sections (docs/extensions.md)");
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

}  // namespace

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

ExtSolution solve_extended(const ExtendedProblem& ext, const std::string& method) {
  const Prepared pr = prepare(ext);
  ExtSolution s;
  s.method = method;
  s.problem = pr.problem;
  Boundaries& b = s.boundaries;
  const ChainCosts* reported = &pr.costs;  // the tables the breakdown is read from
  ChainCosts step_costs;                   // rnn standard: one step

  if (method == "bottleneck") {
    s.cost = solve_chain(pr.costs, pr.windows, Combine::kMax, b);
    s.cost_name = "slowest stage (throughput objective)";
    if (b.empty()) throw InputError("method bottleneck: " + constraint_reason(ext));
  } else if (method == "standard") {
    if (ext.rnn) {
      const RnnStandard st = rnn_standard(ext.problem, *ext.rnn);
      s.problem = rnn_step_problem(ext.problem, *ext.rnn);
      step_costs = compile(s.problem);
      reported = &step_costs;
      b = st.module_plan;
      s.cost = st.total;
      s.cost_name = "R steps of the module plan + (R-1) hidden-state returns";
      s.notes.push_back("standard RNN split: one step " + show(st.step_cost) + " x " +
                        std::to_string(ext.rnn->steps) + " steps + hidden return " +
                        show(st.hidden_return) + " x " + std::to_string(ext.rnn->steps - 1));
    } else if (ext.omega) {
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
    b = solve_barrier(obj, pr.windows, &s.cost);
    s.cost_name = "Eq. 12 (W_c on every edge)";
    if (b.empty())
      throw InputError("method barrier: every plan has an edge (incoming transfer + block) whose "
                       "limited metric reaches its threshold, where W_c is infinite (or " +
                       constraint_reason(ext) + "); try exact");
  } else if (method == "exact") {
    const CompiledObjective& obj = need_objective(pr, method);
    const ExactResult r = solve_exact(obj, pr.windows);
    if (r.boundaries.empty()) {
      std::string why;
      bool each_alone = true;
      for (std::size_t c = 0; c < obj.limited.size(); ++c) {
        Boundaries alone;
        const double best = solve_chain(obj.metric[obj.limited[c]], pr.windows, Combine::kSum, alone);
        each_alone = each_alone && best <= obj.threshold[c];
        why += (why.empty() ? "" : "; ") + obj.names[obj.limited[c]] + " <= " + show(obj.threshold[c]) +
               " (smallest end-to-end " + obj.names[obj.limited[c]] + " of any plan: " + show(best) + ")";
      }
      Boundaries any_plan;
      if (obj.limited.empty() ||
          !std::isfinite(solve_chain(obj.best_effort, pr.windows, Combine::kSum, any_plan)))
        why = constraint_reason(ext);
      throw InputError("method exact: no plan meets the thresholds: " + why +
                       (each_alone && obj.limited.size() > 1 ? " (each alone can be met, not all together)" : ""));
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
    bool core = false;
    for (Method c : all_methods()) core = core || to_string(c) == method;
    if (!core)
      throw InputError("method: unknown method \"" + method +
                       "\" (expected sci, algorithm1, dijkstra, brute, ue-only, cloud-only, "
                       "single-split, bottleneck, standard, linear, barrier, exact or opt-METRIC)");
    const Method m = parse_method(method);
    if (!pr.windows.empty()) {
      if (m == Method::kSci) {
        solve_chain(pr.costs, pr.windows, Combine::kSum, b);
        if (b.empty()) throw InputError("method sci: " + constraint_reason(ext));
      } else if (is_optimal(m)) {
        throw InputError("method " + method + ": memory budgets are solved by sci only (windowed SCI)");
      } else {
        b = solve_baseline(pr.costs, m);
        if (!plan_fits_windows(pr.windows, b))
          throw InputError("method " + method + ": the baseline plan does not fit the memory budgets");
      }
    } else {
      Boundaries probe;
      if (!std::isfinite(solve_chain(pr.costs, {}, Combine::kSum, probe)))
        throw InputError("method " + method + ": " + constraint_reason(ext));
      b = solve(pr.costs, m).boundaries;
    }
  }

  s.breakdown = evaluate(*reported, b);
  if (s.cost_name.empty() || (method == "standard" && !ext.rnn)) {
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
  } else if (method == "standard" && ext.rnn) {
    s.metrics.push_back({"total", s.cost, "", 0.0, true});
    s.metrics.push_back({"slowest_stage", evaluate_bottleneck(*reported, b), "", 0.0, true});
  } else {
    s.metrics.push_back({"total", s.breakdown.total, "", 0.0, true});
    s.metrics.push_back({"slowest_stage", evaluate_bottleneck(*reported, b), "", 0.0, true});
    if (ext.omega) s.metrics.push_back({"parameter_push", (*ext.omega)[s.breakdown.finishing_node], "", 0.0, true});
    if (ext.training) s.metrics.push_back({"migration", migration_total(pr.problem, *ext.training, b), "", 0.0, true});
  }
  return s;
}

}  // namespace hivemind::split
