#include "hivemind/sim/single_split.hpp"

#include <limits>

namespace hivemind::sim {

split::Boundaries best_single_split(const split::ChainCosts& costs) {
  std::vector<double> scratch;
  split::Boundaries b;
  best_single_split(costs, scratch, b);
  return b;
}

void best_single_split(const split::ChainCosts& costs, std::vector<double>& scratch, split::Boundaries& b) {
  const int L = costs.layers;
  const int P = costs.node_count();
  // cost(k) = sum_{l<=k} tau^0_l + sum_p transfer[p][k] + sum_{l>k} tau^{P-1}_l + finish.
  // Layer L on the UE (k = L) finishes at node 0; otherwise at the cloud.
  std::vector<double>& cloud_suffix = scratch;  // sum_{l>k} tau^{P-1}_l
  cloud_suffix.resize(L + 1);
  cloud_suffix[L] = 0.0;
  for (int k = L - 1; k >= 0; --k) cloud_suffix[k] = cloud_suffix[k + 1] + costs.compute[P - 1][k];
  double ue = 0.0;
  double best = std::numeric_limits<double>::infinity();
  int best_k = -1;
  for (int k = 0; k <= L; ++k) {
    if (k > 0) ue += costs.compute[0][k - 1];
    double t = ue + cloud_suffix[k];
    for (int p = 0; p + 1 < P; ++p) t += costs.transfer[p][k];
    t += k == L ? costs.finish[0] : costs.finish[P - 1];
    if (best_k < 0 || t <= best) {  // <= while k grows: ties go to the largest k
      best = t;
      best_k = k;
    }
  }
  b.clear();
  if (!(best < std::numeric_limits<double>::infinity())) return;
  b.assign(P, best_k);
  b.back() = L;
}

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
