// The link model against hand-computed values.
#include "hivemind/sim/radio.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "hivemind/sim/random.hpp"

namespace hivemind::sim {
namespace {

TEST(Radio, FriisAtHundredMetres) {
  // 20 log10(100) + 20 log10(28e9) - 147.55 = 40 + 208.943 - 147.55 = 101.393 dB
  EXPECT_NEAR(friis_path_loss_db(100.0, 28e9), 101.393, 1e-3);
  // 40 + 20 log10(3.5e9) = 40 + 190.881; - 147.55 = 83.331 dB
  EXPECT_NEAR(friis_path_loss_db(100.0, 3.5e9), 83.331, 1e-3);
  // Doubling the distance adds 20 log10(2) = 6.0206 dB.
  EXPECT_NEAR(friis_path_loss_db(200.0, 28e9) - friis_path_loss_db(100.0, 28e9), 6.0206, 1e-4);
}

TEST(Radio, ThermalNoise) {
  // -174 + 10 log10(400e6) = -174 + 86.021 = -87.979 dBm; + 7 dB noise figure
  EXPECT_NEAR(noise_dbm(400e6, 0.0), -87.979, 1e-3);
  // -174 + 10 log10(100e6) + 7 = -174 + 80 + 7 = -87 dBm
  EXPECT_NEAR(noise_dbm(100e6, 7.0), -87.0, 1e-3);
}

TEST(Radio, CqiThresholds) {
  EXPECT_EQ(cqi_from_snr_db(-6.71), 0);  // below CQI 1's -6.7 dB: out of range
  EXPECT_EQ(cqi_from_snr_db(-6.7), 1);
  EXPECT_EQ(cqi_from_snr_db(10.29), 8);  // CQI 9 needs 10.3 dB
  EXPECT_EQ(cqi_from_snr_db(10.3), 9);
  EXPECT_EQ(cqi_from_snr_db(22.69), 14);
  EXPECT_EQ(cqi_from_snr_db(22.7), 15);
  EXPECT_EQ(cqi_from_snr_db(60.0), 15);
  for (int c = 1; c <= 15; ++c) EXPECT_EQ(cqi_from_snr_db(cqi_threshold_db(c)), c);
  // TS 38.214 Table 5.2.2.1-2: CQI 15 = 64QAM rate 948/1024 -> 6 * 948 / 1024 = 5.5547
  EXPECT_NEAR(spectral_efficiency(15, 1), 6.0 * 948 / 1024, 1e-4);
  EXPECT_NEAR(spectral_efficiency(7, 1), 4.0 * 378 / 1024, 1e-4);
  EXPECT_NEAR(spectral_efficiency(15, 2), 8.0 * 948 / 1024, 1e-4);  // 256QAM
  EXPECT_EQ(spectral_efficiency(0, 1), 0.0);
}

TEST(Radio, BitrateAtHundredMetres) {
  RadioParams r;  // 28 GHz, 400 MHz, 40 dBm EIRP, NF 7 dB, OH 0.10, cap 200 Mbit/s
  // SNR = 40 - 101.393 - (-87.979 + 7) = 19.586 dB -> CQI 13 (18.7 <= SNR < 21.0)
  EXPECT_NEAR(snr_db(r, 100.0), 19.586, 1e-3);
  // rate = 4.5234 * 400e6 * 0.9 = 1628.4 Mbit/s, capped at 200
  EXPECT_DOUBLE_EQ(link_bitrate_bps(r, 100.0), 200e6);
  r.capacity_bps = 1e12;
  EXPECT_NEAR(link_bitrate_bps(r, 100.0), 4.5234 * 400e6 * 0.9, 1.0);
  // A 20 dB fade: SNR -0.414 dB -> CQI 3 (-2.3 <= SNR < 0.2): 0.3770 * 360e6
  EXPECT_NEAR(link_bitrate_bps(r, 100.0, -20.0), 0.3770 * 400e6 * 0.9, 1.0);
}

TEST(Radio, PowerModel) {
  // Narayanan et al. mmWave uplink: P = 5624 mW + 9.42 mW per Mbit/s.
  RadioPower up{5624, 9.42};
  EXPECT_NEAR(up.power_w(100e6), (5624 + 942) * 1e-3, 1e-12);
  // 8 Mbit at 100 Mbit/s takes 0.08 s: 0.08 * 6.566 W = 0.52528 J
  EXPECT_NEAR(up.energy_j(8e6, 100e6), 0.52528, 1e-9);
}

TEST(ProportionalFair, TwoFullBufferUsersShareTimeEqually) {
  // PF with static rates gives every backlogged user the same share of time (Kwan et al.):
  // target (rate 100 Mbit/s) and user 1 (50 Mbit/s, always backlogged) each get half of the
  // TTIs, so 50 and 25 Mbit/s on average.
  PfScheduler pf(99);
  pf.reset(2);
  const double tti = 1e-3;
  const double rate[2] = {100e6, 50e6};
  const double arrivals[2] = {0, 1e9};
  const double cap[2] = {0, 1e12};
  double served[2];
  double target = 0, other = 0;
  const int warmup = 2000, n = 20000;
  for (int k = 0; k < warmup + n; ++k) {
    const double t = pf.step(tti, rate, arrivals, cap, served);
    if (k >= warmup) target += t, other += served[1];
  }
  EXPECT_NEAR(target / (n * tti), 50e6, 0.5e6);
  EXPECT_NEAR(other / (n * tti), 25e6, 0.25e6);
}

TEST(ProportionalFair, DemandBelowCapacityLeavesTheRestToTheTarget) {
  // Both at 100 Mbit/s; user 1 brings 30 Mbit/s: it is served in full, the target gets 70.
  PfScheduler pf(99);
  pf.reset(2);
  const double tti = 1e-3;
  const double rate[2] = {100e6, 100e6};
  const double arrivals[2] = {0, 30e6 * tti};
  const double cap[2] = {0, 30e6 * 0.1};
  double served[2];
  double target = 0, other = 0;
  for (int k = 0; k < 22000; ++k) {
    const double t = pf.step(tti, rate, arrivals, cap, served);
    if (k >= 2000) target += t, other += served[1];
  }
  EXPECT_NEAR(target / (20000 * tti), 70e6, 0.1e6);
  EXPECT_NEAR(other / (20000 * tti), 30e6, 0.1e6);
}

// The textbook PF TTI the scheduler implements faster: sort every user by r_j / T_j (T floored at
// 1e-3, ties to the lower index), serve in that order until the resource or the target's turn
// comes; the target takes what is left.
struct ReferencePf {
  double window;
  std::vector<double> avg, backlog;
  double step(double tti, const std::vector<double>& rate, const std::vector<double>& arrivals,
              const std::vector<double>& cap, std::vector<double>& served) {
    const std::size_t n = avg.size();
    for (std::size_t j = 1; j < n; ++j) backlog[j] = std::min(backlog[j] + arrivals[j], cap[j]);
    std::vector<double> prio(n);
    for (std::size_t j = 0; j < n; ++j) prio[j] = rate[j] / std::max(avg[j], 1e-3);
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return prio[a] > prio[b]; });
    served.assign(n, 0.0);
    double left = 1.0;
    bool target_reached = false;
    for (const std::size_t j : order) {
      if (j == 0) {
        target_reached = true;
        break;
      }
      if (left <= 0.0) break;
      if (rate[j] <= 0.0 || backlog[j] <= 0.0) continue;
      const double full = rate[j] * tti;
      const double need = backlog[j] / full;
      const double take = std::min(need, left);
      served[j] = take >= need ? backlog[j] : full * take;
      left -= take;
      backlog[j] = std::max(0.0, backlog[j] - served[j]);
    }
    if (target_reached && left > 0.0 && rate[0] > 0.0) {
      // The users above the target were all served in full: it gets the rest. (The scheduler
      // computes the rest as 1 - the sum of their needs in index order; that is the same number
      // only up to rounding, so the check below compares it with a tolerance.)
      served[0] = rate[0] * tti * left;
    }
    const double keep = 1.0 - 1.0 / window, gain = 1.0 / (window * tti);
    for (std::size_t j = 0; j < n; ++j) avg[j] = keep * avg[j] + gain * served[j];
    return served[0];
  }
};

