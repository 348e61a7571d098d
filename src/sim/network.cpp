#include "hivemind/sim/network.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hivemind/error.hpp"

namespace hivemind::sim {

double load_scale(Load load) {
  switch (load) {
    case Load::kLow: return 0.5;
    case Load::kMid: return 1.0;
    case Load::kHigh: return 2.0;
  }
  return 1.0;
}

Load parse_load(std::string_view text) {
  if (text == "low") return Load::kLow;
  if (text == "mid") return Load::kMid;
  if (text == "high") return Load::kHigh;
  throw InputError("load: \"" + std::string(text) + "\" is not one of low, mid, high");
}

std::string_view to_string(Load load) {
  switch (load) {
    case Load::kLow: return "low";
    case Load::kMid: return "mid";
    case Load::kHigh: return "high";
  }
  return "?";
}

namespace {
constexpr std::uint64_t kPurposeLink = 0x4C494E4B;      // "LINK"
constexpr std::uint64_t kPurposeBlockage = 0x424C4F4B;  // "BLOK": own stream, so a scenario
                                                        // without blockage keeps its traces
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

struct Network::LinkTrace {
  ScenarioLink info;
  bool access = false;
  int gnb_node = -1;
  Rng rng{1};
  PfScheduler pf;
  std::vector<double> bg_mean_bps;  // per background UE: mean demand
  std::vector<double> rate_bps;     // per user (0 = target): rate with the whole resource
  std::vector<double> arrivals_bits, backlog_cap_bits, block_arrival_bps;
  std::vector<double> blocks;       // target capacity (bits/s) per block
  BlockageProcess blockage;         // of the target's path on this link (never, by default)
  double blocked_factor = 1.0;      // scenario links: blocked rate / clear rate
};

Network::Network(const Scenario& scenario, const NetworkOptions& options)
    : scenario_(scenario), options_(options) {
  block_s_ = options.coherence_s > 0 ? options.coherence_s : scenario.coherence_s;
  ttis_per_block_ = std::max(1, static_cast<int>(std::lround(block_s_ / scenario.tti_s)));
  block_s_ = ttis_per_block_ * scenario.tti_s;  // a whole number of TTIs
  const double scale = load_scale(options.load);

  for (std::size_t n = 0; n < scenario.nodes.size(); ++n)
    if (scenario.access.enabled && scenario.nodes[n].role == NodeRole::kGnb)
      gnbs_.push_back(static_cast<int>(n));

  const int total = static_cast<int>(scenario.links.size() + gnbs_.size());
  double mixture_weight = 0.0;
  for (const auto& c : scenario.demand_mixture) mixture_weight += c.weight;
  for (int id = 0; id < total; ++id) {
    auto trace = std::make_unique<LinkTrace>();
    const bool access = id >= static_cast<int>(scenario.links.size());
    trace->access = access;
    if (access) {
      const int g = id - static_cast<int>(scenario.links.size());
      trace->gnb_node = gnbs_[g];
      ScenarioLink& l = trace->info;
      l.name = "access-" + scenario.nodes[gnbs_[g]].name;
      l.from = scenario.ue_node();
      l.to = gnbs_[g];
      l.wireless = true;
      l.capacity_bps = scenario.access.radio.capacity_bps;
      l.overhead_s = scenario.access.overhead_s;
      l.background = scenario.access.background;
      l.radio_power = scenario.access.radio_power;
    } else {
      trace->info = scenario.links[id];
    }
    const BlockageParams& blk = access ? scenario.access.blockage : trace->info.blockage;
    if (blk.enabled()) {
      trace->blockage = BlockageProcess(blk, stream_seed(options.seed, kPurposeBlockage, static_cast<std::uint64_t>(id)));
      if (!access) trace->blocked_factor = blocked_rate_factor(blk.clear_snr_db, blk.attenuation_db);
    }
    trace->rng = Rng(stream_seed(options.seed, kPurposeLink, static_cast<std::uint64_t>(id)));
    Rng& rng = trace->rng;
    // Background population of this trial (Ding et al.: UEs per cell and per-UE rate are
    // log-normal mixtures; the shape parameters are assumed, see docs/simulator.md).
    const Background& bg = trace->info.background;
    int ues = 0;
    if (bg.ues > 0 && bg.demand_mbps > 0)
      ues = static_cast<int>(std::lround(bg.ues * scale * std::exp(scenario.ues_sigma * rng.normal())));
    trace->pf = PfScheduler(scenario.pf_window_ttis);
    trace->pf.reset(static_cast<std::size_t>(ues) + 1);
    trace->rate_bps.assign(ues + 1, trace->info.capacity_bps);
    trace->arrivals_bits.assign(ues + 1, 0.0);
    trace->backlog_cap_bits.assign(ues + 1, 0.0);
    trace->block_arrival_bps.assign(ues + 1, 0.0);
    for (int j = 1; j <= ues; ++j) {
      double pick = rng.uniform() * mixture_weight;
      const DemandComponent* comp = &scenario.demand_mixture.back();
      for (const auto& c : scenario.demand_mixture) {
        if (pick < c.weight) {
          comp = &c;
          break;
        }
        pick -= c.weight;
      }
      trace->bg_mean_bps.push_back(bg.demand_mbps * 1e6 * scale *
                                   rng.lognormal(comp->scale, comp->sigma));
      if (access) {
        // A background UE uniformly placed in the cell disc; its rate from the same radio model.
        const double d = scenario.access.cell_radius_m * std::sqrt(rng.uniform());
        trace->rate_bps[j] = link_bitrate_bps(scenario.access.radio, d);
      }
    }
    links_.push_back(std::move(trace));
  }

  // Routes: per gNB, or the single route of a scenario without access model.
  auto follow = [&](Route& r, int from) {
    int at = from;
    while (at != scenario.sink_node()) {
      const int l = scenario.uplink_of(at);
      r.links.push_back(l);
      at = scenario.links[l].to;
      r.nodes.push_back(at);
    }
  };
  if (gnbs_.empty()) {
    Route r;
    r.nodes.push_back(scenario.ue_node());
    follow(r, scenario.ue_node());
    routes_.push_back(r);
  } else {
    for (std::size_t g = 0; g < gnbs_.size(); ++g) {
      Route r;
      r.index = static_cast<int>(g);
      r.serving_gnb = gnbs_[g];
      r.nodes = {scenario.ue_node(), gnbs_[g]};
      r.links = {static_cast<int>(scenario.links.size() + g)};
      follow(r, gnbs_[g]);
      routes_.push_back(r);
    }
  }
  const auto& w = scenario.mobility.waypoints_m;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const auto& a = w[i];
    const auto& b = w[(i + 1) % w.size()];
    perimeter_m_ += std::hypot(b.first - a.first, b.second - a.second);
  }
}

Network::~Network() = default;

const std::string& Network::link_name(int link) const { return links_[link]->info.name; }
const ScenarioLink& Network::link_info(int link) const { return links_[link]->info; }

std::pair<double, double> Network::ue_position(double t) const {
  const auto& w = scenario_.mobility.waypoints_m;
  if (w.empty() || perimeter_m_ <= 0) return w.empty() ? std::make_pair(0.0, 0.0) : w.front();
  double s = std::fmod(scenario_.mobility.speed_mps * (options_.start_offset_s + t), perimeter_m_);
  if (s < 0) s += perimeter_m_;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const auto& a = w[i];
    const auto& b = w[(i + 1) % w.size()];
    const double len = std::hypot(b.first - a.first, b.second - a.second);
    if (s <= len || i + 1 == w.size()) {
      const double f = len > 0 ? std::min(1.0, s / len) : 0.0;
      return {a.first + f * (b.first - a.first), a.second + f * (b.second - a.second)};
    }
    s -= len;
  }
  return w.front();
}

