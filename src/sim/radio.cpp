#include "hivemind/sim/radio.hpp"

#include <algorithm>
#include <cmath>

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

double cqi_threshold_db(int cqi) {
  return cqi >= 1 && cqi <= 15 ? kCqiThresholdDb[cqi - 1] : -INFINITY;
}

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
  active_ = users;
  avg_bps_.assign(users, 0.0);
  inv_members_.assign(users, 1.0);
  backlog_.assign(users, 0.0);
  rank_key_.assign(users, -1.0);
  above_.assign(users, 0.0);
}

namespace {
// On x86-64 Linux with GCC or Clang, the hot vector pass is also compiled for AVX2 and the
// version the CPU supports is picked at load time: 4 doubles per instruction instead of SSE2's 2.
// The operations (add, min, max, multiply, divide, compare) are the same IEEE ones lane by lane
// and FMA is not enabled, so both versions give the same bits.
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#define HIVEMIND_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define HIVEMIND_SIMD_CLONES
#endif

// Pass 1 of PfScheduler::step over users 1..n-1: backlog update, whether the user ranks above
// the target by cross-multiplication (r_j T_0 > r_0 T_j, with a backlog and a rate) and its
// ranking key (r_j / T_j if it has a backlog, a rate and r_j / T_j > r_0 / T_0, else -1). For a
// group of m users T_j is its members' average, avg_j / m (inv_members = 1 / m; 1 for a user).
// Branch-free and on restrict pointers (the arrays are distinct) so that the compiler
// vectorises it.
HIVEMIND_SIMD_CLONES
void rank_pass(std::size_t n, double r0, double t0, double prio0, const double* __restrict rate_bps,
               const double* __restrict arrivals_bits, const double* __restrict max_backlog_bits,
               double* __restrict backlog, const double* __restrict avg,
               const double* __restrict inv_members, double* __restrict key,
               double* __restrict above) {
  for (std::size_t j = 1; j < n; ++j) {
    const double b = std::min(backlog[j] + arrivals_bits[j], max_backlog_bits[j]);
    backlog[j] = b;
    const double rj = rate_bps[j];
    const double tj = std::max(avg[j] * inv_members[j], 1e-3);
    const bool servable = (b > 0.0) & (rj > 0.0);
    const double pj = rj / tj;
    key[j] = ((pj > prio0) & servable) ? pj : -1.0;
    above[j] = ((rj * t0 > r0 * tj) & servable) ? 1.0 : 0.0;
  }
}

// The ranking keys of users 1..n-1 in four interleaved chains (user i in chain (i - 1) % 4)
// with each chain's maximum (max is exact, so the grouping does not matter): the first maximum
// costs one pass with short dependency chains, finding who holds it scans only the chains that
// reach it, and after that user is served only its own chain is scanned again.
class KeyChains {
 public:
  KeyChains(double* key, std::size_t n) : key_(key), n_(n) {
    std::size_t i = 1;
    for (; i + 4 <= n; i += 4)
      for (std::size_t k = 0; k < 4; ++k) max_[k] = std::max(max_[k], key[i + k]);
    for (; i < n; ++i) max_[(i - 1) % 4] = std::max(max_[(i - 1) % 4], key[i]);
  }
  // The first user with the largest key > 0, or 0 if there is none.
  std::size_t first_max() const {
    const double best = std::max(std::max(max_[0], max_[1]), std::max(max_[2], max_[3]));
    if (!(best > 0.0)) return 0;
    std::size_t j = n_;
    for (std::size_t k = 0; k < 4; ++k) {
      if (max_[k] != best) continue;
      std::size_t i = 1 + k;
      while (key_[i] != best) i += 4;
      j = std::min(j, i);
    }
    return j;
  }
  // User j leaves the ranking (key -1).
  void drop(std::size_t j) {
    key_[j] = -1.0;
    const std::size_t k = (j - 1) % 4;
    double m = 0.0;
    for (std::size_t i = 1 + k; i < n_; i += 4) m = std::max(m, key_[i]);
    max_[k] = m;
  }

