// The paper's Fig. 2 example (Sec. III) as a golden test, worked by hand.
#include <gtest/gtest.h>

#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/paper_examples.hpp"
#include "hivemind/split/solve.hpp"

namespace hivemind::split {
namespace {

// tau: UE 0.5, 1, 4 (capacity 1); MEC 1/6, 1/3, 4/3 (capacity 3); cloud 0.05, 0.1, 0.4 (10).
// Data: s_0 = 1.2, s_1 = 1, s_2 = 4, s_3 = 0. UE-MEC link 2, MEC-cloud link c.
TEST(Fig2Golden, LinkCapacityOne) {
  const ChainCosts costs = compile(paper_fig2_problem(/*mec_cloud_capacity=*/1.0));
  // Multi-split [0, 1, 3]: input to MEC 1.2/2 = 0.6, MEC layer 1 = 1/6, s_1 to cloud 1/1 = 1,
  // cloud layers 2-3 = 0.1 + 0.4 = 0.5: total 0.6 + 1/6 + 1 + 0.5 = 2.2667.
  for (Method m : {Method::kSci, Method::kAlgorithm1, Method::kDijkstra, Method::kBrute}) {
    const Solution s = solve(costs, m);
    EXPECT_EQ(s.boundaries, (Boundaries{0, 1, 3})) << to_string(m);
    EXPECT_NEAR(s.cost, 0.6 + 1.0 / 6 + 1.0 + 0.5, 1e-12) << to_string(m);
  }
  // Cloud-only: 0.6 + 1.2/1 + 0.55 = 2.35, also the best single split here.
  EXPECT_NEAR(solve(costs, Method::kCloudOnly).cost, 2.35, 1e-12);
  EXPECT_NEAR(solve(costs, Method::kSingleSplit).cost, 2.35, 1e-12);
  // UE-only: 0.5 + 1 + 4 = 5.5 (s_3 = 0 crosses both links for free).
  EXPECT_NEAR(solve(costs, Method::kUeOnly).cost, 5.5, 1e-12);
}

TEST(Fig2Golden, LinkCapacityOneTenth) {
  const ChainCosts costs = compile(paper_fig2_problem(/*mec_cloud_capacity=*/0.1));
  // The MEC now runs everything, [0, 3, 3]: 0.6 + 1/6 + 1/3 + 4/3 = 2.4333; the cloud relays.
  const Solution s = solve(costs, Method::kSci);
  EXPECT_EQ(s.boundaries, (Boundaries{0, 3, 3}));
  EXPECT_NEAR(s.cost, 0.6 + 1.0 / 6 + 1.0 / 3 + 4.0 / 3, 1e-12);
  // Cloud-only: 0.6 + 1.2/0.1 + 0.55 = 13.15. Single split falls back to the UE: 5.5.
  EXPECT_NEAR(solve(costs, Method::kCloudOnly).cost, 13.15, 1e-12);
  EXPECT_NEAR(solve(costs, Method::kSingleSplit).cost, 5.5, 1e-12);
}

TEST(Fig2Golden, MultiSplitNeverWorseAcrossTheSweep) {
  for (int k = 1; k <= 10; ++k) {
    const ChainCosts costs = compile(paper_fig2_problem(1.0 / k));
    const double multi = solve(costs, Method::kSci).cost;
    for (Method b : {Method::kUeOnly, Method::kCloudOnly, Method::kSingleSplit})
      EXPECT_LE(multi, solve(costs, b).cost + 1e-12) << "c = 1/" << k << " vs " << to_string(b);
  }
  // The switch from [0,1,3] to [0,3,3] is where 1.2667 + 1/c = 2.4333, c = 6/7 = 0.857:
  EXPECT_EQ(solve(compile(paper_fig2_problem(0.87)), Method::kSci).boundaries,
            (Boundaries{0, 1, 3}));
  EXPECT_EQ(solve(compile(paper_fig2_problem(0.85)), Method::kSci).boundaries,
            (Boundaries{0, 3, 3}));
}

}  // namespace
}  // namespace hivemind::split
