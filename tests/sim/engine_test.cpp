// The simulator's execution: determinism, and that HiveMind (SCI) never costs more than a
// baseline when what it planned with is what the task meets.
#include "hivemind/sim/engine.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "hivemind/io.hpp"
#include "hivemind/sim/report.hpp"
#include "hivemind/sim/single_split.hpp"
#include "hivemind/split/solve.hpp"
#include "sim_test_support.hpp"

namespace hivemind::sim {
namespace {

using testing::Fixture;
using testing::kData;
using testing::load;

std::string csv_of(const Fixture& f, const RunConfig& c) {
  const RunResult r = run_simulation(f.scenario, f.model, c);
  std::string s = tasks_csv_header("") + tasks_csv_rows("", r, c, f.scenario);
  for (const auto& l : r.links) s += l.name + "," + num(l.mean_bps) + "," + num(l.std_bps) + "\n";
  return s;
}

TEST(Engine, SameSeedSameCsvDifferentSeedDifferent) {
  const Fixture f = load("mmwave-iab");
  RunConfig c;
  c.load = Load::kHigh;
  c.duration_s = 5;
  c.period_s = 0.05;
  c.keep_plans = true;
  c.methods.push_back({"predictive", MethodKind::kPredictive, Forecaster::kOracle, 0.1});
  const std::string a = csv_of(f, c), b = csv_of(f, c);
  EXPECT_EQ(a, b);
  c.seed = 2;
  EXPECT_NE(a, csv_of(f, c));
  c.poisson = true;
  EXPECT_EQ(csv_of(f, c), csv_of(f, c));
}

TEST(Engine, ReproduceIsByteIdentical) {
  const auto base =
      std::filesystem::temp_directory_path() / ("hm_repro_" + std::to_string(::getpid()));
  std::string files[2];
  for (int i = 0; i < 2; ++i) {
    const std::string dir = (base / std::to_string(i)).string();
    const std::string cmd =
        std::string(HIVEMIND_TEST_CLI) + " reproduce --quick --quiet --no-plots --threads " +
        std::to_string(i + 1) + " --only fig2,fig16,fig19 --out " + dir + " >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    for (const char* name : {"fig2.csv", "fig16_10ms.csv", "fig19.csv", "summary.md"})
      files[i] += read_text_file(dir + "/" + name);
  }
  std::filesystem::remove_all(base);
  EXPECT_EQ(files[0], files[1]);  // 1 thread vs 2 threads: same bytes
}

// Every task of every method: when the capacities it met equal those it planned with,
// realised cost == planned cost, and HiveMind's realised cost is <= every baseline's.
void check_exact(const Fixture& f, RunConfig c, int* exact_tasks) {
  const RunResult r = run_simulation(f.scenario, f.model, c);
  const int M = static_cast<int>(c.methods.size());
  const bool energy = c.task == TaskKind::kTraining;
  for (std::size_t i = 0; i + M <= r.records.size(); i += M) {
    bool all_exact = true;
    for (int m = 0; m < M; ++m) {
      const TaskRecord& rec = r.records[i + m];
      const double real = energy ? rec.energy_j : rec.latency_s;
      if (rec.exact) {
        EXPECT_NEAR(real, rec.planned, 1e-9 * std::max(1.0, rec.planned)) << c.methods[m].label;
      }
      all_exact = all_exact && rec.exact;
    }
    if (!all_exact) continue;
    ++*exact_tasks;
    const double hm = energy ? r.records[i].energy_j : r.records[i].latency_s;
    for (int m = 1; m < M; ++m) {
      const double other = energy ? r.records[i + m].energy_j : r.records[i + m].latency_s;
      EXPECT_LE(hm, other + 1e-9 * std::max(1.0, other))
          << c.methods[m].label << " task " << r.records[i].task;
    }
  }
}

TEST(Engine, HiveMindNeverAboveABaselineWithExactInformation) {
  int exact = 0;
  for (const char* scen : {"mmwave-iab", "sub6", "chain5"}) {
    const Fixture f = load(scen);
    for (Load load : {Load::kLow, Load::kMid, Load::kHigh})
      for (TaskKind task : {TaskKind::kInference, TaskKind::kTraining})
        for (std::uint64_t seed : {1, 2}) {
          RunConfig c;
          c.load = load;
          c.task = task;
          c.seed = seed;
          c.duration_s = 6;
          c.period_s = 0.05;
          c.coherence_s = 2.0;  // long blocks: most tasks meet the capacities they planned with
          c.start_offset_s = 30.0 * static_cast<double>(seed);
          check_exact(f, c, &exact);
        }
  }
  EXPECT_GT(exact, 1000);  // the property was exercised on many tasks
}

// The allocation-free total the simulator records is split::evaluate's, bit for bit, on any
// plan (here the single split the simulator plans with and a random one). The single split
// itself is split's (split::best_single_split, tested in tests/split).
TEST(Engine, PlanTotalIsEvaluateBitForBit) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int t = 0; t < 2000; ++t) {
    const int L = 1 + static_cast<int>(rng() % 8), P = 2 + static_cast<int>(rng() % 4);
    split::ChainCosts c;
    c.layers = L;
    c.compute.assign(P, std::vector<double>(L));
    c.transfer.assign(P - 1, std::vector<double>(L + 1));
    c.finish.assign(P, 0.0);
    for (auto& row : c.compute)
      for (auto& x : row) x = u(rng);
    for (auto& row : c.transfer)
      for (auto& x : row) x = u(rng);
    for (auto& x : c.finish) x = u(rng) < 0.3 ? u(rng) : 0.0;
    const auto single = split::best_single_split(c);
    EXPECT_EQ(plan_total(c, single), split::evaluate(c, single).total);
    split::Boundaries any(P);
    for (int p = 0; p + 1 < P; ++p) any[p] = static_cast<int>(rng() % (L + 1));
    std::sort(any.begin(), any.end() - 1);
    any.back() = L;
    EXPECT_EQ(plan_total(c, any), split::evaluate(c, any).total);
  }
}

}  // namespace
}  // namespace hivemind::sim
