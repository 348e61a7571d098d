#include "hivemind/sim/single_split.hpp"

namespace hivemind::sim {

double plan_total(const split::ChainCosts& costs, const split::Boundaries& b) {
  // split::evaluate sums each node's layers, then adds the nodes, the links and the finish cost
  // to one total in that order; so do we.
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
  for (int p = 0; p + 1 < P; ++p) total += costs.transfer[p][b[p]];
  return total + costs.finish[finishing];
}

}  // namespace hivemind::sim