 private:
  double* key_;
  std::size_t n_;
  double max_[4] = {0.0, 0.0, 0.0, 0.0};  // 0: below every key that counts
};
}  // namespace

double PfScheduler::step(double tti_s, const double* rate_bps, const double* arrivals_bits,
                         const double* max_backlog_bits, double* served) {
  const std::size_t n = active_;
  const double keep = 1.0 - 1.0 / window_;
  const double gain = 1.0 / (window_ * tti_s);  // (1/W) * bits / tti = served rate share
  // Kwan et al.: user j is served before user k when r_j / T_j > r_k / T_k (T floored at 1e-3
  // bit/s; ties go to the lower index, i.e. to the target). The full-buffer target takes
  // everything left when its turn comes, so users ranked below it get nothing, and if the users
  // ranked above it need less than the whole TTI they are all served in full whatever their
  // order (the common case at low and mid load).
  const double r0 = rate_bps[0];
  const double t0 = std::max(avg_bps_[0], 1e-3);
  double* backlog = backlog_.data();
  double* avg = avg_bps_.data();
  double* key = rank_key_.data();
  const double* above = above_.data();
  rank_pass(n, r0, t0, r0 / t0, rate_bps, arrivals_bits, max_backlog_bits, backlog, avg,
            inv_members_.data(), key, above_.data());
  // Share of the TTI the users above the target need (b_j / (r_j tti) each), summed in index
  // order. The partial sums never decrease, so once one exceeds 1 the TTI is overloaded and the
  // rest is not needed (at high load that happens after two or three users).
  double total_above = 0.0;
  bool overloaded = false;
  for (std::size_t j = 1; j < n; ++j) {
    if (above[j] == 0.0) continue;
    total_above += backlog[j] / (rate_bps[j] * tti_s);
    if (total_above > 1.0) {
      overloaded = true;
      break;
    }
  }
  if (!overloaded) {
    // Everyone above the target is served in full; the target takes the rest.
    if (served) {
      for (std::size_t j = 1; j < n; ++j) served[j] = above[j] * backlog[j];
    }
    for (std::size_t j = 1; j < n; ++j) {
      const double bits = above[j] * backlog[j];
      backlog[j] -= bits;
      avg[j] = keep * avg[j] + gain * bits;
    }
    const double target_bits = r0 > 0.0 ? r0 * tti_s * (1.0 - total_above) : 0.0;
    if (served) served[0] = target_bits;
    avg[0] = keep * avg[0] + gain * target_bits;
    return target_bits;
  }
  // Overloaded (most TTIs at high load): the users ranked above the target need more than the
  // TTI, so the target gets nothing and they are served in decreasing r_j / T_j until the
  // resource runs out. Usually one to three of them are reached, so instead of sorting every
  // user we pick the next one as the largest key (the first of equal priorities wins, as in a
  // sort with ties to the lower index); a served user's key drops to -1.
  // Unserved users get T_j <- (1 - 1/W) T_j (+ 0 bits); the served ones add their share below.
  for (std::size_t j = 0; j < n; ++j) avg[j] = keep * avg[j];
  if (served) std::fill(served, served + n, 0.0);
  double left = 1.0;  // fraction of the TTI's resource still free
  KeyChains ranking(key, n);
  while (left > 0.0) {
    const std::size_t j = ranking.first_max();
    if (j == 0) break;
    ranking.drop(j);
    const double full = rate_bps[j] * tti_s;  // bits if j had the whole TTI
    const double need = backlog[j] / full;
    const double take = std::min(need, left);
    const double bits = take >= need ? backlog[j] : full * take;
    left -= take;
    backlog[j] = std::max(0.0, backlog[j] - bits);
    avg[j] += gain * bits;
    if (served) served[j] = bits;
  }
  return 0.0;
}

}  // namespace hivemind::sim
