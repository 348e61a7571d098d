#include "hivemind/sim/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "hivemind/error.hpp"
#include "hivemind/model/devices.hpp"
#include "hivemind/model/profile.hpp"
#include "hivemind/model/zoo.hpp"
#include "hivemind/sim/random.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/cost_model.hpp"
#include "hivemind/split/objectives.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/solve.hpp"

namespace hivemind::sim {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::uint64_t kPurposeArrivals = 0x41525256;  // "ARRV"
constexpr std::uint64_t kPurposeForecast = 0x46435354;  // "FCST"
constexpr double kEwmaAlpha = 0.3;
// Longest trial: with kTaskGiveUpS twice it stays within Network's horizon limit.
constexpr double kMaxDurationS = 1e9;

// Costs of the task side of a run, in steps of about one nanosecond (hivemind/budget.hpp; the
// network's own are in network.cpp), measured with `hivemind simulate` (chain5 and mmwave-iab,
// ResNet-18, one task every 1 to 100 ms) on the reference VM:
constexpr double kStepsPerCell =
    2.0;  // one cost-table cell (node x cut) built or read by a planner
constexpr double kStepsPerHop = 50.0;  // one hop of the SCI update or of an execution (a transfer)
constexpr double kStepsPerRecord = 100.0;  // one task record (with the blockage query of its links)
}  // namespace

std::vector<MethodSpec> standard_methods() {
  return {{"HiveMind", split::Method::kSci},
          {"UE only", split::Method::kUeOnly},
          {"Cloud only", split::Method::kCloudOnly},
          {"Single split", split::Method::kSingleSplit}};
}

bool plans_on_metrics(const split::MethodChoice& method) {
  switch (method.method) {
    case split::Method::kOptMetric:
    case split::Method::kLinear:
    case split::Method::kBarrier:
    case split::Method::kExact:
      return true;
    default:
      return false;
  }
}

namespace {
// The metrics of the multi-objective tables, as opt-METRIC names them.
constexpr const char* kLatencyMs = "latency_ms";
constexpr const char* kEnergyJ = "energy_j";

// Refuses a method the simulator cannot plan with, naming it.
void check_method(const MethodSpec& m) {
  const split::Method k = m.method.method;
  if (k == split::Method::kOptMetric && m.method.metric != kLatencyMs &&
      m.method.metric != kEnergyJ)
    throw InputError("method " + m.label + ": " + m.method.name() +
                     " is not a metric of the simulator (opt-latency_ms or opt-energy_j)");
  if (!split::method_info(k).on_tables && !plans_on_metrics(m.method))
    throw InputError("method " + m.label + ": " + m.method.name() +
                     " is not simulated (it needs a problem's sections)");
  if (!(m.migration_weight >= 0.0 && m.migration_weight <= 1e9))
    throw InputError("method " + m.label + ": migration weight " +
                     exact_number(m.migration_weight) + " is out of range [0, 1e9]");
  if (plans_on_metrics(m.method) && m.forecaster != Forecaster::kNone)
    throw InputError("method " + m.label + ": " + m.method.name() +
                     " plans on the known capacities only (no forecaster)");
}
}  // namespace

ModelCosts load_model_costs(const Scenario& scenario, const std::string& data_dir,
                            const std::string& name, const Budget& budget) {
  // The profile (a zoo model, data/zoo/, or a user's file): exact byte sizes for the
  // architecture and, per measured run, its latencies (a user's profile measured on one class
  // gets the others derived, latency_model.hpp).
  std::vector<model::Derivation> derived;
  const model::ModelProfile prof = model::load_model(name, data_dir, &derived);
  // Forward and backward per layer and device class, plus the cut sizes.
  check_bytes(
      budget,
      static_cast<double>(prof.layers.size()) * sizeof(double) *
          (2.0 * static_cast<double>(scenario.devices.size()) + 3.0),
      "model " + name + " on " + std::to_string(scenario.devices.size()) + " device classes");
  ModelCosts costs;
  costs.model = prof.model;
  costs.layers = static_cast<int>(prof.layers.size());
  costs.input_bytes = prof.input_bytes;
  costs.derivation = model::describe(derived, name);
  for (const auto& l : prof.layers) {
    costs.cut_bytes.push_back(l.cut_bytes);
    costs.out_bytes.push_back(l.output_bytes);
    costs.param_bytes += l.param_bytes;
    costs.layer_param_bytes.push_back(l.param_bytes);
  }
  // Every class through the device catalog (one home: the derivation of devices.hpp, the same
  // as `hivemind solve --model --route` and the runtime use).
  const model::DeviceCatalog catalog =
      model::load_device_catalog(data_dir + "/devices/devices.json");
  for (const auto& [cls, d] : scenario.devices) {
    DeviceCosts dc;
    dc.energy_counted = d.energy_counted;
    if (d.device_class == "none") {
      dc.relay = true;
    } else {
      const model::DeviceClass* known = catalog.find(d.device_class);
      dc.active_power_w = d.active_power_w > 0 ? d.active_power_w
                          : known              ? known->active_power_w
                                               : 0.0;
      const model::DeviceProfile dev = model::resolve_device(prof, d.device_class, catalog);
      // Backward: the class's backward time; layers without one (functional nodes) are assumed
      // to cost their forward time.
      for (const auto& l : dev.layers) {
        dc.forward_s.push_back(l.forward_s * d.latency_scale);
        dc.backward_s.push_back((l.backward_s > 0 ? l.backward_s : l.forward_s) * d.latency_scale);
      }
    }
    costs.devices[cls] = std::move(dc);
  }
  return costs;
}

