// One interface for every split method, selectable by name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hivemind/split/chain_costs.hpp"

namespace hivemind::split {

enum class Method {
  kSci,          // per-node SCI in O(L) per node (Sec. IV-C, prefix sums + suffix minimum)
  kAlgorithm1,   // Algorithm 1 literally, O(L^2) per node worst case
  kDijkstra,     // explicit graph of Eq. 5-7 + Dijkstra (central formulation)
  kBrute,        // enumerate all C(P+L-1, L) plans (small problems only)
  kUeOnly,       // baseline: b = [L, ..., L]
  kCloudOnly,    // baseline: b = [0, ..., 0, L]
  kSingleSplit,  // baseline (Neurosurgeon): best single cut k, b = [k, ..., k, L]
};

// Names as used on the command line: sci, algorithm1, dijkstra, brute, ue-only, cloud-only,
// single-split. parse_method throws InputError naming the value and the valid names.
Method parse_method(std::string_view name);
std::string_view to_string(Method method);
const std::vector<Method>& all_methods();
// True for the methods that return a global optimum (sci, algorithm1, dijkstra, brute).
bool is_optimal(Method method);

// Graph size of the Dijkstra formulation (vertices include virtual start and end).
struct GraphStats {
  std::int64_t vertices = 0;
  std::int64_t edges = 0;
};

struct Solution {
  Method method = Method::kSci;
  double cost = 0.0;       // total cost of the plan (Eq. 1 extended by the deliver mode)
  Boundaries boundaries;   // b_0..b_{P-1}
  PlanCost breakdown;      // the plan evaluated term by term
  GraphStats graph;        // only for kDijkstra
};

// Largest number of plans `brute` enumerates before refusing with an InputError.
inline constexpr std::uint64_t kBruteMaxPlans = 20'000'000;
// Number of plans C(P+L-1, P-1), saturating at UINT64_MAX.
std::uint64_t plan_count(int layers, int nodes);

// Solves with `method`. Throws InputError when the method refuses the size (brute, dijkstra
// above kDijkstraMaxEdges) or when no plan has finite cost.
Solution solve(const ChainCosts& costs, Method method);

// The individual methods, for callers that want one directly. Each returns the optimal (or
// baseline) boundaries; ties broken towards lexicographically largest boundaries.
Boundaries solve_brute(const ChainCosts& costs);
Boundaries solve_dijkstra(const ChainCosts& costs, GraphStats* stats = nullptr);
Boundaries solve_baseline(const ChainCosts& costs, Method method);

inline constexpr std::int64_t kDijkstraMaxEdges = 60'000'000;
// Size of the Eq. 5-7 graph for L layers and P nodes, without building it.
GraphStats dijkstra_graph_size(int layers, int nodes);

}  // namespace hivemind::split
