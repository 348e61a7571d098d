// Planning helpers of the simulator's hot loop (one plan per task and method). The
// single-split baseline itself lives in split (split::best_single_split, O(L * P)).
#pragma once

#include "hivemind/split/chain_costs.hpp"

namespace hivemind::sim {

// split::evaluate(costs, b).total without the itemisation and its allocations: the same sums in
// the same order, so the same number, bit for bit. Precondition: split::is_valid_plan(costs, b).
double plan_total(const split::ChainCosts& costs, const split::Boundaries& b);

}  // namespace hivemind::sim