namespace {

// Ring of the last g gaps Delta t seen by one node (Sec. IV-F), and every gap it saw, summed
// and counted (RunResult::gap_sum_s, gap_count).
struct GapHistory {
  std::vector<double> gaps;
  std::size_t next = 0;
  double sum_s = 0.0;
  long count = 0;
  void add(double gap, int g) {
    sum_s += gap;
    ++count;
    if (static_cast<int>(gaps.size()) < g) {
      gaps.push_back(gap);
    } else {
      gaps[next] = gap;
      next = (next + 1) % gaps.size();
    }
  }
  double mean() const {
    double s = 0.0;
    for (double x : gaps) s += x;
    return gaps.empty() ? 0.0 : s / static_cast<double>(gaps.size());
  }
};

struct MethodState {
  std::vector<GapHistory> gaps;   // per scenario node
  std::vector<double> last_rate;  // per network link, -1 = none yet
  std::vector<double> ewma_rate;
  Rng rng{1};
  // The method's last plan and its planned cost, and the version of the cost tables it was
  // made on (0 = none).
  std::uint64_t plan_version = 0;
  std::vector<int> plan;
  double planned = 0.0;
  // Training: the scenario node holding layer l's parameters (index l-1), as the last plan put
  // them; the UE at the start of a training run, empty for inference.
  std::vector<int> holder;
};

struct Exec {
  double latency_s = 0.0;
  double energy_j = 0.0;
  bool exact = true;
  double first_gap_s = kNaN;  // Delta t of the first link the data crossed (Sec. IV-F)
  double max_gap_s = kNaN;    // and the largest over the links it crossed
};

class Runner {
 public:
  Runner(const Scenario& s, const ModelCosts& m, const RunConfig& c)
      : s_(s),
        m_(m),
        c_(c),
        net_(s, NetworkOptions{c.load, c.seed, c.coherence_s, c.start_offset_s,
                               c.duration_s + 2.0 * kTaskGiveUpS + 1.0, c.budget}) {
    for (const auto& method : c.methods) check_method(method);
    L_ = m.layers;
    training_ = c.task == TaskKind::kTraining;
    // What the task moves (split::TaskTraffic): the cut bytes; training sends each cut's
    // gradient back over the link that carried it (the input's included: execute() sends it)
    // and nothing after layer L (the loss is computed where layer L ran).
    task_.layers = L_;
    for (int x = 0; x <= L_; ++x) task_.cut_bytes.push_back(m.bytes_at(x));
    task_.deliver = training_ ? split::Deliver::kNone : s.deliver;
    if (training_) {
      task_.gradient_bytes = task_.cut_bytes;
      task_.gradient_bytes[L_] = -1.0;
    }
    for (const auto& m : c.methods) max_history_ = std::max(max_history_, m.history);
    states_.resize(c.methods.size());
    for (std::size_t i = 0; i < states_.size(); ++i) {
      states_[i].gaps.resize(s.nodes.size());
      states_[i].last_rate.assign(net_.link_count(), -1.0);
      states_[i].ewma_rate.assign(net_.link_count(), -1.0);
      states_[i].rng = Rng(stream_seed(c.seed, kPurposeForecast, i));
      // Training starts from the UE's model (it trains on the UE's data): every layer's
      // parameters are on the UE until a plan moves them, and that first move pays eta too.
      if (training_) states_[i].holder.assign(L_, s.ue_node());
    }
    // The objective: latency, or counted energy for training (the paper's training objective).
    known_cache_.energy = predicted_cache_.energy = training_;
    lat_ms_cache_.latency_unit = 1e3;
    energy_cache_.energy = true;
    for (const auto& n : s.nodes) {
      auto it = c.speedup.find(n.device);
      node_speed_.push_back(it == c.speedup.end() ? 1.0 : it->second);
      node_dev_.push_back(&m.devices.at(n.device));
    }
  }

