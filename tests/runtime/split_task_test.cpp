// Split tasks on real tensors between node daemons (issue 13, Fig. 5 step 2): the ResNet-18
// built in C++ (the profiler's, 32x32) across 5 processes (the source here, 4 daemons), each
// executing its own range from its own split table; the output equals the monolithic forward,
// and what each node receives is the profile's cut bytes (plus the pickle's framing).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <torch/serialize.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/torch_executor.hpp"
#include "hivemind/model/torch_profiler.hpp"
#include "hivemind/process.hpp"
#include "hivemind/runtime/node.hpp"
#include "hivemind/split/problem_io.hpp"
#include "hivemind/split/solve.hpp"
#include "hivemind/v1/node.grpc.pb.h"

namespace hivemind::runtime {
namespace {

namespace fs = std::filesystem;

int port_of(const std::string& out) {
  for (int i = 0; i < 1500; ++i) {  // bounded: 30 s (a daemon loads the model first)
    if (fs::exists(out)) {
      const std::string text = read_text_file(out);
      if (text.rfind("port ", 0) == 0 && text.find('\n') != std::string::npos)
        return std::stoi(text.substr(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("node did not report its port: " + read_text_file(out));
}

TEST(SplitTask, FiveNodesRunResNet18AsTheMonolithicForward) {
  const fs::path dir =
      fs::temp_directory_path() / ("hivemind_split_task_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string model = (dir / "resnet18.pt").string();
  model::save_torchscript_resnet18(model, /*classes=*/10);
  const std::string input = "1,3,32,32";
  auto executor =
      std::make_shared<const model::TorchLayerExecutor>(model, model::parse_torch_inputs(input));
  const int L = static_cast<int>(executor->layer_count());
  ASSERT_EQ(L, 69);

  // A 5-node problem on this model's cuts whose optimum splits it four times: node p is cheap
  // on its own segment of the layers, links are fast.
  const std::vector<int> want = {14, 28, 42, 56, L};
  split::Problem p;
  p.layers = L;
  p.input_bytes = executor->cut_bytes(0);
  for (int x = 1; x <= L; ++x) p.output_bytes.push_back(executor->cut_bytes(x));
  for (int n = 0; n < 5; ++n) {
    split::Node node{"n" + std::to_string(n), {}};
    const int first = n == 0 ? 1 : want[n - 1] + 1;
    for (int l = 1; l <= L; ++l) node.compute_s.push_back(l >= first && l <= want[n] ? 1e-3 : 1.0);
    p.nodes.push_back(node);
  }
  for (int k = 0; k < 4; ++k) p.links.push_back({{1e9, 1e-4}, {1e9, 1e-4}});
  ASSERT_EQ(split::solve(split::compile(p), split::Method::kSci).boundaries, want);
  const std::string problem = (dir / "problem.json").string();
  write_text_file_atomic(problem, split::to_json(p));

  std::vector<pid_t> pids;
  struct Stop {
    std::vector<pid_t>& pids;
    ~Stop() {
      for (pid_t pid : pids) ::kill(pid, SIGTERM);
      for (pid_t pid : pids) wait_for(pid, 10.0);
    }
  } stop{pids};
  std::vector<std::string> after;  // addresses of nodes n+1 .. 4
  for (int n = 4; n >= 1; --n) {
    const std::string out = (dir / ("node" + std::to_string(n) + ".out")).string();
    std::vector<std::string> argv = {HIVEMIND_NODE_EXE,
                                     "--problem",
                                     problem,
                                     "--position",
                                     std::to_string(n),
                                     "--model",
                                     model,
                                     "--input",
                                     input,
                                     "--max-seconds",
                                     "120",
                                     "--die-with-parent"};
    if (!after.empty()) {
      std::string list;
      for (const auto& a : after) list += (list.empty() ? "" : ",") + a;
      argv.insert(argv.end(), {"--downstream", list});
    }
    pids.push_back(spawn({argv, "", out}));
    after.insert(after.begin(), "127.0.0.1:" + std::to_string(port_of(out)));
  }
  const std::string node1 = after.front();
  NodeConfig source = node_config_from_problem(p, 0, after);
  source.executor = executor;
  source.call_timeout_s = 30;
  Source ue(source);
  const PlanResult plan = ue.plan(1);
  EXPECT_EQ(plan.boundaries, want);
  torch::manual_seed(3);
  for (int task = 0; task < 3; ++task) {
    const std::vector<c10::IValue> in = {torch::randn({1, 3, 32, 32})};
    const TaskResult r = ue.run(static_cast<std::uint64_t>(task), in);
    const at::Tensor mono = executor->forward(in).toTensor();
    const at::Tensor split = r.output.toTensor();
    ASSERT_EQ(split.sizes(), mono.sizes());
    EXPECT_LE((split - mono).abs().max().item<double>(), 1e-5) << "task " << task;
    ASSERT_EQ(r.runs.size(), 5u);
    for (int n = 0; n < 5; ++n) {
      EXPECT_EQ(r.runs[n].position, n);
      EXPECT_EQ(r.runs[n].last_layer, want[n]);
      if (n == 0) continue;
      // Node n received the live values of cut want[n-1]: their bytes plus the pickle's
      // framing (names, shapes: well under 4 KB).
      const double raw = executor->cut_bytes(static_cast<std::size_t>(want[n - 1]));
      EXPECT_GE(static_cast<double>(r.runs[n].bytes_in), raw) << n;
      EXPECT_LE(static_cast<double>(r.runs[n].bytes_in), raw + 4096) << n;
    }
  }
  // Malformed task messages to the first MEC: garbage bytes, a cut out of range, tensors of the
  // wrong shape. Each gets an error reply (one line) and the chain still serves the next task.
  auto stub =
      hivemind::v1::Node::NewStub(grpc::CreateChannel(node1, grpc::InsecureChannelCredentials()));
  auto send = [&](int cut, const std::string& live) {
    hivemind::v1::TaskRequest req;
    req.set_task(99);
    req.set_cut(cut);
    req.set_live(live);
    hivemind::v1::TaskReply reply;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub->Run(&ctx, req, &reply);
  };
  const std::vector<char> wrong =
      torch::pickle_save(c10::ivalue::Tuple::create({c10::IValue(torch::zeros({1, 3, 33, 33}))}));
  const std::vector<char> right =
      torch::pickle_save(c10::ivalue::Tuple::create({c10::IValue(torch::zeros({1, 3, 32, 32}))}));
  for (const auto& [cut, live] :
       std::vector<std::pair<int, std::string>>{{14, "not a pickle"},
                                                {70, std::string(right.begin(), right.end())},
                                                {-1, std::string(right.begin(), right.end())},
                                                {0, std::string(wrong.begin(), wrong.end())}}) {
    const grpc::Status st = send(cut, live);
    EXPECT_FALSE(st.ok()) << cut;
    EXPECT_EQ(st.error_message().find('\n'), std::string::npos) << st.error_message();
  }
  const std::vector<c10::IValue> again = {torch::randn({1, 3, 32, 32})};
  EXPECT_LE((ue.run(7, again).output.toTensor() - executor->forward(again).toTensor())
                .abs()
                .max()
                .item<double>(),
            1e-5);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hivemind::runtime
