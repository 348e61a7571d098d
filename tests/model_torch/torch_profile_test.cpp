// The LibTorch profiler on TorchScript models built here (torch_models.hpp): layer order,
// byte sizes worked out by hand, cut bytes > output bytes across a skip connection, scripted
// control flow (prim::If on a module attribute inlined, parameters inside If/Loop blocks
// counted), latencies present, and the CLI (`hivemind profile`, the hivemind-profile
// executable) on good and malformed input; torchvision's MobileNet-V2 and ResNet-18 exported at
// test time with Debian's /usr/bin/python3, scripted and traced, profiled alike; the thread
// count printed and recorded is the one used. No timing is asserted beyond "measured,
// positive" and "the summary prints what the profile records".
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/measured.hpp"
#include "hivemind/model/profile.hpp"
#include "hivemind/model/torch_profiler.hpp"
#include "hivemind/model/zoo.hpp"
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
  // FLOPs, layer for layer, those of the zoo's architecture (src/model/arch.cpp), on which the
  // latency models that derive other device classes were fitted (latency_model.hpp).
  const ModelProfile zoo = load_model("resnet18_32", HIVEMIND_DATA_DIR);
  ASSERT_EQ(zoo.layers.size(), p.layers.size());
  for (std::size_t i = 0; i < p.layers.size(); ++i)
    EXPECT_DOUBLE_EQ(p.layers[i].flops, zoo.layers[i].flops) << p.layers[i].name;
}

// Scripted control flow (torch_models.hpp, control_flow_model): the Ifs on the blocks' bool
// attribute are constants of the module and are inlined, so their convolutions are layers of
// their own (block_b, use_res False, has no add); the If on a tensor value and the Loop stay
// one layer each, carrying the parameters read inside their blocks; every parameter of the
// module is counted exactly once.
TEST(TorchProfile, ScriptedControlFlowIsInlinedAndItsParametersCounted) {
  TempDir dir("hivemind_model_torch_");
  test::TorchModelFactory f;
  auto model = test::control_flow_model(f);
  double module_param_bytes = 0;
  for (const auto& p : model.parameters()) module_param_bytes += p.numel() * p.element_size();
  const auto path = save(model, dir.file("control.pt"));
  const ModelProfile p = profile_torchscript(quick(path, "1,3,8,8")).profile;
  ASSERT_EQ(names(p), (std::vector<std::string>{"stem", "block_a_conv", "add", "block_b_conv",
                                                "flatten", "sum", "gt", "if", "loop"}));
  EXPECT_EQ(p.layers[1].kind, "Conv2d");
  EXPECT_EQ(p.layers[7].kind, "if");
  EXPECT_EQ(p.layers[8].kind, "loop");
  // conv3x3(3->4) 112 floats, conv3x3(4->4) 148 floats, Linear(256->10) 2570 floats (fc and
  // fc_alt, both in the If), Linear(10->10) 110 floats (mix, read three times by the Loop).
  const double params[] = {448, 592, 0, 592, 0, 0, 0, 2 * 2570 * 4, 110 * 4};
  double total = 0;
  for (std::size_t i = 0; i < p.layers.size(); ++i) {
    EXPECT_DOUBLE_EQ(p.layers[i].param_bytes, params[i]) << p.layers[i].name;
    total += p.layers[i].param_bytes;
  }
  EXPECT_DOUBLE_EQ(total, module_param_bytes);
  // block_a's skip: its input crosses the cut after its conv, beside the conv's output.
  EXPECT_DOUBLE_EQ(p.layers[1].output_bytes, 4 * 64 * 4);
  EXPECT_DOUBLE_EQ(p.layers[1].cut_bytes, 2 * 4 * 64 * 4);
  // The If and the Loop produce the 1x10 logits.
  EXPECT_DOUBLE_EQ(p.layers[7].output_bytes, 40);
  EXPECT_DOUBLE_EQ(p.layers[8].output_bytes, 40);
  for (const auto& c : p.devices[0].layers) EXPECT_GT(c.forward_s, 0);
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

// Issue 12's acceptance: a model measured once on this machine (class "cpu", what `hivemind
// profile` writes) plans on every shipped route and simulates in every shipped scenario; the
// classes those need are derived from the measurement, said in one stderr line.
TEST(TorchProfileCli, OneMeasurementHerePlansAndSimulatesEverywhere) {
  TempDir dir("hivemind_model_torch_");
  const std::string model = dir.file("resnet18.pt");
  save_torchscript_resnet18(model, /*classes=*/10);
  const std::string profile = dir.file("resnet18.json");
  const ProcessResult p =
      run(kHivemind + " profile " + model +
              " --input 1,3,32,32 --warmup 1 --reps 2 --no-backward --out " + profile,
          dir);
  ASSERT_EQ(p.rc, 0) << p.err;
  ASSERT_EQ(load_model_profile(profile).devices.size(), 1u);
  const std::string note = "hivemind: profile " + profile + ": derived cpu1, cpu16, cuda from cpu";
  const std::string data = HIVEMIND_DATA_DIR;
  for (const char* route : {"four_roles", "five_hops", "measured_runs"}) {
    const ProcessResult s = run(
        kHivemind + " solve --model " + profile + " --route " + data + "/routes/" + route + ".json",
        dir);
    EXPECT_EQ(s.rc, 0) << route << ": " << s.err;
    EXPECT_NE(s.out.find("boundaries ["), std::string::npos) << s.out;
    EXPECT_EQ(s.err.rfind(note, 0), 0u) << s.err;
    EXPECT_EQ(s.err.find("WARNING"), std::string::npos) << "the profile has FLOPs: " << s.err;
  }
  for (const char* scenario : {"chain5", "mmwave-iab", "sub6"}) {
    const ProcessResult s = run(kHivemind + " simulate " + scenario + " --model " + profile +
                                    " --duration 1 --period-ms 200",
                                dir);
    EXPECT_EQ(s.rc, 0) << scenario << ": " << s.err;
    EXPECT_EQ(s.err.rfind(note, 0), 0u) << s.err;
  }
}

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
  const auto appended = save(test::appended_list_model(f), dir.file("dense.pt"));
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
  // A list appended to in forward (scripted DenseNet): refused, naming the op, not mismeasured.
  expect_bad(appended + " --input 1,3,8,8",
             "dense.pt: forward changes a list it builds (aten::append), which layers run one by "
             "one cannot share: not supported; trace the model (torch.jit.trace) instead",
             dir);
  expect_bad(good + " --input 1,3,8,8 --bogus", "--bogus: unknown option", dir);
}

