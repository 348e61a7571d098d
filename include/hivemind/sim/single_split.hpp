// Planning helpers of the simulator's hot loop (one plan per task and method).
//
// The single-split baseline (Neurosurgeon, Kang et al. 2017): one cut k between the UE and the
// cloud, every MEC relays. O(L * P) with prefix sums; the same plan as
// split::solve_baseline(costs, Method::kSingleSplit) (ties to the largest k), which is O(L^2 P).
#pragma once

#include <vector>

#include "hivemind/split/chain_costs.hpp"

namespace hivemind::sim {

split::Boundaries best_single_split(const split::ChainCosts& costs);
// The same into `b` (empty when every cut costs +inf), with a caller-kept buffer: no allocation
// once the buffers are sized (the simulator plans a task every few milliseconds).
void best_single_split(const split::ChainCosts& costs, std::vector<double>& scratch, split::Boundaries& b);

// split::evaluate(costs, b).total without the itemisation and its allocations: the same sums in
// the same order, so the same number, bit for bit. Precondition: split::is_valid_plan(costs, b).
double plan_total(const split::ChainCosts& costs, const split::Boundaries& b);

}  // namespace hivemind::sim
