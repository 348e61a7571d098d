// Split training (Sec. IV-E, Eq. 8-9) and split collaborative learning (Sec. VI-B, Eq. 13),
// both compiled to ChainCosts so that the unchanged per-node SCI solves them in O(L) per node.
//
//  - One assignment serves the forward and the backward pass (a node keeps its layers' forward
//    results for their backward pass), so node p running layer l costs tau_l^p + tau'_l^p, and
//    link p carrying cut x costs epsilon_x^p (activations, up) + epsilon'_x^p (gradients, down).
//  - Parameter migration eta (Eq. 8): with a current plan, layer l placed on node q != cur(l)
//    pays the transfer of its parameter bytes over every link between cur(l) and q (up
//    direction when q is further from the UE, down otherwise). That is a function of (l, q)
//    only, so it folds into compute[q][l-1] and the sum over L_T in Eq. 9 comes for free.
//  - Collaborative learning: omega^p, the parameter push of the node that runs layer L, goes
//    to ChainCosts::finish (Eq. 13 adds it exactly to the vertices v^p_{i,L}).
#pragma once

#include <vector>

#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/problem.hpp"

namespace hivemind::split {

struct TrainingSpec {
  // backward_compute_s[p][l-1]: tau'^p_l, the backward pass of layer l on node p (seconds or
  // the problem's additive unit), the loss gradient included in layer L.
  std::vector<std::vector<double>> backward_compute_s;
  // gradient_bytes[x-1], x = 1..L-1: bytes of the gradient of cut x that goes back over every
  // link that carried cut x forward. Empty = the activation bytes (s_x). No gradient crosses
  // cut 0 (nobody needs the gradient of the input) nor cut L (the loss is computed with layer L).
  std::vector<double> gradient_bytes;
  // Migration (optional): parameter bytes per layer (index l-1) and the current plan. Empty
  // current_plan = no migration cost.
  std::vector<double> parameter_bytes;
  Boundaries current_plan;
  // Multiplies eta: e.g. 1/k when the plan will serve k training iterations before the next
  // re-planning, so a one-off migration is weighed against the per-iteration cost.
  double migration_weight = 1.0;
};

// Bytes of the gradient of cut x (0 for x = 0 and x = L).
double gradient_bytes_at(const Problem& problem, const TrainingSpec& spec, int x);

// eta_l^{from,to} for `bytes` of parameters (seconds): the sum of the transfers over the links
// between the two nodes, up direction when to > from, down when to < from, 0 when equal.
double migration_cost_s(const Problem& problem, double bytes, int from, int to);

// The node that runs layer l (1-based) under plan b.
int node_of_layer(const Boundaries& b, int l);

// Eq. 8-9 as tables: compile(problem) plus the backward terms and the migration costs.
// Throws InputError (naming the field) when spec does not fit the problem.
ChainCosts compile_training(const Problem& problem, const TrainingSpec& spec);
void validate(const TrainingSpec& spec, const Problem& problem);

// omega^p when the node that runs layer L must push `push_bytes` of parameters to the sink
// over the up direction of every link between it and the sink (Fig. 8b, QMIX/FL).
std::vector<double> parameter_push_costs(const Problem& problem, double push_bytes);

// Eq. 13: costs.finish[p] += omega[p].
void add_parameter_push(ChainCosts& costs, const std::vector<double>& omega);

}  // namespace hivemind::split