// Issue 23: a TorchScript file is code. A forward that never ends, or that allocates far more
// than allowed, is stopped by the profiler's watchdog: exit 2, one line naming the flag and its
// value, nothing on stdout, no --out file (through `hivemind profile`, which passes the flags).
TEST(TorchProfileCli, RunawayForwardStoppedByTheLimits) {
  TempDir dir("hivemind_model_torch_");
  test::TorchModelFactory f;
  const auto spin = save(test::spinning_model(f), dir.file("spin.pt"));
  const auto greedy = save(test::greedy_model(f), dir.file("greedy.pt"));

  const auto t0 = std::chrono::steady_clock::now();
  expect_bad(spin + " --input 1,4 --max-seconds 2",
             "profiling stopped: the run exceeded --max-seconds 2 s", dir);
  // Not before the limit (the watchdog counts from the profiler's start).
  EXPECT_GE(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);

  // LibTorch's own resident pages are about 100-300 MiB here; the forward's tensor is 1 GiB.
  expect_bad(greedy + " --input 1,4 --max-memory-mib 512",
             "MiB exceeded --max-memory-mib 512 (the whole process", dir);
  // The limits are checked like every option.
  expect_bad(spin + " --input 1,4 --max-seconds 0", "--max-seconds: 0 is out of range", dir);
  expect_bad(spin + " --input 1,4 --max-memory-mib x", "--max-memory-mib: \"x\" is not a number",
             dir);
}

// ---- torchvision, scripted and traced ----

