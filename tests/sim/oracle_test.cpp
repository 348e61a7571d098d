// An independent oracle for the simulator's inference path: on chain5 with constant capacities
// (no background traffic, no blockage), the latency and energy of the UE-only, cloud-only and
// HiveMind plans computed by hand from the model's per-layer numbers and the scenario's link
// numbers, following the paper's equations directly (Eq. 1-4, 7, 10; the radio power map of
// Sec. VII-A4), not through the engine's or the split library's cost functions; and the
// simulator's realised numbers compared with them.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "hivemind/sim/engine.hpp"
#include "sim_test_support.hpp"

namespace hivemind::sim {
namespace {

using testing::kData;

constexpr double kInf = std::numeric_limits<double>::infinity();

// chain5 (UE, 3 IAB MECs, a core MEC, the cloud; Sec. IV-F, Fig. 6) without background traffic
// or blockage: the target UE has each link's whole capacity, 4000 / 2000 / 800 / 400 / 100
// Mbit/s, for the whole run. Deliver "none": the result stays where layer L ran.
testing::Fixture constant_chain5(const std::string& model) {
  nlohmann::json doc = testing::shipped("chain5");
  for (auto& l : doc["links"]) {
    l.erase("background");
    l.erase("blockage");
  }
  testing::Fixture f;
  f.scenario = parse_scenario(doc.dump(), "chain5-constant");
  f.model = load_model_costs(f.scenario, kData, model);
  return f;
}

// The hand computation: per node its per-layer forward times (s) and active power (W, 0 when
// its energy is not counted), per link its capacity (bits/s), overhead psi (s) and uplink radio
// power map (base mW, mW per Mbit/s; 0, 0 for a wired link).
struct Hand {
  int L = 0;
  std::vector<std::vector<double>> tau;  // tau[p][l-1]
  std::vector<double> power_w;
  std::vector<double> c_bps, psi_s, radio_base_mw, radio_per_mbps_mw;
  std::vector<double> s;  // s[x] bytes crossing cut x (s[0] the input)

  explicit Hand(const testing::Fixture& f) {
    L = f.model.layers;
    for (const ScenarioNode& n : f.scenario.nodes) {
      const DeviceCosts& d = f.model.devices.at(n.device);
      tau.push_back(d.forward_s);
      power_w.push_back(d.energy_counted ? d.active_power_w : 0.0);
    }
    for (const ScenarioLink& l : f.scenario.links) {
      c_bps.push_back(l.capacity_bps);
      psi_s.push_back(l.overhead_s);
      const bool radio = !l.radio_power.empty();
      radio_base_mw.push_back(radio ? f.scenario.radio_power_up.at(l.radio_power).base_mw : 0.0);
      radio_per_mbps_mw.push_back(radio ? f.scenario.radio_power_up.at(l.radio_power).per_mbps_mw
                                        : 0.0);
    }
    s.push_back(f.model.input_bytes);
    for (double b : f.model.cut_bytes) s.push_back(b);
  }

  // Eq. 1 for boundaries b (node p runs layers b[p-1]+1 .. b[p], Eq. 2-4): the compute sum
  // (Eq. 7's first term) plus, for every link that carries something (a cut x < L; with deliver
  // "none" nothing leaves after layer L), Eq. 10: epsilon = s_x / c + psi.
  double latency(const std::vector<int>& b) const {
    double t = 0.0;
    for (std::size_t p = 0; p < tau.size(); ++p) {
      const int first = p == 0 ? 1 : b[p - 1] + 1;
      for (int l = first; l <= b[p]; ++l) t += tau[p][l - 1];
      if (p + 1 < tau.size() && b[p] < L) t += s[b[p]] * 8.0 / c_bps[p] + psi_s[p];
    }
    return t;
  }

