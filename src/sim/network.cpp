#include "hivemind/sim/network.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "hivemind/error.hpp"

namespace hivemind::sim {

double load_scale(Load load) {
  switch (load) {
    case Load::kLow:
      return 0.5;
    case Load::kMid:
      return 1.0;
    case Load::kHigh:
      return 2.0;
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
    case Load::kLow:
      return "low";
    case Load::kMid:
      return "mid";
    case Load::kHigh:
      return "high";
  }
  return "?";
}

namespace {
constexpr std::uint64_t kPurposeLink = 0x4C494E4B;      // "LINK"
constexpr std::uint64_t kPurposeBlockage = 0x424C4F4B;  // "BLOK": own stream, so a scenario
                                                        // without blockage keeps its traces
constexpr double kInf = std::numeric_limits<double>::infinity();

// Costs, in steps of about one nanosecond of one core of the reference VM (hivemind/budget.hpp),
// measured with `hivemind simulate` on chain5 with 0 to 2000 background UEs per link, TTIs of
// 0.0625 to 1 ms and blocks of 1 to 50 TTIs (2-core AMD EPYC, g++ 12 -O3). The meter charges
// them as the traces grow; trace_work() adds them up in advance.
constexpr double kStepsPerUserTti = 2.0;  // one user in one TTI of the PF scheduler (~1.8 ns)
constexpr double kStepsPerTti = 20.0;     // a TTI's fixed cost (the call, blockage state)
constexpr double kStepsPerBlock = 50.0;   // a block's fixed cost (an access link's radio model)
constexpr double kStepsPerUser =
    40.0;  // drawing one background user in a block (mixture, log-normal, position)
constexpr double kStepsPerChange = 20.0;    // one blockage state change (an exponential draw)
constexpr double kStepsPerScan = 5.0;       // one block crossed by transfer_end's integration
constexpr double kStepsPerGnbCheck = 60.0;  // one gNB's received power at a mobility check (Friis)

// Steps of one block of a link's trace with `ues` background users present in it: what the
// meter (extend) charges, and with the link's most users what the estimate (trace_work) charges.
// A link with neither background traffic nor blockage has one constant rate per block (extend's
// shortcut): no TTI is simulated.
double block_steps(std::size_t ues, bool background, bool blockage, long ttis_per_block) {
  const double users = static_cast<double>(ues) + 1.0;
  double steps = kStepsPerBlock + static_cast<double>(ues) * kStepsPerUser;
  if (background || blockage)
    steps += static_cast<double>(ttis_per_block) *
             (kStepsPerTti + (background ? users * kStepsPerUserTti : 0.0));
  return steps;
}

// Per user slot: 3 arrays in LinkTrace, 4 in the PF scheduler.
constexpr double kBytesPerUser = 7.0 * sizeof(double);
// A link holds at most this many background UEs at once (an int holds it; the budget refuses
// far fewer: 1 GiB holds ~1.9e7).
constexpr double kMaxUsersPerLink = 1e9;
// A block's UE count is capped at its median times e^(3 sigma), the 99.87 % quantile of the
// log-normal.
constexpr double kUesQuantileSigmas = 3.0;
// Up to this many background UEs present in a block are simulated one by one; more are
// simulated as this many equal groups (PfScheduler::set_members), each group's demand a
// log-normal with the mean and variance of its members' summed demand (Fenton-Wilkinson), so
// that the work per TTI stays bounded however crowded the cell is.
constexpr std::size_t kMaxUserGroups = 16;

// The growth of the vectors the traces append to (blocks, mobility checks): capacity 64 first,
// then doubled, reserved explicitly so that the meter charges what is allocated before it is.
std::size_t next_capacity(std::size_t capacity) { return capacity == 0 ? 64 : 2 * capacity; }
double grown_capacity(double size) {
  double capacity = 0.0;
  while (capacity < size) capacity = capacity == 0.0 ? 64.0 : 2.0 * capacity;
  return capacity;
}

std::string short_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}
}  // namespace

