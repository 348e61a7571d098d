// The additive cost tables every split solver works on.
//
// A Problem (or a training / multi-objective / collaborative extension of it) compiles to
// ChainCosts; the solvers (SCI, Algorithm 1, Dijkstra, brute force) never look at bytes or
// bandwidths, only at these tables. That keeps one home for "what does a plan cost".
#pragma once

#include <vector>

#include "hivemind/split/problem.hpp"

namespace hivemind::split {

struct ChainCosts {
  int layers = 0;  // L
  // compute[p][l-1]: cost of node p running layer l (tau^p_l). +inf forbids the placement.
  std::vector<std::vector<double>> compute;
  // transfer[p][x], p = 0..P-2, x = 0..L: cost of link p carrying cut x from node p to p+1
  // (epsilon^p_x, Eq. 10; see build_transfer_row for training and the deliver modes). Under
  // Deliver::kNone / kSource, transfer[p][L] = 0: nothing moves once the model has finished.
  std::vector<std::vector<double>> transfer;
  // finish[p]: cost charged once to the node that runs layer L (the parameter push omega^p of
  // Eq. 13).
  std::vector<double> finish;

  int node_count() const { return static_cast<int>(compute.size()); }
};

// Compiles the paper's inference cost model (Eq. 1, 7, 10) with the problem's deliver mode,
// row by row (cost_model.hpp). Deliver::kSource's return path is in the link rows, so finish
// is all zeros here (the extensions add omega to it).
ChainCosts compile(const Problem& problem);

// A plan: boundaries b_0..b_{P-1} with 0 <= b_0 <= ... <= b_{P-1} = L. Node p runs layers
// b_{p-1}+1 .. b_p (b_{-1} = 0); it may run none and only relay.
using Boundaries = std::vector<int>;

// Cost of a plan, itemised. The sum of the parts is `total`.
struct PlanCost {
  double total = 0.0;
  std::vector<double> node_compute;   // per node: sum of its layers' compute
  std::vector<double> link_transfer;  // per link: transfer of the cut it carries
  int finishing_node = 0;             // the node that runs layer L
  double finish = 0.0;                // finish[finishing_node]
};

// True when `b` is a well-formed plan for `costs` (sizes, order, b_{P-1} = L).
bool is_valid_plan(const ChainCosts& costs, const Boundaries& b);

// The total cost of plan b without the itemisation and its allocations (the simulator plans a
// task every few milliseconds). Precondition: is_valid_plan(costs, b).
double plan_total(const ChainCosts& costs, const Boundaries& b);

// Direct evaluation of a plan, term by term: the independent oracle the solvers are checked
// against. Precondition: is_valid_plan(costs, b).
PlanCost evaluate(const ChainCosts& costs, const Boundaries& b);

}  // namespace hivemind::split
