// The cost model built row by row (cost_model.hpp): each row from its own node's or link's data,
// checked against the paper's equations written out term by term.
#include "hivemind/split/cost_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/training.hpp"

namespace hivemind::split {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Problem random_problem(std::mt19937_64& rng, Deliver deliver) {
  std::uniform_real_distribution<double> u(0.0, 4.0);
  Problem p;
  p.layers = 1 + static_cast<int>(rng() % 7);
  const int P = 2 + static_cast<int>(rng() % 4);
  p.input_bytes = u(rng);
  for (int l = 0; l < p.layers; ++l) p.output_bytes.push_back(u(rng));
  for (int n = 0; n < P; ++n) {
    Node node{"n" + std::to_string(n), {}};
    for (int l = 0; l < p.layers; ++l) node.compute_s.push_back(rng() % 5 == 0 ? kInf : u(rng));
    p.nodes.push_back(node);
  }
  for (int k = 0; k + 1 < P; ++k)
    p.links.push_back({{0.5 + u(rng), u(rng) / 4}, {0.5 + u(rng), u(rng) / 4}});
  p.deliver = deliver;
  return p;
}

// Eq. 1 with the deliver modes, as the paper's terms: compute of each node's block, each link's
// transfer of the cut it carries (Eq. 10), and for kSource s_L back over the down direction of
// every link between the UE and the node that finishes.
double paper_total(const Problem& p, const Boundaries& b) {
  const int L = p.layers;
  double total = 0.0;
  int first = 1, finishing = -1;
  for (int q = 0; q < p.node_count(); ++q) {
    for (int l = first; l <= b[q]; ++l) total += p.nodes[q].compute_s[l - 1];
    if (finishing < 0 && b[q] == L) finishing = q;
    first = b[q] + 1;
  }
  for (int k = 0; k + 1 < p.node_count(); ++k) {
    const LinkDirection& up = p.links[k].up;
    if (b[k] < L || p.deliver == Deliver::kSink)
      total += p.cut_bytes(b[k]) / up.bandwidth_bytes_per_s + up.overhead_s;
  }
  if (p.deliver == Deliver::kSource)
    for (int k = 0; k < finishing; ++k)
      total += p.cut_bytes(L) / p.links[k].down.bandwidth_bytes_per_s + p.links[k].down.overhead_s;
  return total;
}

TEST(CostModel, CompiledPlansCostWhatTheEquationsSay) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 3000; ++trial) {
    const Deliver d = static_cast<Deliver>(trial % 3);
    const Problem p = random_problem(rng, d);
    const ChainCosts c = compile(p);
    Boundaries b(p.node_count());
    for (auto& x : b) x = static_cast<int>(rng() % (p.layers + 1));
    std::sort(b.begin(), b.end());
    b.back() = p.layers;
    // Both sums of a plan's cost, the itemised evaluate() and the allocation-free plan_total(),
    // each against the paper's equations summed by hand above (not one against the other: they
    // are the same sum). Caught: a sum without a link's overhead (checked by hand by dropping
    // up.overhead_s from paper_total: both sums fail).
    const double want = paper_total(p, b);
    for (const double got : {evaluate(c, b).total, plan_total(c, b)}) {
      if (std::isinf(want)) {
        EXPECT_TRUE(std::isinf(got)) << "trial " << trial;
      } else {
        EXPECT_NEAR(want, got, 1e-12 * (1 + want)) << "trial " << trial;
      }
    }
  }
}

// Row by row: a node's compute row and a link's row depend on that node's or link's own data
// alone, so changing one node or one link changes exactly its own row.
TEST(CostModel, EachRowDependsOnlyOnItsOwnNodeOrLink) {
  std::mt19937_64 rng(12);
  for (int trial = 0; trial < 500; ++trial) {
    Problem p = random_problem(rng, static_cast<Deliver>(trial % 3));
    const ChainCosts before = compile(p);
    const int q = static_cast<int>(rng() % p.node_count());
    const int k = static_cast<int>(rng() % (p.node_count() - 1));
    for (double& t : p.nodes[q].compute_s) t += 1.0;
    p.links[k].up.bandwidth_bytes_per_s *= 2;
    p.links[k].down.overhead_s += 1.0;
    const ChainCosts after = compile(p);
    for (int n = 0; n < p.node_count(); ++n) {
      if (n == q) continue;
      EXPECT_EQ(before.compute[n], after.compute[n]);
    }
    for (int n = 0; n + 1 < p.node_count(); ++n) {
      if (n == k) continue;
      EXPECT_EQ(before.transfer[n], after.transfer[n]);
    }
    for (double f : after.finish) EXPECT_EQ(f, 0.0);  // no cross-node term
  }
}

