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
  order_.resize(users);
  std::iota(order_.begin(), order_.end(), 0u);
}

double PfScheduler::step(double tti_s, const double* rate_bps, const double* arrivals_bits,
                         const double* max_backlog_bits, double* served) {
  const std::size_t n = avg_bps_.size();
  // Kwan et al.: priority r_j / T_j. A user never served yet (T_j = 0) goes first; a tiny
  // floor keeps the ratio finite and orders such users by rate.
  for (std::size_t j = 0; j < n; ++j) {
    if (j > 0) backlog_[j] = std::min(backlog_[j] + arrivals_bits[j], max_backlog_bits[j]);
    priority_[j] = rate_bps[j] / std::max(avg_bps_[j], 1e-3);
  }
  // Insertion sort by decreasing priority (ties: lower index first, for determinism).
  for (std::size_t i = 1; i < n; ++i) {
    const unsigned u = order_[i];
    std::size_t k = i;
    while (k > 0) {
      const unsigned v = order_[k - 1];
      if (priority_[v] > priority_[u] || (priority_[v] == priority_[u] && v < u)) break;
      order_[k] = v;
      --k;
    }
    order_[k] = u;
  }
  double left = 1.0;  // fraction of the TTI's resource still free
  double target_bits = 0.0;
  const double a = 1.0 / window_;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned j = order_[i];
    double bits = 0.0;
    if (left > 0.0 && rate_bps[j] > 0.0) {
      const double full = rate_bps[j] * tti_s;  // bits if j had the whole TTI
      if (j == 0) {
        bits = full * left;
        left = 0.0;
      } else {
        const double need = backlog_[j] / full;
        const double take = std::min(need, left);
        bits = take >= need ? backlog_[j] : full * take;
        left -= take;
        backlog_[j] -= bits;
        if (backlog_[j] < 0.0) backlog_[j] = 0.0;
      }
    }
    if (j == 0) target_bits = bits;
    if (served) served[j] = bits;
    avg_bps_[j] = (1.0 - a) * avg_bps_[j] + a * (bits / tti_s);
  }
  return target_bits;
}

}  // namespace hivemind::sim
