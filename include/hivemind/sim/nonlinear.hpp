// Fig. 19 (Sec. VII-E) executed on the simulator's traces: non-linear HiveMind (split RNN,
// Sec. VI-A; split collaborative learning, Sec. VI-B / Eq. 13) against standard HiveMind, both
// planned with the paper's objective (Sec. VII-E: energy best effort, latency <= 120 ms, the
// multi-objective planner of Sec. V) on the capacities known at t1, then run on the network at
// real times (every compute step on its node, every transfer integrated over the block-varying
// capacity from the moment it starts, the standard RNN's hidden-state returns and QMIX's
// parameter push included).
//
// Tasks are sampled along the UE's trajectory, one every `period_s`; t1 (the SCI update, when
// the capacities are read) is the task's arrival and the task starts then (the SCI update's own
// delay is the same for both methods and is not what Fig. 19 compares). The route is the one at
// the arrival for the whole task, as in run_simulation.
//
// Energy is counted as run_simulation counts it: compute on devices with energy_counted
// (latency x active power: the UE and the IAB MECs in the shipped scenarios) plus the radio
// energy of every transfer on a link with a radio power model (bits / rate x power(rate), the
// scenario's uplink model going up, downlink going down); wired links and the core/cloud's
// compute cost no energy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hivemind/budget.hpp"
#include "hivemind/sim/engine.hpp"
#include "hivemind/sim/network.hpp"
#include "hivemind/sim/scenario.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/methods.hpp"

namespace hivemind::sim {

// How an unrolled RNN profile (zoo gru_tagger_200: the embedding, then 200 x (getitem, GRUCell,
// Linear), then the stack of the outputs) maps onto Sec. VI-A's recurrent module.
//  - The module's per-layer cost on a device is the mean over the `steps` unrolled copies.
//  - x_r (one step's input, X) is the output of the module's first layer (getitem's slice of
//    the embedded sequence, 512 B for the tagger): the sequence is taken as already embedded
//    at the UE.
//  - H, the hidden state, is the output of module layer `hidden_layer` (the GRUCell's own
//    output, 1024 B), NOT the cut after it, which also carries the rest of the sequence.
//  - The module's intermediate data s_l is layer l's own output, except for the hidden layer
//    whose output IS the hidden state (s = 0 there): split::linearize_rnn and
//    split::rnn_step_problem add H to every cut, so the cut after the GRUCell carries H once.
//  - The `prefix` layers (the embedding lookup) and the layers after the last step (the stack)
//    are left out of both methods alike (for the tagger 0.07 ms and 0.08 ms on cpu1, against 12.0
//    ms for its 200 steps).
struct RnnLayout {
  int prefix = 1;
  int module_layers = 3;
  int steps = 200;
  int hidden_layer = 2;  // 1-based, within the module
};

enum class NonlinearModel { kRnn, kCollaborative };
enum class NonlinearMethod { kStandard, kNonlinear };
const char* to_string(NonlinearMethod method);  // "standard" | "nonlinear"

struct NonlinearConfig {
  NonlinearModel model = NonlinearModel::kRnn;
  RnnLayout rnn;  // kRnn only
  Load load = Load::kMid;
  std::uint64_t seed = 1;
  double duration_s = 20.0;  // tasks at 0, period, 2 period, ... < duration (s)
  double period_s = 0.5;     // s
  double start_offset_s = 0.0;
  double threshold_s = 0.120;  // latency quality-assurance limit Phi (Sec. VII-E: 120 ms)
  // The multi-objective planner (Sec. V): kBarrier, Eq. 12 as printed, the planner of the
  // simulator's "HiveMind multi-objective" in Fig. 18 (the default), or kExact, the true
  // constrained optimum (split/objectives.hpp). Objective tables in ms and J, as the engine's.
  // A planner that finds no plan meeting the limit falls back to the latency-optimal plan
  // (NonlinearRecord::fallback), as run_simulation does.
  split::Method planner = split::Method::kBarrier;
  Budget budget{};  // per plan (the solvers' work) and for the network's traces
};

// One task of one method.
struct NonlinearRecord {
  int task = 0;
  double arrival_s = 0.0;  // = t1 = start (s)
  NonlinearMethod method = NonlinearMethod::kStandard;
  // The plan's whole cost on the capacities known at t1, by the cost model (Eq. 1 with the
  // deliver mode; Eq. 9 for training; plus what the method may have ignored when choosing it:
  // the standard RNN's R-1 hidden-state returns, the standard collaborative learner's parameter
  // push): what the task would cost if nothing changed after t1.
  double planned_latency_s = 0.0;
  double planned_energy_j = 0.0;
  bool fallback = false;  // no plan met the limit for the planner: the latency-optimal plan
  // Realised on the network (s, J); +inf when a transfer never ended (Network::transfer_end).
  double latency_s = 0.0;
  double energy_j = 0.0;
  std::vector<int> route;       // scenario node indices
  std::vector<int> boundaries;  // the linear plan (nonlinear) or the module / agent plan
};

// Per method (index = NonlinearMethod).
struct NonlinearMethodSummary {
  int tasks = 0;
  double mean_energy_j = 0.0;         // realised
  double mean_latency_s = 0.0;        // realised
  double within_limit = 0.0;          // share of tasks with realised latency <= threshold
  double planned_within_limit = 0.0;  // share whose planned latency (at t1) <= threshold
  double fallbacks = 0.0;             // share planned by the latency fallback
};

struct NonlinearSummary {
  NonlinearMethodSummary method[2];
  // The paper's "efficiency improvement": standard's mean realised energy / non-linear's.
  double efficiency = 0.0;  // NaN when the non-linear mean energy is 0 or not finite
  // Tasks where the non-linear method used more realised energy than the standard one.
  int nonlinear_worse = 0;
};

struct NonlinearResult {
  std::vector<NonlinearRecord> records;  // task-major, standard then nonlinear
  NonlinearSummary summary;
};

// Runs one trial of Fig. 19 for `model` (the zoo's gru_tagger_200 for kRnn, qmix_agent for
// kCollaborative, on `scenario`'s device classes). Collaborative learning trains (Eq. 13 is
// Eq. 9 plus omega): forward and backward per layer, the gradient of each cut back over the
// link that carried it (none for cut 0 or L, as split::compile_training), then the agent's
// parameters (ModelCosts::param_bytes) pushed from the node that ran layer L up to the sink
// (the mixer, Fig. 8b); the standard method plans without that push and pays it.
// The standard RNN plans one module with the task's limit shared by its R steps (R x step
// latency <= Phi: it plans the task as R repetitions of a DNN, blind to the hidden-state
// return), then runs it R times, returning H from the node of the module's last layer to the
// node of its first after each of the first R-1 steps (split::rnn_standard_cost's model).
// Deterministic: the same inputs give the same records, bit for bit. Throws InputError for a
// bad config or a model that does not fit the layout.
NonlinearResult run_nonlinear(const Scenario& scenario, const ModelCosts& model,
                              const NonlinearConfig& config);

}  // namespace hivemind::sim