struct Network::LinkTrace {
  ScenarioLink info;
  std::string field;  // "links[2]" or "access.gnb nodes[3]": for messages
  bool access = false;
  int gnb_node = -1;
  // Background traffic (Sec. VII-A3, ref. [48]), redrawn every block: a block's UE count is
  // round(ues_median x e^(ues_sigma N(0,1))), at most `max_ues`; each present UE's demand (and,
  // on an access link, its position) is drawn anew from the scenario's mixture.
  std::size_t slots = 0;             // PF slots for background UEs or groups (0: no background)
  double max_ues = 0.0;              // most background UEs a block can hold
  double ues_median = 0.0;           // load-scaled median count
  double ues_sigma = 0.0;            // log sigma of the count
  double demand_bps = 0.0;           // load-scaled median per-UE demand
  std::size_t present = 0;           // background UEs of the last block drawn
  double present_sum = 0.0;          // summed over the blocks drawn (for LinkStats)
  bool populated = false;            // arrays allocated
  std::size_t blockage_changes = 0;  // state changes the meter has charged
  double blockage_bytes = 0.0;       // and the memory they hold
  Rng rng{1};
  PfScheduler pf;
  std::vector<double> rate_bps;  // per user (0 = target): rate with the whole resource
  std::vector<double> arrivals_bits, backlog_cap_bits;  // per user, this block
  std::vector<double> blocks;                           // target capacity (bits/s) per block
  BlockageProcess blockage;     // of the target's path on this link (never, by default)
  double blocked_factor = 1.0;  // scenario links: blocked rate / clear rate
};