TEST(ProportionalFair, MatchesTheSortedReferenceWhenOverloaded) {
  // Random links, overloaded and not, with equal rates (ties), unservable users (rate 0) and idle
  // ones: in every overloaded TTI the scheduler serves exactly what the sorted reference serves,
  // bit for bit; in the others the background users match exactly and the target to rounding.
  Rng rng(42);
  const double tti = 1e-3;
  int overloaded = 0, shared = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t n = 1 + static_cast<std::size_t>(rng.uniform() * 30);
    std::vector<double> rate(n), arrivals(n, 0.0), cap(n, 0.0);
    const bool wired = trial % 2 == 0;  // equal rates: many ties in r_j / T_j
    for (std::size_t j = 0; j < n; ++j) {
      rate[j] = wired ? 200e6 : (rng.uniform() < 0.1 ? 0.0 : 20e6 + 180e6 * rng.uniform());
      if (j > 0) {
        const double demand =
            (rng.uniform() < 0.2 ? 0.0 : 1.0) * 60e6 * rng.uniform() * (1 + trial % 3);
        arrivals[j] = demand * tti;
        cap[j] = demand * 0.1;
      }
    }
    PfScheduler pf(99);
    pf.reset(n);
    ReferencePf ref{99, std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
    std::vector<double> served(n), expected;
    for (int k = 0; k < 3000; ++k) {
      const double got = pf.step(tti, rate.data(), arrivals.data(), cap.data(), served.data());
      const double want = ref.step(tti, rate, arrivals, cap, expected);
      for (std::size_t j = 1; j < n; ++j)
        ASSERT_EQ(served[j], expected[j]) << "trial " << trial << " tti " << k;
      ASSERT_EQ(served[0], got);
      if (got == 0.0) {
        ++overloaded;
        ASSERT_EQ(want, 0.0) << "trial " << trial << " tti " << k;
      } else {
        ++shared;
        ASSERT_NEAR(got, want, 1e-9 * rate[0] * tti) << "trial " << trial << " tti " << k;
      }
      // Keep both on the same state (the target's rounding difference must not accumulate).
      ref.avg[0] = pf.average_bps(0);
      for (std::size_t j = 1; j < n; ++j) {
        ASSERT_EQ(pf.average_bps(j), ref.avg[j]);
        ASSERT_EQ(pf.backlog_bits(j), ref.backlog[j]);
      }
    }
  }
  // Both regimes were exercised.
  EXPECT_GT(overloaded, 10000);
  EXPECT_GT(shared, 10000);
}

}  // namespace
}  // namespace hivemind::sim
