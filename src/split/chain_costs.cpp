#include "hivemind/split/chain_costs.hpp"

#include <cassert>

#include "hivemind/split/cost_model.hpp"

namespace hivemind::split {

ChainCosts compile(const Problem& problem) {
  return build_chain_costs(
      TaskTraffic::of(problem), problem.node_count(),
      [&](int p, std::vector<double>& row) {  // Eq. 7: node p's own costs
        build_compute_row(problem.nodes[p].compute_s, {}, 1.0, 1.0, row);
      },
      [&](int p) {  // Eq. 10, with the deliver mode: link p's own numbers
        return std::pair{latency_of(problem.links[p].up), latency_of(problem.links[p].down)};
      });
}

bool is_valid_plan(const ChainCosts& costs, const Boundaries& b) {
  const int P = costs.node_count();
  if (static_cast<int>(b.size()) != P || P < 1) return false;
  int prev = 0;
  for (int v : b) {
    if (v < prev || v > costs.layers) return false;
    prev = v;
  }
  return b.back() == costs.layers;
}

double plan_total(const ChainCosts& costs, const Boundaries& b) {
  // Each node's layers summed, then the nodes, the links and the finish cost added to one
  // total in that order (evaluate's parts sum to the same number, bit for bit).
  const int P = costs.node_count();
  double total = 0.0;
  int first = 1;
  int finishing = -1;
  for (int p = 0; p < P; ++p) {
    double node = 0.0;
    for (int l = first; l <= b[p]; ++l) node += costs.compute[p][l - 1];
    total += node;
    if (finishing < 0 && b[p] == costs.layers) finishing = p;
    first = b[p] + 1;
  }
  for (int p = 0; p + 1 < P; ++p) total += costs.transfer[p][b[p]];  // Eq. 1, second sum
  return total + costs.finish[finishing];
}

PlanCost evaluate(const ChainCosts& costs, const Boundaries& b) {
  assert(is_valid_plan(costs, b));
  const int P = costs.node_count();
  PlanCost cost;
  cost.node_compute.assign(P, 0.0);
  cost.link_transfer.assign(P - 1, 0.0);
  int first = 1;  // first layer of node p
  cost.finishing_node = -1;
  for (int p = 0; p < P; ++p) {
    for (int l = first; l <= b[p]; ++l) cost.node_compute[p] += costs.compute[p][l - 1];
    if (cost.finishing_node < 0 && b[p] == costs.layers) cost.finishing_node = p;
    // Link p carries the cut where node p stopped (Eq. 1, second sum).
    if (p + 1 < P) cost.link_transfer[p] = costs.transfer[p][b[p]];
    first = b[p] + 1;
  }
  cost.finish = costs.finish[cost.finishing_node];
  cost.total = plan_total(costs, b);
  return cost;
}

}  // namespace hivemind::split
