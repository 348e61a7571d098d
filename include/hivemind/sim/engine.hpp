// Discrete-event execution of split ML tasks over the simulated network (Sec. IV-C3, IV-F,
// VII): for every task, an SCI update runs from the cloud to the UE (node p reads the capacity of
// the link it receives data on at its own time t1^p), then the task runs layer by layer from the
// UE; each transfer integrates the block-varying capacity while it is under way. Every method
// of a run sees the same network (same seed -> same traces) and the same task arrivals.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "hivemind/budget.hpp"
#include "hivemind/sim/network.hpp"
#include "hivemind/sim/scenario.hpp"
#include "hivemind/split/methods.hpp"

namespace hivemind::sim {

// Per-layer costs of one model on every device class of a scenario.
struct DeviceCosts {
  bool relay = false;              // cannot run layers (device_class "none")
  std::vector<double> forward_s;   // per layer
  std::vector<double> backward_s;  // per layer (measured bwd; forward where unmeasured)
  double active_power_w = 0.0;
  bool energy_counted = false;
};

struct ModelCosts {
  std::string model;  // "resnet18_224"
  int layers = 0;
  double input_bytes = 0.0;
  std::vector<double> cut_bytes;  // bytes crossing the cut after layer l (index l-1)
  std::vector<double> out_bytes;  // layer l's own output (index l-1; the paper's s_l in a chain)
  double param_bytes = 0.0;       // every layer's parameters together
  // Layer l's own parameters (index l-1; the profile's LayerProfile::param_bytes): what a
  // training task moves when the split moves layer l (eta, Eq. 8).
  std::vector<double> layer_param_bytes;
  std::map<std::string, DeviceCosts> devices;
  // Classes derived from the profile's measurement (model::load_model), as one line for the
  // user; empty when the profile had every measured run.
  std::string derivation;
  double bytes_at(int cut) const { return cut == 0 ? input_bytes : cut_bytes[cut - 1]; }
};

// Builds the costs of zoo model `model` (a name of data/zoo or a profile file; every cut
// carries all live tensors) on the scenario's device classes: each class resolved through the
// device catalog data_dir/devices/devices.json (model::resolve_device: the profile's own class,
// or one derived from a measured base), scaled by its latency_scale. Throws InputError naming a
// missing model or run, or when the tables (two doubles per layer and device class) are above
// `budget`'s bytes.
ModelCosts load_model_costs(const Scenario& scenario, const std::string& data_dir,
                            const std::string& model, const Budget& budget = {});

enum class TaskKind { kInference, kTraining };

// Where the link capacities a node plans with come from.
enum class Forecaster {
  kNone,       // the capacities known at t1 (HiveMind as in the paper, Sec. IV-C)
  kOracle,     // predictive (Sec. IV-F): the true capacity at t1 + Delta t, times
               // (1 + sigma * N(0,1)) (Fig. 17)
  kLastValue,  // predictive: the rate the node measured on its last transfer over that link
  kEwma,       // predictive: EWMA (alpha 0.3) of the measured rates
};

// One compared method. Its planner is a split method (split/methods.hpp), by name:
//  - sci, algorithm1, dijkstra, brute, ue-only, cloud-only, single-split plan on the task's
//    objective tables (latency in s; counted energy in J for training, the paper's objective);
//  - opt-latency_ms, opt-energy_j, linear, barrier, exact plan on the task's multi-objective
//    tables (Sec. V / VII-D): best effort energy (J) with latency_ms <= threshold; linear weighs
//    latency by w = E_ue / T_ue (both of the UE-only plan); a planner that finds no plan
//    meeting the threshold falls back to the latency-optimal plan.
struct MethodSpec {
  std::string label;
  split::MethodChoice method = split::Method::kSci;
  Forecaster forecaster = Forecaster::kNone;  // predictive splitting unless kNone
  double sigma = 0.0;                         // relative forecast error (oracle)
  int history = 8;                            // g: Delta t is the mean of the last g gaps
  double threshold_s = 0.120;  // latency quality-assurance threshold Phi (Sec. VII-D)
  // Training: the weight of Eq. 9's migration eta in the plan's objective (as split::
  // TrainingSpec::migration_weight): 1, Eq. 9 as printed, weighs a move's whole eta against one
  // iteration; 1/N amortises it over N iterations (the CLI's --migration-weight sets it on
  // every method; issue 25). The move is paid in full either way. In [0, 1e9], or
  // run_simulation throws InputError.
  double migration_weight = 1.0;
};

// True for the methods that plan on the multi-objective tables (above).
bool plans_on_metrics(const split::MethodChoice& method);

// The paper's standard set: HiveMind, UE only, cloud only, single split.
std::vector<MethodSpec> standard_methods();

struct RunConfig {
  Load load = Load::kMid;
  std::uint64_t seed = 1;
  double duration_s = 10.0;  // tasks arrive in [0, duration)
  double period_s = 0.1;     // periodic arrivals (or mean gap with poisson)
  bool poisson = false;
  TaskKind task = TaskKind::kInference;
  double coherence_s = 0.0;     // <= 0: the scenario's
  double start_offset_s = 0.0;  // position on the trajectory at t = 0 (s of travel)
  // Sec. IV-F's rule for the predictive methods: a node forecasts its incoming link only when
  // its look-ahead Delta t reaches the coherence time (Delta t: the mean of its last g gaps, or,
  // before it has received data, the rest of the SCI update from its computation to the UE's
  // decision; issue 25). false: every node forecasts, however short its Delta t (the CLI's
  // --no-gating).
  bool forecast_gating = true;
  std::vector<MethodSpec> methods = standard_methods();
  // Per device class: compute latency divided by this factor (Fig. 14's capability scale).
  std::map<std::string, double> speedup;
  bool keep_plans = false;      // record every plan (Fig. 15)
  bool all_link_stats = false;  // RunResult::links for every link, not only the used ones
  // What the run may cost: estimated before it starts (estimate_simulation) and metered while
  // the network traces grow; above it, run_simulation throws the one-line InputError of
  // check_steps / check_bytes (naming --max-steps / --max-memory-mib).
  Budget budget{};
};

// A task that has not finished this long after its arrival (its SCI update included) is
// recorded as never finishing (latency and energy +inf), like a transfer that would take more
// than an hour (Network::transfer_end). It bounds the times a run reads: the network's horizon
// is the duration plus twice this (a forecast looks at most one give-up time past t1).
inline constexpr double kTaskGiveUpS = 3600.0;

struct TaskRecord {
  int task = 0;
  int method = 0;  // index into RunConfig::methods
  double arrival_s = 0.0;
  double start_s = 0.0;    // after the SCI update
  double latency_s = 0.0;  // from start to the last byte at its destination
  double energy_j = 0.0;   // counted devices' compute + counted radio energy
  // Training only: parameter migration eta (Sec. IV-E, Eq. 8) paid at the task's start, before
  // the forward pass, when its plan puts a layer on another node than the method's previous
  // plan did: each such layer's parameters (ModelCosts::layer_param_bytes) sent, layer after
  // layer, over the links between the node that held them and the new one (up or down the
  // route; a holder left off the route by a handover first climbs its own uplinks to the
  // route). Included in latency_s and energy_j. The parameters start on the UE (the model
  // trains on the UE's data), so a method's first plan pays for every layer it puts elsewhere.
  double migrated_bytes = 0.0;
  double migration_s = 0.0;
  double migration_j = 0.0;
  double planned = 0.0;  // the cost the method planned with (objective's unit)
  bool exact = false;    // every capacity used equals the one planned with
  bool blocked = false;  // a link of the route was blocked (blockage.hpp) at some moment
                         // between the arrival (SCI update start) and the task's end
  int serving_gnb = -1;
  // Sec. IV-F's look-ahead Delta t: from a node's SCI computation (t1, when it read its
  // incoming link's capacity) to the data's arrival on that link (t2), for the first link the
  // data crossed and the largest over the links it crossed; NaN when nothing crossed a link.
  double first_gap_s = std::numeric_limits<double>::quiet_NaN();
  double max_gap_s = std::numeric_limits<double>::quiet_NaN();
  std::vector<int> route;       // scenario node indices (only with keep_plans)
  std::vector<int> boundaries;  // b_0..b_{P-1} (only with keep_plans)
};

struct RunResult {
  std::vector<TaskRecord> records;  // task-major, method-minor
  std::vector<LinkStats> links;     // links used (or all), over [0, duration)
  double mean_sci_update_s = 0.0;
  // Per method: link capacities a predictive method forecast (Sec. IV-F), i.e. (task, link)
  // pairs whose look-ahead Delta t reached the coherence time (every pair without
  // RunConfig::forecast_gating); 0 for the other methods.
  std::vector<long> forecasts;
  // Per method and scenario node: the look-ahead gaps Delta t the node measured (Sec. IV-F:
  // from its SCI computation t1 to the data's arrival t2 on its incoming link), summed (s), and
  // their count; Delta t per node is an outcome (issue 25).
  std::vector<std::vector<double>> gap_sum_s;
  std::vector<std::vector<long>> gap_count;
  int handovers = 0;
  double simulated_s = 0.0;  // duration + the tail of the last tasks
};

// Runs one trial. Deterministic: the same inputs give the same records, bit for bit. Throws
// InputError for a bad config (a non-finite or out-of-range duration, period, coherence time,
// offset, speed-up or history) and when estimate_simulation or the network's meter is above
// config.budget.
RunResult run_simulation(const Scenario& scenario, const ModelCosts& model,
                         const RunConfig& config);

// What run_simulation would ask for, estimated from the inputs alone (nothing large is
// allocated): steps (hivemind/budget.hpp, about 1 ns each) and bytes. The traces of every link
// a route can use (every link with all_link_stats), over the arrivals plus the last task's SCI
// update and its UE-only compute time; per task the SCI update and the cost-table rows it may
// rebuild, per task and method the plan (solver cells read), its execution and its record.
// A long tail (tasks that run far past their arrival) is charged by the meter as it happens.
Work estimate_simulation(const Scenario& scenario, const ModelCosts& model,
                         const RunConfig& config);

}  // namespace hivemind::sim
