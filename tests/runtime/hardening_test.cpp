// The daemon under hostile peers (issue 23, findings 3-7): a client built from node.proto
// sends what an honest node never would — many tiny values, oversized messages from many
// calls at once, a Deliveries stream it never reads, a SciStream it never reads, a forged
// transfer stamp, emulation parameters far out of range — and the daemon refuses each with one
// line, keeps its memory within its budget, holds no thread past its own timeout, and serves
// the next honest request. Real processes on loopback, ResNet-18 at 32 px; each daemon's
// memory read from /proc/PID/status.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <random>
#include <thread>

#include "../split/random_problems.hpp"
#include "hivemind/error.hpp"
#include "hivemind/process.hpp"
#include "hivemind/runtime/tensor_wire.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/sci_codec.hpp"
#include "hivemind/v1/node.grpc.pb.h"
#include "model_chain.hpp"

namespace hivemind::runtime {
namespace {

using namespace testing;
using Clock = std::chrono::steady_clock;

constexpr double kTimeoutS = 5.0;  // every daemon's --timeout-s here
// Under ASan the daemons' resident sizes hold its shadow memory and quarantine of freed
// blocks: the memory bounds are checked in the plain build only.
#ifdef HIVEMIND_SANITIZED
constexpr bool kMemoryChecked = false;
#else
constexpr bool kMemoryChecked = true;
#endif
constexpr int kBudgetMiB = 64;  // node 1's --max-inflight-mib where the test sets it

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A field of /proc/PID/status in MiB ("VmRSS": resident now, "VmHWM": its peak).
double status_mib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  ADD_FAILURE() << "no " << field << " for pid " << pid;
  return 0.0;
}

std::unique_ptr<hivemind::v1::Node::Stub> stub(const std::string& address,
                                               const grpc::ChannelArguments& args = {}) {
  return hivemind::v1::Node::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

// Everything in the cloud (node 2): the UE never computes, the MEC is 100x slower than the
// cloud, links are fast. The MEC relays cut 0; the cloud estimates link 1 from it.
struct CloudChain {
  explicit CloudChain(const std::string& name,
                      const std::map<int, std::vector<std::string>>& per_node = {})
      : dir(temp_dir(name)), m(resnet18(dir)), chain(HIVEMIND_NODE_EXE, dir) {
    L = static_cast<int>(m.executor->layer_count());
    p = chain_problem(
        *m.executor,
        {std::vector<double>(L, 1.0), std::vector<double>(L, 1e-3), std::vector<double>(L, 1e-5)},
        {{{1e9, 1e-4}, {1e9, 1e-4}}, {{1e9, 1e-4}, {1e9, 1e-4}}});
    ue = start_chain(chain, dir, p, m, per_node, kTimeoutS);
    encode_values(m.executor->example_cut(0), cut0);
  }
  ~CloudChain() {
    ue.reset();
    chain.stop();
    fs::remove_all(dir);
  }
  // An honest task: its output equals the monolithic forward.
  void honest(std::uint64_t task) {
    torch::manual_seed(static_cast<std::uint64_t>(task));
    const std::vector<c10::IValue> in = {torch::randn({1, 3, 32, 32})};
    EXPECT_LE(max_diff(ue->run(task, in), *m.executor, in), 1e-5) << "task " << task;
  }
  // A well-formed task carrying cut 0, as node `p - 1` would send it to node p.
  hivemind::v1::TaskRequest task(std::uint64_t id) const {
    hivemind::v1::TaskRequest req;
    req.set_task(id);
    req.set_cut(0);
    req.set_live(cut0);
    req.set_links(1);
    req.set_architecture(split::architecture_hash(p));
    return req;
  }
  fs::path dir;
  Model m;
  LocalChain chain;
  int L = 0;
  split::Problem p;
  std::unique_ptr<Source> ue;
  std::string cut0;  // cut 0's values on the wire
};

grpc::Status run(hivemind::v1::Node::Stub& node, const hivemind::v1::TaskRequest& req,
                 hivemind::v1::TaskReply& reply, double deadline_s = 60) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<long>(deadline_s * 1e3)));
  return node.Run(&ctx, req, &reply);
}