TEST(CostModel, TransferRowTerms) {
  TaskTraffic task;
  task.layers = 3;
  task.cut_bytes = {8, 4, 2, 16};
  const TransferCost up{2.0, 1.0, 0.5};     // s / 2 + 0.5
  const TransferCost down{4.0, 3.0, 0.25};  // 3 s / 4 + 0.25
  std::vector<double> row;
  task.deliver = Deliver::kSink;
  build_transfer_row(task, up, down, 1.0, row);
  EXPECT_EQ(row, (std::vector<double>{4.5, 2.5, 1.5, 8.5}));
  task.deliver = Deliver::kNone;
  build_transfer_row(task, up, down, 1.0, row);
  EXPECT_EQ(row, (std::vector<double>{4.5, 2.5, 1.5, 0.0}));
  task.deliver = Deliver::kSource;  // + down(s_L) = 12.25 on every cut before L
  build_transfer_row(task, up, down, 1.0, row);
  EXPECT_EQ(row, (std::vector<double>{16.75, 14.75, 13.75, 0.0}));
  task.deliver = Deliver::kNone;  // training: gradients of cuts 1 and 2 only, in ms
  task.gradient_bytes = {-1, 4, 8, -1};
  build_transfer_row(task, up, down, 1e3, row);
  EXPECT_EQ(row, (std::vector<double>{4500, 5750, 7750, 0.0}));
}

TEST(CostModel, ComputeRowTerms) {
  std::vector<double> row;
  const std::vector<double> fwd{1, 2, kInf}, bwd{2, 4, 1};
  build_compute_row(fwd, {}, 1.0, 1.0, row);
  EXPECT_EQ(row, fwd);
  build_compute_row(fwd, bwd, 2.0, 10.0, row);  // (tau + tau') / speed * unit
  EXPECT_EQ(row, (std::vector<double>{15, 30, kInf}));
  build_compute_row(fwd, {}, 1.0, 0.0, row);  // an uncounted metric: 0, forbidden stays +inf
  EXPECT_EQ(row, (std::vector<double>{0, 0, kInf}));
}

// Eq. 9's tables against the equation written out (the training oracle of tests/split_ext
// covers whole plans; here each entry).
TEST(CostModel, TrainingRowsMatchEquation9) {
  std::mt19937_64 rng(13);
  for (int trial = 0; trial < 300; ++trial) {
    const Problem p = random_problem(rng, static_cast<Deliver>(trial % 3));
    TrainingSpec spec;
    for (int n = 0; n < p.node_count(); ++n)
      spec.backward_compute_s.push_back(std::vector<double>(p.layers, 0.5 * n));
    const ChainCosts c = compile_training(p, spec);
    const ChainCosts inference = compile(p);
    for (int k = 0; k + 1 < p.node_count(); ++k)
      for (int x = 0; x <= p.layers; ++x) {
        double want = inference.transfer[k][x];
        if (x >= 1 && x < p.layers)
          want +=
              p.cut_bytes(x) / p.links[k].down.bandwidth_bytes_per_s + p.links[k].down.overhead_s;
        EXPECT_NEAR(want, c.transfer[k][x], 1e-12 * (1 + want));
      }
  }
}

TEST(CostModel, PlanningFloor) {
  EXPECT_EQ(planning_capacity(5e6, 1e9), 5e6);
  EXPECT_EQ(planning_capacity(0.0, 1e9), 1e9 * kPlanningFloor);
  EXPECT_EQ(planning_capacity(std::nan(""), 1e9), 1e9 * kPlanningFloor);
}

}  // namespace
}  // namespace hivemind::split
