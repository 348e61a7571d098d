// Node daemons as real processes on loopback (issue 13, first step): hivemind-node per chain
// node, the SCI update and the decisions through gRPC with the codec's messages. The plan's
// cost equals the library's in-process SCI cost within float32 rounding (docs/formats.md:
// compare costs, not boundaries); a node planning another model is refused with one line.
#include "hivemind/runtime/node.hpp"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include "../split/random_problems.hpp"
#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/process.hpp"
#include "hivemind/runtime/local_chain.hpp"
#include "hivemind/split/problem_io.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/sci_codec.hpp"
#include "hivemind/split/solve.hpp"
#include "hivemind/v1/node.grpc.pb.h"
#include "runtime_testing.hpp"

namespace hivemind::runtime {
namespace {

namespace fs = std::filesystem;

using Chain = LocalChain;
using testing::temp_dir;

// A random chain of `n` nodes (seed `seed`) in a problem file of its own directory, its
// daemons (nodes 1..n-1) running on loopback.
struct RandomDaemons {
  RandomDaemons(unsigned seed, int n, const std::string& name)
      : problem(draw(seed, n)), dir(temp_dir(name)), chain(HIVEMIND_NODE_EXE, dir) {
    const std::string file = (dir / "problem.json").string();
    write_text_file_atomic(file, split::to_json(problem));
    nodes = chain.start(file, n);
  }
  static split::Problem draw(unsigned seed, int n) {
    std::mt19937_64 rng(seed);
    split::testing::RandomSpec spec;
    spec.min_nodes = n;
    spec.max_nodes = n;
    return split::testing::random_problem(rng, spec);
  }
  split::Problem problem;
  fs::path dir;
  Chain chain;
  std::vector<std::string> nodes;  // addresses of nodes 1..n-1
};

std::unique_ptr<hivemind::v1::Node::Stub> stub(const std::string& address) {
  return hivemind::v1::Node::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

TEST(NodeDaemons, DistributedPlanCostsWhatTheLibrarySolves) {
  std::mt19937_64 rng(2026);
  split::testing::RandomSpec spec;
  spec.min_nodes = 2;
  spec.max_nodes = 5;
  spec.max_layers = 60;
  for (int trial = 0; trial < 4; ++trial) {
    const split::Problem problem =
        trial == 0 ? split::load_problem(std::string(HIVEMIND_EXAMPLES) + "/fig2.json")
                   : split::testing::random_problem(rng, spec);
    const fs::path dir = temp_dir("trial" + std::to_string(trial));
    const std::string file = (dir / "problem.json").string();
    write_text_file_atomic(file, split::to_json(problem));
    Chain chain(HIVEMIND_NODE_EXE, dir);
    const std::vector<std::string> nodes = chain.start(file, problem.node_count());
    const PlanResult r = plan_from_source(node_config_from_problem(problem, 0, nodes), /*epoch=*/7);
    const split::Solution want = split::solve(split::compile(problem), split::Method::kSci);
    ASSERT_EQ(r.boundaries.size(), static_cast<std::size_t>(problem.node_count()));
    // The plan is valid and costs the optimum within float32 rounding of the messages.
    const double got = split::evaluate(split::compile(problem), r.boundaries).total;
    const double tol = 1e-6 * (1 + want.cost) * problem.node_count();
    EXPECT_NEAR(got, want.cost, tol) << "trial " << trial;
    EXPECT_NEAR(r.cost, want.cost, tol) << "trial " << trial;
    EXPECT_EQ(r.message_bytes, split::sci_message_bytes(problem.layers));
    EXPECT_TRUE(r.pushed) << "trial " << trial << ": every node is up";
  }
}

// The SCI update pushed up the standing subscriptions (SciSubscribe + SciStart at the sink)
// and the nested one (Sci: each node asks the next) give node 1 the same message, bit for bit;
// SciStart is refused by a node that is not the sink and by a sink nobody subscribed to, and
// a newer subscription replaces an older one, which ends with a status.
TEST(NodeDaemons, APushedUpdateEqualsTheNestedOneBitForBit) {
  const RandomDaemons d(7, 4, "pushed");
  auto node1 = stub(d.nodes[0]), sink = stub(d.nodes[2]);
  auto deadline = [] { return std::chrono::system_clock::now() + std::chrono::seconds(20); };
  auto start = [&](hivemind::v1::Node::Stub& at, std::uint64_t epoch) {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    hivemind::v1::SciRequest req;
    req.set_epoch(epoch);
    hivemind::v1::SciReply reply;
    return at.SciStart(&ctx, req, &reply);
  };
  const grpc::Status lonely = start(*sink, 3);
  EXPECT_EQ(lonely.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(lonely.error_message().find("no upstream subscription"), std::string::npos);
  const grpc::Status not_sink = start(*node1, 3);
  EXPECT_EQ(not_sink.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(not_sink.error_message().find("not the sink"), std::string::npos);

  auto nested = [&](std::uint64_t epoch) {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    hivemind::v1::SciRequest req;
    req.set_epoch(epoch);
    hivemind::v1::SciReply reply;
    EXPECT_TRUE(node1->Sci(&ctx, req, &reply).ok());
    return reply.message();
  };
  grpc::ClientContext old_ctx;
  old_ctx.set_deadline(deadline());
  auto old_subscription = node1->SciSubscribe(&old_ctx, hivemind::v1::SciSubscription());
  old_subscription->WaitForInitialMetadata();  // the subscriptions down to the sink stand
  for (std::uint64_t epoch : {5u, 6u}) {
    ASSERT_TRUE(start(*sink, epoch).ok());
    hivemind::v1::SciReply pushed;
    ASSERT_TRUE(old_subscription->Read(&pushed));
    EXPECT_EQ(pushed.message(), nested(epoch)) << "epoch " << epoch;
  }
  grpc::ClientContext new_ctx;
  new_ctx.set_deadline(deadline());
  auto subscription = node1->SciSubscribe(&new_ctx, hivemind::v1::SciSubscription());
  subscription->WaitForInitialMetadata();
  hivemind::v1::SciReply pushed;
  EXPECT_FALSE(old_subscription->Read(&pushed));
  EXPECT_EQ(old_subscription->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(start(*sink, 9).ok());
  ASSERT_TRUE(subscription->Read(&pushed));
  EXPECT_EQ(pushed.message(), nested(9));
  new_ctx.TryCancel();
}

// SciStream (the benchmark's stream): a backlog of steps is answered in order, each reply
// node 1's message for its step (the library's within float32 rounding); a malformed step ends
// the stream with an error naming it, and the daemon serves the next stream.
TEST(NodeDaemons, SciStreamAnswersEveryStepInOrderAndRefusesAMalformedOne) {
  const RandomDaemons d(11, 3, "stream");
  const split::Problem& problem = d.problem;
  split::SciChainSolver solver;
  std::vector<int> boundaries;
  solver.solve(split::compile(problem), boundaries);
  const std::uint64_t hash = split::architecture_hash(problem);
  auto node1 = stub(d.nodes[0]);
  constexpr int kSteps = 500;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto stream = node1->SciStream(&ctx);
    for (int e = 1; e <= kSteps; ++e) {  // all written before any reply is read
      const std::vector<std::uint8_t> down =
          split::encode_sci({hash, static_cast<std::uint64_t>(e), 2}, solver.nodes()[2].zeta);
      hivemind::v1::SciStep step;
      step.set_downstream(std::string(down.begin(), down.end()));
      ASSERT_TRUE(stream->Write(step));
    }
    stream->WritesDone();
    hivemind::v1::SciReply reply;
    const std::vector<double>& want = solver.nodes()[1].zeta;
    for (int e = 1; e <= kSteps; ++e) {
      ASSERT_TRUE(stream->Read(&reply)) << "reply " << e;
      const std::string& m = reply.message();
      const split::SciMessage got =
          split::decode_sci(std::span(reinterpret_cast<const std::uint8_t*>(m.data()), m.size()),
                            {problem.layers, hash, 1});
      ASSERT_EQ(got.header.epoch, static_cast<std::uint64_t>(e));
      ASSERT_EQ(got.zeta.size(), want.size());
      for (std::size_t x = 0; x < want.size(); ++x)
        ASSERT_NEAR(got.zeta[x], want[x], 1e-6 * (1 + std::abs(want[x]))) << "x " << x;
    }
    EXPECT_FALSE(stream->Read(&reply));
    EXPECT_TRUE(stream->Finish().ok());
  }
  for (const std::string& bad : {std::string("not an SCI message"), std::string()}) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto stream = node1->SciStream(&ctx);
    hivemind::v1::SciStep step;
    step.set_downstream(bad);
    ASSERT_TRUE(stream->Write(step));
    hivemind::v1::SciReply reply;
    EXPECT_FALSE(stream->Read(&reply));  // no reply: the stream ends with the error
    const grpc::Status s = stream->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(s.error_message().find('\n'), std::string::npos) << s.error_message();
  }
  // Still serving: the decisions of a full round from the source.
  EXPECT_EQ(plan_from_source(node_config_from_problem(problem, 0, d.nodes), 1).boundaries.size(),
            3u);
}

TEST(NodeDaemons, ANodeOfAnotherModelIsRefused) {
  const split::Problem problem = split::load_problem(std::string(HIVEMIND_EXAMPLES) + "/fig2.json");
  split::Problem other = problem;
  other.output_bytes[0] *= 2;  // another model: its architecture hash differs
  const fs::path dir = temp_dir("other");
  const std::string file = (dir / "other.json").string();
  write_text_file_atomic(file, split::to_json(other));
  Chain chain(HIVEMIND_NODE_EXE, dir);
  const std::vector<std::string> nodes = chain.start(file, other.node_count());
  try {
    plan_from_source(node_config_from_problem(problem, 0, nodes), 1);
    FAIL() << "planned with a node of another model";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("different model"), std::string::npos) << e.what();
  }
  // Dead nodes downstream (the neighbour, then the sink): no answer in time, one line.
  NodeConfig dead = node_config_from_problem(problem, 0, {"127.0.0.1:1", "127.0.0.1:2"});
  dead.call_timeout_s = 0.5;
  EXPECT_THROW(plan_from_source(dead, 1), InputError);
}

TEST(NodeDaemons, BadFlagsAreOneLineAndExitTwo) {
  const fs::path dir = temp_dir("flags");
  const std::string fig2 = std::string(HIVEMIND_EXAMPLES) + "/fig2.json";
  const std::string out = (dir / "out.txt").string();
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},                                      // no --problem
           {"--problem", fig2},                     // no --position
           {"--problem", fig2, "--position", "7"},  // outside the chain
           {"--problem", fig2, "--position", "1"},  // no --downstream
           {"--problem", (dir / "missing.json").string(), "--position", "0"},
           {"--problem", fig2, "--position", "2", "--listen", "256.0.0.1:0"},
           {"--problem", fig2, "--position", "0", "--downstream", "127.0.0.1:1", "--plan"},
           {"--problem", fig2, "--position", "0", "--downstream", "127.0.0.1:1,127.0.0.1:2",
            "--plan", "--timeout-s", "0.5"}}) {
    std::vector<std::string> argv = {HIVEMIND_NODE_EXE};
    argv.insert(argv.end(), args.begin(), args.end());
    const ExitStatus st = run_process({argv, "", out}, 30.0);
    EXPECT_EQ(st.code, 2) << args.size();
    const std::string text = read_text_file(out);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    EXPECT_EQ(text.rfind("hivemind-node: ", 0), 0u) << text;
  }
}

}  // namespace
}  // namespace hivemind::runtime
