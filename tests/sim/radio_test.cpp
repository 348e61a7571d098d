// The link model against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>

#include "hivemind/sim/radio.hpp"

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
  EXPECT_EQ(cqi_from_snr_db(-6.71), 0);   // below CQI 1's -6.7 dB: out of range
  EXPECT_EQ(cqi_from_snr_db(-6.7), 1);
  EXPECT_EQ(cqi_from_snr_db(10.29), 8);   // CQI 9 needs 10.3 dB
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

}  // namespace
}  // namespace hivemind::sim