  // The run's work, before any of it is done: the task side (`engine`) and the network traces
  // over the arrivals plus the last task's run (`network`). See estimate_simulation.
  struct Estimate {
    Work engine, network;
    double tasks = 0.0;
    double trace_s = 0.0;
    int links = 0;
  };
  Estimate estimate() const {
    Estimate e;
    // Tasks: periodic k * period < duration; Poisson: the mean count.
    e.tasks = c_.poisson ? c_.duration_s / c_.period_s : std::ceil(c_.duration_s / c_.period_s);
    const double M = static_cast<double>(c_.methods.size());
    const double L = L_;
    double P = 1.0, sci_s = 0.0;
    for (const Route& r : net_.routes()) {
      P = std::max(P, static_cast<double>(r.nodes.size()));
      double t = s_.sci_processing_s;  // the sink computes, then every hop: overhead + processing
      for (int l : r.links) t += net_.link_info(l).overhead_s + s_.sci_processing_s;
      sci_s = std::max(sci_s, t);
    }
    const double routes = static_cast<double>(net_.routes().size());
    bool predictive = false, multi = false;
    for (const auto& m : c_.methods) {
      predictive = predictive || m.forecaster != Forecaster::kNone;
      multi = multi || plans_on_metrics(m.method);
    }
    const double caches = 1.0 + (predictive ? 1.0 : 0.0) + (multi ? 2.0 : 0.0);
    const double cells = P * (L + 2.0);  // one cost table: P rows of L + 1 or L + 2 cells
    // Per task: the SCI update's hops, and (at worst) every transfer row of every table rebuilt.
    double per_task = P * kStepsPerHop + caches * cells * kStepsPerCell;
    for (const auto& m : c_.methods) {
      double plan = cells * kStepsPerCell;  // SCI, single split: a pass over the table
      const split::Method k = m.method.method;
      if (k == split::Method::kUeOnly || k == split::Method::kCloudOnly) plan = P;
      if (k == split::Method::kAlgorithm1 || k == split::Method::kDijkstra ||
          k == split::Method::kBrute)
        plan = split::estimate_work(L, P, k).steps;
      if (plans_on_metrics(m.method) && k != split::Method::kOptMetric)
        // The objective's tables copied, the UE-only plan evaluated twice, and for barrier and
        // exact every (i, j) block of every node (split/objectives.hpp: P (L+1)(L+2)/2 (1 + 3C),
        // C = 1; exact counts its own labels against the default budget as it builds them).
        plan = 5.0 * cells * kStepsPerCell + (k == split::Method::kLinear
                                                  ? cells * kStepsPerCell
                                                  : P * (L + 1.0) * (L + 2.0) / 2.0 * 4.0);
      const double execute = (L + P * kStepsPerHop) * (training_ ? 2.0 : 1.0);
      per_task += plan + execute + kStepsPerRecord;
    }
    e.engine.steps = e.tasks * per_task;
    double record = sizeof(TaskRecord);
    if (c_.keep_plans) record += 2.0 * (P * sizeof(int) + 16.0);  // route and boundaries (+ heap)
    const double table_bytes = (P * L + (P - 1.0) * (L + 1.0) + P) * sizeof(double);
    e.engine.bytes = e.tasks * (M * record + sizeof(double)) +  // records, arrivals
                     caches * routes * table_bytes +            // the kept cost tables
                     (multi ? 3.0 * table_bytes : 0.0) +        // the objective's copies
                     M * static_cast<double>(s_.nodes.size()) *
                         std::min(e.tasks, static_cast<double>(std::max(1, max_history_))) *
                         sizeof(double);
    // The traces: every link a route can take, until the last task's SCI update and its
    // compute time on the faster of the UE and the sink (a yardstick of a task's run: a longer
    // tail, e.g. of transfers over a slow link, is metered as it happens).
    auto compute_s = [&](int node) {
      const DeviceCosts& d = *node_dev_[node];
      double t = 0.0;
      if (!d.relay)
        for (int l = 0; l < L_; ++l) t += d.forward_s[l] + (training_ ? d.backward_s[l] : 0.0);
      return t / node_speed_[node];
    };
    const double run_s = std::min(compute_s(s_.ue_node()), compute_s(s_.sink_node()));
    e.trace_s = c_.duration_s + sci_s + (run_s < kTaskGiveUpS ? run_s : kTaskGiveUpS);
    std::vector<char> used(net_.link_count(), c_.all_link_stats);
    for (const Route& r : net_.routes())
      for (int l : r.links) used[l] = 1;
    for (int l = 0; l < net_.link_count(); ++l)
      if (used[l]) {
        e.network += net_.trace_work(l, e.trace_s);
        ++e.links;
      }
    e.network += net_.mobility_work(c_.duration_s);
    return e;
  }

  // Refuses the run above the budget (before anything large is allocated), then has the
  // network's meter check its traces against what the task side leaves.
  void check_budget() {
    const Estimate e = estimate();
    Work total = e.engine;
    total += e.network;
    char what[256];
    std::snprintf(what, sizeof what,
                  "simulation of %.3g tasks x %zu methods, %.3g s of traces on %d links", e.tasks,
                  c_.methods.size(), e.trace_s, e.links);
    check_steps(c_.budget, total.steps, what);
    check_bytes(c_.budget, total.bytes, what);
    // A task's index is an int (TaskRecord::task): only a raised budget gets this far.
    if (!(e.tasks <= 2147483647.0))
      throw InputError(std::string(what) + ": more tasks than a run can number (2147483647)");
    net_.set_budget(c_.budget, e.engine);  // the task side's estimate counted as spent
  }

  Work total_estimate() const {
    const Estimate e = estimate();
    Work w = e.engine;
    w += e.network;
    return w;
  }

  RunResult run() {
    RunResult result;
    std::vector<double> arrivals;
    if (c_.poisson) {
      Rng rng(stream_seed(c_.seed, kPurposeArrivals, 0));
      for (double t = rng.exponential(c_.period_s); t < c_.duration_s;
           t += rng.exponential(c_.period_s))
        arrivals.push_back(t);
      if (arrivals.size() > 2147483647u)
        throw InputError("simulation: " + std::to_string(arrivals.size()) +
                         " Poisson arrivals, more than a run can number (2147483647)");
    } else {
      arrivals.reserve(static_cast<std::size_t>(std::ceil(c_.duration_s / c_.period_s)));
      for (long k = 0;; ++k) {
        const double t = static_cast<double>(k) * c_.period_s;
        if (t >= c_.duration_s) break;
        arrivals.push_back(t);
      }
    }
    result.forecasts.assign(c_.methods.size(), 0);
    std::vector<char> used(net_.link_count(), c_.all_link_stats);
    result.records.reserve(arrivals.size() * c_.methods.size());
    double sci_sum = 0.0;
    for (std::size_t k = 0; k < arrivals.size(); ++k) {
      run_task(static_cast<int>(k), arrivals[k], result);
      for (int l : route_->links) used[l] = 1;
      sci_sum += start_ - arrivals[k];
    }
    result.mean_sci_update_s =
        arrivals.empty() ? 0.0 : sci_sum / static_cast<double>(arrivals.size());
    for (const MethodState& st : states_) {
      result.gap_sum_s.emplace_back();
      result.gap_count.emplace_back();
      for (const GapHistory& h : st.gaps) {
        result.gap_sum_s.back().push_back(h.sum_s);
        result.gap_count.back().push_back(h.count);
      }
    }
    result.handovers = net_.handovers_before(c_.duration_s);
    for (int l = 0; l < net_.link_count(); ++l)
      if (used[l]) result.links.push_back(net_.link_stats(l, c_.duration_s));
    result.simulated_s = c_.duration_s;
    return result;
  }

