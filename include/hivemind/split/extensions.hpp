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

#include "hivemind/split/constraints.hpp"
#include "hivemind/split/objectives.hpp"
#include "hivemind/split/problem.hpp"
#include "hivemind/split/rnn.hpp"
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

// Methods `solve_extended` takes (beyond the core ones: sci, algorithm1, dijkstra, brute,
// ue-only, cloud-only, single-split): bottleneck, standard, linear, barrier, exact,
// opt-<metric>.
std::vector<std::string> applicable_methods(const ExtendedProblem& ext);

struct MetricValue {
  std::string name;
  double value = 0.0;   // end to end, for the plan
  std::string role;     // "minimize", "limit", "" (reported only)
  double parameter = 0.0;  // weight (minimize) or threshold (limit)
  bool met = true;      // limit: value <= threshold
};

struct ExtSolution {
  std::string method;
  Problem problem;       // the problem the plan is for (linearised for rnn)
  Boundaries boundaries;
  double cost = 0.0;     // the method's own objective value
  std::string cost_name; // what `cost` measures
  PlanCost breakdown;    // the plan on the primary tables (best effort for multi-objective)
  std::vector<MetricValue> metrics;
  std::vector<std::string> notes;
  std::optional<ExactStats> exact;
};

// Solves with `method`. Throws InputError for an unknown or inapplicable method and when no
// plan is feasible (naming why: every placement forbidden, memory, thresholds).
ExtSolution solve_extended(const ExtendedProblem& ext, const std::string& method);

}  // namespace hivemind::split
