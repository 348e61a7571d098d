// The layer-range executor (torch_executor.hpp) on TorchScript models built here: chained
// ranges (random splits into 1..5 ranges, empty ranges included) reproduce the monolithic
// module.forward; the bytes alive at every cut are the profile's cut bytes (skip connections
// included); layers and names are the profile's; bad ranges and bad live values throw
// InputError with one line.
#include "hivemind/model/torch_executor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hivemind/error.hpp"
#include "hivemind/model/torch_profiler.hpp"
#include "profiler_test_support.hpp"
#include "torch_models.hpp"

namespace hivemind::model {
namespace {

// Largest |a - b| over the tensors of two values of the same structure; infinity otherwise.
double max_abs_diff(const c10::IValue& a, const c10::IValue& b) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (a.isTensor() && b.isTensor()) {
    const at::Tensor &x = a.toTensor(), &y = b.toTensor();
    if (x.sizes() != y.sizes() || x.scalar_type() != y.scalar_type()) return inf;
    if (x.numel() == 0) return 0.0;
    return (x.to(torch::kFloat64) - y.to(torch::kFloat64)).abs().max().item<double>();
  }
  if (a.isTuple() && b.isTuple()) {
    const auto& x = a.toTupleRef().elements();
    const auto& y = b.toTupleRef().elements();
    if (x.size() != y.size()) return inf;
    double m = 0;
    for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, max_abs_diff(x[i], y[i]));
    return m;
  }
  return inf;
}

// Runs ranges 1..b[0], b[0]+1..b[1], ..., ..L from `inputs` and returns forward's result.
c10::IValue chain(const TorchLayerExecutor& ex, std::vector<std::size_t> bounds,
                  std::vector<c10::IValue> inputs) {
  bounds.push_back(ex.layer_count());
  std::size_t first = 1;
  std::vector<c10::IValue> live = std::move(inputs);
  for (std::size_t last : bounds) {
    live = ex.run(first, last, live);
    first = last + 1;
  }
  return ex.result(live);
}

ModelProfile profile(const std::string& path, const std::string& input) {
  TorchProfileOptions o;
  o.model_path = path;
  o.inputs = parse_torch_inputs(input);
  o.warmup = 0;
  o.reps = 1;
  o.backward = false;
  return profile_torchscript(o).profile;
}

// Layer names and the bytes at every cut equal the profile's.
void expect_profile_cuts(const TorchLayerExecutor& ex, const std::string& path,
                         const std::string& input) {
  const ModelProfile p = profile(path, input);
  ASSERT_EQ(ex.layer_count(), p.layers.size());
  for (std::size_t k = 0; k < p.layers.size(); ++k)
    EXPECT_EQ(ex.layer_names()[k], p.layers[k].name);
  EXPECT_DOUBLE_EQ(ex.cut_bytes(0), p.input_bytes);
  for (std::size_t x = 1; x <= ex.layer_count(); ++x)
    EXPECT_DOUBLE_EQ(ex.cut_bytes(x), p.layers[x - 1].cut_bytes)
        << "cut " << x << " after " << p.layers[x - 1].name;
}

// Every split into two ranges (cut a = 0..L) reproduces forward.
void expect_every_two_way_split(const TorchLayerExecutor& ex,
                                const std::vector<c10::IValue>& inputs) {
  const c10::IValue whole = ex.forward(inputs);
  for (std::size_t a = 0; a <= ex.layer_count(); ++a)
    EXPECT_LE(max_abs_diff(chain(ex, {a}, inputs), whole), 1e-5) << "split after layer " << a;
}