// A folder in the build tree (beside this test executable), removed afterwards.
struct BuildTreeDir {
  fs::path path;
  explicit BuildTreeDir(const std::string& name) {
    path = fs::read_symlink("/proc/self/exe").parent_path() /
           (name + "_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~BuildTreeDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// What the export script reports (tests/model_torch/torch_export_torchvision.py).
struct TorchvisionExport {
  std::string torch_version;
  int threads = 0;                            // Python torch's default intra-op threads
  std::map<std::string, double> param_bytes;  // per model
};

// Exports MODELS scripted and traced at SIZE x SIZE with Debian's /usr/bin/python3 (never the
// python3 first on PATH, which may have no torch). Fails the test, never skips it.
TorchvisionExport export_torchvision(const BuildTreeDir& dir, int size,
                                     const std::vector<std::string>& models) {
  const std::string script =
      std::string(HIVEMIND_DATA_DIR) + "/../tests/model_torch/torch_export_torchvision.py";
  // Without OMP_NUM_THREADS / MKL_NUM_THREADS: the threads reported are LibTorch's own choice.
  std::string cmd =
      "env -u OMP_NUM_THREADS -u MKL_NUM_THREADS TORCH_HOME=" + dir.file("torch_home") +
      " /usr/bin/python3 -B " + script + " " + dir.path.string() + " " + std::to_string(size);
  for (const auto& m : models) cmd += " " + m;
  const std::string out = dir.file("export.json"), err = dir.file("export.err");
  const int status = std::system((cmd + " >" + out + " 2>" + err).c_str());
  TorchvisionExport e;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << cmd << " failed (needs Debian's python3-torch and python3-torchvision: "
                  << "make deps):\n"
                  << read_text_file(err);
    return e;
  }
  const auto j = parse_json(read_text_file(out), "export.json");
  e.torch_version = j.at("torch").get<std::string>();
  e.threads = j.at("threads").get<int>();
  for (const auto& m : models)
    e.param_bytes[m] = j.at("models").at(m).at("param_bytes").get<double>();
  return e;
}

// Profiles with the hivemind-profile executable (one pass: bytes and layers, not timing).
ModelProfile profile_file(const std::string& model, const std::string& input, const TempDir& dir,
                          const std::string& extra = "") {
  const std::string out = model + ".json";
  const ProcessResult r = run(kProfileExe + " " + model + " --input " + input +
                                  " --warmup 0 --reps 1 --no-backward --out " + out + " " + extra,
                              dir);
  EXPECT_EQ(r.rc, 0) << model << "\n" << r.err;
  return load_model_profile(out);
}

double param_total(const ModelProfile& p) {
  double sum = 0;
  for (const auto& l : p.layers) sum += l.param_bytes;
  return sum;
}

// torchvision's MobileNet-V2 and ResNet-18 (random weights, 64x64 input), scripted and traced,
// profile alike. What agrees exactly, layer for layer: the number of layers, names, kinds,
// output bytes, cut bytes and parameter bytes, and the input bytes; the parameter total is
// every nn.Parameter of the Python model. Before the If on InvertedResidual.use_res_connect was
// inlined, the scripted MobileNet-V2 gave 27 layers and 6,776,352 of its 14,019,488 parameter
// bytes. (Models whose trace records shape arithmetic as tensor ops, such as ShuffleNet-V2's
// channel shuffle, differ by those layers: docs/profiling.md.)
TEST(TorchProfileTorchvision, ScriptedAndTracedAgreeLayerForLayer) {
  TempDir tmp("hivemind_model_torch_");
  BuildTreeDir dir("torchvision");
  const std::vector<std::string> models = {"mobilenet_v2", "resnet18"};
  const TorchvisionExport e = export_torchvision(dir, 64, models);
  ASSERT_FALSE(e.param_bytes.empty());
  EXPECT_DOUBLE_EQ(e.param_bytes.at("mobilenet_v2"), 14019488);
  EXPECT_DOUBLE_EQ(e.param_bytes.at("resnet18"), 46758048);
  const std::map<std::string, std::size_t> layer_counts = {{"mobilenet_v2", 153}, {"resnet18", 69}};
  for (const auto& name : models) {
    SCOPED_TRACE(name);
    const ModelProfile s = profile_file(dir.file(name + "_script.pt"), "1,3,64,64", tmp);
    const ModelProfile t = profile_file(dir.file(name + "_trace.pt"), "1,3,64,64", tmp);
    EXPECT_EQ(s.layers.size(), layer_counts.at(name));
    ASSERT_EQ(s.layers.size(), t.layers.size());
    EXPECT_DOUBLE_EQ(s.input_bytes, t.input_bytes);
    EXPECT_DOUBLE_EQ(param_total(s), e.param_bytes.at(name));
    EXPECT_DOUBLE_EQ(param_total(t), e.param_bytes.at(name));
    int residual_adds = 0;
    for (std::size_t i = 0; i < s.layers.size(); ++i) {
      const auto& a = s.layers[i];
      const auto& b = t.layers[i];
      EXPECT_EQ(a.name, b.name) << i;
      EXPECT_EQ(a.kind, b.kind) << i;
      EXPECT_NE(a.kind, "if") << a.name;  // no block left folded into one layer
      EXPECT_DOUBLE_EQ(a.output_bytes, b.output_bytes) << a.name;
      EXPECT_DOUBLE_EQ(a.cut_bytes, b.cut_bytes) << a.name;
      EXPECT_DOUBLE_EQ(a.param_bytes, b.param_bytes) << a.name;
      if (a.kind == "add" || a.kind == "add_") ++residual_adds;  // x + f(x), out += identity
    }
    // The skip connections: MobileNet-V2 has 10 blocks with use_res_connect, ResNet-18 8.
    EXPECT_EQ(residual_adds, name == "mobilenet_v2" ? 10 : 8);
  }

  // The default thread count is LibTorch's choice, the one Python's torch reports on this
  // machine, and it is what the summary prints and the profile records.
  const std::string out = dir.file("mobilenet_v2_summary.json");
  const ProcessResult r = run("env -u OMP_NUM_THREADS -u MKL_NUM_THREADS " + kProfileExe + " " +
                                  dir.file("mobilenet_v2_script.pt") +
                                  " --input 1,3,64,64 --warmup 1 --reps 2 --no-backward "
                                  "--summary --out " +
                                  out,
                              tmp);
  ASSERT_EQ(r.rc, 0) << r.err;
  const ModelProfile p = load_model_profile(out);
  ASSERT_TRUE(p.devices[0].threads.has_value());
  EXPECT_EQ(*p.devices[0].threads, e.threads);
  const std::string said = std::to_string(e.threads) + (e.threads == 1 ? " thread" : " threads") +
                           " (LibTorch's default";
  EXPECT_NE(r.err.find(said), std::string::npos) << r.err;
}

// The summary's whole-model line, parsed: whole-model ms, calls, sum of layers ms.
struct SummaryLine {
  double whole_ms = -1, sum_ms = -1, ratio = -1;
  int calls = 0;
};
SummaryLine summary_forward(const std::string& err) {
  static const std::regex re(
      R"(forward: whole model ([0-9.]+) ms \(median of ([0-9]+) calls\), sum of layer medians )"
      R"(([0-9.]+) ms = ([0-9.]+) x the whole model)");
  std::smatch m;
  SummaryLine s;
  if (std::regex_search(err, m, re)) {
    s.whole_ms = std::stod(m[1]);
    s.calls = std::stoi(m[2]);
    s.sum_ms = std::stod(m[3]);
    s.ratio = std::stod(m[4]);
  }
  return s;
}

// --threads N and OMP_NUM_THREADS: the count printed is the team an ATen parallel region really
// got, recorded in the profile with the runtime and the machine; --summary prints the
// whole-model forward beside the sum of the layers' forwards, as the profile records them.
TEST(TorchProfileCli, ThreadsPrintedAreTheThreadsUsedAndRecorded) {
  TempDir dir("hivemind_model_torch_");
  test::TorchModelFactory f;
  const auto path = save(test::residual_model(f), dir.file("res.pt"));
  struct Case {
    std::string env, args, said;
    int threads;
  };
  const std::vector<Case> cases = {
      {"", "--threads 2", "2 threads (--threads 2)", 2},
      {"OMP_NUM_THREADS=3 ", "", "3 threads (OMP_NUM_THREADS=3)", 3},
      {"OMP_NUM_THREADS=3 ", "--threads 1", "1 thread (--threads 1)", 1}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.env + c.args);
    const std::string out = dir.file("res.json");
    const ProcessResult r =
        run(c.env + kProfileExe + " " + path +
                " --input 1,3,8,8 --warmup 1 --reps 3 --summary --out " + out + " " + c.args,
            dir);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(r.err.find("6 layers on cpu, " + c.said + "; LibTorch " + TORCH_VERSION + "; "),
              std::string::npos)
        << r.err;
    const ModelProfile p = load_model_profile(out);
    const DeviceProfile& d = p.devices[0];
    ASSERT_TRUE(d.threads.has_value());
    EXPECT_EQ(*d.threads, c.threads);
    EXPECT_EQ(d.runtime, std::string("LibTorch ") + TORCH_VERSION);
    EXPECT_NE(d.machine.find(std::to_string(std::thread::hardware_concurrency()) + " logical CPUs"),
              std::string::npos)
        << d.machine;
    EXPECT_NE(r.err.find(d.machine), std::string::npos) << r.err;
    // The summary's numbers are the profile's (printed in ms with 4 decimals).
    ASSERT_TRUE(d.whole_model_forward_s.has_value());
    EXPECT_GT(*d.whole_model_forward_s, 0);
    const SummaryLine s = summary_forward(r.err);
    EXPECT_EQ(s.calls, 3) << r.err;
    EXPECT_NEAR(s.whole_ms, *d.whole_model_forward_s * 1e3, 1e-4) << r.err;
    EXPECT_NEAR(s.sum_ms, d.forward_total_s() * 1e3, 1e-4) << r.err;
    EXPECT_NEAR(s.ratio, d.forward_total_s() / *d.whole_model_forward_s, 0.006) << r.err;
  }
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
