// The LibTorch profiler on TorchScript models built here (torch_models.hpp): layer order,
// byte sizes worked out by hand, cut bytes > output bytes across a skip connection, latencies
// present, and the CLI (`hivemind profile`, the hivemind-profile executable) on good and
// malformed input. No timing is asserted beyond "measured, positive".
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/measured.hpp"
#include "hivemind/model/profile.hpp"
#include "hivemind/model/torch_profiler.hpp"
#include "profiler_test_support.hpp"
#include "torch_models.hpp"

namespace hivemind::model {
namespace {

namespace fs = std::filesystem;

std::string save(torch::jit::Module m, const std::string& path) {
  m.save(path);
  return path;
}

TorchProfileOptions quick(const std::string& path, const std::string& input) {
  TorchProfileOptions o;
  o.model_path = path;
  o.inputs = parse_torch_inputs(input);
  o.warmup = 1;
  o.reps = 3;
  return o;
}

std::vector<std::string> names(const ModelProfile& p) {
  std::vector<std::string> v;
  for (const auto& l : p.layers) v.push_back(l.name);
  return v;
}

TEST(TorchProfile, ChainLayersAndBytes) {
  TempDir dir("hivemind_model_torch_");
  test::TorchModelFactory f;
  const auto path = save(test::chain_model(f), dir.file("chain.pt"));
  const auto r = profile_torchscript(quick(path, "1,3,8,8"));
  const ModelProfile& p = r.profile;
  ASSERT_EQ(names(p), (std::vector<std::string>{"conv", "relu", "flatten", "fc"}));
  EXPECT_EQ(p.layers[0].kind, "Conv2d");
  EXPECT_EQ(p.layers[2].kind, "flatten");
  // Input 1x3x8x8 float32 = 192 x 4 = 768 bytes.
  EXPECT_DOUBLE_EQ(p.input_bytes, 768);
  // conv, relu, flatten: 1x4x8x8 = 256 floats = 1024 bytes; fc: 1x10 = 40 bytes.
  const double out[] = {1024, 1024, 1024, 40};
  for (int i = 0; i < 4; ++i) {
    EXPECT_DOUBLE_EQ(p.layers[i].output_bytes, out[i]) << p.layers[i].name;
    // A chain: only the layer's own output crosses the cut after it.
    EXPECT_DOUBLE_EQ(p.layers[i].cut_bytes, out[i]) << p.layers[i].name;
  }
  // Parameters: conv 4*3*3*3 + 4 = 112 floats = 448 bytes; fc 10*256 + 10 = 2570 floats.
  EXPECT_DOUBLE_EQ(p.layers[0].param_bytes, 448);
  EXPECT_DOUBLE_EQ(p.layers[1].param_bytes, 0);
  EXPECT_DOUBLE_EQ(p.layers[3].param_bytes, 2570 * 4);
  ASSERT_EQ(p.devices.size(), 1u);
  EXPECT_EQ(p.devices[0].device_class, "cpu");
  ASSERT_EQ(p.devices[0].layers.size(), 4u);
  for (const auto& c : p.devices[0].layers) {
    EXPECT_GT(c.forward_s, 0);
    EXPECT_GT(c.backward_s, 0);  // every layer here has a differentiable output
    EXPECT_EQ(c.energy_j, 0);    // no --power-w, and no RAPL on this machine (or energy > 0)
  }
  EXPECT_GT(r.whole_model_s, 0);
}

TEST(TorchProfile, SkipConnectionMakesCutExceedOutput) {
  TempDir dir("hivemind_model_torch_");
  test::TorchModelFactory f;
  const auto path = save(test::residual_model(f), dir.file("residual.pt"));
  auto o = quick(path, "1,3,8,8");
  o.power_w = 10.0;
  const auto r = profile_torchscript(o);
  const ModelProfile& p = r.profile;
  // The block's relu module is called twice: the second call is block_relu_1 (torch.fx naming).
  ASSERT_EQ(names(p), (std::vector<std::string>{"stem", "block_conv1", "block_relu", "block_conv2",
                                                "add", "block_relu_1"}));
  // Every activation is 1x4x8x8 float32 = 1024 bytes.
  for (const auto& l : p.layers) EXPECT_DOUBLE_EQ(l.output_bytes, 1024) << l.name;
  // The stem's output x is read again by `out + identity`: it crosses every cut from the stem
  // to conv2, beside the block's own activation: 1024 + 1024 bytes.
  EXPECT_DOUBLE_EQ(p.layers[0].cut_bytes, 1024);  // x itself (the same tensor)
  for (int i = 1; i <= 3; ++i) {
    EXPECT_DOUBLE_EQ(p.layers[i].cut_bytes, 2048) << p.layers[i].name;
    EXPECT_GT(p.layers[i].cut_bytes, p.layers[i].output_bytes);
  }
  EXPECT_DOUBLE_EQ(p.layers[4].cut_bytes, 1024);
  EXPECT_DOUBLE_EQ(p.layers[5].cut_bytes, 1024);
  // Shared relu module: no parameters; convs 4*4*9 + 4 = 148 floats.
  EXPECT_DOUBLE_EQ(p.layers[1].param_bytes, 148 * 4);
  // Energy = forward latency x 10 W.
  for (const auto& c : p.devices[0].layers) EXPECT_DOUBLE_EQ(c.energy_j, c.forward_s * 10.0);
}

TEST(TorchProfile, TwoInputsTupleCellInPlaceAndTupleResult) {
  TempDir dir("hivemind_model_torch_");
  test::TorchModelFactory f;
  const auto path = save(test::recurrent_model(f), dir.file("tagger.pt"));
  const auto r = profile_torchscript(quick(path, "int64:1,5;1,16"));
  const ModelProfile& p = r.profile;
  ASSERT_EQ(names(p), (std::vector<std::string>{"emb", "sum", "cell", "out", "add_"}));
  // Inputs: 5 int64 tokens = 40 bytes + hidden 16 floats = 64 bytes.
  EXPECT_DOUBLE_EQ(p.input_bytes, 104);
  // emb 1x5x16 floats = 320; sum 1x16 = 64; cell returns (y, h2), both read later = 128;
  // out and add_ 1x3 = 12.
  const double out[] = {320, 64, 128, 12, 12};
  // Cuts: after emb, the hidden input h (64) is still needed by cell: 320 + 64; after sum,
  // e + h; after cell, y + h2; after out and add_, the result keeps h2 (64) alive beside the
  // logits: 12 + 64 = 76 > 12.
  const double cut[] = {384, 128, 128, 76, 76};
  for (int i = 0; i < 5; ++i) {
    EXPECT_DOUBLE_EQ(p.layers[i].output_bytes, out[i]) << p.layers[i].name;
    EXPECT_DOUBLE_EQ(p.layers[i].cut_bytes, cut[i]) << p.layers[i].name;
  }
  // Embedding 100x16 floats.
  EXPECT_DOUBLE_EQ(p.layers[0].param_bytes, 6400);
  const auto& c = p.devices[0].layers;
  EXPECT_GT(c[4].backward_s, 0);  // the in-place add_ runs under autograd
}

// A real architecture: the TorchScript ResNet-18 built in C++ has, layer for layer, the names,
// kinds, output bytes and cut bytes that torch.fx measured on torchvision's ResNet-18
// (data/measured/resnet18_32.cpu1.json, 10 classes, 32x32 input), and the same parameters.
TEST(TorchProfile, ResNet18MatchesTheMeasuredFxProfile) {
  TempDir dir("hivemind_model_torch_");
  const std::string path = dir.file("resnet18.pt");
  save_torchscript_resnet18(path, /*classes=*/10);
  auto o = quick(path, "1,3,32,32");
  o.warmup = 0;
  o.reps = 1;
  o.backward = false;
  const ModelProfile p = profile_torchscript(o).profile;
  const MeasuredProfile m =
      load_measured_profile(std::string(HIVEMIND_DATA_DIR) + "/measured/resnet18_32.cpu1.json");
  EXPECT_DOUBLE_EQ(p.input_bytes, m.input_bytes);
  ASSERT_EQ(p.layers.size(), m.layers.size());
  double params = 0;
  int skip_cuts = 0;
  for (std::size_t i = 0; i < p.layers.size(); ++i) {
    const auto& a = p.layers[i];
    const auto& b = m.layers[i];
    EXPECT_EQ(a.name, b.name) << i;
    EXPECT_EQ(a.kind, b.kind) << i;
    EXPECT_DOUBLE_EQ(a.output_bytes, b.out_bytes) << a.name;
    EXPECT_DOUBLE_EQ(a.cut_bytes, b.cut_bytes) << a.name;
    params += a.param_bytes;
    if (a.cut_bytes > a.output_bytes) ++skip_cuts;
  }
  EXPECT_DOUBLE_EQ(params, m.param_bytes);
  // Inside each of the 8 blocks, the 5 (or 7 with downsample) layers before the add.
  EXPECT_EQ(skip_cuts, 8 * 5 + 3 * 2);
}

TEST(TorchProfile, InputSpecs) {
  auto s = parse_torch_inputs("1,3,224,224");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].dtype, "float32");
  EXPECT_EQ(s[0].shape, (std::vector<long long>{1, 3, 224, 224}));
  s = parse_torch_inputs("int64:1,200;float64:1,256");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].dtype, "int64");
  EXPECT_EQ(s[1].shape, (std::vector<long long>{1, 256}));
  for (const char* bad : {"", "1,,3", "1,x", "0,3", "bf16:1,3", "1,3;", "-1"})
    EXPECT_THROW(parse_torch_inputs(bad), InputError) << bad;
}