// `f` throws InputError whose message is one line containing `needle`.
template <typename F>
void expect_input_error(F f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no InputError; expected one containing \"" << needle << "\"";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(needle), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(TorchExecutor, ResNet18ChainedRangesEqualForwardAndCutsEqualTheProfile) {
  TempDir dir("hivemind_torch_exec_");
  const std::string path = dir.file("resnet18.pt");
  save_torchscript_resnet18(path, 10);
  const TorchLayerExecutor ex(path, parse_torch_inputs("1,3,32,32"));
  const std::size_t L = ex.layer_count();
  ASSERT_EQ(L, 69u);  // as the profile of data/measured/resnet18_32
  expect_profile_cuts(ex, path, "1,3,32,32");
  // The skip connection of layer1.0 crosses the cut after its conv1: two values.
  const auto& names = ex.layer_names();
  const auto conv1 = std::find(names.begin(), names.end(), "layer1_0_conv1") - names.begin() + 1;
  EXPECT_EQ(ex.cut_names(conv1), (std::vector<std::string>{"maxpool", "layer1_0_conv1"}));
  EXPECT_EQ(ex.cut_names(0), (std::vector<std::string>{"input x"}));
  EXPECT_EQ(ex.cut_names(L), (std::vector<std::string>{"fc"}));

  torch::manual_seed(42);
  const std::vector<c10::IValue> inputs{torch::randn({1, 3, 32, 32})};
  const c10::IValue whole = ex.forward(inputs);
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> cut(0, L);
  double worst = 0;
  for (std::size_t k = 1; k <= 5; ++k)
    for (int trial = 0; trial < 4; ++trial) {
      std::vector<std::size_t> bounds;
      for (std::size_t b = 0; b + 1 < k; ++b) bounds.push_back(cut(rng));
      if (trial == 0 && k > 1) bounds[0] = bounds.size() > 1 ? bounds[1] : 0;  // an empty range
      std::sort(bounds.begin(), bounds.end());
      const double d = max_abs_diff(chain(ex, bounds, inputs), whole);
      worst = std::max(worst, d);
      EXPECT_LE(d, 1e-5) << k << " ranges";
    }
  std::printf("ResNet-18 32x32: max |chained - forward| over 20 random splits = %.3g\n", worst);
  // The last cut holds forward's output.
  const auto last = ex.run(1, L, inputs);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_LE(max_abs_diff(last[0], whole), 1e-5);
}

TEST(TorchExecutor, BadArgumentsThrowOneLine) {
  TempDir dir("hivemind_torch_exec_");
  test::TorchModelFactory f;
  const std::string path = dir.file("residual.pt");
  test::residual_model(f).save(path);
  const TorchLayerExecutor ex(path, parse_torch_inputs("1,3,8,8"));
  const std::size_t L = ex.layer_count();
  const std::vector<c10::IValue> in{torch::randn({1, 3, 8, 8})};
  expect_input_error([&] { ex.run(0, 1, in); }, "not a range of layers");
  expect_input_error([&] { ex.run(1, L + 1, in); }, "not a range of layers");
  expect_input_error([&] { ex.run(3, 1, in); }, "not a range of layers");
  expect_input_error([&] { ex.run(L + 2, L + 1, in); }, "not a range of layers");
  expect_input_error([&] { ex.run(1, 2, {}); }, "holds 1 value(s), got 0");
  expect_input_error([&] { ex.run(1, 2, {in[0], in[0]}); }, "holds 1 value(s), got 2");
  expect_input_error(
      [&] {
        ex.run(1, 2, {torch::randn({1, 3, 8, 9})});
      },
      "expected Float [1,3,8,8] cpu, got Float [1,3,8,9] cpu");
  expect_input_error(
      [&] {
        ex.run(1, 2, {torch::randn({1, 3, 8, 8}, torch::kFloat64)});
      },
      "got Double [1,3,8,8]");
  expect_input_error([&] { ex.run(1, 2, {c10::IValue(3)}); }, "got Int");
  expect_input_error([&] { ex.run(1, 2, {c10::IValue(at::Tensor())}); }, "undefined tensor");
  expect_input_error([&] { ex.run(1, 2, {c10::ivalue::Tuple::create({in[0]})}); },
                     "got tuple of 1");
  // Cut 2 (after the block's conv1) holds the skip connection too.
  expect_input_error(
      [&] {
        ex.run(3, L, {torch::randn({1, 4, 8, 8})});
      },
      "cut 2 holds 2 value(s), got 1");
  expect_input_error([&] { ex.result({}); }, "result: cut");
  expect_input_error([&] { ex.cut_names(L + 1); }, "is not in 0..");
  // The empty range returns its (checked) input.
  const auto same = ex.run(1, 0, in);
  ASSERT_EQ(same.size(), 1u);
  EXPECT_TRUE(same[0].toTensor().is_same(in[0].toTensor()));
}

TEST(TorchExecutor, SkipConnectionEverySplit) {
  TempDir dir("hivemind_torch_exec_");
  test::TorchModelFactory f;
  const std::string path = dir.file("residual.pt");
  test::residual_model(f).save(path);
  const TorchLayerExecutor ex(path, parse_torch_inputs("1,3,8,8"));
  expect_profile_cuts(ex, path, "1,3,8,8");
  // stem | block.conv1 | block.relu | block.conv2 | add | block.relu: the stem's output is
  // alive until the add.
  EXPECT_EQ(ex.cut_names(3), (std::vector<std::string>{"stem", "block_relu"}));
  torch::manual_seed(3);
  expect_every_two_way_split(ex, {torch::randn({1, 3, 8, 8})});
}

TEST(TorchExecutor, TwoInputsTupleResultAndInPlaceOpEverySplit) {
  TempDir dir("hivemind_torch_exec_");
  test::TorchModelFactory f;
  const std::string path = dir.file("tagger.pt");
  test::recurrent_model(f).save(path);
  const TorchLayerExecutor ex(path, parse_torch_inputs("int64:1,5;1,16"));
  expect_profile_cuts(ex, path, "int64:1,5;1,16");
  EXPECT_EQ(ex.cut_names(0).size(), 2u);
  torch::manual_seed(5);
  const std::vector<c10::IValue> inputs{torch::randint(0, 100, {1, 5}, torch::kInt64),
                                        torch::randn({1, 16})};
  ASSERT_TRUE(ex.forward(inputs).isTuple());
  expect_every_two_way_split(ex, inputs);
}

TEST(TorchExecutor, ScriptedControlFlowEverySplit) {
  TempDir dir("hivemind_torch_exec_");
  test::TorchModelFactory f;
  const std::string path = dir.file("control.pt");
  test::control_flow_model(f).save(path);
  const TorchLayerExecutor ex(path, parse_torch_inputs("1,3,8,8"));
  expect_profile_cuts(ex, path, "1,3,8,8");
  torch::manual_seed(9);
  expect_every_two_way_split(ex, {torch::randn({1, 3, 8, 8})});
}

}  // namespace
}  // namespace hivemind::model
