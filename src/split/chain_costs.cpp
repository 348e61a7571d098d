#include "hivemind/split/chain_costs.hpp"

#include <cassert>

namespace hivemind::split {

ChainCosts compile(const Problem& problem) {
  const int L = problem.layers;
  const int P = problem.node_count();
  ChainCosts costs;
  costs.layers = L;
  costs.compute.reserve(P);
  for (const auto& node : problem.nodes) costs.compute.push_back(node.compute_s);
  costs.transfer.assign(P - 1, std::vector<double>(L + 1, 0.0));
  for (int p = 0; p + 1 < P; ++p) {
    for (int x = 0; x <= L; ++x)
      costs.transfer[p][x] = problem.links[p].up.transfer_s(problem.cut_bytes(x));  // Eq. 10
    // Once layer L has run, links carry the result only when it must reach the sink.
    if (problem.deliver != Deliver::kSink) costs.transfer[p][L] = 0.0;
  }
  costs.finish.assign(P, 0.0);
  if (problem.deliver == Deliver::kSource) {
    // The node that finishes returns s_L to the UE over the down direction of every link
    // between them.
    for (int p = 1; p < P; ++p)
      costs.finish[p] =
          costs.finish[p - 1] + problem.links[p - 1].down.transfer_s(problem.cut_bytes(L));
  }
  return costs;
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
  for (double c : cost.node_compute) cost.total += c;
  for (double c : cost.link_transfer) cost.total += c;
  cost.total += cost.finish;
  return cost;
}

}  // namespace hivemind::split
