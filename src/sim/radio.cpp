#include "hivemind/sim/radio.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hivemind::sim {

namespace {
// 10%-BLER SINR thresholds (dB) for CQI 1..15 (widely used LTE/NR link-abstraction mapping;
// see data/scenarios/PROVENANCE.md).
constexpr double kCqiThresholdDb[15] = {-6.7, -4.7, -2.3, 0.2,  2.4,  4.3,  5.9, 8.1,
                                        10.3, 11.7, 14.1, 16.3, 18.7, 21.0, 22.7};
// TS 38.214 Table 5.2.2.1-2 (CQI table 1, up to 64QAM): SE in bit/s/Hz for CQI 1..15.
constexpr double kSeTable1[15] = {0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141,
                                  2.4063, 2.7305, 3.3223, 3.9023, 4.5234, 5.1152, 5.5547};
// TS 38.214 Table 5.2.2.1-3 (CQI table 2, up to 256QAM).
constexpr double kSeTable2[15] = {0.1523, 0.3770, 0.8770, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223,
                                  3.9023, 4.5234, 5.1152, 5.5547, 6.2266, 6.9141, 7.4063};
}  // namespace

double friis_path_loss_db(double distance_m, double carrier_hz) {
  const double d = std::max(distance_m, 1.0);
  return 20.0 * std::log10(d) + 20.0 * std::log10(carrier_hz) - 147.55;
}

double noise_dbm(double bandwidth_hz, double noise_figure_db) {
  return -174.0 + 10.0 * std::log10(bandwidth_hz) + noise_figure_db;
}

int cqi_from_snr_db(double snr_db) {
  int cqi = 0;
  while (cqi < 15 && snr_db >= kCqiThresholdDb[cqi]) ++cqi;
  return cqi;
}

double cqi_threshold_db(int cqi) { return cqi >= 1 && cqi <= 15 ? kCqiThresholdDb[cqi - 1] : -INFINITY; }

double spectral_efficiency(int cqi, int cqi_table) {
  if (cqi <= 0) return 0.0;
  cqi = std::min(cqi, 15);
  return cqi_table == 2 ? kSeTable2[cqi - 1] : kSeTable1[cqi - 1];
}

double snr_db(const RadioParams& radio, double distance_m, double extra_gain_db) {
  return radio.eirp_dbm - friis_path_loss_db(distance_m, radio.carrier_hz) + extra_gain_db -
         noise_dbm(radio.bandwidth_hz, radio.noise_figure_db);
}

double link_bitrate_bps(const RadioParams& radio, double distance_m, double extra_gain_db) {
  const int cqi = cqi_from_snr_db(snr_db(radio, distance_m, extra_gain_db));
  const double rate = spectral_efficiency(cqi, radio.cqi_table) * radio.bandwidth_hz *
                      (1.0 - radio.overhead_fraction);
  return std::min(rate, radio.capacity_bps);
}

void PfScheduler::reset(std::size_t users) {
  avg_bps_.assign(users, 0.0);
  backlog_.assign(users, 0.0);
  priority_.assign(users, 0.0);
  sorted_.resize(users);
  std::iota(sorted_.begin(), sorted_.end(), 0u);
}

double PfScheduler::step(double tti_s, const double* rate_bps, const double* arrivals_bits,
                         const double* max_backlog_bits, double* served) {
  const std::size_t n = avg_bps_.size();
  const double keep = 1.0 - 1.0 / window_;
  const double gain = 1.0 / (window_ * tti_s);  // (1/W) * bits / tti = served rate share
  // Kwan et al.: user j is served before user k when r_j / T_j > r_k / T_k. The full-buffer
  // target takes everything left when its turn comes, so users ranked below it get nothing,
  // and if the users ranked above it need less than the whole TTI they are all served in full
  // whatever their order: only then (the common case) can we skip sorting. Ratios are compared
  // by cross-multiplication, T floored at 1e-3 bit/s; ties go to the lower index (the target).
  // The loops are branch-free so that the compiler vectorises them.
  const double r0 = rate_bps[0];
  const double t0 = std::max(avg_bps_[0], 1e-3);
  double* backlog = backlog_.data();
  double* above = priority_.data();  // 1.0 = ranked above the target, else 0.0
  double* avg = avg_bps_.data();
  double need_above = 0.0;
  for (std::size_t j = 1; j < n; ++j) {
    const double b = std::min(backlog[j] + arrivals_bits[j], max_backlog_bits[j]);
    backlog[j] = b;
    const double tj = std::max(avg[j], 1e-3);
    const bool up = (rate_bps[j] * t0 > r0 * tj) & (b > 0.0) & (rate_bps[j] > 0.0);
    above[j] = up ? 1.0 : 0.0;
    need_above += up ? b / (rate_bps[j] * tti_s) : 0.0;
  }
  if (need_above <= 1.0) {
    // Everyone above the target is served in full; the target takes the rest.
    if (served) {
      for (std::size_t j = 1; j < n; ++j) served[j] = above[j] * backlog[j];
    }
    for (std::size_t j = 1; j < n; ++j) {
      const double bits = above[j] * backlog[j];
      backlog[j] -= bits;
      avg[j] = keep * avg[j] + gain * bits;
    }
    const double target_bits = r0 > 0.0 ? r0 * tti_s * (1.0 - need_above) : 0.0;
    if (served) served[0] = target_bits;
    avg[0] = keep * avg[0] + gain * target_bits;
    return target_bits;
  }
  // The users above the target need more than the TTI: it gets nothing, and they are served
  // in priority order until the resource runs out. The order is kept from one overloaded TTI
  // to the next, where it is nearly sorted: insertion sort is then close to O(n).
  double* prio = priority_.data();  // now r_j / T_j (a vectorisable loop)
  for (std::size_t j = 0; j < n; ++j) prio[j] = rate_bps[j] / std::max(avg[j], 1e-3);
  for (std::size_t i = 1; i < n; ++i) {
    const unsigned u = sorted_[i];
    const double pu = prio[u];
    std::size_t k = i;
    while (k > 0) {
      const unsigned v = sorted_[k - 1];
      if (prio[v] > pu || (prio[v] == pu && v < u)) break;
      sorted_[k] = v;
      --k;
    }
    sorted_[k] = u;
  }
  std::vector<double>& bits_of = scratch_;
  bits_of.assign(n, 0.0);
  double left = 1.0;  // fraction of the TTI's resource still free
  for (const unsigned j : sorted_) {
    if (j == 0 || left <= 0.0) break;  // the target's turn: nothing is left
    if (rate_bps[j] <= 0.0 || backlog[j] <= 0.0) continue;
    const double full = rate_bps[j] * tti_s;  // bits if j had the whole TTI
    const double need = backlog[j] / full;
    const double take = std::min(need, left);
    const double bits = take >= need ? backlog[j] : full * take;
    left -= take;
    backlog[j] = std::max(0.0, backlog[j] - bits);
    bits_of[j] = bits;
  }
  for (std::size_t j = 0; j < n; ++j) {
    if (served) served[j] = bits_of[j];
    avg[j] = keep * avg[j] + gain * bits_of[j];
  }
  return 0.0;
}

}  // namespace hivemind::sim