int Network::serving_at_check(long check) {
  while (static_cast<long>(serving_.size()) <= check) {
    const long k = static_cast<long>(serving_.size());
    const auto [x, y] = ue_position(static_cast<double>(k) * scenario_.mobility.check_s);
    // Equal EIRP everywhere: the strongest gNB is the one with the least Friis loss.
    auto rx_dbm = [&](int g) {
      const auto& n = scenario_.nodes[gnbs_[g]];
      return scenario_.access.radio.eirp_dbm -
             friis_path_loss_db(std::hypot(n.x_m - x, n.y_m - y), scenario_.access.radio.carrier_hz);
    };
    int best = 0;
    for (int g = 1; g < static_cast<int>(gnbs_.size()); ++g)
      if (rx_dbm(g) > rx_dbm(best)) best = g;
    if (k == 0) {
      serving_.push_back(best);
    } else {
      const int current = serving_.back();
      serving_.push_back(rx_dbm(best) > rx_dbm(current) + scenario_.mobility.hysteresis_db ? best
                                                                                           : current);
    }
  }
  return serving_[check];
}

const Route& Network::route_at(double t) {
  if (gnbs_.empty()) return routes_.front();
  const long check = static_cast<long>(std::floor(std::max(t, 0.0) / scenario_.mobility.check_s));
  return routes_[serving_at_check(check)];
}

int Network::handovers_before(double t) {
  if (gnbs_.empty()) return 0;
  const long last = static_cast<long>(std::floor(std::max(t, 0.0) / scenario_.mobility.check_s));
  serving_at_check(last);
  int count = 0;
  for (long k = 1; k <= last && k < static_cast<long>(serving_.size()); ++k)
    count += serving_[k] != serving_[k - 1];
  return count;
}

long Network::block_index(double t) const {
  return static_cast<long>(std::floor(std::max(t, 0.0) / block_s_ * (1.0 + 1e-12)));
}

