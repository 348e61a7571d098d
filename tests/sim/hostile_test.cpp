// Hostile and oversized simulator inputs (issue 10): every one ends in a one-line InputError
// (the CLI: exit 2, one stderr line) or a normal run, quickly and in bounded memory; never a
// crash, a hang or an allocation the size of the input's numbers.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../common/expect_refusal.hpp"
#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/sim/engine.hpp"
#include "hivemind/sim/network.hpp"
#include "hivemind/sim/scenario.hpp"
#include "sim_test_support.hpp"

namespace hivemind::sim {
namespace {

using hivemind::testing::input_error_of;
using testing::error_of;
using testing::Fixture;
using testing::kData;
using testing::load;
using testing::shipped;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---- scenario numbers --------------------------------------------------------------------

TEST(Hostile, TinyCapacityIsRefusedWithItsRange) {
  // Was a SIGSEGV: a non-finite transfer time reached a block index.
  auto doc = shipped("chain5");
  doc["links"][2]["capacity_mbps"] = 1e-300;
  EXPECT_EQ(error_of(doc), "s.json: links[2].capacity_mbps: 1e-300 is out of range [0.001, 1e+06]");
  doc["links"][2]["capacity_mbps"] = 1e7;
  EXPECT_EQ(error_of(doc),
            "s.json: links[2].capacity_mbps: 10000000.0 is out of range [0.001, 1e+06]");
  doc["links"][2]["capacity_mbps"] = 1e-3;  // the bound itself is accepted
  EXPECT_EQ(error_of(doc), "");
}

TEST(Hostile, NodeWithoutUplinkIsNamed) {
  // Was a read of links[-1]: the walk from the UE met mec1, whose count was not checked yet.
  auto doc = shipped("chain5");
  doc["links"].erase(1);  // L2, mec1's uplink
  EXPECT_EQ(error_of(doc),
            "s.json: nodes[1]: \"mec1\" has 0 outgoing links, needs exactly 1 towards the cloud");
  // A node with two uplinks later on the UE's path: its count is reported, not a loop.
  doc = shipped("chain5");
  doc["links"].push_back(doc["links"][3]);
  doc["links"].back()["name"] = "L4b";
  EXPECT_EQ(error_of(doc),
            "s.json: nodes[3]: \"mec3\" has 2 outgoing links, needs exactly 1 towards the cloud");
}

struct Bound {
  const char* scenario;
  nlohmann::json::json_pointer field;
  double low_bad, low_ok, high_ok, high_bad;
};

// "/links/0/capacity_mbps" -> "links[0].capacity_mbps": the field as the messages name it.
std::string field_name(const nlohmann::json::json_pointer& pointer) {
  std::string out;
  const std::string text = pointer.to_string();
  std::size_t i = 1;
  while (i <= text.size()) {
    const std::size_t end = std::min(text.find('/', i), text.size());
    const std::string token = text.substr(i, end - i);
    const bool index = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
    out += index ? "[" + token + "]" : (out.empty() ? "" : ".") + token;
    i = end + 1;
  }
  return out;
}

// Every bounded scenario number: just outside its range is refused with one line naming the
// field ("out of range" above it; below, the older "is negative" / "must be > 0" where they
// apply); the range's ends are accepted (docs/simulator.md, "Accepted ranges").
TEST(Hostile, EveryScenarioNumberHasARange) {
  using P = nlohmann::json::json_pointer;
  const std::vector<Bound> bounds = {
      {"mmwave-iab", P("/area_m/0"), 0.5, 1000, 1e5, 2e5},
      {"chain5", P("/scheduler/tti_ms"), 0.06, 0.0625, 10, 11},
      {"chain5", P("/scheduler/pf_window_ttis"), 0.5, 1, 1e6, 2e6},
      {"chain5", P("/dynamics/coherence_ms"), 0.5, 1, 1e6, 2e6},
      {"chain5", P("/links/0/background/ues_sigma"), -1, 0, 3, 3.5},
      {"chain5", P("/background/ues_sigma"), -1, 0, 3, 3.5},
      {"chain5", P("/background/backlog_cap_ms"), 1e-4, 1e-3, 1e6, 2e6},
      {"chain5", P("/background/demand_mixture/0/weight"), 1e-7, 1e-6, 1e6, 2e6},
      {"chain5", P("/background/demand_mixture/0/scale"), 1e-7, 1e-6, 1e6, 2e6},
      {"chain5", P("/background/demand_mixture/0/sigma"), -1, 0, 3, 3.5},
      {"chain5", P("/devices/ue/latency_scale"), 1e-5, 1e-4, 1e4, 2e4},
      {"chain5", P("/devices/ue/active_power_w"), -1, 0, 1e5, 2e5},
      {"chain5", P("/radio_power/mmwave/uplink_mw/0"), -1, 0, 1e6, 2e6},
      {"chain5", P("/radio_power/mmwave/downlink_mw/1"), -1, 0, 1e6, 2e6},
      {"chain5", P("/links/0/capacity_mbps"), 1e-4, 1e-3, 1e6, 2e6},
      {"chain5", P("/links/0/overhead_ms"), -1, 0, 1e4, 2e4},
      {"chain5", P("/links/0/background/ues"), -1, 0, 1e4, 2e4},
      {"chain5", P("/links/0/background/demand_mbps"), -1, 0, 1e6, 2e6},
      {"chain5", P("/links/0/blockage/rate_per_s"), -1, 0, 100, 101},
      {"chain5", P("/links/0/blockage/mean_duration_ms"), 0.5, 1, 1e5, 2e5},
      {"chain5", P("/links/0/blockage/attenuation_db"), -1, 0, 200, 201},
      {"chain5", P("/links/0/blockage/clear_snr_db"), -7, -6.7, 100, 101},
      {"chain5", P("/sci/processing_ms"), -1, 0, 1e4, 2e4},
      {"mmwave-iab", P("/access/capacity_mbps"), 1e-4, 1e-3, 1e6, 2e6},
      {"mmwave-iab", P("/access/carrier_ghz"), 0.05, 0.1, 300, 301},
      {"mmwave-iab", P("/access/bandwidth_mhz"), 0.05, 0.1, 2000, 2001},
      {"mmwave-iab", P("/access/eirp_dbm"), -101, -100, 100, 101},
      {"mmwave-iab", P("/access/noise_figure_db"), -1, 0, 50, 51},
      {"mmwave-iab", P("/access/overhead_ms"), -1, 0, 1e4, 2e4},
      {"mmwave-iab", P("/access/cell_radius_m"), 0.5, 1, 1e5, 2e5},
      {"mmwave-iab", P("/access/fading_sigma_db"), -1, 0, 50, 51},
      {"mmwave-iab", P("/access/background/ues"), -1, 0, 1e4, 2e4},
      {"mmwave-iab", P("/access/blockage/rate_per_s"), -1, 0, 100, 101},
      {"mmwave-iab", P("/mobility/speed_kmh"), -1, 0, 1000, 1001},
      {"mmwave-iab", P("/mobility/hysteresis_db"), -1, 0, 100, 101},
      {"mmwave-iab", P("/mobility/check_ms"), 0.5, 1, 1e6, 2e6},
  };
  for (const Bound& b : bounds) {
    const std::string path = field_name(b.field);
    for (double bad : {b.low_bad, b.high_bad}) {
      auto doc = shipped(b.scenario);
      doc[b.field] = bad;
      const std::string e = error_of(doc);
      EXPECT_EQ(e.rfind("s.json: " + path + ": ", 0), 0u) << path << " = " << bad << ": " << e;
      if (bad == b.high_bad) {
        EXPECT_NE(e.find(" is out of range ["), std::string::npos) << e;
      }
      EXPECT_EQ(e.find('\n'), std::string::npos);
    }
    for (double ok : {b.low_ok, b.high_ok}) {
      auto doc = shipped(b.scenario);
      doc[b.field] = ok;
      EXPECT_EQ(error_of(doc), "") << path << " = " << ok;
    }
  }
}

TEST(Hostile, EntryCountsAreBounded) {
  auto doc = shipped("chain5");
  for (int i = 0; i < 300; ++i)
    doc["nodes"].push_back(
        {{"name", "x" + std::to_string(i)}, {"role", "mec"}, {"device", "relay"}});
  EXPECT_EQ(error_of(doc), "s.json: nodes: 306 entries, at most 256 are accepted");
  doc = shipped("mmwave-iab");
  doc["mobility"]["waypoints_m"] = nlohmann::json::array();
  for (int i = 0; i < 10001; ++i) doc["mobility"]["waypoints_m"].push_back({1, 1});
  EXPECT_EQ(error_of(doc),
            "s.json: mobility.waypoints_m: 10001 entries, at most 10000 are accepted");
}

// ---- network: times that never index ---------------------------------------------------

TEST(Hostile, NonFiniteAndHugeTimesNeverIndexOrGrowTheTraces) {
  const Scenario s = load_scenario(kData + "/scenarios/mmwave-iab.json");
  NetworkOptions o;
  o.horizon_s = 20.0;
  Network net(s, o);
  for (double t : {kInf, -kInf, kNaN, 1e300, -1.0, 1e18}) {
    for (int l = 0; l < net.link_count(); ++l) {
      EXPECT_TRUE(std::isfinite(net.capacity_bps(l, t))) << t;
      const double end = net.transfer_end(l, t, 1e6);  // +inf, or within the horizon
      EXPECT_TRUE(end == kInf || (std::isfinite(end) && end <= 20.0)) << t << " -> " << end;
      net.blocked_during(l, 0.0, t);
      net.blocked_during(l, t, t);
      net.link_stats(l, t);
    }
    net.route_at(t);
    net.handovers_before(t);
    EXPECT_LE(net.block_index(t), net.block_index(20.0));
    EXPECT_GE(net.block_index(t), 0);
  }
  // Nothing past the 20 s horizon was generated: 401 blocks of 50 ms per link at most.
  Work all;
  for (int l = 0; l < net.link_count(); ++l) all += net.trace_work(l, 20.0);
  all += net.mobility_work(20.0);
  EXPECT_LE(net.used().bytes, all.bytes);
  EXPECT_LT(net.used().bytes, 2e6);
}

TEST(Hostile, NetworkOptionsAreChecked) {
  const Scenario s = load_scenario(kData + "/scenarios/chain5.json");
  auto error = [&](NetworkOptions o) { return input_error_of([&] { Network net(s, o); }); };
  NetworkOptions o;
  o.coherence_s = kNaN;
  EXPECT_EQ(error(o), "coherence: nan s is out of range [0, 1e+06]");
  o.coherence_s = 1e9;
  EXPECT_EQ(error(o), "coherence: 1000000000 s is out of range [0, 1e+06]");
  o = {};
  o.start_offset_s = kInf;
  EXPECT_EQ(error(o), "start offset: inf s is out of range [-1e12, 1e12]");
  o = {};
  o.horizon_s = kInf;
  EXPECT_EQ(error(o), "horizon: inf s is out of range (0, 1e+10]");
}

TEST(Hostile, TheMeterStopsATraceThatWouldOutgrowTheBudget) {
  const Scenario s = load_scenario(kData + "/scenarios/chain5.json");
  NetworkOptions o;
  o.budget.steps = 1e7;  // ~0.3 s of chain5's link L1 (8 background UEs, blockage)
  Network net(s, o);
  EXPECT_NO_THROW(net.capacity_bps(0, 1.0));
  const std::string e = input_error_of([&] { net.capacity_bps(0, 1e5); });
  EXPECT_EQ(e.rfind("simulation: network traces up to t = ", 0), 0u) << e;
  EXPECT_NE(e.find("(links[0]): needs 1.0"), std::string::npos) << e;
  EXPECT_NE(e.find(" steps, above the budget of 1"), std::string::npos) << e;
  EXPECT_NE(e.find("(raise it with --max-steps)"), std::string::npos) << e;
  Network small(s, NetworkOptions{});
  small.set_budget(Budget{1e18, 4096});
  const std::string m = input_error_of([&] { small.capacity_bps(0, 100.0); });
  EXPECT_NE(m.find("(raise it with --max-memory-mib)"), std::string::npos) << m;
}

// ---- engine: the estimate and the budget -------------------------------------------------

TEST(Hostile, OversizedRunsAreRefusedBeforeTheyStart) {
  const Fixture f = load("chain5");
  auto refusal = [&](const RunConfig& c) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string e = input_error_of([&] { run_simulation(f.scenario, f.model, c); });
    EXPECT_LT(seconds_since(t0), 1.0) << e;  // refused from the estimate, nothing simulated
    return e;
  };
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  const std::string what =
      "simulation of 1e+08 tasks x 4 methods, 1e+03 s of traces on 5 links: needs ";
  RunConfig c;
  c.period_s = 1e-5;  // --period-ms 0.01 --duration 1000: 1e8 tasks (tried to reserve 41.6 GB)
  c.duration_s = 1000;
  std::string e = refusal(c);
  EXPECT_EQ(e.rfind(what, 0), 0u) << e;
  EXPECT_TRUE(ends_with(e, " steps, above the budget of 3e+09 (raise it with --max-steps)")) << e;
  EXPECT_NE(e.find("needs 4"), std::string::npos)
      << e;               // ~4.7e11: 1e8 tasks x 4 methods x ~1000 steps
  c.budget.steps = 1e18;  // with the steps allowed, the memory is what refuses (~43 GiB of records)
  e = refusal(c);
  EXPECT_EQ(e.rfind(what, 0), 0u) << e;
  EXPECT_TRUE(ends_with(e, "(raise it with --max-memory-mib)")) << e;
  c = {};
  c.duration_s = 1e6;  // --duration 1e6: > 60 s before
  EXPECT_TRUE(ends_with(refusal(c), "(raise it with --max-steps)"));
  c = {};
  c.coherence_s = 1e6;  // --coherence-ms 1e9: one block is 1e9 TTIs of every link
  e = refusal(c);
  EXPECT_EQ(e.rfind("simulation of 100 tasks x 4 methods, ", 0), 0u) << e;
  EXPECT_TRUE(ends_with(e, "(raise it with --max-steps)")) << e;
}

TEST(Hostile, RunConfigNumbersAreChecked) {
  const Fixture f = load("chain5");
  auto error = [&](RunConfig c) {
    return input_error_of([&] { run_simulation(f.scenario, f.model, c); });
  };
  RunConfig c;
  c.duration_s = kNaN;
  EXPECT_EQ(error(c), "duration: nan s is out of range (0, 1e9]");
  c.duration_s = kInf;
  EXPECT_EQ(error(c), "duration: inf s is out of range (0, 1e9]");
  c = {};
  c.period_s = kInf;
  EXPECT_EQ(error(c), "period: inf s is not finite");
  c.period_s = kNaN;
  EXPECT_EQ(error(c), "period: must be > 0");
  c = {};
  c.speedup["ue"] = 0;
  EXPECT_EQ(error(c), "speed-up of \"ue\": 0 is out of range (0, 1e9]");
  c = {};
  c.coherence_s = kNaN;
  EXPECT_EQ(error(c), "coherence: nan s is out of range [0, 1e+06]");
  c = {};
  c.start_offset_s = -kInf;
  EXPECT_EQ(error(c), "start offset: -inf s is out of range [-1e12, 1e12]");
}

// The estimate follows the work: twice the duration, twice the traces; twice the tasks, twice
// the task side; ten times the background UEs, more traces (the per-user part grows up to the
// 16 groups a crowded block is simulated as, the per-block part unchanged); a hundred times
// more, no more than that: the work per TTI is bounded however crowded the cells are.
TEST(Hostile, TheEstimateIsProportionalToTheWork) {
  Fixture f = load("chain5");
  RunConfig c;
  c.period_s = 1e3;  // one task: the traces dominate
  c.duration_s = 100;
  const double traces = estimate_simulation(f.scenario, f.model, c).steps;
  c.duration_s = 200;
  EXPECT_NEAR(estimate_simulation(f.scenario, f.model, c).steps / traces, 2.0, 0.05);
  c.duration_s = 100;
  c.period_s = 1e-3;  // 1e5 tasks; less the traces (and one task): the task side
  const double tasks = estimate_simulation(f.scenario, f.model, c).steps - traces;
  c.period_s = 5e-4;
  EXPECT_NEAR((estimate_simulation(f.scenario, f.model, c).steps - traces) / tasks, 2.0, 0.01);
  c.period_s = 1e3;
  for (auto& l : f.scenario.links) l.background.ues *= 10;
  const double ratio = estimate_simulation(f.scenario, f.model, c).steps / traces;
  EXPECT_GT(ratio, 1.3);
  EXPECT_LT(ratio, 10.0);
  for (auto& l : f.scenario.links) l.background.ues *= 100;
  EXPECT_DOUBLE_EQ(estimate_simulation(f.scenario, f.model, c).steps / traces, ratio);
}

TEST(Hostile, TheDefaultBudgetTakesTheShippedRuns) {
  // The largest runs of `hivemind reproduce` (full settings: 60 s trials) and `demo`.
  const Fixture mm = load("mmwave-iab"), ch = load("chain5");
  const Budget budget;
  RunConfig c;
  c.duration_s = 60;
  c.period_s = 0.01;  // Fig. 6
  c.load = Load::kHigh;
  EXPECT_LT(estimate_simulation(ch.scenario, ch.model, c).steps, 0.1 * budget.steps);
  c.period_s = 0.02;  // Figs. 16-17: coherence 10 ms, predictive methods
  c.coherence_s = 0.01;
  c.methods.push_back({"p", split::Method::kSci, Forecaster::kOracle});
  c.methods.push_back({"p2", split::Method::kSci, Forecaster::kEwma});
  const Work w = estimate_simulation(mm.scenario, mm.model, c);
  EXPECT_LT(w.steps, 0.1 * budget.steps);
  EXPECT_LT(w.bytes, 0.1 * budget.bytes);
  c = {};
  c.duration_s = 60;
  c.all_link_stats = true;  // Table I
  c.task = TaskKind::kTraining;
  EXPECT_LT(estimate_simulation(mm.scenario, mm.model, c).steps, 0.1 * budget.steps);
}

// ---- engine: long tails are bounded ------------------------------------------------------

TEST(Hostile, ATaskPastTheGiveUpTimeNeverFinishesAndReadsNothingPastIt) {
  const Fixture f = load("chain5");
  RunConfig c;
  c.duration_s = 2;
  c.speedup["ue"] = 1e-8;  // UE-only: ~1e7 s of compute, far past kTaskGiveUpS
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = run_simulation(f.scenario, f.model, c);
  EXPECT_LT(seconds_since(t0), 5.0);
  ASSERT_EQ(r.records.size(), 20u * 4u);
  for (const auto& rec : r.records) {
    if (rec.method == 1) {
      EXPECT_EQ(rec.latency_s, kInf);  // UE only
    }
    if (rec.method == 2) {
      EXPECT_TRUE(std::isfinite(rec.latency_s));  // cloud only
    }
  }
}

TEST(Hostile, AnSciUpdateThatNeverArrivesGivesUpAfterAnHour) {
  Fixture f = load("chain5");
  // L1 blocked from the start for ~30 years, with an outage while blocked (no CQI): the SCI
  // message never reaches the UE. (Outside the file format's ranges: a library-level case.)
  BlockageParams& b = f.scenario.links[0].blockage;
  b.rate_per_s = 100;
  b.mean_duration_s = 1e9;
  b.attenuation_db = 200;
  RunConfig c;
  c.duration_s = 1;
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = run_simulation(f.scenario, f.model, c);
  EXPECT_LT(seconds_since(t0), 5.0);
  ASSERT_EQ(r.records.size(), 10u * 4u);
  for (const auto& rec : r.records) {
    EXPECT_EQ(rec.start_s, kInf);
    EXPECT_EQ(rec.latency_s, kInf);
  }
}

TEST(Hostile, ASlowLinkRunsWithItsFailuresRecorded) {
  auto doc = shipped("chain5");
  doc["links"][2]["capacity_mbps"] = 1e-3;  // the lower bound: 1 kbit/s on L3
  Fixture f;
  f.scenario = parse_scenario(doc.dump());
  f.model = load_model_costs(f.scenario, kData, "resnet18_224");
  RunConfig c;
  c.duration_s = 1;
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = run_simulation(f.scenario, f.model, c);
  EXPECT_LT(seconds_since(t0), 5.0);
  for (const auto& rec : r.records) {
    if (rec.method == 1) {
      EXPECT_TRUE(std::isfinite(rec.latency_s));  // UE only: no transfer
    }
    if (rec.method == 2) {
      EXPECT_EQ(rec.latency_s, kInf);  // cloud only: 600 KB at 1 kbit/s
    }
  }
}

TEST(Hostile, ALongTailIsMeteredNotUnbounded) {
  // 1 kbit/s on the UE's hop, a TTI and a block of 0.0625 ms: every cloud-only transfer would
  // integrate an hour of 16000 blocks a second. The meter stops it at the budget.
  auto doc = shipped("chain5");
  doc["links"][0]["capacity_mbps"] = 1e-3;
  doc["scheduler"]["tti_ms"] = 0.0625;
  doc["dynamics"]["coherence_ms"] = 0.0625;
  Fixture f;
  f.scenario = parse_scenario(doc.dump());
  f.model = load_model_costs(f.scenario, kData, "resnet18_224");
  RunConfig c;
  c.duration_s = 1;  // the estimate (1 s of traces) passes; the tail is what costs
  c.budget.steps = 3e8;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string e = input_error_of([&] { run_simulation(f.scenario, f.model, c); });
  EXPECT_LT(seconds_since(t0), 5.0);
  EXPECT_EQ(e.rfind("simulation: network traces up to t = ", 0), 0u) << e;
  EXPECT_NE(e.find("(raise it with --max-steps)"), std::string::npos) << e;
}

// ---- the CLI: exit 2, one line, nothing on stdout ----------------------------------------

struct CliRun {
  int code = 0;
  std::string out, err;
};

CliRun run_cli(const std::string& args) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hm_sim_hostile_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "out").string(), err = (dir / "err").string();
  const std::string cmd =
      "timeout 60 " + std::string(HIVEMIND_TEST_CLI) + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text_file(out);
  r.err = read_text_file(err);
  std::filesystem::remove_all(dir);
  return r;
}

TEST(Hostile, CliRefusesOversizedSimulationsWithOneLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"simulate chain5 --period-ms 0.01 --duration 1000", "(raise it with --max-steps)"},
      {"simulate chain5 --period-ms 0.01 --duration 1000 --max-steps 1e18",
       "(raise it with --max-memory-mib)"},
      {"simulate chain5 --duration 1e6", "(raise it with --max-steps)"},
      {"simulate chain5 --coherence-ms 1e9", "(raise it with --max-steps)"},
  };
  for (const auto& [args, tail] : cases) {
    const CliRun r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_EQ(r.err.rfind("hivemind: simulation of ", 0), 0u) << args << ": " << r.err;
    EXPECT_NE(r.err.find(std::string(tail) + "\n"), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << args << ": " << r.err;
  }
}

}  // namespace
}  // namespace hivemind::sim
