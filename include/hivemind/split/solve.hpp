// The methods that plan on cost tables alone (methods.hpp: sci, algorithm1, dijkstra, brute and
// the baselines), their work estimates and their shared solve on ChainCosts. A problem with its
// sections is solved by solve(ExtendedProblem, MethodChoice) (extensions.hpp), which calls this.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hivemind/budget.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/methods.hpp"

namespace hivemind::split {

// Graph size of the Dijkstra formulation (vertices include virtual start and end).
struct GraphStats {
  std::int64_t vertices = 0;
  std::int64_t edges = 0;
};

struct Solution {
  Method method = Method::kSci;
  double cost = 0.0;      // total cost of the plan (Eq. 1 extended by the deliver mode)
  Boundaries boundaries;  // b_0..b_{P-1}
  PlanCost breakdown;     // the plan evaluated term by term
  GraphStats graph;       // only for kDijkstra
};

// Number of plans C(P+L-1, P-1), saturating at UINT64_MAX.
std::uint64_t plan_count(int layers, int nodes);

// What a solve needs, estimated from L and P before it starts (issue 10), so that a valid but
// huge input is refused in milliseconds instead of running for minutes or out of memory.
//   steps: elementary steps, one step = one cost read and added (or compared) by the method's
//          innermost loop, about 1 ns on the reference VM (see hivemind/budget.hpp);
//   bytes: the tables the method allocates beyond its input, plus the input ChainCosts itself
//          (the memory the call holds at its peak).
struct WorkEstimate {
  double steps = 0.0;
  double bytes = 0.0;
};

// Bytes of `count` tables of one double per node and cut: P * (L + 1) * 8 each (compute,
// transfer, zeta, ...).
double table_bytes(int layers, int nodes, double count = 1.0);

// The estimate of `method` on L layers and P nodes (worst case where the work depends on the
// costs: algorithm1's skip step may do better). Per method, with T = table_bytes(L, P):
//   sci           steps P(L+2)                 bytes 2T (input) + 1.5T (zeta, split tables)
//   algorithm1    steps P(L+1)(L+2)/2          bytes 3.5T
//   dijkstra      steps E(22 + 2 log2 V)       bytes 2T + 16E + 40V (graph in CSR, heap)
//   brute         steps plans * (L + P)        bytes 2T
//   baselines     steps P(L+2)                 bytes 2T (+ one suffix sum for single-split)
// E, V: dijkstra_graph_size; plans: plan_count (evaluating each plan from scratch, an upper
// bound of the enumeration, which shares the prefixes).
WorkEstimate estimate_work(int layers, int nodes, Method method);

// Throws the one-line InputError of check_steps / check_bytes (naming --max-steps or
// --max-memory-mib), "WHAT: needs ...", when `work` is above `budget`; steps are checked first.
void check_work(const Budget& budget, const WorkEstimate& work, std::string_view what);

// Solves with `method` (a table method; any other throws InputError). Throws InputError when
// the method's estimate is above `budget`, or when no plan has finite cost.
Solution solve(const ChainCosts& costs, Method method, const Budget& budget = {});

// The subject of a refusal by check_work for table method `method` on L layers, P nodes: the
// method and its size (brute: its plans, dijkstra: its edges, with the method to use instead).
std::string work_subject(Method method, int layers, int nodes);

// The individual methods, for callers that want one directly. Each returns the optimal (or
// baseline) boundaries; ties broken towards lexicographically largest boundaries. They check
// the budget like solve().
Boundaries solve_brute(const ChainCosts& costs, const Budget& budget = {});
Boundaries solve_dijkstra(const ChainCosts& costs, GraphStats* stats = nullptr,
                          const Budget& budget = {});
// ue-only, cloud-only, single-split (best_single_split; when every cut costs +inf, the plan of
// the largest cut, k = L, whose infinite cost the caller reports).
Boundaries solve_baseline(const ChainCosts& costs, Method method);

// The fixed plans of the ue-only (b = [L, ..., L]) and cloud-only (b = [0, ..., 0, L]) baselines
// for L layers and P nodes, into `b` (no allocation once it is sized). Throws InputError for any
// other method.
void fixed_plan(Method method, int layers, int nodes, Boundaries& b);

// The single-split baseline (Neurosurgeon, Kang et al. 2017): one cut k between the UE and
// the cloud, every MEC relays, b = [k, ..., k, L]. O(L * P): the cost of cut k is the UE's
// prefix sum, the cloud's suffix sum, every link's transfer of cut k and the finish cost;
// ties go to the largest k. `b` is left empty when every cut costs +inf. `scratch` is a
// caller-kept buffer: no allocation once the buffers are sized (the simulator plans a task
// every few milliseconds with it).
void best_single_split(const ChainCosts& costs, std::vector<double>& scratch, Boundaries& b);
Boundaries best_single_split(const ChainCosts& costs);

// Size of the Eq. 5-7 graph for L layers and P nodes, without building it (closed form,
// saturating near INT64_MAX for sizes no budget accepts).
GraphStats dijkstra_graph_size(int layers, int nodes);

}  // namespace hivemind::split
