// Every split method, in one typed registry: the core methods and baselines, which plan on cost
// tables alone (solve(ChainCosts, Method) in solve.hpp), and the extensions' methods, which need
// a problem's sections (solve(ExtendedProblem, MethodChoice) in extensions.hpp). The CLI, the
// simulator and the experiments name methods with this vocabulary only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hivemind::split {

enum class Method {
  // On cost tables alone.
  kSci,          // per-node SCI in O(L) per node (Sec. IV-C, prefix sums + suffix minimum)
  kAlgorithm1,   // Algorithm 1 literally, O(L^2) per node worst case
  kDijkstra,     // explicit graph of Eq. 5-7 + Dijkstra (central formulation)
  kBrute,        // enumerate all C(P+L-1, L) plans (small problems only)
  kUeOnly,       // baseline: b = [L, ..., L]
  kCloudOnly,    // baseline: b = [0, ..., 0, L]
  kSingleSplit,  // baseline (Neurosurgeon): best single cut k, b = [k, ..., k, L]
  // Need a problem's sections (docs/extensions.md).
  kBottleneck,  // throughput: minimise the slowest stage
  kStandard,    // baseline of a collaborative or rnn problem (plan without omega / one RNN step)
  kLinear,      // Eq. 11: one weighted sum of every metric
  kBarrier,     // Eq. 12 as printed: W_c on every edge
  kExact,       // minimum best effort with every end-to-end limit met (Pareto-front SCI)
  kOptMetric,   // one metric alone ("opt-METRIC"; MethodChoice::metric names it)
};

struct MethodInfo {
  Method method;
  std::string_view name;     // as on the command line ("opt-" for kOptMetric)
  std::string_view summary;  // one line, for help texts
  bool optimal;              // returns a global optimum of its objective
  bool on_tables;            // plans on cost tables alone (solve(ChainCosts, Method))
};

// The registry, in the order the help lists the methods.
const std::vector<MethodInfo>& method_registry();
const MethodInfo& method_info(Method method);

// The methods that plan on cost tables alone (sci, algorithm1, dijkstra, brute, ue-only,
// cloud-only, single-split).
const std::vector<Method>& table_methods();
std::string_view to_string(Method method);
// True for the table methods that return a global optimum (sci, algorithm1, dijkstra, brute).
bool is_optimal(Method method);

// A method as a user picks it: the method and, for opt-METRIC, the metric.
struct MethodChoice {
  Method method = Method::kSci;
  std::string metric;  // kOptMetric only

  MethodChoice() = default;
  MethodChoice(Method m) : method(m) {}  // NOLINT: every Method is a choice
  MethodChoice(Method m, std::string metric_name) : method(m), metric(std::move(metric_name)) {}
  // "sci", "opt-energy", ...
  std::string name() const;
  bool operator==(const MethodChoice&) const = default;
};

// Parses a command-line name ("sci", "exact", "opt-energy"); throws InputError naming the value
// and listing the valid names otherwise.
MethodChoice parse_method(std::string_view name);

}  // namespace hivemind::split
