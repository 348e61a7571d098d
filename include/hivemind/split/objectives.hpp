// Multiple objectives (Sec. V): named metrics, best-effort and quality-assurance objectives,
// and three ways to plan with them:
//   linear  - Eq. 11: one weighted sum of every metric, solved by the unchanged SCI, O(L)/node;
//   barrier - Eq. 12 as printed: on every edge of the split graph (a node's incoming transfer
//             plus its compute block) each quality-assurance metric phi is reshaped by
//             W_c(phi) = -1/(phi - Phi) (+inf at or above Phi) before the sum. W_c is not
//             additive over layers, so this per-node step is O(L^2) (every (i, j) block);
//   exact   - the true constrained optimum: minimum best-effort cost subject to the END-TO-END
//             value of every quality-assurance metric being <= its threshold. The SCI message
//             becomes, per split point set, a Pareto front of (best-effort, constrained...)
//             cost-to-go labels; see solve_exact.
// The paper's barrier bounds each edge, not the plan: it can return a plan whose end-to-end
// value is above Phi, or refuse a feasible problem. `exact` cannot.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hivemind/budget.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/problem.hpp"

namespace hivemind::split {

// Per-link cost of one metric: per_byte * bytes + fixed for each transfer (Eq. 10 with
// 1/c = per_byte, psi = fixed), in the metric's unit.
struct MetricLink {
  double per_byte = 0.0, fixed = 0.0;              // up direction
  double down_per_byte = -1.0, down_fixed = -1.0;  // < 0 = same as up
};

struct Metric {
  std::string name;  // unique, e.g. "latency" (s), "energy" (J)
  // from_problem: this metric is the problem's own cost model (nodes[].compute, links'
  // bandwidth and overhead). Otherwise compute[p][l-1] and links[p] give it.
  bool from_problem = false;
  std::vector<std::vector<double>> compute;
  std::vector<MetricLink> links;
};

struct Objective {
  struct Term {
    std::string metric;
    double value = 0.0;  // weight w_b (minimise) or threshold Phi (limit)
  };
  std::vector<Term> minimize;        // best effort: sum of w_b * metric
  std::vector<Term> limits;          // quality assurance: metric <= Phi (end to end)
  std::vector<Term> linear_weights;  // Eq. 11 weights of the limited metrics (default 1)
};

struct MultiObjective {
  std::vector<Metric> metrics;
  Objective objective;
};

// Checks names, sizes and values; throws InputError naming the field.
void validate(const MultiObjective& multi, const Problem& problem);

// Sets the threshold of each term's metric to the term's value, adding a limit for a metric
// that had none (e.g. `hivemind solve --limit latency=0.1`). Validate afterwards.
void set_limits(Objective& objective, const std::vector<Objective::Term>& limits);

// Each metric as ChainCosts (same deliver mode as the problem), plus the objective resolved to
// indices. `best_effort` is sum_b w_b * metric_b as one table.
struct CompiledObjective {
  std::vector<std::string> names;
  std::vector<ChainCosts> metric;     // per metric
  ChainCosts best_effort;             // Eq. 11/12 best-effort part: sum of w_b * metric_b
  std::vector<int> limited;           // metric index of each quality-assurance objective
  std::vector<double> threshold;      // Phi, per quality-assurance objective
  std::vector<double> linear_weight;  // per quality-assurance objective
};
CompiledObjective compile_objective(const Problem& problem, const MultiObjective& multi);

// The cost tables of one metric.
ChainCosts compile_metric(const Problem& problem, const Metric& metric);

// sum_k w_k * costs_k, term by term (+inf stays +inf).
ChainCosts weighted_sum(const std::vector<const ChainCosts*>& costs,
                        const std::vector<double>& weights);

// End-to-end value of every metric for plan b (index = metric index).
std::vector<double> metric_totals(const CompiledObjective& obj, const Boundaries& b);

// The W_c of Eq. 12: -1/(x - Phi) for x < Phi, +inf otherwise.
double barrier_weight(double x, double threshold);

// Eq. 11 as ChainCosts: best effort plus linear_weight * each limited metric.
ChainCosts linear_costs(const CompiledObjective& obj);

// Eq. 12 on the chain. `windows` as in constraints.hpp (may be empty). Returns the plan
// minimising sum over nodes of [sum_c W_c(phi_c) + best-effort phi]; empty when every plan
// has an edge at or above a threshold. `cost_out` receives that value. Every (i, j) block of
// every node: P (L+1)(L+2)/2 (1 + 3C) steps (per block the best effort added, and per limited
// metric an add, a comparison with Phi and W_c's division); refused up front with InputError
// above `budget`.
Boundaries solve_barrier(const CompiledObjective& obj, const std::vector<std::vector<int>>& windows,
                         double* cost_out = nullptr, const Budget& budget = {});
// The Eq. 12 value of plan b (+inf when an edge reaches a threshold).
double barrier_cost(const CompiledObjective& obj, const Boundaries& b);

// Limit of quality-assurance objectives the exact method accepts (labels are fixed-size).
inline constexpr int kMaxExactLimits = 4;

struct ExactStats {
  std::size_t max_message_bytes = 0;    // largest per-node message on the wire (see below)
  std::size_t total_message_bytes = 0;  // sum over the P-1 messages
  std::size_t max_labels = 0;           // most labels in one node's message
  std::size_t total_labels = 0;
};

struct ExactResult {
  Boundaries boundaries;  // empty when no plan meets every threshold
  double best_effort = 0.0;
  ExactStats stats;
};

// The exact constrained optimum. Per node p and split point set i the message carries the
// Pareto front of (best-effort, limited_1, ..., limited_C) costs-to-go over every way to run
// the rest of the chain, pruned to labels whose limited values are still <= Phi (all costs are
// non-negative, so a pruned label can never become feasible). The fronts of all i come from
// one sweep i = L..1: the union over j >= i of (front'_{j+1} + block(i..j)) is a running union
// kept in prefix-sum coordinates (shifting a front by a vector keeps it a front), so node p
// merges each downstream front once; with memory windows the union is taken per i instead.
// The source picks the cheapest label of front_1; each label remembers its stop and the index
// of the downstream label it extends, so the decisions run downstream as in Sec. IV-C3
// (upstream sends "cut x, label k"). Wire size of one message (sci_codec.hpp,
// pareto_message_bytes): the 32-byte header, for each i = 0..L+1 a uint32 label count, then per
// label (1 + C) float32 values. With `wire`, each node p >= 1's message is also returned in the
// codec's form (ParetoMessage, sender p, epoch and architecture 0 for the caller to set), in
// node order.
// Throws InputError when there are more than kMaxExactLimits limits.
//
// Front cap: the fronts have no polynomial bound (resource-constrained shortest path), so their
// size cannot be known up front. The work is counted as the labels are built: a label shifted,
// copied or offered to a front costs 6 steps (its 48 bytes moved, 1 + C values added), a
// dominance test against a kept label C steps (its limited values compared); and so are the
// bytes of the fronts kept (their capacity, 48 B a label) and of the merge buffer about to be
// reserved, on top of the D cost tables read. As soon as either passes `budget`, InputError
// naming --max-steps or --max-memory-mib.
struct ParetoMessage;
ExactResult solve_exact(const CompiledObjective& obj, const std::vector<std::vector<int>>& windows,
                        const Budget& budget = {}, std::vector<ParetoMessage>* wire = nullptr);

}  // namespace hivemind::split