 private:
  const DeviceCosts& dev(int p) const { return *node_dev_[route_->nodes[p]]; }
  double speed(int p) const { return node_speed_[route_->nodes[p]]; }

  // Cost tables of one objective (Eq. 7, 10; Eq. 8 for training without parameter migration),
  // kept per route between tasks: the compute rows depend only on the route's nodes and a
  // transfer row only on its link's planning capacity, so a task rebuilds just the rows whose
  // capacity changed since the previous task on the same route (the capacities are constant over
  // coherence blocks, several tasks long).
  struct CostCache {
    bool energy = false;  // false: latency (s, times latency_unit); true: counted energy (J)
    double latency_unit = 1.0;
    struct Tables {
      bool ready = false;           // compute rows filled
      std::vector<double> planned;  // per link: the capacity its transfer row was built for
      split::ChainCosts costs;
      std::uint64_t version = 0;  // changes (run-wide unique) whenever a row is rebuilt
    };
    std::vector<Tables> by_route;  // indexed by Route::index
  };

  // The tables of `cache` for the current route with capacity `cap[p]` on link p.
  const CostCache::Tables& cost_tables(CostCache& cache, const std::vector<double>& cap) {
    if (cache.by_route.size() <= static_cast<std::size_t>(route_->index))
      cache.by_route.resize(route_->index + 1);
    CostCache::Tables& tab = cache.by_route[route_->index];
    const int P = static_cast<int>(route_->nodes.size());
    split::ChainCosts& costs = tab.costs;
    if (!tab.ready) {
      costs.layers = L_;
      costs.compute.resize(P);
      costs.transfer.resize(P - 1);
      costs.finish.assign(P, 0.0);
      for (int p = 0; p < P; ++p) fill_compute_row(p, cache, costs.compute[p]);
      tab.planned.assign(P - 1, kNaN);  // NaN != anything: every transfer row gets built
      tab.ready = true;
      tab.version = ++last_version_;
    }
    for (int p = 0; p + 1 < P; ++p) {
      // The planning floor (split::planning_capacity): no capacity seen still plans.
      const double c =
          split::planning_capacity(cap[p], net_.link_info(route_->links[p]).capacity_bps);
      if (c == tab.planned[p]) continue;
      fill_transfer_row(p, c, cache, costs.transfer[p]);
      tab.planned[p] = c;
      tab.version = ++last_version_;
    }
    return tab;
  }

  // Node p's compute row (split::build_compute_row, Eq. 7 / 9) from its device's measured
  // costs at its speed-up: in seconds times latency_unit, or in joules (active power).
  void fill_compute_row(int p, const CostCache& cache, std::vector<double>& row) const {
    const DeviceCosts& d = dev(p);
    if (d.relay) {  // a relay has no layer costs at all (forward_s is empty)
      row.assign(L_, kInf);
      return;
    }
    const double unit =
        !cache.energy ? cache.latency_unit : (d.energy_counted ? d.active_power_w : 0.0);
    split::build_compute_row(
        d.forward_s, training_ ? std::span<const double>(d.backward_s) : std::span<const double>(),
        speed(p), unit, row);
  }

  // Link p of the route at planning capacity c (bits/s), as split::build_transfer_row's
  // per-link numbers (radio physics stays here): latency c/8 bytes/s plus the link's overhead;
  // energy the radio's power at rate c (0 without a radio power model).
  void fill_transfer_row(int p, double c, const CostCache& cache, std::vector<double>& row) const {
    const ScenarioLink& link = net_.link_info(route_->links[p]);
    const double bytes_per_s = c / 8.0;
    split::TransferCost up{bytes_per_s, 1.0, link.overhead_s}, down = up;
    if (cache.energy) {
      const bool radio = !link.radio_power.empty();
      up = {bytes_per_s, radio ? s_.radio_power_up.at(link.radio_power).power_w(c) : 0.0, 0.0};
      down = {bytes_per_s, radio ? s_.radio_power_down.at(link.radio_power).power_w(c) : 0.0, 0.0};
    }
    split::build_transfer_row(task_, up, down, cache.energy ? 1.0 : cache.latency_unit, row);
  }

  // One transfer of `bits` on route link p from time t; updates t, energy, exactness and the
  // observations of `state` (the node p+1 measures the rate it received at).
  void transfer(int p, double bits, bool up, double planned_cap, double& t, Exec& e,
                MethodState* state) {
    transfer_on(route_->links[p], bits, up, planned_cap, t, e, state);
  }
  // The same on any network link (parameter migration may cross links off the route).
  void transfer_on(int link, double bits, bool up, double planned_cap, double& t, Exec& e,
                   MethodState* state) {
    const ScenarioLink& info = net_.link_info(link);
    const Network::Sent sent = net_.send(link, t, bits, deadline_);
    if (!std::isfinite(sent.end_s)) {  // never arrives, or after the task's give-up time
      t = kInf;
      e.exact = false;
      return;
    }
    t = sent.start_s;
    const double end = sent.end_s, rate = sent.rate_bps;
    e.exact = e.exact && net_.block_index(end) == net_.block_index(t) &&
              net_.capacity_bps(link, t) == planned_cap &&
              planned_cap >= info.capacity_bps * split::kPlanningFloor;
    if (!info.radio_power.empty()) {
      const auto& model =
          up ? s_.radio_power_up.at(info.radio_power) : s_.radio_power_down.at(info.radio_power);
      e.energy_j += model.energy_j(bits, rate);
    }
    if (state) {
      state->last_rate[link] = rate;
      state->ewma_rate[link] = state->ewma_rate[link] < 0
                                   ? rate
                                   : (1 - kEwmaAlpha) * state->ewma_rate[link] + kEwmaAlpha * rate;
    }
    t = end;
  }

