// Node constraints (memory budgets, pinned layers) and the two per-node SCI variants that the
// extensions need beyond sci_node: a block window per split point set, and the bottleneck
// (throughput) objective where a plan costs its slowest stage instead of the sum of stages.
//
// Both per-node functions keep the O(L) cost of sci_node:
//  - a memory budget makes the blocks node p may run from layer i a window i..max_stop[i] with
//    max_stop non-decreasing in i, so min over j of T_j + zeta'_{j+1} is a sliding-window
//    minimum (monotone deque) instead of a suffix minimum;
//  - with max in place of +, theta^i_j = max(in_i, T_j - T_{i-1}, zeta'_{j+1}); the candidates j
//    that are not dominated form a monotone stack and the optimum sits where the rising
//    T_j - T_{i-1} crosses the falling zeta' (one pointer that only moves forward).
#pragma once

#include <span>
#include <vector>

#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/sci.hpp"

namespace hivemind::split {

// What the user restricts. Every vector is either empty (no constraint of that kind) or sized
// as documented.
struct NodeConstraints {
  // Per node: bytes of memory available for the layers it runs; +inf = unlimited.
  std::vector<double> memory_budget_bytes;
  // Per layer (index l-1): parameter bytes (weights) of layer l.
  std::vector<double> parameter_bytes;
  // Per layer (index l-1): peak activation bytes of layer l (defaults to its output bytes).
  std::vector<double> activation_bytes;
  // Per layer (index l-1): the node the layer must run on, or -1 when free.
  std::vector<int> pinned_node;

  bool has_memory() const { return !memory_budget_bytes.empty(); }
  bool has_pins() const;
};

// Memory a node needs to run layers first..last (1-based, inclusive): the sum of their
// parameter bytes plus the largest activation among them; 0 for an empty block.
double block_memory_bytes(const NodeConstraints& constraints, int first, int last);

// Stop windows: window[p][i], i = 0..L+1, is the last layer node p may run when it starts at
// layer i (i-1 = it may only relay). Non-decreasing in i. Empty result when there is no memory
// budget. O(L) per node (two pointers and a monotone deque for the largest activation).
std::vector<std::vector<int>> memory_windows(const NodeConstraints& constraints, int layers,
                                             int nodes);

// Pinned layers: compute = +inf on every other node (the barrier sci_node already honours).
void apply_pins(const NodeConstraints& constraints, ChainCosts& costs);

// Checks sizes and values against L and P; throws InputError naming the field.
void validate(const NodeConstraints& constraints, int layers, int nodes);

// sci_node with a stop window: node p, starting at layer i, may stop at j in [i, max_stop[i]]
// (or relay). `max_stop` empty = no window (then the result equals sci_node's, bit for bit on
// exact arithmetic). Layers with compute +inf also close the window. O(L).
void sci_node_window(const SciNodeInput& in, std::span<const int> max_stop, SciNodeOutput& out);

// The bottleneck objective (throughput of a stream of inputs): zeta[i] is the smallest possible
// largest stage cost of the rest of the chain, a stage being a node's compute block, a link's
// transfer, or the finish cost. theta^i_j = max(in_i, T_j - T_{i-1} [, finish], zeta'_{j+1}).
// Ties between optimal stops are broken arbitrarily. O(L) amortised.
void sci_node_bottleneck(const SciNodeInput& in, std::span<const int> max_stop, SciNodeOutput& out);

enum class Combine {
  kSum,  // Eq. 1: the plan costs the sum of its stages
  kMax,  // throughput: the plan costs its slowest stage
};

// Full chain, sink to source then the downstream decisions (as SciChainSolver). `windows` may
// be empty (no memory budget). Returns +inf and leaves `boundaries` empty if no plan is
// feasible. `nodes_out`, if given, receives the per-node outputs.
double solve_chain(const ChainCosts& costs, const std::vector<std::vector<int>>& windows,
                   Combine combine, Boundaries& boundaries,
                   std::vector<SciNodeOutput>* nodes_out = nullptr);

// The bottleneck value of a plan: the largest of its node compute blocks, link transfers and
// finish cost (its terms are those of evaluate()). Precondition: is_valid_plan(costs, b).
double evaluate_bottleneck(const ChainCosts& costs, const Boundaries& b);

// True when every node's block of plan b fits its stop window.
bool plan_fits_windows(const std::vector<std::vector<int>>& windows, const Boundaries& b);

}  // namespace hivemind::split