  // Counted energy of plan b: each counted node's compute time times its active power, and
  // each radio link's transfer time (s / c) times the radio's power at rate c (the linear map
  // of Sec. VII-A4: base + per-Mbit/s slope).
  double energy(const std::vector<int>& b) const {
    double e = 0.0;
    for (std::size_t p = 0; p < tau.size(); ++p) {
      const int first = p == 0 ? 1 : b[p - 1] + 1;
      for (int l = first; l <= b[p]; ++l) e += tau[p][l - 1] * power_w[p];
      if (p + 1 < tau.size() && b[p] < L) {
        const double power = (radio_base_mw[p] + radio_per_mbps_mw[p] * c_bps[p] / 1e6) / 1e3;
        e += s[b[p]] * 8.0 / c_bps[p] * power;
      }
    }
    return e;
  }

  // The SCI update (Sec. IV-C3, Fig. 5 step 1): the sink computes, then each node sends its
  // message (32-byte header + (L+2) float32 values, docs/formats.md) down to the node before
  // it, which computes in turn: per hop psi + bits / c + the processing time.
  double sci_update(double processing_s) const {
    const double bits = (32.0 + 4.0 * (L + 2)) * 8.0;
    double t = processing_s;
    for (std::size_t p = 0; p < c_bps.size(); ++p) t += psi_s[p] + bits / c_bps[p] + processing_s;
    return t;
  }