  // Runs plan b from time t0 (start_, or after the parameter migration); latency from start_.
  Exec execute(const std::vector<int>& b, const std::vector<double>& planned_cap,
               MethodState* state, int g, double t0) {
    const int P = static_cast<int>(route_->nodes.size());
    Exec e;
    double t = t0;
    int first = 1;
    int finishing = P - 1;
    for (int p = 0; p < P && std::isfinite(t); ++p) {
      const DeviceCosts& d = dev(p);
      double dt = 0.0;
      for (int l = first; l <= b[p]; ++l) dt += d.forward_s[l - 1];
      dt /= speed(p);
      if (d.energy_counted) e.energy_j += dt * d.active_power_w;
      t += dt;
      if (!(t <= deadline_)) t = kInf;  // gave up (kTaskGiveUpS): no trace is read past it
      if (b[p] == L_ && finishing == P - 1 && p < finishing) finishing = p;
      if (p + 1 < P) {
        const int x = b[p];
        const bool moves = x < L_ || task_.deliver == split::Deliver::kSink;
        if (moves) {
          // Sec. IV-F: the gap between node p+1's SCI computation and the data's arrival on its
          // incoming link.
          const double gap = t - t1_[p + 1];
          if (state) state->gaps[route_->nodes[p + 1]].add(gap, g);
          if (std::isnan(e.first_gap_s)) e.first_gap_s = gap;
          if (!(gap <= e.max_gap_s)) e.max_gap_s = gap;
          transfer(p, m_.bytes_at(x) * 8.0, /*up=*/true, planned_cap[p], t, e, state);
        }
      }
      first = b[p] + 1;
    }
    if (training_ && std::isfinite(t)) {
      // Backward pass: from the node that ran layer L back to the UE, each node running the
      // backward of its own layers; gradients of cut b[p-1] cross link p-1 downwards.
      for (int p = finishing; p >= 0 && std::isfinite(t); --p) {
        const DeviceCosts& d = dev(p);
        const int lo = p == 0 ? 1 : b[p - 1] + 1;
        double dt = 0.0;
        for (int l = lo; l <= b[p]; ++l) dt += d.backward_s[l - 1];
        dt /= speed(p);
        if (d.energy_counted) e.energy_j += dt * d.active_power_w;
        t += dt;
        if (!(t <= deadline_)) t = kInf;
        if (p > 0 && std::isfinite(t))
          transfer(p - 1, m_.bytes_at(b[p - 1]) * 8.0, /*up=*/false, planned_cap[p - 1], t, e,
                   nullptr);
      }
    }
    e.latency_s = t - start_;
    return e;
  }

  void plan(const MethodSpec& spec, const split::ChainCosts& costs, std::vector<int>& b) {
    if (plans_on_metrics(spec.method)) return plan_multi(spec, b);
    switch (const split::Method m = spec.method.method) {
      case split::Method::kSci:  // the hot path: buffers kept between tasks
        solver_.solve(costs, b);
        break;
      case split::Method::kUeOnly:
      case split::Method::kCloudOnly:
        split::fixed_plan(m, L_, costs.node_count(), b);
        break;
      case split::Method::kSingleSplit:
        split::best_single_split(costs, single_split_scratch_, b);
        break;
      default:  // algorithm1, dijkstra, brute (check_method refused the others)
        try {
          b = split::solve(costs, m, c_.budget).boundaries;
        } catch (const InputError&) {  // no finite plan
          b.clear();
        }
        break;
    }
  }

  // Sets st.plan (empty: no finite plan) and st.planned for this task. A plan is a function of
  // the cost tables alone, except for the multi-objective planners, which also read the task's
  // latency and energy tables: when a method's tables are unchanged since its last plan (same
  // version: no capacity it plans with changed, e.g. within a coherence block), that plan and
  // its cost are reused as they are. (SCI on the same inputs sends the same messages and takes
  // the same decisions; the update's timing is still simulated for every task.)
  //
  // Training (Sec. IV-E): HiveMind's planners (sci, algorithm1, dijkstra, brute) plan on the
  // tables plus eta, Eq. 8's migration of each layer from the node holding it (its previous
  // plan, split::compile_training's current plan) to every other node, in the objective's unit
  // (counted radio energy of the parameter bytes over the links between); the table changes
  // with every move, so they replan every task. The other methods plan as for inference and pay
  // the migration all the same (execute_task).
  void plan_task(const MethodSpec& spec, MethodState& st, const CostCache::Tables& tables) {
    const bool multi = plans_on_metrics(spec.method);
    const bool eta = training_ && weighs_migration(spec.method.method) && !st.holder.empty();
    const bool reuse = !multi && !eta && st.plan_version == tables.version;
    if (reuse && !training_) return;
    if (!reuse) {
      plan(spec, eta ? with_migration(tables.costs, st, spec.migration_weight) : tables.costs,
           st.plan);
      st.plan_version = multi || eta ? 0 : tables.version;
    }
    if (st.plan.empty()) {
      st.planned = kInf;
      return;
    }
    // Training: the planned cost includes the eta its plan pays (weighed or not), so that it
    // equals the realised cost when the capacities are those planned with.
    st.planned = split::plan_total(multi ? *energy_costs_ : tables.costs, st.plan) +
                 (training_ ? planned_migration(st.plan, st) : 0.0);
  }