// A tensor-wire message of `zero_dim` 0-dim uint8 tensors (12 bytes each) and one uint8
// vector padding it to exactly `bytes` (header 10 bytes; the vector 19 bytes plus its data).
std::string tiny_values(std::size_t zero_dim, std::size_t bytes) {
  auto put = [](std::string& out, auto x) {
    out.append(reinterpret_cast<const char*>(&x), sizeof x);
  };
  std::string m = "HMTV";
  put(m, std::uint16_t{1});
  put(m, static_cast<std::uint32_t>(zero_dim + 1));
  for (std::size_t k = 0; k < zero_dim; ++k) {
    put(m, std::uint8_t{0});  // tensor
    put(m, std::uint8_t{6});  // uint8
    put(m, std::uint8_t{0});  // 0 dimensions
    put(m, std::uint64_t{1});
    m.push_back('\x07');
  }
  const std::size_t pad = bytes - m.size() - 19;
  put(m, std::uint8_t{0});
  put(m, std::uint8_t{6});
  put(m, std::uint8_t{1});
  put(m, static_cast<std::int64_t>(pad));
  put(m, static_cast<std::uint64_t>(pad));
  m.append(pad, '\0');
  EXPECT_EQ(m.size(), bytes);
  return m;
}

// Finding 3: a message of the cut's exact size made of 12-byte 0-dim tensors is refused
// before it is decoded (the node knows its cut holds one value); messages far above the
// model's largest cut are refused by gRPC, also 16 at once; node 1's peak resident memory
// stays under 2x its idle size plus its in-flight budget; the next honest task is served.
TEST(RuntimeHardening, AHostileTaskCostsNoMoreMemoryThanTheBudget) {
  CloudChain c("memory", {{1, {"--max-inflight-mib", std::to_string(kBudgetMiB)}}});
  ASSERT_EQ(c.ue->plan(1).boundaries, (std::vector<int>{0, 0, c.L}));
  c.honest(1);
  const pid_t mec = c.chain.pid(1);
  const double idle_mib = status_mib(mec, "VmRSS");
  auto node1 = stub(c.chain.addresses()[1]);

  hivemind::v1::TaskRequest req = c.task(2);
  req.set_live(tiny_values(1000, c.cut0.size()));
  hivemind::v1::TaskReply reply;
  grpc::Status s = run(*node1, req, reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("values"), std::string::npos) << s.error_message();
  EXPECT_EQ(s.error_message().find('\n'), std::string::npos);

  // A size other than the cut's: refused before decoding, naming both sizes.
  req.set_live(tiny_values(10, c.cut0.size() + 12));
  s = run(*node1, req, reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find(std::to_string(c.cut0.size())), std::string::npos)
      << s.error_message();

  // 16 calls at once, each 32 MiB of 0-dim tensors (2.8 million values): 512 MiB offered.
  req.set_live(tiny_values(((32u << 20) - 100) / 12, 32u << 20));
  std::vector<std::future<grpc::Status>> calls;
  for (int k = 0; k < 16; ++k)
    calls.push_back(std::async(std::launch::async, [&] {
      hivemind::v1::TaskReply r;
      return run(*node1, req, r);
    }));
  for (auto& call : calls) {
    const grpc::Status each = call.get();
    EXPECT_EQ(each.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << each.error_message();
  }
  const double peak_mib = status_mib(mec, "VmHWM");
  std::printf("node 1: idle %.1f MiB, peak %.1f MiB (bound %.1f MiB)\n", idle_mib, peak_mib,
              2 * idle_mib + kBudgetMiB);
  if (kMemoryChecked) {
    EXPECT_LT(peak_mib, 2 * idle_mib + kBudgetMiB);
  }
  c.honest(3);
}

// Finding 4: a Deliveries subscription at the sink that is never read (a receive window of
// 1 KiB fills after a few results), then 40 tasks carrying its token and no deadline. Each
// returns within the node's timeout + 1 s (the result up the chain once the subscriber is
// dropped as a slow reader), and the honest source plans and runs meanwhile.
TEST(RuntimeHardening, AnUnreadDeliveriesStreamHoldsNoWorker) {
  CloudChain c("deliveries");
  ASSERT_EQ(c.ue->plan(1).boundaries, (std::vector<int>{0, 0, c.L}));
  grpc::ChannelArguments small;
  small.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  small.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto reader_channel = stub(c.chain.addresses()[2], small);
  grpc::ClientContext subscription;
  hivemind::v1::DeliverySubscription token;
  token.set_token(0xfeed);
  auto never_read = reader_channel->Deliveries(&subscription, token);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the subscription stands

  auto cloud = stub(c.chain.addresses()[2]);
  std::atomic<int> ok{0};
  std::atomic<double> slowest{0.0};
  std::vector<std::thread> attackers;
  for (int t = 0; t < 8; ++t)
    attackers.emplace_back([&, t] {
      for (int k = 0; k < 5; ++k) {
        hivemind::v1::TaskRequest req = c.task(1000 + 10 * t + k);
        req.set_deliver_to(0xfeed);
        hivemind::v1::TaskReply reply;
        grpc::ClientContext ctx;  // no deadline
        const auto t0 = Clock::now();
        const grpc::Status s = cloud->Run(&ctx, req, &reply);
        const double took = seconds_since(t0);
        double seen = slowest.load();
        while (took > seen && !slowest.compare_exchange_weak(seen, took)) {
        }
        ok += s.ok() && (reply.delivered() || !reply.result().empty());
      }
    });
  // The honest source meanwhile (its own subscription at the sink was replaced: its results
  // come up the chain).
  for (std::uint64_t task = 2; task <= 4; ++task) {
    const auto t0 = Clock::now();
    c.honest(task);
    EXPECT_LT(seconds_since(t0), kTimeoutS + 1) << "task " << task;
  }
  for (auto& a : attackers) a.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_LT(slowest.load(), kTimeoutS + 1);
  const auto t0 = Clock::now();
  EXPECT_EQ(c.ue->plan(2).boundaries, (std::vector<int>{0, 0, c.L}));
  EXPECT_LT(seconds_since(t0), kTimeoutS + 1);
  c.honest(5);
  subscription.TryCancel();
}

// Finding 5: a SciStream client that writes steps for 3 s and never reads. The node stops
// reading once its replies wait unwritten (HTTP/2 flow control then holds the client), so its
// resident memory grows by little (it grew ~105 MiB/s); it plans and runs afterwards.
TEST(RuntimeHardening, AnUnreadSciStreamGrowsNoQueue) {
  CloudChain c("stream");
  ASSERT_EQ(c.ue->plan(1).boundaries, (std::vector<int>{0, 0, c.L}));
  split::SciChainSolver solver;
  std::vector<int> boundaries;
  solver.solve(split::compile(c.p), boundaries);
  const std::vector<std::uint8_t> down =
      split::encode_sci({split::architecture_hash(c.p), 1, 2}, solver.nodes()[2].zeta);
  hivemind::v1::SciStep step;
  step.set_downstream(std::string(down.begin(), down.end()));
  const pid_t mec = c.chain.pid(1);
  const double before_mib = status_mib(mec, "VmRSS");
  auto node1 = stub(c.chain.addresses()[1]);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(4));
  auto stream = node1->SciStream(&ctx);
  long written = 0;
  const auto t0 = Clock::now();
  while (seconds_since(t0) < 3.0 && stream->Write(step)) ++written;
  const double after_mib = status_mib(mec, "VmRSS");
  std::printf("node 1: %ld steps written unread; resident %.1f -> %.1f MiB\n", written, before_mib,
              after_mib);
  if (kMemoryChecked) {
    EXPECT_LT(after_mib - before_mib, 32.0);
  }
  ctx.TryCancel();
  stream->Finish();
  EXPECT_EQ(c.ue->plan(2).boundaries, (std::vector<int>{0, 0, c.L}));
  c.honest(2);
}

