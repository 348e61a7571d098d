// Unit tests of the per-node SCI function and the chain solvers, with the arithmetic shown.
#include "hivemind/split/sci.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "hivemind/error.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/paper_examples.hpp"
#include "hivemind/split/solve.hpp"

namespace hivemind::split {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A sink node running layers of cost tau = [1, 2]; the data reaching it over its incoming link
// costs 3 (cut 0, the input), 1 (cut 1) or 0.5 (cut 2, the result).
TEST(SciNode, SinkNodeArithmetic) {
  const std::vector<double> tau = {1, 2}, incoming = {3, 1, 0.5};
  SciNodeOutput out;
  sci_node({tau, incoming, /*finish=*/0.0, /*downstream_zeta=*/{}}, out);
  ASSERT_EQ(out.zeta.size(), 4u);  // L + 2
  // i = 3 (everything done upstream): relay the result, in_3 = transfer of cut 2 = 0.5.
  EXPECT_DOUBLE_EQ(out.zeta[3], 0.5);
  EXPECT_EQ(out.stop[3], 2);
  // i = 2: the sink must finish: tau_2 = 2 plus in_2 = transfer of cut 1 = 1 -> 3.
  EXPECT_DOUBLE_EQ(out.zeta[2], 3.0);
  EXPECT_EQ(out.stop[2], 2);
  // i = 1: tau_1 + tau_2 = 3 plus the input transfer 3 -> 6.
  EXPECT_DOUBLE_EQ(out.zeta[1], 6.0);
  EXPECT_EQ(out.stop[1], 2);
  EXPECT_DOUBLE_EQ(out.zeta[0], out.zeta[1]);  // the dummy input layer is free
}

TEST(SciNode, SourceNodeChoosesCheapestStop) {
  const std::vector<double> downstream = {6, 6, 3, 0.5};  // the sink above
  const std::vector<double> tau = {2, 0.5};
  SciNodeOutput out;
  sci_node({tau, /*incoming=*/{}, /*finish=*/0.0, downstream}, out);
  // theta^1_j = T_j + zeta'_{j+1}: j = 0 -> 0 + 6 = 6; j = 1 -> 2 + 3 = 5; j = 2 -> 2.5 + 0.5 = 3.
  EXPECT_DOUBLE_EQ(out.zeta[1], 3.0);
  EXPECT_EQ(sci_decide(out, /*upstream_stop=*/0), 2);
}

TEST(SciNode, FinishCostChargedOnlyToTheNodeRunningLayerL) {
  const std::vector<double> downstream = {6, 6, 3, 0.5};
  const std::vector<double> tau = {2, 0.5};
  SciNodeOutput out;
  sci_node({tau, {}, /*finish=*/10.0, downstream}, out);
  // j = 2 now costs 2.5 + 0.5 + 10 = 13, so j = 1 (2 + 3 = 5) wins.
  EXPECT_DOUBLE_EQ(out.zeta[1], 5.0);
  EXPECT_EQ(out.stop[1], 1);
}

TEST(SciNode, TiesGoToTheLargerStop) {
  const std::vector<double> downstream = {2, 2, 1, 0};  // zeta'_1 = 2, zeta'_2 = 1, zeta'_3 = 0
  const std::vector<double> tau = {1, 1};
  SciNodeOutput out;
  sci_node({tau, {}, 0.0, downstream}, out);
  // theta^1_0 = 2, theta^1_1 = 1 + 1 = 2, theta^1_2 = 2 + 0 = 2: all equal, the largest j wins.
  EXPECT_DOUBLE_EQ(out.zeta[1], 2.0);
  EXPECT_EQ(out.stop[1], 2);
  SciNodeOutput lit;
  algorithm1_node({tau, {}, 0.0, downstream}, lit);
  EXPECT_EQ(lit.stop, out.stop);
  EXPECT_EQ(lit.zeta, out.zeta);
}

TEST(SciNode, InfiniteComputeIsABarrier) {
  // Layer 2 is forbidden on this node (+inf): blocks may not contain it.
  const std::vector<double> tau = {1, kInf, 1};
  const std::vector<double> downstream = {10, 10, 4, 2, 0};
  SciNodeOutput out, lit;
  sci_node({tau, {}, 0.0, downstream}, out);
  algorithm1_node({tau, {}, 0.0, downstream}, lit);
  // From i = 1: j = 0 -> 10, j = 1 -> 1 + 4 = 5; j >= 2 is infinite. So 5 at stop 1.
  EXPECT_DOUBLE_EQ(out.zeta[1], 5.0);
  EXPECT_EQ(out.stop[1], 1);
  // From i = 3: j = 2 (relay) -> zeta'_3 = 2, j = 3 -> 1 + 0 = 1.
  EXPECT_DOUBLE_EQ(out.zeta[3], 1.0);
  EXPECT_EQ(out.stop[3], 3);
  for (std::size_t i = 1; i < out.zeta.size(); ++i) {
    EXPECT_DOUBLE_EQ(out.zeta[i], lit.zeta[i]) << "i = " << i;
    EXPECT_EQ(out.stop[i], lit.stop[i]) << "i = " << i;
  }
}

TEST(SciMessage, SizeIsHeaderPlusLPlusTwoFloats) {
  EXPECT_EQ(sci_message_bytes(515), 2100u);  // 32 + (515 + 2) * 4 bytes, under the paper's 4 KB
  EXPECT_LE(sci_message_bytes(515), 4096u);
}

TEST(PlanCount, Binomial) {
  EXPECT_EQ(plan_count(3, 3), 10u);                                            // C(5, 2)
  EXPECT_EQ(plan_count(52, 2), 53u);                                           // one cut: 0..52
  EXPECT_EQ(plan_count(10, 10), 92378u);                                       // C(19, 9)
  EXPECT_EQ(plan_count(2000, 30), std::numeric_limits<std::uint64_t>::max());  // saturates
}

TEST(Dijkstra, GraphSizeMatchesFormula) {
  // L = 3, P = 3: source 4 vertices (n = 0..3), other nodes (L+1)(L+2)/2 = 10 each, + start/end.
  EXPECT_EQ(dijkstra_graph_size(3, 3).vertices, 2 + 4 + 2 * 10);
  const auto s = solve(compile(paper_fig2_problem(1.0)), Method::kDijkstra);
  EXPECT_EQ(s.graph.vertices, 26);
  EXPECT_EQ(s.graph.edges, dijkstra_graph_size(3, 3).edges);
}

TEST(Evaluate, DeliverModes) {
  // Fig. 2 problem with a non-zero final output so the deliver mode matters: s_3 = 2.
  Problem p = paper_fig2_problem(1.0);
  p.output_bytes[2] = 2.0;
  p.links[0].down = {4.0, 0.25};
  const Boundaries b = {1, 3, 3};  // UE runs 1, MEC runs 2-3, cloud relays
  // Compute: UE 0.5; MEC 1/3 + 4/3 = 5/3. Link 0 carries s_1 = 1 at 2 -> 0.5.
  p.deliver = Deliver::kSink;  // link 1 carries s_3 = 2 at 1 -> 2
  EXPECT_DOUBLE_EQ(evaluate(compile(p), b).total, 0.5 + 5.0 / 3 + 0.5 + 2.0);
  p.deliver = Deliver::kNone;  // link 1 carries nothing
  EXPECT_DOUBLE_EQ(evaluate(compile(p), b).total, 0.5 + 5.0 / 3 + 0.5);
  p.deliver = Deliver::kSource;  // MEC sends s_3 back to the UE: 2 / 4 + 0.25 = 0.75
  const PlanCost c = evaluate(compile(p), b);
  EXPECT_EQ(c.finishing_node, 1);
  // The return is charged to the link it crosses (link 0, which carried cut 1 < L): local to
  // the link's row, no finish cost.
  EXPECT_DOUBLE_EQ(c.link_transfer[0], 0.5 + 0.75);
  EXPECT_DOUBLE_EQ(c.link_transfer[1], 0.0);
  EXPECT_EQ(c.finish, 0.0);
  EXPECT_DOUBLE_EQ(c.total, 0.5 + 5.0 / 3 + 0.5 + 0.75);
}

TEST(Baselines, ShapesOfThePlans) {
  const ChainCosts costs = compile(paper_fig2_problem(0.5));
  EXPECT_EQ(solve(costs, Method::kUeOnly).boundaries, (Boundaries{3, 3, 3}));
  EXPECT_EQ(solve(costs, Method::kCloudOnly).boundaries, (Boundaries{0, 0, 3}));
  // Single split k = 1: UE 0.5 + s_1 over both links (1/2 + 1/0.5 = 2.5) + cloud 0.5 = 3.5;
  // k = 0: 0.6 + 2.4 + 0.55 = 3.55; k = 2: 1.5 + 2 + 8 + 0.4; k = 3: 5.5.
  const Solution single = solve(costs, Method::kSingleSplit);
  EXPECT_EQ(single.boundaries, (Boundaries{1, 1, 3}));
  EXPECT_DOUBLE_EQ(single.cost, 3.5);
}

TEST(Brute, RefusesAboveTheLimit) {
  ChainCosts costs;
  costs.layers = 200;
  costs.compute.assign(12, std::vector<double>(200, 1.0));
  costs.transfer.assign(11, std::vector<double>(201, 1.0));
  costs.finish.assign(12, 0.0);
  EXPECT_THROW(solve(costs, Method::kBrute), InputError);
}

TEST(Solve, AllInfiniteIsAnError) {
  Problem p = paper_fig2_problem(1.0);
  ChainCosts costs = compile(p);
  for (auto& node : costs.compute) node[1] = kInf;  // nobody may run layer 2
  for (Method m : {Method::kSci, Method::kAlgorithm1, Method::kDijkstra, Method::kBrute})
    EXPECT_THROW(solve(costs, m), InputError) << to_string(m);
}

}  // namespace
}  // namespace hivemind::split