  // Sum over the layers plan b moves of eta in the objective's unit (J); 0 before a first plan.
  double planned_migration(const std::vector<int>& b, const MethodState& st) {
    if (st.holder.empty()) return 0.0;
    const int P = static_cast<int>(route_->nodes.size());
    double e = 0.0;
    for (int l = 1, q = 0; l <= L_; ++l) {
      while (q < P - 1 && b[q] < l) ++q;
      const double bytes = layer_params(l);
      if (route_->nodes[q] != st.holder[l - 1] && bytes > 0 &&
          migration_hops(st.holder[l - 1], q, hops_))
        e += eta_energy(hops_, bytes);
    }
    return e;
  }

  static bool weighs_migration(split::Method m) {
    return m == split::Method::kSci || m == split::Method::kAlgorithm1 ||
           m == split::Method::kDijkstra || m == split::Method::kBrute;
  }

  double layer_params(int l) const {
    return static_cast<std::size_t>(l) <= m_.layer_param_bytes.size() ? m_.layer_param_bytes[l - 1]
                                                                      : 0.0;
  }

  // Index of scenario node `node` on the current route, -1 when it is not on it.
  int position(int node) const {
    for (std::size_t p = 0; p < route_->nodes.size(); ++p)
      if (route_->nodes[p] == node) return static_cast<int>(p);
    return -1;
  }

  // The hops (network link, up) that carry parameters from scenario node `from` to route node
  // q: a holder off the route (left behind by a handover) climbs its uplinks until it meets
  // the route, then the route is followed up or down. False when no such path exists.
  bool migration_hops(int from, int q, std::vector<std::pair<int, bool>>& hops) const {
    hops.clear();
    int at = from, a = position(from);
    for (std::size_t climbed = 0; a < 0; ++climbed) {
      const int l = s_.uplink_of(at);
      if (l < 0 || climbed > s_.nodes.size()) return false;
      hops.emplace_back(l, true);
      at = s_.links[l].to;
      a = position(at);
    }
    for (int k = a; k < q; ++k) hops.emplace_back(route_->links[k], true);
    for (int k = a - 1; k >= q; --k) hops.emplace_back(route_->links[k], false);
    return true;
  }

  // The capacity a node plans a hop with: known_ for the route's links (read at t1), the one
  // at the arrival for a link off the route; with the planning floor.
  double plan_capacity(int link) {
    for (std::size_t p = 0; p < route_->links.size(); ++p)
      if (route_->links[p] == link)
        return split::planning_capacity(known_[p], net_.link_info(link).capacity_bps);
    return split::planning_capacity(net_.capacity_bps(link, arrival_),
                                    net_.link_info(link).capacity_bps);
  }

  // eta in the training objective's unit (J): the counted radio energy of `bytes` over each hop.
  double eta_energy(const std::vector<std::pair<int, bool>>& hops, double bytes) {
    double e = 0.0;
    for (const auto& [link, up] : hops) {
      const ScenarioLink& info = net_.link_info(link);
      if (info.radio_power.empty()) continue;
      const double c = plan_capacity(link);
      const auto& model =
          up ? s_.radio_power_up.at(info.radio_power) : s_.radio_power_down.at(info.radio_power);
      e += bytes * 8.0 / c * model.power_w(c);
    }
    return e;
  }

  // Eq. 8-9: the tables plus eta_l^{holder(l), q} on compute[q][l-1] (a function of (l, q)
  // only, as in split::compile_training); layers without parameters move nothing.
  const split::ChainCosts& with_migration(const split::ChainCosts& base, const MethodState& st,
                                          double weight) {
    migration_costs_ = base;
    const int P = static_cast<int>(route_->nodes.size());
    for (int l = 1; l <= L_; ++l) {
      const double bytes = layer_params(l);
      if (!(bytes > 0)) continue;
      for (int q = 0; q < P; ++q)
        if (route_->nodes[q] != st.holder[l - 1] && migration_hops(st.holder[l - 1], q, hops_))
          migration_costs_.compute[q][l - 1] += weight * eta_energy(hops_, bytes);
    }
    return migration_costs_;
  }

  // Sec. IV-E: before the forward pass, every layer whose node changed sends its parameters,
  // layer after layer, from its holder to its new node. Returns the time the task can start;
  // sets the record's migration fields and adds to e's energy. Then the holders follow b.
  double migrate(const std::vector<int>& b, MethodState& st, TaskRecord& rec, Exec& e) {
    double t = start_;
    const int P = static_cast<int>(route_->nodes.size());
    if (!st.holder.empty()) {
      for (int l = 1, q = 0; l <= L_ && std::isfinite(t); ++l) {
        while (q < P - 1 && b[q] < l) ++q;
        const double bytes = layer_params(l);
        if (route_->nodes[q] == st.holder[l - 1] || !(bytes > 0) ||
            !migration_hops(st.holder[l - 1], q, hops_))
          continue;
        for (const auto& [link, up] : hops_)
          if (std::isfinite(t))
            transfer_on(link, bytes * 8.0, up, plan_capacity(link), t, e, nullptr);
        rec.migrated_bytes += bytes;
      }
      rec.migration_s = t - start_;
      rec.migration_j = e.energy_j;
    }
    // Parameters that never arrived (a transfer past the give-up time) stay where they were.
    if (!std::isfinite(t)) return t;
    st.holder.assign(L_, 0);
    for (int l = 1, q = 0; l <= L_; ++l) {
      while (q < P - 1 && b[q] < l) ++q;
      st.holder[l - 1] = route_->nodes[q];
    }
    return t;
  }

