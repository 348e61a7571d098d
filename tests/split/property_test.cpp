// Property tests: every optimal method against brute force (small problems) and against each
// other (large problems), on random chains with all deliver modes, ties and zero-size cuts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/solve.hpp"
#include "random_problems.hpp"

namespace hivemind::split {
namespace {

using testing::kDyadicSuite;
using testing::kLargeSuite;
using testing::kSmallSuite;
using testing::kTiesSuite;
using testing::kTinySuite;

double tolerance(double cost) { return 1e-9 * std::max(1.0, std::fabs(cost)); }

// Every plan the solvers return is well formed and its reported cost is its evaluated cost.
void check_solution(const ChainCosts& costs, const Solution& s) {
  ASSERT_TRUE(is_valid_plan(costs, s.boundaries)) << to_string(s.method);
  EXPECT_NEAR(s.cost, evaluate(costs, s.boundaries).total, tolerance(s.cost));
}

// Exhaustive check of brute force itself on tiny problems: no valid plan is cheaper.
double min_over_all_plans(const ChainCosts& costs) {
  const int P = costs.node_count(), L = costs.layers;
  Boundaries b(P, 0);
  b.back() = L;
  double best = INFINITY;
  // Odometer over non-decreasing b_0..b_{P-2}.
  while (true) {
    best = std::min(best, evaluate(costs, b).total);
    int p = P - 2;
    while (p >= 0 && b[p] == L) --p;
    if (p < 0) break;
    ++b[p];
    for (int q = p + 1; q < P - 1; ++q) b[q] = b[p];
  }
  return best;
}

TEST(Property, BruteForceIsExhaustive) {
  std::mt19937_64 rng(kTinySuite.seed);
  for (int t = 0; t < kTinySuite.trials; ++t) {
    const ChainCosts costs = compile(kTinySuite.draw(rng, t));
    const Solution s = solve(costs, Method::kBrute);
    EXPECT_NEAR(s.cost, min_over_all_plans(costs), tolerance(s.cost));
  }
}

// Small problems: sci, algorithm1 and dijkstra equal brute force in cost.
TEST(Property, OptimalMethodsMatchBruteForce) {
  std::mt19937_64 rng(kSmallSuite.seed);
  int checked = 0;
  for (int t = 0; t < kSmallSuite.trials; ++t) {
    const Problem problem = kSmallSuite.draw(rng, t);
    if (plan_count(problem.layers, problem.node_count()) > 300'000) continue;
    const ChainCosts costs = compile(problem);
    const Solution brute = solve(costs, Method::kBrute);
    check_solution(costs, brute);
    for (Method m : {Method::kSci, Method::kAlgorithm1, Method::kDijkstra}) {
      const Solution s = solve(costs, m);
      check_solution(costs, s);
      ASSERT_NEAR(s.cost, brute.cost, tolerance(brute.cost))
          << to_string(m) << " on L = " << problem.layers << ", P = " << problem.node_count()
          << ", deliver " << to_string(problem.deliver) << ", trial " << t;
    }
    ++checked;
  }
  EXPECT_GT(checked, 2500);
}

// Exact arithmetic (dyadic values), equal nodes and free links: many exact ties. The
// documented tie-break (lexicographically largest boundaries) must give the very same plan
// from every optimal method.
TEST(Property, TieBreakIsTheSameEverywhere) {
  std::mt19937_64 rng(kTiesSuite.seed);
  int checked = 0;
  for (int t = 0; t < kTiesSuite.trials; ++t) {
    const Problem problem = kTiesSuite.draw(rng, t);
    if (plan_count(problem.layers, problem.node_count()) > 200'000) continue;
    const ChainCosts costs = compile(problem);
    const Solution brute = solve(costs, Method::kBrute);
    for (Method m : {Method::kSci, Method::kAlgorithm1, Method::kDijkstra}) {
      const Solution s = solve(costs, m);
      ASSERT_EQ(s.cost, brute.cost) << to_string(m) << " trial " << t;
      ASSERT_EQ(s.boundaries, brute.boundaries) << to_string(m) << " trial " << t;
    }
    ++checked;
  }
  EXPECT_GT(checked, 2500);
}

// Large problems (P up to 12, L up to 200): the three polynomial methods agree.
TEST(Property, LargeProblemsAgree) {
  std::mt19937_64 rng(kLargeSuite.seed);
  for (int t = 0; t < kLargeSuite.trials; ++t) {
    const Problem problem = kLargeSuite.draw(rng, t);
    const ChainCosts costs = compile(problem);
    const Solution sci = solve(costs, Method::kSci);
    const Solution alg1 = solve(costs, Method::kAlgorithm1);
    check_solution(costs, sci);
    check_solution(costs, alg1);
    ASSERT_NEAR(sci.cost, alg1.cost, tolerance(sci.cost)) << "trial " << t;
    if (dijkstra_graph_size(problem.layers, problem.node_count()).edges < 3'000'000) {
      const Solution dij = solve(costs, Method::kDijkstra);
      check_solution(costs, dij);
      ASSERT_NEAR(sci.cost, dij.cost, tolerance(sci.cost)) << "trial " << t;
    }
    // Baselines are plans too, never better than the optimum.
    for (Method b : {Method::kUeOnly, Method::kCloudOnly, Method::kSingleSplit})
      EXPECT_LE(sci.cost, solve(costs, b).cost + tolerance(sci.cost));
  }
}

// The per-node functions agree value by value (not only in the chain's final cost).
TEST(Property, SciNodeEqualsAlgorithm1Node) {
  std::mt19937_64 rng(kDyadicSuite.seed);
  for (int t = 0; t < kDyadicSuite.trials; ++t) {
    const ChainCosts costs = compile(kDyadicSuite.draw(rng, t));
    SciChainSolver fast, literal(SciChainSolver::Variant::kAlgorithm1);
    Boundaries a, b;
    fast.solve(costs, a);
    literal.solve(costs, b);
    ASSERT_EQ(a, b);
    for (int p = 0; p < costs.node_count(); ++p) {
      ASSERT_EQ(fast.nodes()[p].zeta, literal.nodes()[p].zeta) << "node " << p;
      ASSERT_EQ(fast.nodes()[p].stop, literal.nodes()[p].stop) << "node " << p;
    }
  }
}

}  // namespace
}  // namespace hivemind::split