Network::Network(const Scenario& scenario, const NetworkOptions& options)
    : scenario_(scenario), options_(options) {
  // Every time and index below comes from these: checked so that each conversion to an
  // integer is in range (issue 10: a non-finite time reached a block index).
  if (!(std::abs(options.coherence_s) <= kMaxNetworkCoherenceS))
    throw InputError("coherence: " + exact_number(options.coherence_s) + " s is out of range [0, " +
                     short_number(kMaxNetworkCoherenceS) + "]");
  if (!(std::abs(options.start_offset_s) <= 1e12))
    throw InputError("start offset: " + exact_number(options.start_offset_s) +
                     " s is out of range [-1e12, 1e12]");
  if (!(options.horizon_s > 0 && options.horizon_s <= kMaxHorizonS))
    throw InputError("horizon: " + exact_number(options.horizon_s) + " s is out of range (0, " +
                     short_number(kMaxHorizonS) + "]");
  block_s_ = options.coherence_s > 0 ? options.coherence_s : scenario.coherence_s;
  // A whole number of TTIs: at most 1e6 s / 0.0625 ms = 1.6e10 (parse_scenario's ranges).
  const double ttis = std::round(block_s_ / scenario.tti_s);
  if (!(ttis <= 1e13) || !(scenario.tti_s > 0))
    throw InputError("coherence: " + exact_number(block_s_) + " s is " + short_number(ttis) +
                     " TTIs of " + exact_number(scenario.tti_s) + " s, out of range");
  ttis_per_block_ = std::max(1L, static_cast<long>(ttis));
  block_s_ = static_cast<double>(ttis_per_block_) * scenario.tti_s;
  horizon_s_ = options.horizon_s;
  if (!(horizon_s_ / block_s_ <= 1e15))  // parse_scenario's ranges: <= 1e10 s / 0.0625 ms
    throw InputError("coherence: blocks of " + exact_number(block_s_) + " s over a horizon of " +
                     exact_number(horizon_s_) + " s are more than 1e15");
  last_block_ = static_cast<long>(std::floor(horizon_s_ / block_s_ * (1.0 + 1e-12)));
  const double scale = load_scale(options.load);
  // The demand mixture's mean and variance, per unit of a link's demand_mbps (groups above).
  double weight = 0.0, first = 0.0, second = 0.0;
  for (const auto& c : scenario.demand_mixture) {
    weight += c.weight;
    first += c.weight * c.scale * std::exp(0.5 * c.sigma * c.sigma);
    second += c.weight * c.scale * c.scale * std::exp(2.0 * c.sigma * c.sigma);
  }
  mixture_weight_ = weight;
  if (weight > 0) {
    mixture_mean_ = first / weight;
    mixture_var_ = std::max(0.0, second / weight - mixture_mean_ * mixture_mean_);
  }

  for (std::size_t n = 0; n < scenario.nodes.size(); ++n)
    if (scenario.access.enabled && scenario.nodes[n].role == NodeRole::kGnb)
      gnbs_.push_back(static_cast<int>(n));
  // A mobility check index is time / check_s (parse_scenario: check_ms >= 1).
  if (!gnbs_.empty() && !(scenario.mobility.check_s >= 1e-3))
    throw InputError("mobility.check_ms: " + exact_number(scenario.mobility.check_s * 1e3) +
                     " is out of range [1, 1e+06]");

  const int total = static_cast<int>(scenario.links.size() + gnbs_.size());
  for (int id = 0; id < total; ++id) {
    auto trace = std::make_unique<LinkTrace>();
    const bool access = id >= static_cast<int>(scenario.links.size());
    trace->access = access;
    if (access) {
      const int g = id - static_cast<int>(scenario.links.size());
      trace->gnb_node = gnbs_[g];
      trace->field = "access link of nodes[" + std::to_string(gnbs_[g]) + "]";
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
      trace->field = "links[" + std::to_string(id) + "]";
    }
    const BlockageParams& blk = access ? scenario.access.blockage : trace->info.blockage;
    if (blk.enabled()) {
      trace->blockage = BlockageProcess(
          blk, stream_seed(options.seed, kPurposeBlockage, static_cast<std::uint64_t>(id)));
      if (!access)
        trace->blocked_factor = blocked_rate_factor(blk.clear_snr_db, blk.attenuation_db);
    }
    trace->rng = Rng(stream_seed(options.seed, kPurposeLink, static_cast<std::uint64_t>(id)));
    // Background population (Ding et al.: UEs per cell and per-UE rate are log-normal
    // mixtures; the shape parameters are assumed, see docs/simulator.md), redrawn every block
    // by extend(). Here only its bounds; the arrays are allocated when the trace is first
    // needed (populate), after the run's estimate has accepted them.
    const Background& bg = trace->info.background;
    if (bg.ues > 0 && bg.demand_mbps > 0) {
      trace->ues_median = bg.ues * scale;
      trace->ues_sigma = bg.ues_sigma >= 0 ? bg.ues_sigma : scenario.ues_sigma;
      trace->demand_bps = bg.demand_mbps * 1e6 * scale;
      trace->max_ues =
          std::round(trace->ues_median * std::exp(kUesQuantileSigmas * trace->ues_sigma));
      if (!(trace->max_ues <= kMaxUsersPerLink))
        throw InputError(trace->field + ".background: up to " + short_number(trace->max_ues) +
                         " background UEs on the link, above " + short_number(kMaxUsersPerLink));
      trace->slots =
          static_cast<std::size_t>(std::min(trace->max_ues, static_cast<double>(kMaxUserGroups)));
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

void Network::populate(LinkTrace& tr) {
  if (tr.populated) return;
  tr.populated = true;
  const std::size_t users = tr.slots + 1;
  charge_bytes(static_cast<double>(users) * kBytesPerUser, &tr, 0.0);
  tr.pf = PfScheduler(scenario_.pf_window_ttis);
  tr.pf.reset(users);
  tr.pf.set_active(1);
  tr.rate_bps.assign(users, tr.info.capacity_bps);
  tr.arrivals_bits.assign(users, 0.0);
  tr.backlog_cap_bits.assign(users, 0.0);
}

std::string Network::where(const LinkTrace* tr, double t) const {
  return "simulation: network traces up to t = " + short_number(t) + " s (" +
         (tr ? tr->field : std::string("mobility checks")) + ")";
}

void Network::charge_steps(double steps, const LinkTrace* tr, double t) {
  used_.steps += steps;
  if (used_.steps + reserved_.steps > options_.budget.steps)
    check_steps(options_.budget, used_.steps + reserved_.steps, where(tr, t));
}

void Network::charge_bytes(double bytes, const LinkTrace* tr, double t) {
  used_.bytes += bytes;
  if (used_.bytes + reserved_.bytes > options_.budget.bytes)
    check_bytes(options_.budget, used_.bytes + reserved_.bytes, where(tr, t));
}

// Blockage state changes are generated inside the process as its state is read: charged after
// the fact (a call generates at most the changes up to the horizon, at <= 100 events/s).
void Network::charge_blockage(LinkTrace& tr, double t) {
  const std::size_t n = tr.blockage.generated();
  if (n > tr.blockage_changes) {
    charge_steps(static_cast<double>(n - tr.blockage_changes) * kStepsPerChange, &tr, t);
    tr.blockage_changes = n;
  }
  const double bytes = tr.blockage.memory_bytes();
  if (bytes > tr.blockage_bytes) {
    charge_bytes(bytes - tr.blockage_bytes, &tr, t);
    tr.blockage_bytes = bytes;
  }
}

double Network::clamp_time(double t) const {
  if (!(t > 0)) return 0.0;  // NaN too
  return std::min(t, horizon_s_);
}

Work Network::trace_work(int link, double until_s) const {
  const LinkTrace& tr = *links_[link];
  const double span = clamp_time(until_s);
  const double blocks = static_cast<double>(block_index(span)) + 1.0;
  const double slots = static_cast<double>(tr.slots);
  Work w;
  w.steps = blocks * block_steps(tr.slots, tr.slots > 0, tr.blockage.enabled(), ttis_per_block_);
  w.bytes = (slots + 1.0) * kBytesPerUser + grown_capacity(blocks) * sizeof(double);
  if (tr.blockage.enabled()) {
    // Two changes per clear + blocked cycle (blockage.hpp), and its vector's doubling.
    const BlockageParams& p = tr.access ? scenario_.access.blockage : tr.info.blockage;
    const double changes = 2.0 * span / (1.0 / p.rate_per_s + p.mean_duration_s) + 2.0;
    w.steps += changes * kStepsPerChange;
    w.bytes += 2.0 * changes * sizeof(double);
  }
  return w;
}

Work Network::mobility_work(double until_s) const {
  if (gnbs_.empty()) return {};
  const double checks = static_cast<double>(check_index(until_s)) + 1.0;
  Work w;
  w.steps = checks * static_cast<double>(gnbs_.size()) * kStepsPerGnbCheck;
  w.bytes = grown_capacity(checks) * sizeof(int);
  return w;
}

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
    const double t = static_cast<double>(k) * scenario_.mobility.check_s;
    charge_steps(static_cast<double>(gnbs_.size()) * kStepsPerGnbCheck, nullptr, t);
    if (serving_.size() == serving_.capacity()) {
      const std::size_t capacity = next_capacity(serving_.capacity());
      charge_bytes(static_cast<double>(capacity - serving_.capacity()) * sizeof(int), nullptr, t);
      serving_.reserve(capacity);
    }
    // Plain variables, not a structured binding: the lambda below captures them (clang 14
    // refuses captured bindings).
    const auto position = ue_position(static_cast<double>(k) * scenario_.mobility.check_s);
    const double x = position.first, y = position.second;
    // Equal EIRP everywhere: the strongest gNB is the one with the least Friis loss.
    auto rx_dbm = [&](int g) {
      const auto& n = scenario_.nodes[gnbs_[g]];
      return scenario_.access.radio.eirp_dbm -
             friis_path_loss_db(std::hypot(n.x_m - x, n.y_m - y),
                                scenario_.access.radio.carrier_hz);
    };
    int best = 0;
    for (int g = 1; g < static_cast<int>(gnbs_.size()); ++g)
      if (rx_dbm(g) > rx_dbm(best)) best = g;
    if (k == 0) {
      serving_.push_back(best);
    } else {
      const int current = serving_.back();
      serving_.push_back(
          rx_dbm(best) > rx_dbm(current) + scenario_.mobility.hysteresis_db ? best : current);
    }
  }
  return serving_[check];
}

// The mobility check at or before t (t clamped to [0, horizon]: a check index of at most
// 1e10 s / 1 ms).
long Network::check_index(double t) const {
  return static_cast<long>(std::floor(clamp_time(t) / scenario_.mobility.check_s));
}

const Route& Network::route_at(double t) {
  if (gnbs_.empty()) return routes_.front();
  return routes_[serving_at_check(check_index(t))];
}

int Network::handovers_before(double t) {
  if (gnbs_.empty()) return 0;
  const long last = check_index(t);
  serving_at_check(last);
  int count = 0;
  for (long k = 1; k <= last && k < static_cast<long>(serving_.size()); ++k)
    count += serving_[k] != serving_[k - 1];
  return count;
}

long Network::block_index(double t) const {
  // clamp_time: a non-finite or huge time never becomes an index (the conversion of a double
  // out of a long's range is undefined); the result is at most last_block_.
  return static_cast<long>(std::floor(clamp_time(t) / block_s_ * (1.0 + 1e-12)));
}

void Network::extend(LinkTrace& tr, long block) {
  block = std::min(block, last_block_);  // the horizon: never grown past it
  populate(tr);
  const double tti = scenario_.tti_s;
  const bool background = tr.slots > 0;
  const bool constant = !background && !tr.blockage.enabled();  // one rate for the whole block
  while (static_cast<long>(tr.blocks.size()) <= block) {
    const long b = static_cast<long>(tr.blocks.size());
    const double t = static_cast<double>(b) * block_s_;
    if (tr.blocks.size() == tr.blocks.capacity()) {
      const std::size_t capacity = next_capacity(tr.blocks.capacity());
      charge_bytes(static_cast<double>(capacity - tr.blocks.capacity()) * sizeof(double), &tr, t);
      tr.blocks.reserve(capacity);
    }
    // The block's background (ref. [48], Sec. VII-A3): how many UEs are present, then each
    // one's demand (a mixture component, then a log-normal draw) and, on an access link, its
    // place in the cell disc and so its rate from the same radio model. Slots 1..n are present;
    // a slot beyond the last block's count is a UE that arrived (PF history reset), one below
    // it a UE that stayed (history kept). Above kMaxUserGroups UEs, each slot is a group.
    std::size_t n = 0;
    if (background) {
      const double drawn = std::min(
          tr.max_ues, std::round(tr.ues_median * std::exp(tr.ues_sigma * tr.rng.normal())));
      n = static_cast<std::size_t>(std::min(drawn, static_cast<double>(tr.slots)));
      const double members = n > 0 ? drawn / static_cast<double>(n) : 1.0;
      // A group's summed demand: mean m mu, variance m v (the mixture's moments, in units of
      // the link's demand), as a log-normal of log sigma^2 = ln(1 + v / (m mu^2)).
      const double group_sigma =
          members > 1.0
              ? std::sqrt(std::log1p(mixture_var_ / (members * mixture_mean_ * mixture_mean_)))
              : 0.0;
      for (std::size_t j = 1; j <= n; ++j) {
        if (j > tr.present) tr.pf.reset_user(j);
        double demand = 0.0;
        if (members > 1.0) {
          demand = tr.demand_bps * members * mixture_mean_ *
                   std::exp(group_sigma * tr.rng.normal() - 0.5 * group_sigma * group_sigma);
        } else {
          double pick = tr.rng.uniform() * mixture_weight_;
          const DemandComponent* comp = &scenario_.demand_mixture.back();
          for (const auto& c : scenario_.demand_mixture) {
            if (pick < c.weight) {
              comp = &c;
              break;
            }
            pick -= c.weight;
          }
          demand = tr.demand_bps * tr.rng.lognormal(comp->scale, comp->sigma);
        }
        tr.pf.set_members(j, members);
        tr.arrivals_bits[j] = demand * tti;
        tr.backlog_cap_bits[j] = demand * scenario_.backlog_cap_s;
        if (tr.access) {
          const double d = scenario_.access.cell_radius_m * std::sqrt(tr.rng.uniform());
          tr.rate_bps[j] = link_bitrate_bps(scenario_.access.radio, d);
        }
      }
      tr.pf.set_active(n + 1);
      tr.present = n;
      tr.present_sum += drawn;
    }
    charge_steps(block_steps(n, background, tr.blockage.enabled(), ttis_per_block_), &tr, t);
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
        blocked_bps = link_bitrate_bps(scenario_.access.radio, d,
                                       fade_db - scenario_.access.blockage.attenuation_db);
    }
    tr.rate_bps[0] = clear_bps;
    double bits = 0.0;
    if (constant) {
      bits = clear_bps * block_s_;  // nobody to share with, constant rate
    } else {
      for (long k = 0; k < ttis_per_block_; ++k) {
        // Blockage changes the target's rate TTI by TTI; the block's capacity is the mean.
        if (tr.blockage.enabled())
          tr.rate_bps[0] =
              tr.blockage.state_at_sequential(static_cast<double>(b * ttis_per_block_ + k) * tti)
                  ? blocked_bps
                  : clear_bps;
        bits += !background ? tr.rate_bps[0] * tti
                            : tr.pf.step(tti, tr.rate_bps.data(), tr.arrivals_bits.data(),
                                         tr.backlog_cap_bits.data());
      }
    }
    tr.blocks.push_back(bits / block_s_);
    charge_blockage(tr, t);
  }
}