  // Sec. V / VII-D on this task's tables. A planner that finds no plan meeting the threshold
  // falls back to the latency-optimal plan (recorded as such: its latency shows it).
  void plan_multi(const MethodSpec& spec, std::vector<int>& b) {
    const int P = static_cast<int>(route_->nodes.size());
    if (!multi_ready_) {
      lat_ms_costs_ = &cost_tables(lat_ms_cache_, known_).costs;
      energy_costs_ = &cost_tables(energy_cache_, known_).costs;
      multi_ready_ = true;
    }
    const split::Method m = spec.method.method;
    if (m == split::Method::kOptMetric) {
      solver_.solve(spec.method.metric == kLatencyMs ? *lat_ms_costs_ : *energy_costs_, b);
      return;
    }
    split::Boundaries ue;
    split::fixed_plan(split::Method::kUeOnly, L_, P, ue);
    split::CompiledObjective obj;
    obj.names = {kLatencyMs, kEnergyJ};
    obj.metric = {*lat_ms_costs_, *energy_costs_};
    obj.best_effort = *energy_costs_;
    obj.limited = {0};
    obj.threshold = {spec.threshold_s * 1e3};
    const double e_ue = split::evaluate(*energy_costs_, ue).total;
    const double t_ue = split::evaluate(*lat_ms_costs_, ue).total;
    obj.linear_weight = {t_ue > 0 ? e_ue / t_ue : 1.0};
    switch (m) {
      case split::Method::kLinear:
        solver_.solve(split::linear_costs(obj), b);
        break;
      case split::Method::kBarrier:
        b = split::solve_barrier(obj, {}, nullptr, c_.budget);
        break;
      default:  // kExact
        b = split::solve_exact(obj, {}, c_.budget).boundaries;
        break;
    }
    if (b.empty()) solver_.solve(*lat_ms_costs_, b);
  }

  void run_task(int k, double arrival, RunResult& result) {
    route_ = &net_.route_at(arrival);
    arrival_ = arrival;
    const int P = static_cast<int>(route_->nodes.size());
    // SCI update (Fig. 5, step 1): from the sink to the source; node p reads its incoming
    // link's capacity when it computes, at t1[p].
    t1_.assign(P, arrival);
    deadline_ = arrival + kTaskGiveUpS;
    const double msg_bits = static_cast<double>(split::sci_message_bytes(L_)) * 8.0;
    double ready = arrival + s_.sci_processing_s;
    for (int p = P - 2; p >= 0 && ready <= deadline_; --p) {
      const int link = route_->links[p];
      const double arrive =
          net_.transfer_end(link, ready + net_.link_info(link).overhead_s, msg_bits);
      t1_[p] = arrive;
      ready = arrive + s_.sci_processing_s;
    }
    start_ = ready;
    if (!(ready <= deadline_)) {
      // The SCI update did not reach the UE within the give-up time (a link too slow for even
      // the SCI message): no plan, the task never runs. Nothing past the deadline is read.
      start_ = kInf;
      for (std::size_t mi = 0; mi < c_.methods.size(); ++mi) {
        TaskRecord rec;
        rec.task = k;
        rec.method = static_cast<int>(mi);
        rec.arrival_s = arrival;
        rec.start_s = kInf;
        rec.latency_s = rec.energy_j = rec.planned = kInf;
        rec.serving_gnb = route_->serving_gnb;
        if (c_.keep_plans) rec.route = route_->nodes;
        result.records.push_back(std::move(rec));
      }
      return;
    }
    known_.assign(P - 1, 0.0);
    for (int p = 0; p + 1 < P; ++p) known_[p] = net_.capacity_bps(route_->links[p], t1_[p + 1]);
    known_tables_ = &cost_tables(known_cache_, known_);
    multi_ready_ = false;

    for (std::size_t mi = 0; mi < c_.methods.size(); ++mi) {
      const MethodSpec& spec = c_.methods[mi];
      MethodState& st = states_[mi];
      const CostCache::Tables* tables = known_tables_;
      const std::vector<double>* caps = &known_;
      if (spec.forecaster != Forecaster::kNone) {
        predicted_ = known_;
        for (int p = 0; p + 1 < P; ++p) {
          const int link = route_->links[p];
          const double noise = st.rng.normal();  // drawn for every link: a fixed stream
          // Sec. IV-F's look-ahead Delta t: the mean of node p+1's last g gaps; a node that has
          // not received data yet estimates it (issue 25) from what it knows when it computes:
          // the rest of the SCI update, from its own computation (t1) down its p+1 hops to the
          // UE's decision (start_). Data cannot reach it earlier, so the estimate is a lower
          // bound; the plan's upstream part, which would add to it, is decided only after t1.
          const GapHistory& gaps = st.gaps[route_->nodes[p + 1]];
          const double dt = gaps.gaps.empty() ? start_ - t1_[p + 1] : gaps.mean();
          // Disabled below the coherence time (unless the run turns the rule off).
          if (c_.forecast_gating && dt < net_.block_s()) continue;
          ++result.forecasts[mi];
          switch (spec.forecaster) {
            case Forecaster::kOracle:
              predicted_[p] = net_.capacity_bps(link, t1_[p + 1] + dt) *
                              std::max(0.02, 1.0 + spec.sigma * noise);
              break;
            case Forecaster::kLastValue:
              if (st.last_rate[link] > 0) predicted_[p] = st.last_rate[link];
              break;
            case Forecaster::kEwma:
              if (st.ewma_rate[link] > 0) predicted_[p] = st.ewma_rate[link];
              break;
            case Forecaster::kNone:
              break;
          }
        }
        tables = &cost_tables(predicted_cache_, predicted_);
        caps = &predicted_;
      }
      plan_task(spec, st, *tables);
      TaskRecord rec;
      rec.task = k;
      rec.method = static_cast<int>(mi);
      rec.arrival_s = arrival;
      rec.start_s = start_;
      rec.serving_gnb = route_->serving_gnb;
      rec.planned = st.planned;
      if (st.plan.empty()) {
        rec.latency_s = rec.energy_j = kInf;
      } else {
        Exec mig;
        const double t0 = training_ ? migrate(st.plan, st, rec, mig) : start_;
        const Exec e = std::isfinite(t0) ? execute(st.plan, *caps, &st, spec.history, t0) : mig;
        rec.latency_s = std::isfinite(t0) ? e.latency_s : kInf;
        rec.energy_j = std::isfinite(t0) ? e.energy_j + mig.energy_j : kInf;
        rec.exact = e.exact && mig.exact && caps == &known_;
        rec.first_gap_s = e.first_gap_s;
        rec.max_gap_s = e.max_gap_s;
        if (std::isfinite(rec.latency_s))
          for (int l : route_->links)
            rec.blocked = rec.blocked || net_.blocked_during(l, arrival, start_ + rec.latency_s);
      }
      if (c_.keep_plans) {
        rec.route = route_->nodes;
        rec.boundaries = st.plan;
      }
      result.records.push_back(std::move(rec));
    }
  }

