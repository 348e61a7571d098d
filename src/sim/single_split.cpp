#include "hivemind/sim/single_split.hpp"

#include <limits>

namespace hivemind::sim {

split::Boundaries best_single_split(const split::ChainCosts& costs) {
  const int L = costs.layers;
  const int P = costs.node_count();
  // cost(k) = sum_{l<=k} tau^0_l + sum_p transfer[p][k] + sum_{l>k} tau^{P-1}_l + finish.
  // Layer L on the UE (k = L) finishes at node 0; otherwise at the cloud.
  std::vector<double> cloud_suffix(L + 1, 0.0);  // sum_{l>k} tau^{P-1}_l
  for (int k = L - 1; k >= 0; --k) cloud_suffix[k] = cloud_suffix[k + 1] + costs.compute[P - 1][k];
  double ue = 0.0;
  double best = std::numeric_limits<double>::infinity();
  int best_k = -1;
  std::vector<double> total(L + 1);
  for (int k = 0; k <= L; ++k) {
    if (k > 0) ue += costs.compute[0][k - 1];
    double t = ue + cloud_suffix[k];
    for (int p = 0; p + 1 < P; ++p) t += costs.transfer[p][k];
    t += k == L ? costs.finish[0] : costs.finish[P - 1];
    total[k] = t;
  }
  for (int k = L; k >= 0; --k)  // descending + strict <: ties go to the largest k
    if (best_k < 0 || total[k] < best) {
      best = total[k];
      best_k = k;
    }
  if (!(best < std::numeric_limits<double>::infinity())) return {};
  split::Boundaries b(P, best_k);
  b.back() = L;
  return b;
}

}  // namespace hivemind::sim
