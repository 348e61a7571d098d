// Work budgets of the extension methods and of building a problem from a route (issue 10):
// refused before the heavy work, one InputError line naming --max-steps or --max-memory-mib;
// `exact` counts its Pareto labels as it builds them (the front cap). Budgets are small so a
// missing refusal fails fast instead of running the huge work.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "../common/expect_refusal.hpp"
#include "hivemind/error.hpp"
#include "hivemind/model/route.hpp"
#include "hivemind/split/extensions.hpp"

namespace hivemind::split {
namespace {

using hivemind::testing::expect_refusal;

Problem uniform_problem(int L, int P) {
  Problem p;
  p.layers = L;
  p.input_bytes = 8;
  p.output_bytes.assign(L, 4.0);
  for (int n = 0; n < P; ++n)
    p.nodes.push_back(Node{"n" + std::to_string(n), std::vector<double>(L, 1.0)});
  p.links.assign(P - 1, Link{{2.0, 0.0}, {2.0, 0.0}});
  return p;
}

// Best effort m0 and `limits` limited metrics m1.., random real costs and loose thresholds:
// many incomparable plans, so the Pareto fronts grow large.
ExtendedProblem wide_fronts(int L, int P, int limits, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  ExtendedProblem ext;
  ext.problem = uniform_problem(L, P);
  MultiObjective m;
  for (int k = 0; k <= limits; ++k) {
    Metric metric{"m" + std::to_string(k), false, {}, {}};
    metric.compute.assign(P, std::vector<double>(L));
    for (auto& row : metric.compute)
      for (auto& x : row) x = u(rng);
    for (int n = 0; n + 1 < P; ++n) metric.links.push_back(MetricLink{0.1 * u(rng), 0.01, -1, -1});
    m.metrics.push_back(metric);
  }
  m.objective.minimize.push_back({"m0", 1.0});
  for (int k = 1; k <= limits; ++k)
    m.objective.limits.push_back({"m" + std::to_string(k), 0.5 * L + 2});
  ext.multi = m;
  return ext;
}

TEST(Budget, ExactCountsItsLabels) {
  const ExtendedProblem ext = wide_fronts(120, 6, 4, 1);
  // Steps: refused once the labels built pass the budget, naming the front cap.
  expect_refusal(
      [&] {
        solve(ext, parse_method("exact"), Budget{2e5, 1e9});
      },
      {"method exact (L = 120, P = 6, 4 limits)", "front cap", "--max-steps"});
  // Bytes: the fronts kept pass 256 KiB (the up-front part, prefix sums and front headers,
  // is ~22 KB).
  expect_refusal(
      [&] {
        solve(ext, parse_method("exact"), Budget{1e12, 256.0 * 1024});
      },
      {"method exact", "front cap", "--max-memory-mib"});
  // Smaller: solved within the default budget, and the same plan with a generous one.
  const ExtendedProblem small = wide_fronts(12, 3, 2, 2);
  const Plan a = solve(small, parse_method("exact"));
  const Plan b = solve(small, parse_method("exact"), Budget{1e12, 1e12});
  EXPECT_EQ(a.boundaries, b.boundaries);
}

TEST(Budget, BarrierRefusesItsQuadraticLoop) {
  // 3 x 501 x 502 / 2 blocks x (1 + 3 x 1) steps = 1.5e6.
  const ExtendedProblem ext = wide_fronts(500, 3, 1, 3);
  expect_refusal(
      [&] {
        solve(ext, parse_method("barrier"), Budget{1e6, 1e9});
      },
      {"method barrier (L = 500, P = 3)", "--max-steps"});
  EXPECT_NO_THROW(solve(ext, parse_method("barrier"), Budget{1e8, 1e9}));
  // solve_barrier checks its own estimate too (the simulator calls it directly).
  const CompiledObjective obj = compile_objective(ext.problem, *ext.multi);
  expect_refusal(
      [&] {
        solve_barrier(obj, {}, nullptr, Budget{1e6, 1e9});
      },
      {"method barrier", "--max-steps"});
}

TEST(Budget, RnnIsEstimatedBeforeItIsLinearised) {
  // The case: R = 1e6 steps of a 1-layer module on 1e4 nodes would be 1e10 values per
  // table (80 GB each). Refused from the sizes, before linearize_rnn allocates anything.
  ExtendedProblem ext;
  ext.problem = uniform_problem(1, 10'000);
  ext.rnn = RnnSpec{1'000'000, 4.0, -1};
  for (const char* m : {"sci", "bottleneck", "ue-only", "single-split", "algorithm1"})
    expect_refusal(
        [&] { solve(ext, parse_method(m)); },
        {std::string("method ") + m + " (L = 1000000, P = 10000", "rnn steps", "--max-"});
  // `standard` splits one step and repeats it: no linearisation, solved.
  const Plan s = solve(ext, parse_method("standard"));
  EXPECT_EQ(s.boundaries.size(), 10'000u);
  // Memory alone: a budget of 1 MiB refuses a small rnn's tables.
  ExtendedProblem small;
  small.problem = uniform_problem(4, 10);
  small.rnn = RnnSpec{1000, 4.0, -1};
  expect_refusal(
      [&] {
        solve(small, parse_method("sci"), Budget{1e12, 1024.0 * 1024});
      },
      {"--max-memory-mib"});
  EXPECT_NO_THROW(solve(small, parse_method("sci")));
}

TEST(Budget, CoreMethodsThroughTheExtensionSolver) {
  ExtendedProblem ext;
  ext.problem = uniform_problem(2000, 3);
  expect_refusal(
      [&] {
        solve(ext, parse_method("algorithm1"), Budget{1e6, 1e9});
      },
      {"method algorithm1 (L = 2000, P = 3)", "--max-steps"});
  EXPECT_NO_THROW(solve(ext, parse_method("algorithm1"), Budget{1e8, 1e9}));
  // An unknown name is still refused as unknown (estimated as sci, then named).
  expect_refusal([&] { solve(ext, parse_method("fastest")); }, {"unknown method \"fastest\""});
}

TEST(Budget, ExtensionsSolveWithAGenerousBudget) {
  const ExtendedProblem ext = wide_fronts(10, 3, 2, 4);
  for (const auto& m : applicable_methods(ext)) {
    const Plan a = solve(ext, m);
    const Plan b = solve(ext, m, Budget{1e12, 1e12});
    EXPECT_EQ(a.boundaries, b.boundaries) << m.name();
  }
}

TEST(Budget, RouteProblemIsEstimatedBeforeItIsBuilt) {
  // The case: a 2e5-layer profile on a 1e4-node route (2e9 values, 16 GB).
  model::ModelProfile profile;
  profile.model = "huge";
  profile.input_bytes = 100;
  profile.layers.assign(200'000, model::LayerProfile{"l", "Linear", 10, 10, 1, 100});
  profile.devices.push_back(
      model::DeviceProfile{"cpu1", "test", std::vector<model::LayerCost>(200'000, {1e-5, 0, 0})});
  model::Route route;
  route.nodes.assign(10'000, model::RouteNode{"n", "cpu1", 1.0});
  route.links.assign(9'999, model::RouteLink{100, 1, 100, 1});
  expect_refusal([&] { model::problem_from_route(profile, route, model::DeviceCatalog{}); },
                 {"problem of 200000 layers on 10000 nodes", "--max-memory-mib"});
  // A small route of the same profile fits: 2 nodes x 2e5 layers.
  route.nodes.resize(2);
  route.links.resize(1);
  const Problem p = model::problem_from_route(profile, route, model::DeviceCatalog{});
  EXPECT_EQ(p.layers, 200'000);
  expect_refusal(
      [&] {
        model::problem_from_route(profile, route, model::DeviceCatalog{}, model::CutSizes::kDag,
                                  Budget{1e5, 1e9});
      },
      {"--max-steps"});
}

}  // namespace
}  // namespace hivemind::split