  const Scenario& s_;
  const ModelCosts& m_;
  const RunConfig& c_;
  Network net_;
  int L_ = 0;
  split::TaskTraffic task_;
  bool training_ = false;
  std::vector<double> node_speed_;            // per scenario node: compute speed-up
  std::vector<const DeviceCosts*> node_dev_;  // per scenario node
  std::vector<MethodState> states_;
  const Route* route_ = nullptr;  // of the current task
  std::vector<double> t1_, known_, predicted_;
  double start_ = 0.0;
  double arrival_ = 0.0;
  split::ChainCosts migration_costs_;       // training: the tables plus eta (with_migration)
  std::vector<std::pair<int, bool>> hops_;  // scratch of migration_hops
  double deadline_ = 0.0;                   // arrival + kTaskGiveUpS of the current task
  int max_history_ = 1;                     // largest g of the methods (GapHistory sizes)
  // The objective's tables on the capacities known at t1 and on the forecast ones; latency (ms)
  // and energy tables of the multi-objective planners.
  CostCache known_cache_, predicted_cache_, lat_ms_cache_, energy_cache_;
  const CostCache::Tables* known_tables_ = nullptr;
  std::uint64_t last_version_ = 0;
  const split::ChainCosts* lat_ms_costs_ = nullptr;
  const split::ChainCosts* energy_costs_ = nullptr;
  bool multi_ready_ = false;
  split::SciChainSolver solver_;
  std::vector<double> single_split_scratch_;
};

}  // namespace

namespace {
// What a Runner relies on, checked before it is built: every number a time or a count is made
// of is finite and in range, and the model's tables have the sizes its indices assume.
void check_config(const Scenario& scenario, const ModelCosts& model, const RunConfig& config) {
  for (const auto& m : config.methods) {
    if (m.history < 1) throw InputError("method " + m.label + ": history g must be >= 1");
    if (!(m.sigma >= 0 && m.sigma <= 1e6))
      throw InputError("method " + m.label + ": sigma " + exact_number(m.sigma) +
                       " is out of range [0, 1e6]");
    if (!std::isfinite(m.threshold_s))
      throw InputError("method " + m.label + ": threshold " + exact_number(m.threshold_s) +
                       " s is not finite");
  }
  if (!(config.period_s > 0)) throw InputError("period: must be > 0");
  if (!std::isfinite(config.period_s))
    throw InputError("period: " + exact_number(config.period_s) + " s is not finite");
  if (!(config.duration_s > 0 && config.duration_s <= kMaxDurationS))
    throw InputError("duration: " + exact_number(config.duration_s) +
                     " s is out of range (0, 1e9]");
  for (const auto& [cls, factor] : config.speedup)
    if (!(factor > 0 && factor <= 1e9))
      throw InputError("speed-up of \"" + cls + "\": " + exact_number(factor) +
                       " is out of range (0, 1e9]");
  for (const auto& n : scenario.nodes)
    if (!model.devices.count(n.device))
      throw InputError("device class \"" + n.device + "\" has no costs");
  const std::size_t L = model.cut_bytes.size();
  if (model.layers < 1 || static_cast<std::size_t>(model.layers) != L)
    throw InputError("model " + model.model + ": " + std::to_string(model.layers) + " layers but " +
                     std::to_string(L) + " cut sizes");
  for (const auto& [cls, d] : model.devices)
    if (!d.relay && (d.forward_s.size() != L || d.backward_s.size() != L))
      throw InputError("model " + model.model + ": device class \"" + cls + "\" has " +
                       std::to_string(d.forward_s.size()) + " layer costs, not " +
                       std::to_string(L));
}
}  // namespace

Work estimate_simulation(const Scenario& scenario, const ModelCosts& model,
                         const RunConfig& config) {
  check_config(scenario, model, config);
  Runner runner(scenario, model, config);
  return runner.total_estimate();
}

RunResult run_simulation(const Scenario& scenario, const ModelCosts& model,
                         const RunConfig& config) {
  check_config(scenario, model, config);
  Runner runner(scenario, model, config);
  runner.check_budget();
  return runner.run();
}

}  // namespace hivemind::sim
