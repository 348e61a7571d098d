// The single-split baseline (Neurosurgeon, Kang et al. 2017): one cut k between the UE and the
// cloud, every MEC relays. O(L * P) with prefix sums; the same plan as
// split::solve_baseline(costs, Method::kSingleSplit) (ties to the largest k), which is O(L^2 P).
#pragma once

#include <vector>

#include "hivemind/split/chain_costs.hpp"

namespace hivemind::sim {

split::Boundaries best_single_split(const split::ChainCosts& costs);

}  // namespace hivemind::sim
