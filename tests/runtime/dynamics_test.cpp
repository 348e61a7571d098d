// The runtime under change (issue 13, items 6-8): a link shaped slower moves the split after
// the next SCI update (the receiver's EWMA estimate, Eq. 10); a MEC daemon killed (kill -9)
// in the middle of a stream of 50 requests is bypassed, the task in flight is retried from the
// last completed cut, every request is answered correctly, and the node is re-admitted at the
// next SCI update once it is back. Real processes on loopback, ResNet-18 at 32 px.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <thread>

#include "hivemind/io.hpp"
#include "hivemind/model/torch_executor.hpp"
#include "hivemind/model/torch_profiler.hpp"
#include "hivemind/runtime/local_chain.hpp"
#include "hivemind/runtime/node.hpp"
#include "hivemind/split/problem_io.hpp"
#include "hivemind/split/solve.hpp"
#include "model_chain.hpp"
#include "runtime_testing.hpp"

namespace hivemind::runtime {
namespace {

using Chain = LocalChain;
namespace fs = std::filesystem;
using testing::chain_problem;
using testing::max_diff;
using testing::Model;
using testing::resnet18;
using testing::start_chain;
using testing::temp_dir;

TEST(RuntimeDynamics, ALinkShapedSlowerMovesTheSplitAtTheNextSciUpdate) {
  const fs::path dir = temp_dir("shaping");
  const Model m = resnet18(dir);
  const int L = static_cast<int>(m.executor->layer_count());
  // UE never computes, the MEC is 100x slower than the cloud, the MEC -> cloud link is fast:
  // everything runs in the cloud. Once that link is 1000x slower, the MEC keeps layers until
  // the cut is small.
  const split::Problem p = chain_problem(
      *m.executor,
      {std::vector<double>(L, 1.0), std::vector<double>(L, 1e-3), std::vector<double>(L, 1e-5)},
      {{{1e9, 1e-4}, {1e9, 1e-4}}, {{1e8, 1e-4}, {1e8, 1e-4}}});
  Chain chain(HIVEMIND_NODE_EXE, dir);
  const std::unique_ptr<Source> source = start_chain(chain, dir, p, m, {{1, {"--emulate-links"}}});
  Source& ue = *source;
  const PlanResult before = ue.plan(1);
  ASSERT_EQ(before.boundaries, (std::vector<int>{0, 0, L}));
  torch::manual_seed(5);
  const std::vector<c10::IValue> in = {torch::randn({1, 3, 32, 32})};
  EXPECT_LE(max_diff(ue.run(1, in), *m.executor, in), 1e-5);

  const split::LinkDirection slow{1e5, 1e-4};
  shape_link(chain.addresses()[1], slow, {});  // the MEC's link out
  for (std::uint64_t task = 2; task <= 3; ++task) {
    const TaskResult r = ue.run(task, in);
    EXPECT_LE(max_diff(r, *m.executor, in), 1e-5);
    ASSERT_EQ(r.runs.size(), 3u);
    // The cloud received the cut over the shaped link: at least the emulated time.
    const NodeRun& cloud = r.runs[2];
    EXPECT_GE(cloud.planned_transfer_in_s,
              m.executor->cut_bytes(static_cast<std::size_t>(cloud.first_layer - 1)) /
                  slow.bandwidth_bytes_per_s);
    EXPECT_GE(cloud.transfer_in_s, cloud.planned_transfer_in_s * 0.99);
  }
  const PlanResult after = ue.plan(2);
  EXPECT_GT(after.boundaries[1], before.boundaries[1]) << "the MEC keeps layers now";
  EXPECT_GT(after.cost, before.cost);
  // The new split holds on the next task too.
  const TaskResult r = ue.run(4, in);
  EXPECT_LE(max_diff(r, *m.executor, in), 1e-5);
  EXPECT_EQ(r.runs[1].last_layer, after.boundaries[1]);
  fs::remove_all(dir);
}

TEST(RuntimeDynamics, AKilledMecIsBypassedAndNoRequestIsLost) {
  const fs::path dir = temp_dir("failure");
  const Model m = resnet18(dir);
  const int L = static_cast<int>(m.executor->layer_count());
  // Five nodes, each cheap on its own segment; node 2 (a MEC) takes 20 ms a layer, emulated,
  // so that a task is in flight there when it is killed.
  const std::vector<int> want = {14, 28, 42, 56, L};
  std::vector<std::vector<double>> compute;
  for (int n = 0; n < 5; ++n) {
    std::vector<double> row;
    for (int l = 1; l <= L; ++l)
      row.push_back(l > (n ? want[n - 1] : 0) && l <= want[n] ? (n == 2 ? 0.02 : 1e-3) : 1.0);
    compute.push_back(row);
  }
  const split::Problem p =
      chain_problem(*m.executor, compute, std::vector<split::Link>(4, {{1e9, 1e-4}, {1e9, 1e-4}}));
  Chain chain(HIVEMIND_NODE_EXE, dir);
  const std::unique_ptr<Source> source =
      start_chain(chain, dir, p, m, {{2, {"--emulate-devices"}}});
  Source& ue = *source;
  ASSERT_EQ(ue.plan(1).boundaries, want);

  // Node 2 dies 0.1 s into task 5 (its 14 layers take 0.28 s there).
  std::atomic<bool> started5{false};
  std::thread killer([&] {
    for (int i = 0; i < 3000 && !started5; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    chain.crash(2);
  });
  torch::manual_seed(9);
  int answered = 0, retried = 0, delivered = 0;
  for (std::uint64_t task = 0; task < 50; ++task) {
    if (task == 5) started5 = true;
    const std::vector<c10::IValue> in = {torch::randn({1, 3, 32, 32})};
    try {
      const TaskResult r = ue.run(task, in);
      EXPECT_LE(max_diff(r, *m.executor, in), 1e-5) << "task " << task;
      answered += 1;
      delivered += r.delivered;
      for (const NodeRun& n : r.runs)
        if (n.retries > 0) {
          retried += 1;
          EXPECT_EQ(n.position, 1);
          EXPECT_EQ(n.bypassed, std::vector<int>{2});
        }
      if (task > 5) {
        for (const NodeRun& n : r.runs) EXPECT_NE(n.position, 2) << "task " << task;
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "task " << task << ": " << e.what();
    }
  }
  killer.join();
  EXPECT_EQ(answered, 50);
  EXPECT_EQ(delivered, 50) << "every result came straight from the sink, the retried one too";
  EXPECT_EQ(retried, 1) << "the task in flight at node 2 was retried from cut 28";
  const PlanResult without = ue.plan(10);
  EXPECT_EQ(without.absent, std::vector<int>{2});
  EXPECT_FALSE(without.pushed) << "node 1's subscription below it ended with node 2";
  EXPECT_EQ(without.boundaries[2], without.boundaries[1]) << "node 2 runs nothing";

  // Node 2 comes back on its address: re-admitted at the next SCI update.
  chain.restart(2);
  PlanResult back;
  for (int i = 0; i < 50; ++i) {  // bounded: the neighbour's channel reconnects within ~1 s
    back = ue.plan(11 + static_cast<std::uint64_t>(i));
    if (back.absent.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(back.absent.empty());
  EXPECT_EQ(back.boundaries, want);
  const PlanResult again = ue.plan(100);
  EXPECT_TRUE(again.pushed) << "the subscriptions stand again through node 2";
  EXPECT_EQ(again.boundaries, want);
  const std::vector<c10::IValue> in = {torch::randn({1, 3, 32, 32})};
  const TaskResult r = ue.run(100, in);
  EXPECT_LE(max_diff(r, *m.executor, in), 1e-5);
  EXPECT_EQ(r.runs.size(), 5u);
  EXPECT_TRUE(r.delivered);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hivemind::runtime