  // The best plan by trying every b_0 <= ... <= b_{P-2} in 0..L (b_{P-1} = L), with Eq. 1's
  // terms from prefix sums of tau.
  double brute_force_latency() const {
    const int P = static_cast<int>(tau.size());
    std::vector<std::vector<double>> prefix(P, std::vector<double>(L + 1, 0.0));
    for (int p = 0; p < P; ++p)
      for (int l = 1; l <= L; ++l) prefix[p][l] = prefix[p][l - 1] + tau[p][l - 1];
    std::vector<int> b(P, 0);
    b[P - 1] = L;
    double best = kInf;
    for (;;) {
      double t = 0.0;
      for (int p = 0; p < P; ++p) {
        t += prefix[p][b[p]] - prefix[p][p == 0 ? 0 : b[p - 1]];
        if (p + 1 < P && b[p] < L) t += s[b[p]] * 8.0 / c_bps[p] + psi_s[p];
      }
      best = std::min(best, t);
      int k = P - 2;
      while (k >= 0 && b[k] == L) --k;
      if (k < 0) break;
      ++b[k];
      for (int j = k + 1; j < P - 1; ++j) b[j] = b[k];
    }
    return best;
  }
};

RunConfig oracle_config() {
  RunConfig c;
  c.duration_s = 1.0;
  c.period_s = 0.1;
  c.keep_plans = true;
  c.methods = {{"UE only", split::Method::kUeOnly},
               {"Cloud only", split::Method::kCloudOnly},
               {"HiveMind", split::Method::kSci}};
  return c;
}

// UE only and cloud only by hand (Eq. 1, 10): the UE runs every layer and nothing moves
// (deliver "none"); or the input crosses all 5 links, then the cloud runs every layer. The
// SCI update before either by hand too.
// Shown to fail: Network::send without the link's overhead (start_s = t): cloud only's latency
// came out 5 ms (5 links x psi 1 ms) below the hand value (72.08 vs 77.08 ms at 224 px), its
// planned cost still at it; engine.cpp's execute() running layers first..b[p]-1 (l < b[p]):
// UE only's latency and energy and cloud only's latency missed a layer on every task.
TEST(Oracle, UeOnlyAndCloudOnlyByHand) {
  for (const char* model : {"resnet18_88", "resnet18_224"}) {
    const testing::Fixture f = constant_chain5(model);
    const Hand h(f);
    ASSERT_EQ(h.tau.size(), 6u);
    // UE only: sum_l tau_l^UE (Eq. 1 with w(1) = L); energy: that time at the UE's power.
    double ue_s = 0.0;
    for (int l = 1; l <= h.L; ++l) ue_s += h.tau[0][l - 1];
    const double ue_j = ue_s * h.power_w[0];
    // Cloud only: sum over the 5 links of s_0 / c + psi (Eq. 10), then sum_l tau_l^cloud;
    // energy: the 3 mmWave hops' radio energy (the cloud's compute is not counted).
    double cloud_s = 0.0, cloud_j = 0.0;
    for (std::size_t p = 0; p < 5; ++p) {
      const double send_s = h.s[0] * 8.0 / h.c_bps[p];
      cloud_s += send_s + h.psi_s[p];
      cloud_j += send_s * (h.radio_base_mw[p] + h.radio_per_mbps_mw[p] * h.c_bps[p] / 1e6) / 1e3;
    }
    for (int l = 1; l <= h.L; ++l) cloud_s += h.tau[5][l - 1];
    // The same numbers through the generic helpers (b = L everywhere; b = 0 but the cloud).
    EXPECT_NEAR(h.latency({h.L, h.L, h.L, h.L, h.L, h.L}), ue_s, 1e-12 * ue_s);
    EXPECT_NEAR(h.latency({0, 0, 0, 0, 0, h.L}), cloud_s, 1e-12 * cloud_s);
    EXPECT_NEAR(h.energy({0, 0, 0, 0, 0, h.L}), cloud_j, 1e-12 * cloud_j);
    const double sci_s = h.sci_update(f.scenario.sci_processing_s);

    const RunConfig c = oracle_config();
    const RunResult r = run_simulation(f.scenario, f.model, c);
    ASSERT_EQ(r.records.size(), 30u) << model;
    for (const TaskRecord& rec : r.records) {
      const std::string where = std::string(model) + " " + c.methods[rec.method].label + " task " +
                                std::to_string(rec.task);
      EXPECT_NEAR(rec.start_s - rec.arrival_s, sci_s, 1e-9 * sci_s) << where;
      if (rec.method == 0) {
        EXPECT_TRUE(rec.exact) << where;  // no transfer at all
        EXPECT_EQ(rec.boundaries, std::vector<int>(6, h.L)) << where;
        EXPECT_NEAR(rec.latency_s, ue_s, 1e-9 * ue_s) << where;
        EXPECT_NEAR(rec.planned, ue_s, 1e-9 * ue_s) << where;
        EXPECT_NEAR(rec.energy_j, ue_j, 1e-9 * ue_j) << where;
      } else if (rec.method == 1) {
        EXPECT_EQ(rec.boundaries, (std::vector<int>{0, 0, 0, 0, 0, h.L})) << where;
        EXPECT_NEAR(rec.latency_s, cloud_s, 1e-9 * cloud_s) << where;
        EXPECT_NEAR(rec.planned, cloud_s, 1e-9 * cloud_s) << where;
        EXPECT_NEAR(rec.energy_j, cloud_j, 1e-9 * cloud_j) << where;
      }
    }
  }
}

// HiveMind (SCI) on the constant chain: its realised latency is the optimum of Eq. 1-4 found
// by trying every plan by hand, and its plan's latency and energy by hand are what it paid.
// Shown to fail: Network::send without the overhead: HiveMind's realised latency 4.11 ms
// against the brute force's 5.11 ms (its plan crosses one link, psi 1 ms); engine.cpp's
// execute() running layers first..b[p]-1: realised below the optimum on every task.
TEST(Oracle, HiveMindRealisesTheBruteForceOptimum) {
  const testing::Fixture f = constant_chain5("resnet18_88");
  const Hand h(f);
  const double best = h.brute_force_latency();
  const RunConfig c = oracle_config();
  const RunResult r = run_simulation(f.scenario, f.model, c);
  ASSERT_EQ(r.records.size(), 30u);
  for (const TaskRecord& rec : r.records) {
    if (rec.method != 2) continue;
    const std::string where = "task " + std::to_string(rec.task);
    EXPECT_NEAR(rec.latency_s, best, 1e-9 * best) << where;
    EXPECT_NEAR(rec.planned, best, 1e-9 * best) << where;
    EXPECT_NEAR(rec.latency_s, h.latency(rec.boundaries), 1e-9 * best) << where;
    const double e = h.energy(rec.boundaries);
    EXPECT_NEAR(rec.energy_j, e, 1e-9 * e) << where;
  }
  // The optimum is neither baseline here: the test exercises a plan that splits the model.
  const std::vector<int> ue(6, h.L), cloud{0, 0, 0, 0, 0, h.L};
  EXPECT_LT(best, h.latency(ue) * (1 - 1e-6));
  EXPECT_LT(best, h.latency(cloud) * (1 - 1e-6));
}

}  // namespace
}  // namespace hivemind::sim