// Finding 6: the cloud estimates link 1 from the transfers it receives. After honest tasks,
// one task stamped as sent at 1 ns past the epoch (a 1.8e9 s transfer) and one stamped 0.9 x
// the timeout ago (inside the plausible band) leave the next plan where the honest ones put
// it: the first is not counted, the second is outvoted by the median.
TEST(RuntimeHardening, ForgedTransferStampsDoNotMoveThePlan) {
  CloudChain c("estimate");
  ASSERT_EQ(c.ue->plan(1).boundaries, (std::vector<int>{0, 0, c.L}));
  for (std::uint64_t task = 1; task <= 3; ++task) c.honest(task);
  const PlanResult honest = c.ue->plan(2);
  auto cloud = stub(c.chain.addresses()[2]);
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const std::int64_t sent : {std::int64_t{1}, now_ns - std::int64_t(0.9 * kTimeoutS * 1e9)}) {
    hivemind::v1::TaskRequest req = c.task(100);
    req.set_sent_unix_ns(sent);
    hivemind::v1::TaskReply reply;
    const grpc::Status s = run(*cloud, req, reply);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  const PlanResult after = c.ue->plan(3);
  EXPECT_EQ(after.boundaries, honest.boundaries);
  EXPECT_LT(after.cost, 2 * honest.cost) << "honest " << honest.cost;
  c.honest(4);
}

