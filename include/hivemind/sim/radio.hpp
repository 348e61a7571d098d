// The radio link model of the simulator (paper Sec. VII-A2/A3). Constants and their sources are
// in data/scenarios/PROVENANCE.md (copied from the project's 5G link-model notes):
//   - Friis free-space path loss, PL[dB] = 20 log10(d[m]) + 20 log10(f[Hz]) - 147.55;
//   - thermal noise -174 dBm/Hz + 10 log10(B[Hz]) + noise figure;
//   - SNR -> CQI by the 10%-BLER SINR thresholds, CQI -> spectral efficiency by 3GPP TS 38.214
//     Table 5.2.2.1-2 (CQI table 1, 64QAM) or 5.2.2.1-3 (table 2, 256QAM);
//   - bitrate = SE * bandwidth * (1 - overhead), capped by the link's configured capacity;
//   - proportional-fair scheduling (Kwan, Leung, Zhang, IEEE SPL 2009) with an EWMA window of
//     W = 99 TTIs;
//   - UE radio power vs throughput, linear fits P[mW] = a + b * T[Mbit/s] (Narayanan et al.,
//     SIGCOMM 2021, Verizon data).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace hivemind::sim {

// Free-space path loss in dB at `distance_m` (> 0; clamped to >= 1 m) and carrier `carrier_hz`.
double friis_path_loss_db(double distance_m, double carrier_hz);

// Thermal noise power in dBm over `bandwidth_hz`, plus the receiver noise figure.
double noise_dbm(double bandwidth_hz, double noise_figure_db);

// CQI 0..15 for an SNR in dB: the largest CQI whose SINR threshold the SNR reaches; 0 = out of
// range (no transmission).
int cqi_from_snr_db(double snr_db);

// SINR threshold (dB) of CQI 1..15.
double cqi_threshold_db(int cqi);

// Spectral efficiency (bit/s/Hz) of CQI 0..15 in TS 38.214 CQI table 1 (64QAM) or 2 (256QAM).
// CQI 0 -> 0.
double spectral_efficiency(int cqi, int cqi_table = 1);

struct RadioParams {
  double carrier_hz = 28e9;
  double bandwidth_hz = 400e6;
  double eirp_dbm = 40.0;           // FCC 15-138, the paper's limit
  double noise_figure_db = 7.0;     // assumed (typical UE/gNB receiver)
  double overhead_fraction = 0.10;  // TS 38.306 OH: 0.10 FR2 UL, 0.08 FR1 UL
  int cqi_table = 1;
  double capacity_bps = 200e6;  // the link's configured capacity (Table I), caps the rate
};

// SNR (dB) of a link at `distance_m` with an extra gain (dB; negative = fade).
double snr_db(const RadioParams& radio, double distance_m, double extra_gain_db = 0.0);

// Bitrate (bits/s) of a link: SE(CQI(SNR)) * B * (1 - OH), capped by capacity_bps.
double link_bitrate_bps(const RadioParams& radio, double distance_m, double extra_gain_db = 0.0);

// Radio power model P[mW] = base_mw + per_mbps_mw * T[Mbit/s]. Energy of moving `bits` at an
// average rate of `rate_bps` is (bits / rate) * P(rate).
struct RadioPower {
  double base_mw = 0.0;
  double per_mbps_mw = 0.0;
  double power_w(double rate_bps) const { return (base_mw + per_mbps_mw * rate_bps * 1e-6) * 1e-3; }
  double energy_j(double bits, double rate_bps) const {
    return rate_bps > 0 ? bits / rate_bps * power_w(rate_bps) : 0.0;
  }
};

// Proportional-fair scheduler of one link, one TTI at a time (Kwan et al. 2009): resources go
// to users in decreasing order of r_j / T_j, T_j being the EWMA of the user's served rate with
// window W TTIs: T_j <- (1 - 1/W) T_j + (1/W) served_j. The resource of a TTI is divisible: a
// user takes what its backlog needs and the next user gets the rest (the limit of many resource
// blocks per TTI with flat channels). User 0 is the target UE, which is full-buffer: what it is
// served is the capacity the target would get at that TTI.
class PfScheduler {
 public:
  // `window_ttis` = W (>= 1).
  explicit PfScheduler(double window_ttis = 99.0) : window_(window_ttis) {}

  // Sets the number of users (target included) and resets their state (T_j = 0, no backlog).
  void reset(std::size_t users);
  std::size_t users() const { return avg_bps_.size(); }
  // User j leaves and a new one takes its place: T_j = 0, no backlog.
  void reset_user(std::size_t j) { avg_bps_[j] = backlog_[j] = 0.0; }
  // User j (>= 1) stands for a group of `members` (>= 1) users of equal state: its rate is a
  // member's, its arrivals and backlog the group's, and it ranks by a member's priority
  // r_j / (T_j / members), so that it is served as its members would be, one after another.
  void set_members(std::size_t j, double members) { inv_members_[j] = 1.0 / members; }
  // Only users 0 .. active-1 are present from now on (<= users(); 0 = all): the others are
  // neither served nor aged until they are present again.
  void set_active(std::size_t active) {
    active_ = active == 0 ? avg_bps_.size() : std::min(active, avg_bps_.size());
  }

  // One TTI of `tti_s` seconds. rate_bps[j]: user j's rate if it had the whole resource (> 0 or
  // 0 = cannot be served now); arrivals_bits[j]: bits arriving into j's buffer this TTI (index 0
  // ignored: the target is full-buffer); backlog is capped at `max_backlog_bits[j]` (excess
  // dropped). Returns the bits served to the target (user 0). `served` (if not null) receives
  // every user's served bits.
  double step(double tti_s, const double* rate_bps, const double* arrivals_bits,
              const double* max_backlog_bits, double* served = nullptr);

  // Long-run average served rate T_j (bits/s).
  double average_bps(std::size_t user) const { return avg_bps_[user]; }
  double backlog_bits(std::size_t user) const { return backlog_[user]; }

 private:
  double window_;
  std::size_t active_ = 0;
  std::vector<double> avg_bps_;
  std::vector<double> inv_members_;  // 1 / group size (1 for a single user)
  std::vector<double> backlog_;
  // Per-TTI scratch, per user (see step()):
  std::vector<double>
      rank_key_;               // r_j / T_j if j ranks above the target (and can be served), else -1
  std::vector<double> above_;  // 1.0 if j ranks above the target, else 0.0
};

}  // namespace hivemind::sim