// ---- The executables ----

const std::string kProfileExe = HIVEMIND_PROFILE_EXE;
const std::string kHivemind = HIVEMIND_EXE;

TEST(TorchProfileCli, HivemindProfileWritesTheProfile) {
  TempDir dir("hivemind_model_torch_");
  test::TorchModelFactory f;
  const auto path = save(test::residual_model(f), dir.file("res.pt"));
  // Through the main CLI, which execs hivemind-profile beside it.
  const ProcessResult r =
      run(kHivemind + " profile " + path +
              " --input 1,3,8,8 --device cpu --warmup 1 --reps 2 --device-class ue",
          dir);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const ModelProfile p = parse_model_profile(r.out, "stdout");
  EXPECT_EQ(p.model, "res");
  ASSERT_EQ(p.layers.size(), 6u);
  ASSERT_NE(p.device("ue"), nullptr);

  // --out: the same profile in a file, nothing on stdout.
  const std::string out = dir.file("res.json");
  const ProcessResult w =
      run(kProfileExe + " " + path + " --input 1,3,8,8 --reps 1 --warmup 0 --out " + out +
              " --name mynet --no-backward",
          dir);
  ASSERT_EQ(w.rc, 0) << w.err;
  EXPECT_EQ(w.out, "");
  const ModelProfile q = load_model_profile(out);
  EXPECT_EQ(q.model, "mynet");
  EXPECT_EQ(names(q), names(p));
  for (const auto& c : q.devices[0].layers) EXPECT_EQ(c.backward_s, 0);

  // The profile plans: three nodes of the profiled class, the later ones faster.
  const std::string route = dir.file("route.json");
  write_text_file_atomic(route, R"({"format": "hivemind.route/v1",
    "nodes": [{"name": "ue", "device_class": "ue"},
              {"name": "mec", "device_class": "ue", "speed_scale": 10},
              {"name": "cloud", "device_class": "ue", "speed_scale": 100}],
    "links": [{"bandwidth_mbps": 100, "overhead_ms": 1}, {"bandwidth_mbps": 1000, "overhead_ms": 1}]})");
  const std::string profile = dir.file("res_ue.json");
  write_text_file_atomic(profile, r.out);
  const ProcessResult s = run(kHivemind + " solve --model " + profile + " --route " + route, dir);
  EXPECT_EQ(s.rc, 0) << s.out << s.err;
  EXPECT_NE(s.out.find("L = 6 layers, P = 3 nodes"), std::string::npos) << s.out;
}