// Finding 7: with --emulate-links, Shape and a task's path links outside the documented
// ranges are refused with one line (1e-3 B/s, 1e-300 B/s, an overhead of 1e9 s or 1e308 s);
// a legal but hopeless link (1 kB/s for a 12 kB cut, past the 5 s deadline) fails the task at
// once instead of sleeping, and once shaped back the next task runs: nothing wedged.
TEST(RuntimeHardening, EmulationParametersAreBoundedAndNoWaitPassesTheDeadline) {
  CloudChain c("emulation", {{1, {"--emulate-links"}}});
  ASSERT_EQ(c.ue->plan(1).boundaries, (std::vector<int>{0, 0, c.L}));
  c.honest(1);
  const std::string mec = c.chain.addresses()[1];
  for (const split::LinkDirection bad : std::vector<split::LinkDirection>{
           {1e-3, 0.0}, {1e-300, 0.0}, {1e9, 1e9}, {1.0, 1e308}, {1e20, 0.0}, {1e9, -1.0}}) {
    try {
      shape_link(mec, bad, {});
      ADD_FAILURE() << "shape " << bad.bandwidth_bytes_per_s << " B/s, " << bad.overhead_s
                    << " s was taken";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("outside"), std::string::npos) << e.what();
    }
  }
  auto node1 = stub(mec);
  hivemind::v1::TaskRequest req = c.task(50);
  req.set_sent_unix_ns(1);
  hivemind::v1::Link* back = req.add_path();
  back->set_bandwidth_bytes_per_s(1e9);
  back->set_overhead_s(1e9);
  hivemind::v1::TaskReply reply;
  const grpc::Status s = run(*node1, req, reply);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("path link 0"), std::string::npos) << s.error_message();

  shape_link(mec, {1e3, 0.0}, {});  // the slowest legal link: 12 s for cut 0
  auto t0 = Clock::now();
  EXPECT_THROW(c.honest(2), InputError);
  EXPECT_LT(seconds_since(t0), 1.0) << "refused at once, not after sleeping";
  shape_link(mec, {1e9, 1e-4}, {});
  t0 = Clock::now();
  c.honest(3);
  EXPECT_LT(seconds_since(t0), kTimeoutS);
  t0 = Clock::now();
  c.chain.stop();
  EXPECT_LT(seconds_since(t0), kTimeoutS + 1) << "SIGTERM stops the daemons";
}