void Network::extend(LinkTrace& tr, long block) {
  const std::size_t users = tr.rate_bps.size();
  const double tti = scenario_.tti_s;
  while (static_cast<long>(tr.blocks.size()) <= block) {
    const long b = static_cast<long>(tr.blocks.size());
    // Block-level randomness first (fixed number of draws per block: determinism).
    const double sigma = scenario_.demand_block_sigma;
    for (std::size_t j = 1; j < users; ++j) {
      // Mean-preserving log-normal jitter of the UE's demand for this block.
      const double demand = tr.bg_mean_bps[j - 1] * std::exp(sigma * tr.rng.normal() - 0.5 * sigma * sigma);
      tr.arrivals_bits[j] = demand * tti;
      tr.backlog_cap_bits[j] = demand * scenario_.backlog_cap_s;
    }
    // The target's rate with the whole resource, clear and blocked (blockage.hpp: the blocked
    // SNR is attenuation_db lower).
    double clear_bps = tr.info.capacity_bps;
    double blocked_bps = clear_bps * tr.blocked_factor;
    if (tr.access) {
      const double fade_db = scenario_.access.fading_sigma_db * tr.rng.normal();
      const auto [x, y] = ue_position((static_cast<double>(b) + 0.5) * block_s_);
      const auto& g = scenario_.nodes[tr.gnb_node];
      const double d = std::hypot(g.x_m - x, g.y_m - y);
      clear_bps = link_bitrate_bps(scenario_.access.radio, d, fade_db);
      if (tr.blockage.enabled())
        blocked_bps = link_bitrate_bps(scenario_.access.radio, d, fade_db - scenario_.access.blockage.attenuation_db);
    }
    tr.rate_bps[0] = clear_bps;
    double bits = 0.0;
    if (users == 1 && !tr.blockage.enabled()) {
      bits = clear_bps * block_s_;  // nobody to share with, constant rate
    } else {
      for (int k = 0; k < ttis_per_block_; ++k) {
        // Blockage changes the target's rate TTI by TTI; the block's capacity is the mean.
        if (tr.blockage.enabled())
          tr.rate_bps[0] = tr.blockage.state_at_sequential(static_cast<double>(b * ttis_per_block_ + k) * tti)
                               ? blocked_bps
                               : clear_bps;
        bits += users == 1 ? tr.rate_bps[0] * tti
                           : tr.pf.step(tti, tr.rate_bps.data(), tr.arrivals_bits.data(), tr.backlog_cap_bits.data());
      }
    }
    tr.blocks.push_back(bits / block_s_);
  }
}

double Network::capacity_bps(int link, double t) {
  LinkTrace& tr = *links_[link];
  const long b = block_index(t);
  if (b >= static_cast<long>(tr.blocks.size())) extend(tr, b);
  return tr.blocks[b];
}

double Network::transfer_end(int link, double t, double bits) {
  if (bits <= 0) return t;
  LinkTrace& tr = *links_[link];
  const double give_up = t + 3600.0;
  long b = block_index(t);
  while (t < give_up) {
    if (b >= static_cast<long>(tr.blocks.size())) extend(tr, b + 64);
    const double cap = tr.blocks[b];
    const double block_end = static_cast<double>(b + 1) * block_s_;
    const double span = std::max(0.0, block_end - t);
    if (cap > 0 && cap * span >= bits) return t + bits / cap;
    bits -= cap * span;
    t = block_end;
    ++b;
  }
  return kInf;
}

LinkStats Network::link_stats(int link, double duration_s) {
  LinkTrace& tr = *links_[link];
  const long n = std::max(1L, static_cast<long>(std::floor(duration_s / block_s_)));
  if (n > static_cast<long>(tr.blocks.size())) extend(tr, n - 1);
  double sum = 0.0, sq = 0.0;
  for (long b = 0; b < n; ++b) sum += tr.blocks[b];
  const double mean = sum / n;
  for (long b = 0; b < n; ++b) sq += (tr.blocks[b] - mean) * (tr.blocks[b] - mean);
  LinkStats s;
  s.name = tr.info.name;
  s.capacity_bps = tr.info.capacity_bps;
  s.mean_bps = mean;
  s.std_bps = n > 1 ? std::sqrt(sq / (n - 1)) : 0.0;
  s.background_ues = static_cast<int>(tr.rate_bps.size()) - 1;
  const double span = static_cast<double>(n) * block_s_;
  s.blocked_fraction = tr.blockage.blocked_time(0.0, span) / span;
  s.blockage_onsets = tr.blockage.onsets_before(span);
  return s;
}

bool Network::blocked_during(int link, double t0, double t1) {
  return links_[link]->blockage.blocked_during(std::max(t0, 0.0), std::max(t1, 0.0));
}

}  // namespace hivemind::sim