double Network::capacity_bps(int link, double t) {
  LinkTrace& tr = *links_[link];
  const long b = block_index(t);
  if (b >= static_cast<long>(tr.blocks.size())) extend(tr, b);
  return tr.blocks[b];
}

Network::Sent Network::send(int link, double t, double bits, double give_up_s) {
  Sent s;
  s.start_s = t + link_info(link).overhead_s;
  s.end_s = s.start_s <= give_up_s ? transfer_end(link, s.start_s, bits) : kInf;
  if (!(s.end_s <= give_up_s)) {
    s.end_s = kInf;
    return s;
  }
  s.rate_bps = s.end_s > s.start_s ? bits / (s.end_s - s.start_s) : capacity_bps(link, s.start_s);
  return s;
}

double Network::transfer_end(int link, double t, double bits) {
  if (bits <= 0) return t;
  LinkTrace& tr = *links_[link];
  // Past the horizon (or a non-finite t) there is no trace to integrate: the data never arrives.
  if (!(t < horizon_s_)) return kInf;
  const double give_up = std::min(t + 3600.0, horizon_s_);
  long b = block_index(t);
  while (t < give_up) {
    if (b > last_block_) break;
    if (b >= static_cast<long>(tr.blocks.size())) extend(tr, b + 64);
    charge_steps(kStepsPerScan, &tr, t);
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
  const long n = std::max(1L, static_cast<long>(std::floor(clamp_time(duration_s) / block_s_)));
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
  s.background_ues =
      static_cast<int>(std::lround(tr.present_sum / static_cast<double>(tr.blocks.size())));
  const double span = static_cast<double>(n) * block_s_;
  s.blocked_fraction = tr.blockage.blocked_time(0.0, span) / span;
  s.blockage_onsets = tr.blockage.onsets_before(span);
  charge_blockage(tr, span);
  return s;
}

bool Network::blocked_during(int link, double t0, double t1) {
  LinkTrace& tr = *links_[link];
  const bool blocked = tr.blockage.blocked_during(clamp_time(t0), clamp_time(t1));
  charge_blockage(tr, clamp_time(t1));
  return blocked;
}

}  // namespace hivemind::sim