// Bad input: exit 2, one line on stderr naming the problem, nothing on stdout, no --out file.
void expect_bad(const std::string& args, const std::string& needle, const TempDir& dir) {
  expect_bad_profile(kHivemind, args, needle, dir);
}

TEST(TorchProfileCli, MalformedInputsExitTwoWithOneLine) {
  TempDir dir("hivemind_model_torch_");
  test::TorchModelFactory f;
  const auto good = save(test::chain_model(f), dir.file("chain.pt"));
  const auto text = dir.file("notes.pt");
  { std::ofstream(text) << "this is not a TorchScript archive\n"; }
  const auto zip_like = dir.file("broken.pt");
  { std::ofstream(zip_like) << "PK\x03\x04 truncated"; }

  expect_bad(dir.file("missing.pt") + " --input 1,3,8,8", "missing.pt: cannot open", dir);
  expect_bad(text + " --input 1,3,8,8", "notes.pt: not a TorchScript model", dir);
  expect_bad(zip_like + " --input 1,3,8,8", "broken.pt: not a TorchScript model", dir);
  expect_bad(good + " --input 1,3,8,8 --device tpu", "--device: \"tpu\" is not cpu or cuda", dir);
  expect_bad(good, "--input: missing", dir);
  expect_bad(good + " --input 1,3,x", "--input: dimension \"x\"", dir);
  expect_bad(good + " --input \"1,3,8,8;1,4\"", "takes 1 input(s), --input gives 2", dir);
  // A shape forward() cannot take (fc expects 256 features).
  expect_bad(good + " --input 1,3,4,4", "--input: forward fails on these inputs", dir);
  expect_bad(good + " --input 1,3,8,8 --reps 0", "--reps", dir);
  expect_bad(good + " --input 1,3,8,8 --bogus", "--bogus: unknown option", dir);
}

// A hivemind executable without its profiler siblings (a build without LibTorch/ONNX) says so.
TEST(TorchProfileCli, WithoutTheSiblingExecutableSaysWhatToInstall) {
  TempDir dir("hivemind_model_torch_");
  const std::string lone = dir.file("hivemind");
  fs::copy_file(kHivemind, lone);
  fs::permissions(lone, fs::perms::owner_all);
  ProcessResult r = run(lone + " profile model.pt --input 1,3,8,8", dir);
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "hivemind: profile: this build has no LibTorch (install libtorch-dev and rebuild)\n");
  r = run(lone + " profile model.onnx", dir);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("no ONNX support (install libonnx-dev libprotobuf-dev"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace hivemind::model