// A downstream "node" in this process that answers every SCI request with `code` and a text
// carrying a newline, an OSC title sequence and a colour escape.
class ForgedNode final : public hivemind::v1::Node::Service {
 public:
  explicit ForgedNode(grpc::StatusCode code) : code_(code) {}
  grpc::Status Sci(grpc::ServerContext*, const hivemind::v1::SciRequest*,
                   hivemind::v1::SciReply*) override {
    return {code_, "forged\nhivemind-node[9] error: fake line\x1b]0;title\x07\x1b[31mred"};
  }

 private:
  grpc::StatusCode code_;
};

// Finding 10: node 1's two downstream neighbours are forged; the first answers UNAVAILABLE (so
// node 1 logs that it bypasses it, quoting its text), the second an error. Node 1's log and
// its error reply carry their text escaped: one line each, no control character.
TEST(RuntimeHardening, APeersTextIsEscapedInLogsAndReplies) {
  const fs::path dir = temp_dir("forged");
  std::mt19937_64 rng(7);
  split::testing::RandomSpec spec;
  spec.min_nodes = spec.max_nodes = 4;
  const std::string problem = (dir / "problem.json").string();
  write_text_file_atomic(problem, split::to_json(split::testing::random_problem(rng, spec)));
  ForgedNode absent(grpc::StatusCode::UNAVAILABLE), failing(grpc::StatusCode::FAILED_PRECONDITION);
  std::vector<std::unique_ptr<grpc::Server>> servers;
  std::vector<std::string> addresses;
  for (ForgedNode* forged : {&absent, &failing}) {
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(forged);
    servers.push_back(builder.BuildAndStart());
    addresses.push_back("127.0.0.1:" + std::to_string(port));
  }
  const std::string out = (dir / "node1.out").string();
  const pid_t pid = spawn({{HIVEMIND_NODE_EXE, "--problem", problem, "--position", "1",
                            "--downstream", addresses[0] + "," + addresses[1], "--log-level",
                            "warn", "--die-with-parent", "--max-seconds", "60"},
                           "",
                           out});
  std::string port_line;
  for (int k = 0; k < 500 && port_line.empty(); ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::string text = read_text_file(out);
    if (text.find('\n') != std::string::npos) port_line = text.substr(0, text.find('\n'));
  }
  ASSERT_EQ(port_line.rfind("port ", 0), 0u) << port_line;
  auto node1 = stub("127.0.0.1:" + port_line.substr(5));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  hivemind::v1::SciRequest req;
  req.set_epoch(1);
  hivemind::v1::SciReply reply;
  const grpc::Status s = node1->Sci(&ctx, req, &reply);
  ::kill(pid, SIGTERM);
  wait_for(pid, 10);
  for (auto& server : servers) server->Shutdown();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  const auto controls = [](const std::string& text) {
    return std::count_if(text.begin(), text.end(), [](char ch) {
      return static_cast<unsigned char>(ch) < 0x20 && ch != '\n';
    });
  };
  EXPECT_EQ(s.error_message().find('\n'), std::string::npos) << s.error_message();
  EXPECT_EQ(controls(s.error_message()), 0) << s.error_message();
  EXPECT_NE(s.error_message().find("forged\\nhivemind-node[9]"), std::string::npos)
      << s.error_message();
  const std::string log = read_text_file(out);
  EXPECT_EQ(controls(log), 0) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << "the port line and one warning:\n"
                                                         << log;
  EXPECT_NE(log.find("bypassing it"), std::string::npos) << log;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hivemind::runtime
