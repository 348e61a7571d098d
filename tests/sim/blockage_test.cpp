// mmWave blockage (blockage.hpp): the two-state process against its hand-computed long-run
// behaviour, the attenuation it applies to a link's rate and its independence from the other
// random streams (the scenario fields' validation is in scenario_test.cpp).
#include "hivemind/sim/blockage.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "hivemind/io.hpp"
#include "hivemind/sim/network.hpp"
#include "hivemind/sim/radio.hpp"
#include "hivemind/sim/scenario.hpp"
#include "sim_test_support.hpp"

namespace hivemind::sim {
namespace {

using testing::kData;
using testing::shipped;

BlockageParams params(double rate_per_s, double mean_duration_s, double attenuation_db = 20.0) {
  BlockageParams p;
  p.rate_per_s = rate_per_s;
  p.mean_duration_s = mean_duration_s;
  p.attenuation_db = attenuation_db;
  return p;
}

TEST(Blockage, StationaryFractionIsRateTimesDurationOverOnePlusIt) {
  // 0.2 events/s, 280 ms each: blocked 0.056 s per 5 s of clear link -> 0.056 / 1.056.
  EXPECT_NEAR(stationary_blocked_fraction(params(0.2, 0.28)), 0.056 / 1.056, 1e-15);
  // 1 event/s of 1 s: half the time.
  EXPECT_DOUBLE_EQ(stationary_blocked_fraction(params(1.0, 1.0)), 0.5);
  EXPECT_EQ(stationary_blocked_fraction(params(0.0, 0.28)), 0.0);  // rate 0: never blocked
}

TEST(Blockage, LongRunFractionAndMeanDurationMatchTheParameters) {
  // 20 000 s at 0.2 /s, 280 ms: ~3 800 cycles of mean 5.28 s, so the blocked fraction's relative
  // standard error is about sqrt(2 / 3800) = 2.3%; 10% is > 4 standard errors.
  const BlockageParams p = params(0.2, 0.28);
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    BlockageProcess b(p, seed);
    const double horizon = 20000.0;
    const double blocked = b.blocked_time(0.0, horizon);
    EXPECT_NEAR(blocked / horizon, stationary_blocked_fraction(p),
                0.1 * stationary_blocked_fraction(p));
    // Onsets per second of clear link = the rate; blocked time per onset = the mean duration.
    const int onsets = b.onsets_before(horizon);
    EXPECT_NEAR(onsets / (horizon - blocked), p.rate_per_s, 0.1 * p.rate_per_s);
    EXPECT_NEAR(blocked / onsets, p.mean_duration_s, 0.1 * p.mean_duration_s);
  }
}

TEST(Blockage, StateDependsOnlyOnSeedNotOnQueryOrder) {
  const BlockageParams p = params(2.0, 0.3);
  BlockageProcess forward(p, 7), backward(p, 7), cursor(p, 7);
  std::vector<bool> f, b(4000);
  for (int i = 0; i < 4000; ++i) f.push_back(forward.blocked_at(i * 0.001 * 5));
  for (int i = 3999; i >= 0; --i) b[i] = backward.blocked_at(i * 0.001 * 5);
  int blocked = 0;
  for (int i = 0; i < 4000; ++i) {
    EXPECT_EQ(f[i], b[i]) << i;
    EXPECT_EQ(f[i], cursor.state_at_sequential(i * 0.001 * 5)) << i;
    blocked += f[i];
  }
  EXPECT_GT(blocked, 0);
  EXPECT_LT(blocked, 4000);
  // blocked_during agrees with the sampled states (a window holding a blocked sample).
  for (int i = 0; i + 1 < 4000; ++i) {
    if (f[i] || f[i + 1]) {
      EXPECT_TRUE(forward.blocked_during(i * 0.005, (i + 1) * 0.005)) << i;
    }
  }
  BlockageProcess off;
  EXPECT_FALSE(off.blocked_during(0.0, 1e6));
}

TEST(Blockage, AttenuationLowersTheRateThroughTheCqiTable) {
  // Clear 25 dB -> CQI 15 (>= 22.7 dB), SE 5.5547; 20 dB lower: 5 dB -> CQI 6 (>= 4.3, < 5.9),
  // SE 1.1758 (TS 38.214 Table 5.2.2.1-2).
  EXPECT_NEAR(blocked_rate_factor(25.0, 20.0), 1.1758 / 5.5547, 1e-4);
  EXPECT_EQ(blocked_rate_factor(25.0, 40.0), 0.0);  // -15 dB: below CQI 1, outage
  EXPECT_EQ(blocked_rate_factor(25.0, 0.0), 1.0);
}

// chain5 with its UE hop L1 always blocked (arrivals every microsecond, blockages of ~30 years:
// outside the file format's ranges, so set on the parsed scenario): with no background UE to
// share with, the target's capacity is exactly the blocked rate.
TEST(Blockage, ScenarioLinkCarriesTheBlockedRate) {
  auto doc = shipped("chain5");
  auto& l1 = doc["links"][0];
  ASSERT_EQ(l1["name"], "L1");
  l1.erase("background");
  l1["blockage"] = {
      {"rate_per_s", 100}, {"mean_duration_ms", 1e5}, {"attenuation_db", 20}, {"clear_snr_db", 25}};
  Scenario s = parse_scenario(doc.dump());
  s.links[0].blockage.rate_per_s = 1e6;
  s.links[0].blockage.mean_duration_s = 1e9;
  Network net(s, NetworkOptions{});
  for (double t : {0.0, 0.07, 3.3})
    EXPECT_NEAR(net.capacity_bps(0, t), 4000e6 * (1.1758 / 5.5547), 1e-6 * 4000e6) << t;
  EXPECT_TRUE(net.blocked_during(0, 1.0, 1.0));
  EXPECT_GT(net.link_stats(0, 1.0).blocked_fraction, 0.999);
  // L2 has no blockage field: never blocked.
  EXPECT_FALSE(net.blocked_during(1, 0.0, 10.0));
  EXPECT_EQ(net.link_stats(1, 1.0).blocked_fraction, 0.0);
}

// mmwave-iab's access link, always blocked, no fading, no background: the rate of the radio
// model with the SNR attenuation_db lower, at the UE's distance in mid-block.
TEST(Blockage, AccessLinkSnrDropsByTheAttenuation) {
  auto doc = shipped("mmwave-iab");
  doc["access"].erase("background");
  doc["access"]["fading_sigma_db"] = 0;
  doc["access"]["blockage"] = {
      {"rate_per_s", 100}, {"mean_duration_ms", 1e5}, {"attenuation_db", 20}};
  Scenario s = parse_scenario(doc.dump());
  s.access.blockage.rate_per_s = 1e6;  // always blocked (outside the file format's ranges)
  s.access.blockage.mean_duration_s = 1e9;
  Network net(s, NetworkOptions{});
  const int access = static_cast<int>(s.links.size());  // the first gNB's access link
  const auto& g = s.nodes[net.link_info(access).to];
  for (long block : {0L, 7L, 40L}) {
    const double mid = (static_cast<double>(block) + 0.5) * net.block_s();
    const auto [x, y] = net.ue_position(mid);
    const double expected =
        link_bitrate_bps(s.access.radio, std::hypot(g.x_m - x, g.y_m - y), -20.0);
    EXPECT_NEAR(net.capacity_bps(access, mid), expected, 1e-9 * s.access.radio.capacity_bps)
        << block;
  }
}

// Blockage draws from its own stream: adding it to the access links leaves every other link's
// trace bit for bit as it was, and a scenario without it has blocked fraction 0.
TEST(Blockage, OtherLinksKeepTheirTraces) {
  auto without = shipped("mmwave-iab");
  without["access"].erase("blockage");
  const Scenario with_s = parse_scenario(shipped("mmwave-iab").dump());
  const Scenario without_s = parse_scenario(without.dump());
  Network a(with_s, NetworkOptions{Load::kHigh, 3});
  Network b(without_s, NetworkOptions{Load::kHigh, 3});
  for (int link = 0; link < static_cast<int>(with_s.links.size()); ++link)
    for (double t = 0.0; t < 5.0; t += 0.05)
      ASSERT_EQ(a.capacity_bps(link, t), b.capacity_bps(link, t)) << link;
  const int access = static_cast<int>(with_s.links.size());
  EXPECT_EQ(b.link_stats(access, 30.0).blocked_fraction, 0.0);
  EXPECT_GT(a.link_stats(access, 30.0).blockage_onsets, 0);
}

}  // namespace
}  // namespace hivemind::sim
