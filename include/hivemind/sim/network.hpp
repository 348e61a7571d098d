// The simulated network of one trial: the target UE's capacity on every link as a block process
// (constant over coherence blocks), produced by a proportional-fair scheduler that serves the
// target UE together with the link's background UEs TTI by TTI (Sec. VII-A3), and the UE's
// route, which changes with mobility and handover (Sec. VII-A2, VII-C1).
//
// Traces are generated lazily, link by link, from per-link random streams: a link's trace
// depends only on (scenario, load, seed, link), never on which links were asked for first.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hivemind/budget.hpp"
#include "hivemind/sim/radio.hpp"
#include "hivemind/sim/random.hpp"
#include "hivemind/sim/scenario.hpp"

namespace hivemind::sim {

enum class Load { kLow, kMid, kHigh };
// Sec. VII-A3: UE population and per-UE bitrate both scaled by 2 / 1 / 0.5.
double load_scale(Load load);
Load parse_load(std::string_view text);  // "low" | "mid" | "high"; InputError otherwise
std::string_view to_string(Load load);

struct NetworkOptions {
  Load load = Load::kMid;
  std::uint64_t seed = 1;
  double coherence_s = 0.0;     // <= 0: the scenario's; else at most kMaxNetworkCoherenceS
  double start_offset_s = 0.0;  // where on the trajectory the trial starts (s of travel)
  // Traces exist on [0, horizon_s]: a time past it reads the state at horizon_s (the
  // simulator never asks: run_simulation sets it past the last moment a task can reach), and
  // no time, however large or non-finite, makes a trace grow beyond it.
  double horizon_s = 1e6;
  // What generating the traces may cost (steps: hivemind/budget.hpp; bytes held by traces,
  // background populations and mobility checks). Metered as the traces grow: past it, the
  // call that would grow them throws the InputError of check_steps / check_bytes.
  Budget budget{};
};

// Largest coherence time (block length) a run may ask for, and the longest horizon: they keep
// every TTI and block index a 64-bit integer can hold (the budget decides what is affordable).
inline constexpr double kMaxNetworkCoherenceS = 1e6;
inline constexpr double kMaxHorizonS = 1e10;

// Work (steps, hivemind/budget.hpp) and memory (bytes) that a part of the simulation asks for.
struct Work {
  double steps = 0.0;
  double bytes = 0.0;
  Work& operator+=(const Work& o) {
    steps += o.steps;
    bytes += o.bytes;
    return *this;
  }
};

// A route at one moment: nodes from the UE to the cloud and the links between them.
struct Route {
  std::vector<int> nodes;  // scenario node indices, UE first, cloud last
  std::vector<int> links;  // network link ids (see Network::link_name), links[p] joins nodes p, p+1
  int serving_gnb = -1;    // scenario node index of the access gNB, -1 without access model
  int index = 0;           // 0.. in the network's list of routes (one per gNB, or a single one)
};

// Mean and standard deviation (bits/s) of a link's block capacities over [0, duration).
struct LinkStats {
  std::string name;
  double capacity_bps = 0.0;
  double mean_bps = 0.0;
  double std_bps = 0.0;
  int background_ues = 0;         // mean over the blocks drawn (the count is redrawn every block)
  double blocked_fraction = 0.0;  // of the time the target's path was blocked (blockage.hpp)
  int blockage_onsets = 0;        // blockage events that started in (0, duration]
};

class Network {
 public:
  Network(const Scenario& scenario, const NetworkOptions& options);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  double block_s() const { return block_s_; }
  // Link ids: 0..S-1 are the scenario's links; S + g is the access link of the g-th gNB.
  int link_count() const { return static_cast<int>(links_.size()); }
  const std::string& link_name(int link) const;
  const ScenarioLink& link_info(int link) const;  // for access links: synthesised from `access`

  // The route used by a task that starts at time t (s since the trial start).
  const Route& route_at(double t);
  // Number of handovers in [0, t).
  int handovers_before(double t);

  // The target UE's capacity (bits/s) on `link` in the coherence block containing t.
  double capacity_bps(int link, double t);
  // Time at which `bits` sent on `link` from time t have all arrived, integrating the
  // block-constant capacity (no overhead added). Returns +inf if that takes more than an hour.
  double transfer_end(int link, double t, double bits);
  // One transfer on `link` sent at t (Eq. 10 on the traces): the link's overhead first, then
  // `bits` over the block-constant capacity. end_s is +inf when the data never arrives or would
  // arrive after `give_up_s` (then no trace past it is read); rate_bps is bits over the time
  // they took (the capacity at start_s for nothing to send), 0 when they never arrive.
  struct Sent {
    double start_s = 0.0, end_s = 0.0, rate_bps = 0.0;
  };
  Sent send(int link, double t, double bits,
            double give_up_s = std::numeric_limits<double>::infinity());
  // Whether the target's path on `link` is blocked at some moment of [t0, t1] (blockage.hpp;
  // false for a link without blockage).
  bool blocked_during(int link, double t0, double t1);
  // Index of the block containing t (t clamped to [0, horizon]; NaN reads as 0).
  long block_index(double t) const;

  LinkStats link_stats(int link, double duration_s);

  // Estimates, made before generating anything (issue 10): the work and memory of generating
  // `link`'s trace over [0, until_s) (its background population, every block, the blockage
  // process), and of the mobility checks over [0, until_s). The costs are those the meter
  // charges as the traces actually grow (network.cpp, "Costs").
  Work trace_work(int link, double until_s) const;
  Work mobility_work(double until_s) const;
  // What the traces have cost so far (steps done, bytes held). The meter checks it, plus
  // `reserved` (what the rest of a run needs: run_simulation's task side), against `budget`
  // (NetworkOptions::budget until set_budget is called).
  Work used() const { return used_; }
  void set_budget(const Budget& budget, const Work& reserved = {}) {
    options_.budget = budget;
    reserved_ = reserved;
  }
  double horizon_s() const { return horizon_s_; }
  // Every route (one per gNB, or the single one without access model), by Route::index.
  const std::vector<Route>& routes() const { return routes_; }

  // UE position (m) at trial time t.
  std::pair<double, double> ue_position(double t) const;

 private:
  struct LinkTrace;
  void populate(LinkTrace& trace);
  void extend(LinkTrace& trace, long block);
  int serving_at_check(long check);
  long check_index(double t) const;
  double clamp_time(double t) const;
  // The meter: adds to used_ and throws check_steps / check_bytes's InputError past the budget.
  void charge_steps(double steps, const LinkTrace* trace, double t);
  void charge_bytes(double bytes, const LinkTrace* trace, double t);
  void charge_blockage(LinkTrace& trace, double t);
  std::string where(const LinkTrace* trace, double t) const;

  const Scenario& scenario_;
  NetworkOptions options_;
  double block_s_ = 0.05;
  // The demand mixture: its total weight, and one UE's demand mean and variance per unit of a
  // link's demand_mbps (computed once, in the constructor).
  double mixture_weight_ = 0.0, mixture_mean_ = 1.0, mixture_var_ = 0.0;
  long ttis_per_block_ = 50;
  double horizon_s_ = 1e6;
  long last_block_ = 0;  // block_index(horizon_s_)
  Work used_, reserved_;
  std::vector<std::unique_ptr<LinkTrace>> links_;
  std::vector<int> gnbs_;      // scenario node index of each gNB (access link order)
  std::vector<int> serving_;   // serving gNB (index into gnbs_) per mobility check
  std::vector<Route> routes_;  // per gNB (or one route without access)
  double perimeter_m_ = 0.0;
};

}  // namespace hivemind::sim
