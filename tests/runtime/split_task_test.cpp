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
#include "hivemind/runtime/local_chain.hpp"
#include "hivemind/runtime/node.hpp"
#include "hivemind/runtime/tensor_wire.hpp"
#include "hivemind/split/problem_io.hpp"
#include "hivemind/split/sci_codec.hpp"
#include "hivemind/split/solve.hpp"
#include "hivemind/v1/node.grpc.pb.h"
#include "runtime_testing.hpp"

namespace hivemind::runtime {
namespace {

namespace fs = std::filesystem;

using Chain = LocalChain;
using testing::temp_dir;

// A 5-node problem on the executor's cuts whose optimum splits it at `want` (node n is cheap
// on its own segment of the layers, links are fast).
split::Problem segmented_problem(const model::TorchLayerExecutor& executor,
                                 const std::vector<int>& want) {
  const int L = static_cast<int>(executor.layer_count());
  split::Problem p;
  p.layers = L;
  p.input_bytes = executor.cut_bytes(0);
  for (int x = 1; x <= L; ++x) p.output_bytes.push_back(executor.cut_bytes(x));
  for (std::size_t n = 0; n < want.size(); ++n) {
    split::Node node{"n" + std::to_string(n), {}};
    const int first = n == 0 ? 1 : want[n - 1] + 1;
    for (int l = 1; l <= L; ++l) node.compute_s.push_back(l >= first && l <= want[n] ? 1e-3 : 1.0);
    p.nodes.push_back(node);
  }
  for (std::size_t k = 0; k + 1 < want.size(); ++k) p.links.push_back({{1e9, 1e-4}, {1e9, 1e-4}});
  return p;
}

// Runs `tasks` split tasks of `model` across 5 processes (the source here, 4 daemons) split at
// `want`; each output equals the monolithic forward, each node receives its cut's bytes.
// Returns the address of node 1 (the chain keeps serving until `chain` goes).
std::string run_split(Chain& chain, const fs::path& dir, const std::string& model,
                      const std::string& input,
                      const std::shared_ptr<const model::TorchLayerExecutor>& executor,
                      const std::vector<int>& want, int tasks, std::unique_ptr<Source>& ue) {
  const split::Problem p = segmented_problem(*executor, want);
  EXPECT_EQ(split::solve(split::compile(p), split::Method::kSci).boundaries, want);
  const std::string problem = (dir / "problem.json").string();
  write_text_file_atomic(problem, split::to_json(p));
  const std::vector<std::string> after =
      chain.start(problem, 5, {"--model", model, "--input", input});
  NodeConfig source = node_config_from_problem(p, 0, after);
  source.executor = executor;
  source.call_timeout_s = 30;
  ue = std::make_unique<Source>(source);
  const PlanResult plan = ue->plan(1);
  EXPECT_EQ(plan.boundaries, want);
  torch::manual_seed(3);
  const auto& example = executor->example_cut(0);
  for (int task = 0; task < tasks; ++task) {
    std::vector<c10::IValue> in;
    for (const auto& v : example) in.emplace_back(torch::randn(v.toTensor().sizes()));
    const TaskResult r = ue->run(static_cast<std::uint64_t>(task), in);
    const at::Tensor mono = executor->forward(in).toTensor();
    const at::Tensor split = r.output.toTensor();
    EXPECT_EQ(split.sizes(), mono.sizes());
    EXPECT_LE((split - mono).abs().max().item<double>(), 1e-5) << "task " << task;
    EXPECT_TRUE(r.delivered) << "task " << task << ": the sink sends the result straight back";
    EXPECT_EQ(r.runs.size(), 5u);
    for (std::size_t n = 0; n < r.runs.size() && n < want.size(); ++n) {
      EXPECT_EQ(r.runs[n].position, static_cast<int>(n));
      EXPECT_EQ(r.runs[n].last_layer, want[n]);
      if (n == 0) continue;
      // Node n received the live values of cut want[n-1]: their bytes plus the pickle's
      // framing (names, shapes: well under 4 KB).
      const double raw = executor->cut_bytes(static_cast<std::size_t>(want[n - 1]));
      EXPECT_GE(static_cast<double>(r.runs[n].bytes_in), raw) << n;
      EXPECT_LE(static_cast<double>(r.runs[n].bytes_in), raw + 4096) << n;
    }
  }
  return after.front();
}

TEST(SplitTask, FiveNodesRunResNet18AsTheMonolithicForward) {
  const fs::path dir = temp_dir("split_task");
  const std::string model = (dir / "resnet18.pt").string();
  model::save_torchscript_resnet18(model, /*classes=*/10);
  const std::string input = "1,3,32,32";
  auto executor =
      std::make_shared<const model::TorchLayerExecutor>(model, model::parse_torch_inputs(input));
  ASSERT_EQ(executor->layer_count(), 69u);
  Chain chain(HIVEMIND_NODE_EXE, dir);
  std::unique_ptr<Source> ue;
  const std::string node1 =
      run_split(chain, dir, model, input, executor, {14, 28, 42, 56, 69}, 3, ue);
  // Malformed task messages to the first MEC: garbage bytes, a pickle (not the wire format),
  // a cut out of range, tensors of the wrong shape. Each gets an error reply (one line) and the
  // chain still serves the next task.
  auto stub =
      hivemind::v1::Node::NewStub(grpc::CreateChannel(node1, grpc::InsecureChannelCredentials()));
  const std::uint64_t hash =
      split::architecture_hash(split::load_problem((dir / "problem.json").string()));
  hivemind::v1::TaskReply reply;
  auto send = [&](int cut, const std::string& live, std::uint64_t architecture = 0,
                  std::uint64_t deliver_to = 0) {
    if (architecture == 0) architecture = hash;
    hivemind::v1::TaskRequest req;
    req.set_task(99);
    req.set_cut(cut);
    req.set_live(live);
    req.set_architecture(architecture);
    req.set_deliver_to(deliver_to);
    reply.Clear();
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub->Run(&ctx, req, &reply);
  };
  std::string wrong, right;
  encode_values({c10::IValue(torch::zeros({1, 3, 33, 33}))}, wrong);
  encode_values({c10::IValue(torch::zeros({1, 3, 32, 32}))}, right);
  const std::vector<char> pickled =
      torch::pickle_save(c10::ivalue::Tuple::create({c10::IValue(torch::zeros({1, 3, 32, 32}))}));
  for (const auto& [cut, live] : std::vector<std::pair<int, std::string>>{
           {14, "not a tensor message"},
           {0, std::string(pickled.begin(), pickled.end())},  // the old pickled form
           {70, right},
           {-1, right},
           {0, wrong}}) {
    const grpc::Status st = send(cut, live);
    EXPECT_FALSE(st.ok()) << cut;
    EXPECT_EQ(st.error_message().find('\n'), std::string::npos) << st.error_message();
  }
  // A right message of another model (its hash) is refused too.
  std::string cut14;
  encode_values(executor->example_cut(14), cut14);
  const grpc::Status other = send(14, cut14, hash ^ 1);
  EXPECT_FALSE(other.ok());
  EXPECT_NE(other.error_message().find("a different model"), std::string::npos)
      << other.error_message();
  // A task whose path holds a link without bandwidth, or with more records than nodes before
  // node 1, is refused with one line.
  for (int bad = 0; bad < 2; ++bad) {
    hivemind::v1::TaskRequest req;
    req.set_task(98);
    req.set_cut(14);
    req.set_live(cut14);
    req.set_architecture(hash);
    if (bad == 0)
      req.add_path()->set_bandwidth_bytes_per_s(0.0);
    else
      for (int k = 0; k < 2; ++k) req.add_runs()->set_position(k);
    hivemind::v1::TaskReply refused;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const grpc::Status st = stub->Run(&ctx, req, &refused);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_EQ(st.error_message().find('\n'), std::string::npos) << st.error_message();
  }
  // The same message with the model's hash runs. Without a Deliveries token, or with one no
  // node holds, the result comes back up the chain in the Run reply with every node's record.
  const at::Tensor want14 =
      executor->result(executor->run(15, executor->layer_count(), executor->example_cut(14)))
          .toTensor();
  for (const std::uint64_t token : {std::uint64_t{0}, std::uint64_t{0x5eed}}) {
    ASSERT_TRUE(send(14, cut14, hash, token).ok()) << token;
    EXPECT_FALSE(reply.delivered());
    EXPECT_EQ(reply.task(), 99u);
    ASSERT_EQ(reply.runs_size(), 4);
    for (int n = 0; n < 4; ++n) EXPECT_EQ(reply.runs(n).position(), n + 1);
    const at::Tensor got =
        torch::pickle_load(std::vector<char>(reply.result().begin(), reply.result().end()))
            .toTensor();
    EXPECT_LE((got - want14).abs().max().item<double>(), 1e-5) << token;
  }
  // A Deliveries subscription without a token is refused with one line.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto reader = stub->Deliveries(&ctx, hivemind::v1::DeliverySubscription{});
    hivemind::v1::TaskReply none;
    EXPECT_FALSE(reader->Read(&none));
    const grpc::Status st = reader->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
    EXPECT_EQ(st.error_message().find('\n'), std::string::npos);
  }
  const std::vector<c10::IValue> again = {torch::randn({1, 3, 32, 32})};
  EXPECT_LE((ue->run(7, again).output.toTensor() - executor->forward(again).toTensor())
                .abs()
                .max()
                .item<double>(),
            1e-5);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hivemind::runtime

namespace hivemind::runtime {
namespace {

// A model with long skips (concatenations across its body) traced by PyTorch itself
// (skip_model.py with Debian's python3-torch): inner cuts carry several tensors.
TEST(SplitTask, FiveNodesRunAPythonTracedModelWithSkips) {
  const fs::path dir = temp_dir("skip_model");
  const std::string model = (dir / "skipnet.pt").string();
  const ExitStatus traced =
      run_process({{HIVEMIND_TORCH_PYTHON, HIVEMIND_RUNTIME_TESTS "/skip_model.py", model},
                   "",
                   (dir / "trace.out").string()},
                  120.0);
  // Required, not skipped (python3-torch is one of the Makefile's packages).
  ASSERT_TRUE(traced.ok()) << HIVEMIND_TORCH_PYTHON << " cannot trace with torch (python3-torch): "
                           << read_text_file((dir / "trace.out").string());
  const std::string input = "1,3,16,16";
  auto executor =
      std::make_shared<const model::TorchLayerExecutor>(model, model::parse_torch_inputs(input));
  const int L = static_cast<int>(executor->layer_count());
  ASSERT_GE(L, 5);
  std::vector<int> want;
  for (int n = 1; n <= 5; ++n) want.push_back(L * n / 5);
  bool several = false;  // some inner cut carries more than one tensor
  for (int x = 1; x < L; ++x) several = several || executor->cut_names(x).size() > 1;
  EXPECT_TRUE(several);
  Chain chain(HIVEMIND_NODE_EXE, dir);
  std::unique_ptr<Source> ue;
  run_split(chain, dir, model, input, executor, want, 2, ue);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hivemind::runtime
