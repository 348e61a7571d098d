// Node constraints (memory windows, pins) and the bottleneck objective against brute force.
#include <gtest/gtest.h>

#include "hivemind/split/constraints.hpp"
#include "hivemind/split/sci.hpp"
#include "oracles.hpp"

namespace hivemind::split {
namespace {

using namespace testing_ext;

TEST(WindowedSci, EqualsSciNodeWithoutWindows) {
  // With no window and no barrier, the sliding-window minimum is the suffix minimum: same
  // zeta and same stops (dyadic costs, so the sums are exact and ties are real ties).
  Rng r(11);
  for (int trial = 0; trial < 3000; ++trial) {
    const Problem p = random_base(r, 30, 6);
    const ChainCosts costs = compile(p);
    SciChainSolver reference;
    Boundaries want, got;
    const double cost_want = reference.solve(costs, want);
    std::vector<SciNodeOutput> nodes;
    const double cost_got = solve_chain(costs, {}, Combine::kSum, got, &nodes);
    ASSERT_EQ(cost_want, cost_got) << "trial " << trial;
    ASSERT_EQ(want, got) << "trial " << trial;
    for (int q = 0; q < p.node_count(); ++q) {
      ASSERT_EQ(reference.nodes()[q].zeta, nodes[q].zeta) << "trial " << trial << " node " << q;
      ASSERT_EQ(reference.nodes()[q].stop, nodes[q].stop) << "trial " << trial << " node " << q;
    }
  }
}

TEST(MemoryWindows, MatchDirectDefinition) {
  // window[p][i] = largest j with memory(i..j) <= budget, checked by the literal O(L^2) loop.
  Rng r(12);
  for (int trial = 0; trial < 3000; ++trial) {
    const Problem p = random_base(r, 25, 4);
    const NodeConstraints c = random_constraints(r, p, /*memory=*/true, /*pins=*/false);
    const auto w = memory_windows(c, p.layers, p.node_count());
    for (int q = 0; q < p.node_count(); ++q)
      for (int i = 1; i <= p.layers + 1; ++i) {
        int want = i - 1;
        for (int j = i; j <= p.layers; ++j)
          if (block_memory_bytes(c, i, j) <= c.memory_budget_bytes[q])
            want = j;
          else
            break;
        ASSERT_EQ(want, w[q][i]) << "trial " << trial << " node " << q << " i " << i;
      }
  }
}

// Sum and bottleneck, with memory budgets and pins: the optimum over the allowed plans.
void check_against_brute(Combine combine, std::uint64_t seed, int trials) {
  Rng r(seed);
  int infeasible = 0, constrained = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const Problem p = random_base(r, 9, 5);
    const NodeConstraints c = random_constraints(r, p, r.uniform(0, 1) == 1, r.uniform(0, 1) == 1);
    ChainCosts costs = compile(p);
    apply_pins(c, costs);
    const auto windows = memory_windows(c, p.layers, p.node_count());
    double best = kInf;
    for_each_plan(p.layers, p.node_count(), [&](const Boundaries& b) {
      if (!plan_allowed(c, b)) return;
      const Stages s = inference_stages(p, b);
      best = std::min(best, combine == Combine::kSum ? s.sum() : s.max());
    });
    Boundaries got;
    const double cost = solve_chain(costs, windows, combine, got);
    if (!std::isfinite(best)) {
      ++infeasible;
      ASSERT_TRUE(got.empty()) << "trial " << trial << ": solver found a plan, brute force none";
      ASSERT_FALSE(std::isfinite(cost));
      continue;
    }
    if (c.has_memory() || c.has_pins()) ++constrained;
    ASSERT_FALSE(got.empty()) << "trial " << trial << ": brute force found " << best;
    ASSERT_TRUE(plan_allowed(c, got)) << "trial " << trial;
    const Stages s = inference_stages(p, got);
    ASSERT_EQ(best, cost) << "trial " << trial;
    ASSERT_EQ(best, combine == Combine::kSum ? s.sum() : s.max()) << "trial " << trial;
  }
  EXPECT_GT(infeasible, trials / 50) << "the generator must produce infeasible cases";
  EXPECT_GT(constrained, trials / 4);
}

TEST(Constraints, MemoryAndPinsMatchBruteForce) { check_against_brute(Combine::kSum, 13, 4000); }
TEST(Bottleneck, MatchesBruteForce) { check_against_brute(Combine::kMax, 14, 4000); }

TEST(Bottleneck, HandExample) {
  // Two nodes, two layers of 4 and 4 on the UE, 1 and 1 on the cloud; cuts: input 8, s1 = 2,
  // s2 = 0; link 1 byte/s. Sum: cloud-only 8 + 2 = 10, split after 1: 4 + 2 + 1 = 7, UE-only
  // 8 + 0 = 8 -> sum optimum 7 (b = [1, 2]). Bottleneck: cloud-only max(8, 2) = 8, split
  // max(4, 2, 1) = 4, UE-only 8 -> 4, same plan.
  Problem p;
  p.layers = 2;
  p.input_bytes = 8;
  p.output_bytes = {2, 0};
  p.nodes = {{"ue", {4, 4}}, {"cloud", {1, 1}}};
  p.links = {Link{{1.0, 0.0}, {1.0, 0.0}}};
  Boundaries b;
  EXPECT_EQ(4.0, solve_chain(compile(p), {}, Combine::kMax, b));
  EXPECT_EQ((Boundaries{1, 2}), b);
}

TEST(Constraints, PinnedLayerForcesPlacement) {
  // The same problem with layer 2 pinned to the UE: only [2, 2] remains -> 8.
  Problem p;
  p.layers = 2;
  p.input_bytes = 8;
  p.output_bytes = {2, 0};
  p.nodes = {{"ue", {4, 4}}, {"cloud", {1, 1}}};
  p.links = {Link{{1.0, 0.0}, {1.0, 0.0}}};
  NodeConstraints c;
  c.pinned_node = {-1, 0};
  ChainCosts costs = compile(p);
  apply_pins(c, costs);
  Boundaries b;
  EXPECT_EQ(8.0, solve_chain(costs, {}, Combine::kSum, b));
  EXPECT_EQ((Boundaries{2, 2}), b);
}

}  // namespace
}  // namespace hivemind::split
