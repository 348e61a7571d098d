// One entry point for the extensions of issue 3: the optional sections of a problem file
// (training, collaborative, rnn, metrics + objective, constraints, parameter_bytes; see
// docs/extensions.md) and a solver that dispatches every method on them.
//
// Pipeline, one direction: file -> ExtendedProblem -> cost tables (ChainCosts: training adds
// backward + migration, collaborative adds omega to finish, rnn linearises, pins set +inf) ->
// per-node SCI (unchanged sci_node, or the windowed / bottleneck / barrier / Pareto variants)
// -> plan -> every metric's end-to-end value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hivemind/budget.hpp"
#include "hivemind/split/constraints.hpp"
#include "hivemind/split/objectives.hpp"
#include "hivemind/split/problem.hpp"
#include "hivemind/split/rnn.hpp"
#include "hivemind/split/solve.hpp"
#include "hivemind/split/training.hpp"

namespace hivemind::split {

struct ExtendedProblem {
  Problem problem;  // the base problem (for rnn: one recurrent module)
  std::optional<TrainingSpec> training;
  std::optional<std::vector<double>> omega;  // collaborative: omega^p per node (Eq. 13)
  std::optional<RnnSpec> rnn;
  std::optional<MultiObjective> multi;
  NodeConstraints constraints;

  // True when the file has any extension section.
  bool any() const;
};

// Parses the optional extension sections of a problem file whose base part is `base` (parsed
// by parse_problem). Unknown keys inside a section, wrong sizes, bad values and unsupported
// combinations are InputErrors naming the field; `source` prefixes the message.
ExtendedProblem parse_extensions(const Problem& base, std::string_view json_text,
                                 std::string_view source = "problem");

// A whole problem file, base part (parse_problem) and extension sections, from one JSON
// parse; the messages are those of parse_problem and parse_extensions.
ExtendedProblem parse_extended_problem(std::string_view json_text,
                                       std::string_view source = "problem");
// Reads the file (read_text_file) and parses it.
ExtendedProblem load_extended_problem(const std::string& path);

// The methods that apply to `ext`, in the order --compare lists them: with metrics, opt-METRIC
// per metric, linear, barrier, exact; otherwise sci, standard (collaborative / rnn), bottleneck
// and, without memory budgets, the baselines.
std::vector<MethodChoice> applicable_methods(const ExtendedProblem& ext);

struct MetricValue {
  std::string name;
  double value = 0.0;      // end to end, for the plan
  std::string role;        // "minimize", "limit", "" (reported only)
  double parameter = 0.0;  // weight (minimize) or threshold (limit)
  bool met = true;         // limit: value <= threshold
};

// A plan and what it costs: the answer of solve for every method.
struct Plan {
  MethodChoice method;
  Problem problem;  // the problem the plan is for (linearised for rnn)
  Boundaries boundaries;
  double cost = 0.0;      // the method's own objective value
  std::string cost_name;  // what `cost` measures
  PlanCost breakdown;     // the plan on the primary tables (best effort for multi-objective)
  std::vector<MetricValue> metrics;
  std::vector<std::string> notes;
  std::optional<ExactStats> exact;
  GraphStats graph;  // dijkstra only
};

// The one solve entry: a problem with its sections and a method (methods.hpp). A plain problem
// (no sections) with a table method is compiled and solved on its tables (solve.hpp); every
// other combination goes through the sections' tables (training, omega, rnn linearisation,
// pins, memory windows, metrics). Throws InputError for an inapplicable method and when no plan
// is feasible (naming why: every placement forbidden, memory, thresholds), and when the work
// estimate (estimate_work below) is above `budget`, before any table is built; `exact` also
// counts its Pareto labels as it builds them and refuses once they pass the budget.
Plan solve(const ExtendedProblem& ext, const MethodChoice& method, const Budget& budget = {});

// What solve(ext, method) will need, from the sizes alone (L, P, R rnn steps, metrics, limits,
// sections): the tables it compiles (the linearised rnn problem, the cost tables, each metric's
// tables, the solver's messages; table_bytes each) and the method's steps (one step = one cost
// read and added or compared, as in estimate_work(L, P, method)). For `exact` it is the lower
// bound of one label per split point set; the fronts are counted as they grow.
WorkEstimate estimate_work(const ExtendedProblem& ext, const MethodChoice& method);

}  // namespace hivemind::split
