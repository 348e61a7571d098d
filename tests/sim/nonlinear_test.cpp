// Fig. 19 executed on the network (sim/nonlinear.hpp): on a network whose capacities never
// change, the realised cost of every plan equals the planned one; the exact planner meets the
// 120 ms limit whenever some plan does, at the energy of an independent brute force over every
// plan; the split RNN is never above the standard one where the standard plan is one the
// linear problem also holds; same seed, same bytes.
#include "hivemind/sim/nonlinear.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "hivemind/sim/network.hpp"
#include "hivemind/split/cost_model.hpp"
#include "hivemind/split/training.hpp"
#include "sim_test_support.hpp"

namespace hivemind::sim {
namespace {

// chain5 (UE + 5 MECs, Sec. IV-F) without background traffic or blockage: every link keeps
// one capacity for the whole run.
Scenario constant_chain5() {
  auto doc = testing::shipped("chain5");
  for (auto& l : doc["links"]) {
    l.erase("background");
    l.erase("blockage");
  }
  return parse_scenario(doc.dump(), "chain5-constant");
}

// A hand-made model on chain5's device classes: `layers` layers, per-layer forward and
// backward latencies of 1-3 ms and 2-4 ms on an IAB MEC (s), the UE 6x slower, the core MEC 3x
// and the cloud 4x (slow but free: their energy is not counted, so energy and latency
// conflict); the UE and the IAB MECs' energy counted (5 W, 20 W).
ModelCosts tiny_model(int layers, std::vector<double> out_bytes, double input_bytes) {
  ModelCosts m;
  m.model = "tiny";
  m.layers = layers;
  m.input_bytes = input_bytes;
  m.out_bytes = out_bytes;
  m.cut_bytes = out_bytes;
  for (int l = 0; l < layers; ++l) m.layer_param_bytes.push_back(1000.0 * (l + 1));
  for (double b : m.layer_param_bytes) m.param_bytes += b;
  auto dev = [&](double slow, double power, bool counted) {
    DeviceCosts d;
    for (int l = 0; l < layers; ++l) {
      d.forward_s.push_back(slow * 1e-3 * (1 + l % 3));
      d.backward_s.push_back(slow * 2e-3 * (1 + l % 2));
    }
    d.active_power_w = power;
    d.energy_counted = counted;
    return d;
  };
  m.devices["ue"] = dev(6.0, 5.0, true);
  m.devices["iab-mec"] = dev(1.0, 20.0, true);
  m.devices["core-mec"] = dev(3.0, 200.0, false);
  m.devices["cloud"] = dev(4.0, 300.0, false);
  DeviceCosts relay;
  relay.relay = true;
  m.devices["relay"] = relay;
  return m;
}

// An RNN of 1 prefix layer, then R steps of (x, h, y) with h the hidden state.
ModelCosts tiny_rnn(int steps) {
  std::vector<double> out{4000.0};  // the embedded sequence (prefix)
  for (int r = 0; r < steps; ++r)
    for (double b : {300.0, 1024.0, 80.0}) out.push_back(b);
  return tiny_model(1 + 3 * steps, out, 64.0);
}

NonlinearConfig config(NonlinearModel model, int steps, split::Method planner) {
  NonlinearConfig c;
  c.model = model;
  c.rnn.steps = steps;
  c.duration_s = 1.0;
  c.period_s = 0.25;
  c.planner = planner;
  return c;
}

TEST(Nonlinear, ConstantCapacityRealisedEqualsPlanned) {
  const Scenario s = constant_chain5();
  {  // the capacities really are constant
    Network net(s, NetworkOptions{});
    for (int l = 0; l < net.link_count(); ++l)
      for (double t : {0.0, 0.3, 0.77, 1.9})
        EXPECT_EQ(net.capacity_bps(l, t), net.capacity_bps(l, 0));
  }
  int returns = 0;  // standard RNN plans that send the hidden state back (module split)
  for (auto planner : {split::Method::kBarrier, split::Method::kExact})
    for (double phi : {0.005, 0.03, 0.12, 1.0})
      for (auto model : {NonlinearModel::kRnn, NonlinearModel::kCollaborative}) {
        const ModelCosts m = model == NonlinearModel::kRnn
                                 ? tiny_rnn(4)
                                 : tiny_model(5, {900, 700, 500, 300, 100}, 2000);
        NonlinearConfig c = config(model, 4, planner);
        c.threshold_s = phi;
        const NonlinearResult r = run_nonlinear(s, m, c);
        ASSERT_EQ(r.records.size(), 8u);
        for (const auto& x : r.records) {
          EXPECT_NEAR(x.latency_s, x.planned_latency_s, 1e-9) << to_string(x.method);
          EXPECT_NEAR(x.energy_j, x.planned_energy_j, 1e-9) << to_string(x.method);
          if (model == NonlinearModel::kRnn && x.method == NonlinearMethod::kStandard)
            returns +=
                split::node_of_layer(x.boundaries, 1) != split::node_of_layer(x.boundaries, 3);
        }
      }
  EXPECT_GT(returns, 0);
}

// Independent oracle: the latency (s) and energy (J) of plan b of the collaborative learner
// (training, Eq. 9, plus the push of Eq. 13) on chain5's constant links, written out from the
// paper's equations rather than from the cost tables.
struct Oracle {
  const Scenario& s;
  const ModelCosts& m;
  std::vector<double> cap;  // per link (bits/s)
  std::pair<double, double> collaborative(const std::vector<int>& b) const {
    const int P = static_cast<int>(b.size()), L = m.layers;
    double lat = 0, en = 0;
    auto dev = [&](int p) -> const DeviceCosts& { return m.devices.at(s.nodes[p].device); };
    auto send = [&](int k, double bytes, bool up) {
      const ScenarioLink& l = s.links[k];
      const double sec = bytes * 8.0 / cap[k];
      lat += l.overhead_s + sec;
      if (!l.radio_power.empty())
        en += sec * (up ? s.radio_power_up : s.radio_power_down).at(l.radio_power).power_w(cap[k]);
    };
    int fin = 0;
    while (b[fin] < L) ++fin;
    int lo = 1;
    for (int p = 0; p < P; ++p) {
      for (int l = lo; l <= b[p]; ++l) {
        const double sec = dev(p).forward_s[l - 1] + dev(p).backward_s[l - 1];
        lat += sec;
        if (dev(p).energy_counted) en += sec * dev(p).active_power_w;
      }
      lo = b[p] + 1;
    }
    for (int p = 0; p < fin; ++p) {
      send(p, m.bytes_at(b[p]), true);
      if (b[p] > 0) send(p, m.bytes_at(b[p]), false);  // its gradient (none for cut 0)
    }
    for (int k = fin; k + 1 < P; ++k) send(k, m.param_bytes, true);
    return {lat, en};
  }
};

void every_plan(int L, int P, const std::function<void(const std::vector<int>&)>& f) {
  std::vector<int> b(P, 0);
  b[P - 1] = L;
  std::function<void(int, int)> rec = [&](int p, int lo) {
    if (p == P - 1) return f(b);
    for (int x = lo; x <= L; ++x) {
      b[p] = x;
      rec(p + 1, x);
    }
  };
  rec(0, 0);
}

TEST(Nonlinear, ExactMeetsTheLimitWheneverAPlanDoesAtTheBruteForceEnergy) {
  const Scenario s = constant_chain5();
  const ModelCosts m = tiny_model(3, {900, 700, 300}, 2000);
  Network net(s, NetworkOptions{});
  Oracle o{s, m, {}};
  for (int k = 0; k < static_cast<int>(s.links.size()); ++k)
    o.cap.push_back(net.capacity_bps(k, 0));
  int feasible_cases = 0, infeasible_cases = 0, binding = 0;
  // Limits from 0.5 ms to 500 ms, a factor 1.26 apart.
  for (double phi_ms = 0.5; phi_ms <= 500; phi_ms *= 1.26) {
    NonlinearConfig c = config(NonlinearModel::kCollaborative, 1, split::Method::kExact);
    c.threshold_s = phi_ms * 1e-3;
    c.duration_s = 0.1;
    const NonlinearResult r = run_nonlinear(s, m, c);
    const NonlinearRecord& x = r.records[1];
    double best = std::numeric_limits<double>::infinity(), unconstrained = best;
    every_plan(3, 6, [&](const std::vector<int>& b) {
      const auto [lat, en] = o.collaborative(b);
      unconstrained = std::min(unconstrained, en);
      if (lat <= c.threshold_s) best = std::min(best, en);
    });
    if (std::isfinite(best)) {
      ++feasible_cases;
      binding += best > unconstrained + 1e-12;
      EXPECT_FALSE(x.fallback) << phi_ms;
      EXPECT_LE(x.planned_latency_s, c.threshold_s + 1e-12) << phi_ms;
      EXPECT_NEAR(x.planned_energy_j, best, 1e-12) << phi_ms;
      const auto [lat, en] = o.collaborative(x.boundaries);
      EXPECT_NEAR(lat, x.planned_latency_s, 1e-12);
      EXPECT_NEAR(en, x.planned_energy_j, 1e-12);
    } else {
      ++infeasible_cases;
      EXPECT_TRUE(x.fallback) << phi_ms;
    }
  }
  // The thresholds cover both sides, and the limit changes the optimum at least once.
  EXPECT_GT(feasible_cases, 0);
  EXPECT_GT(infeasible_cases, 0);
  EXPECT_GT(binding, 0);
}

// Where the standard plan runs the whole module on one node q (no hidden-state return), the
// linear problem holds "every step on q", which sends the R inputs once instead of R times:
// the exact split RNN can never use more energy. (Not a theorem for a module split across
// nodes: the linear plan cannot bring layer 1 back to the UE for the next step.)
TEST(Nonlinear, SplitRnnNeverAboveStandardWhenTheModuleIsOnOneNode) {
  const Scenario s = constant_chain5();
  int compared = 0;
  for (int steps : {1, 3, 6})
    for (double phi : {0.02, 0.05, 0.12, 0.5}) {
      NonlinearConfig c = config(NonlinearModel::kRnn, steps, split::Method::kExact);
      c.threshold_s = phi;
      const NonlinearResult r = run_nonlinear(s, tiny_rnn(steps), c);
      for (std::size_t i = 0; i + 1 < r.records.size(); i += 2) {
        const NonlinearRecord &st = r.records[i], &nl = r.records[i + 1];
        const int first = split::node_of_layer(st.boundaries, 1);
        const int last = split::node_of_layer(st.boundaries, 3);
        if (st.fallback || first != last || st.planned_latency_s > phi) continue;
        ++compared;
        EXPECT_FALSE(nl.fallback);
        EXPECT_LE(nl.energy_j, st.energy_j + 1e-12) << steps << " steps, " << phi << " s";
        EXPECT_LE(nl.planned_latency_s, phi + 1e-12);
      }
    }
  EXPECT_GT(compared, 0);
}

bool same_bytes(const NonlinearResult& a, const NonlinearResult& b) {
  if (a.records.size() != b.records.size()) return false;
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    const auto &x = a.records[i], &y = b.records[i];
    const double dx[] = {x.arrival_s, x.planned_latency_s, x.planned_energy_j, x.latency_s,
                         x.energy_j};
    const double dy[] = {y.arrival_s, y.planned_latency_s, y.planned_energy_j, y.latency_s,
                         y.energy_j};
    if (std::memcmp(dx, dy, sizeof dx) != 0 || x.boundaries != y.boundaries || x.route != y.route ||
        x.fallback != y.fallback || x.method != y.method)
      return false;
  }
  return std::memcmp(&a.summary.efficiency, &b.summary.efficiency, sizeof(double)) == 0;
}

TEST(Nonlinear, SameSeedSameBytesOnTheMmwaveTraces) {
  const auto f = testing::load("mmwave-iab", "qmix_agent");
  NonlinearConfig c = config(NonlinearModel::kCollaborative, 1, split::Method::kBarrier);
  c.duration_s = 5.0;
  c.load = Load::kHigh;
  const NonlinearResult a = run_nonlinear(f.scenario, f.model, c),
                        b = run_nonlinear(f.scenario, f.model, c);
  EXPECT_TRUE(same_bytes(a, b));
  c.seed = 2;
  EXPECT_FALSE(same_bytes(a, run_nonlinear(f.scenario, f.model, c)));
  // The gru tagger: its real hidden state (the GRUCell's 1024 B output), 200 steps.
  const auto g = testing::load("mmwave-iab", "gru_tagger_200");
  NonlinearConfig cr = config(NonlinearModel::kRnn, 200, split::Method::kBarrier);
  cr.duration_s = 1.0;
  cr.period_s = 0.5;
  const NonlinearResult ra = run_nonlinear(g.scenario, g.model, cr);
  EXPECT_TRUE(same_bytes(ra, run_nonlinear(g.scenario, g.model, cr)));
  ASSERT_EQ(ra.records.size(), 4u);
  for (const auto& x : ra.records) {
    EXPECT_TRUE(std::isfinite(x.energy_j));
    EXPECT_GT(x.energy_j, 0.0);
  }
}

TEST(Nonlinear, RefusesALayoutTheModelDoesNotHave) {
  const auto g = testing::load("mmwave-iab", "qmix_agent");
  NonlinearConfig c = config(NonlinearModel::kRnn, 200, split::Method::kBarrier);
  EXPECT_THROW(run_nonlinear(g.scenario, g.model, c), InputError);
  c = config(NonlinearModel::kCollaborative, 1, split::Method::kSci);
  EXPECT_THROW(run_nonlinear(g.scenario, g.model, c), InputError);
}

// Training in run_simulation pays parameter migration eta (Sec. IV-E, Eq. 8) when its split
// moves; the parameters start on the UE. On constant links no plan moves after the first:
// UE only never pays, cloud only pays every parameter once (its first task), HiveMind at most
// on its first task.
TEST(TrainingMigration, NeverMovesPaysNothing) {
  const Scenario s = constant_chain5();
  const ModelCosts m = load_model_costs(s, testing::kData, "resnet18_88");
  RunConfig c;
  c.task = TaskKind::kTraining;
  c.duration_s = 1.0;
  c.period_s = 0.1;
  c.keep_plans = true;
  c.methods = {{"HiveMind", split::Method::kSci},
               {"UE only", split::Method::kUeOnly},
               {"Cloud only", split::Method::kCloudOnly}};
  const RunResult r = run_simulation(s, m, c);
  ASSERT_EQ(r.records.size(), 30u);
  double all_params = 0.0;
  for (double b : m.layer_param_bytes) all_params += b;
  for (const auto& x : r.records) {
    const bool first = x.task == 0;
    if (x.method == 2 && first) {
      EXPECT_EQ(x.migrated_bytes, all_params);
      EXPECT_GT(x.migration_s, 0.0);
      EXPECT_GT(x.migration_j, 0.0);  // the UE's radio sends them
    } else if (x.method == 1 || !first) {
      EXPECT_EQ(x.migrated_bytes, 0.0) << "method " << x.method << " task " << x.task;
      EXPECT_EQ(x.migration_s, 0.0);
      EXPECT_EQ(x.migration_j, 0.0);
    }
  }
}

// On the mmWave traces (mid load) single split's training plan moves now and then (HiveMind,
// which weighs eta, keeps its first plan there); each move pays exactly the moved layers'
// parameter bytes, sent layer by layer over the route's links between the old node and the new
// one, replayed here on a second network with the same seed.
TEST(TrainingMigration, AMovePaysExactlyTheMovedParametersTransfer) {
  const auto f = testing::load("mmwave-iab", "resnet18_88");
  RunConfig c;
  c.task = TaskKind::kTraining;
  c.load = Load::kMid;
  c.duration_s = 10.0;
  c.period_s = 0.1;
  c.keep_plans = true;
  c.methods = {{"HiveMind", split::Method::kSci}, {"Single split", split::Method::kSingleSplit}};
  const RunResult r = run_simulation(f.scenario, f.model, c);
  const RunResult again = run_simulation(f.scenario, f.model, c);
  Network net(
      f.scenario,
      NetworkOptions{c.load, c.seed, 0.0, 0.0, c.duration_s + 2.0 * kTaskGiveUpS + 1.0, {}});
  const int L = f.model.layers;
  int moves = 0;
  for (int method = 0; method < 2; ++method) {
    const TaskRecord* prev = nullptr;
    for (std::size_t i = 0; i < r.records.size(); ++i) {
      const TaskRecord& x = r.records[i];
      if (x.method != method) continue;
      const TaskRecord& y = again.records[i];  // same seed, same bytes
      EXPECT_EQ(std::memcmp(&x.migration_s, &y.migration_s, sizeof(double)), 0);
      EXPECT_EQ(std::memcmp(&x.latency_s, &y.latency_s, sizeof(double)), 0);
      // The parameters start on the UE: before the first task, every layer is on node 0.
      const std::vector<int> on_ue(x.boundaries.size(), L);
      const std::vector<int>& before = prev ? prev->boundaries : on_ue;
      if ((!prev || prev->route == x.route) && !x.boundaries.empty() &&
          std::isfinite(x.latency_s)) {
        double bytes = 0.0, t = x.start_s, energy = 0.0;
        for (int l = 1; l <= L; ++l) {
          const int a = split::node_of_layer(before, l);
          const int q = split::node_of_layer(x.boundaries, l);
          const double pb = f.model.layer_param_bytes[l - 1];
          if (a == q || pb <= 0) continue;
          bytes += pb;
          const Route& route = net.route_at(x.arrival_s);
          auto hop = [&](int k, bool up) {
            const ScenarioLink& info = net.link_info(route.links[k]);
            t += info.overhead_s;
            const double end = net.transfer_end(route.links[k], t, pb * 8.0);
            if (!info.radio_power.empty())
              energy += (up ? f.scenario.radio_power_up : f.scenario.radio_power_down)
                            .at(info.radio_power)
                            .energy_j(pb * 8.0, pb * 8.0 / (end - t));
            t = end;
          };
          for (int k = a; k < q; ++k) hop(k, true);
          for (int k = a - 1; k >= q; --k) hop(k, false);
        }
        EXPECT_EQ(x.migrated_bytes, bytes) << "task " << x.task;
        EXPECT_NEAR(x.migration_s, t - x.start_s, 1e-12) << "task " << x.task;
        EXPECT_NEAR(x.migration_j, energy, 1e-12) << "task " << x.task;
        EXPECT_GE(x.latency_s, x.migration_s);
        moves += bytes > 0;
      }
      prev = &x;
    }
  }
  EXPECT_GT(moves, 0);
}

}  // namespace
}  // namespace hivemind::sim
