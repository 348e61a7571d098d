// Split RNN (Sec. VI-A, Fig. 9): a recurrent module of L layers unrolled R times becomes a
// linear model of R*L layers, so the unchanged SCI solves it; and the "standard" baseline that
// splits one module and repeats it R times (Fig. 19a).
#pragma once

#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/problem.hpp"

namespace hivemind::split {

// The module is a Problem of L layers: nodes[p].compute_s = one step's per-layer costs,
// input_bytes = X (bytes of one step's input x_r), output_bytes[l-1] = s_l (the module's
// intermediate data after layer l; s_L is the step output y_r unless step_output_bytes says
// otherwise).
struct RnnSpec {
  int steps = 1;                  // R >= 1
  double hidden_bytes = 0.0;      // H: the hidden state passed from step r to step r+1
  double step_output_bytes = -1;  // Y: bytes of one produced output y_r; < 0 = s_L
};

double step_output_bytes(const Problem& module, const RnnSpec& spec);
void validate(const RnnSpec& spec);

// The linearised problem (Sec. VI-A): layer (r-1)*L + l is layer l of step r, with the same
// compute costs on every node. The cut after it carries
//   s_l + H + (R - r) * X + (r - 1) * Y
// (intermediate data, hidden state, the inputs x_{r+1..R} not yet consumed, the outputs
// y_{1..r-1} already produced); cut 0 carries all R inputs, R * X. Links and deliver mode are
// the module's. Node names are kept.
Problem linearize_rnn(const Problem& module, const RnnSpec& spec);

// The standard baseline (Fig. 19a): plan one step as a DNN whose cuts carry s_l + H (cut 0
// carries X), repeat it R times, and pay the hidden state H travelling back, after each of the
// first R-1 steps, from the node that ran layer L to the node that runs layer 1 (down
// direction of every link between them).
struct RnnStandard {
  Boundaries module_plan;      // b for one step (planned with sci, ignoring the return path)
  double step_cost = 0.0;      // one step of the module plan (Eq. 1 with the deliver mode)
  double hidden_return = 0.0;  // one return of H from the last-layer node to the first-layer node
  double total = 0.0;          // R * step_cost + (R - 1) * hidden_return
};
Problem rnn_step_problem(const Problem& module, const RnnSpec& spec);
RnnStandard rnn_standard_cost(const Problem& module, const RnnSpec& spec, const Boundaries& plan);
RnnStandard rnn_standard(const Problem& module, const RnnSpec& spec);

}  // namespace hivemind::split
