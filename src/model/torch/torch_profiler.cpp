// The LibTorch layer profiler (include/hivemind/model/torch_profiler.hpp). Steps 1-3 (layers,
// their graphs, liveness) live in torch_layers.cpp, shared with the layer-range executor.
//
// How it works:
//  1. torch::jit::load, eval(), copy of forward's graph, torch::jit::Inline: every submodule
//     call is expanded in execution order and each node keeps its call stack (which module
//     instance, called from where).
//  1b. Module attributes of immutable type become constants and constant propagation inlines
//     the Ifs they decide (fold_module_constants: scripted control flow).
//  2. The graph's top-level nodes are grouped into layers (header comment): leaf-module calls,
//     other tensor operations; "free" nodes (constants, attribute reads, list packing, scalar
//     arithmetic) belong to no layer and are recomputed by every layer that reads them.
//  3. Every layer becomes a small graph of its own (free nodes it needs cloned in, values of
//     earlier layers as inputs, values later layers read as outputs) run by the TorchScript
//     interpreter (torch::jit::Code). A pass runs the layers in order from the model input,
//     timing each; the medians of `reps` passes after `warmup` are the forward latencies.
//  4. Backward: each layer again from the same inputs with autograd on (inputs and
//     parameters require grad), timing torch::autograd::backward with all-ones gradients.
//  5. Bytes: tensors' nbytes as they flow in a pass; cut bytes from liveness over layers.
#include "hivemind/model/torch_profiler.hpp"

#include <ATen/Parallel.h>
#include <sys/utsname.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/runtime/interpreter.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/version.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "hivemind/error.hpp"
#include "hivemind/model/profiler_cli.hpp"
#include "torch_layers.hpp"

namespace hivemind::model {

namespace jit = torch::jit;
using torch_layers::collect_tensors;
using torch_layers::Env;
using torch_layers::ivalue_bytes;
using torch_layers::Layer;
using torch_layers::LayerGraph;
using torch_layers::torch_device;
using torch_layers::torch_error_line;

// ---------------------------------------------------------------------------------------------
// Input specs.

std::vector<TorchInputSpec> parse_torch_inputs(std::string_view text) {
  std::vector<TorchInputSpec> specs;
  if (text.empty()) throw InputError("--input: empty (expected e.g. 1,3,224,224)");
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string part(text.substr(start, end - start));
    TorchInputSpec spec;
    std::string dims = part;
    if (auto colon = part.find(':'); colon != std::string::npos) {
      spec.dtype = part.substr(0, colon);
      dims = part.substr(colon + 1);
      if (spec.dtype != "float32" && spec.dtype != "float64" && spec.dtype != "int64" &&
          spec.dtype != "int32")
        throw InputError("--input: dtype \"" + spec.dtype +
                         "\" is not float32, float64, int64 or int32");
    }
    spec.shape = parse_input_dims(dims, part);
    specs.push_back(std::move(spec));
    start = end + 1;
  }
  return specs;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Elements of every tensor in `v` (tuples, lists and dicts included).
double ivalue_numel(const c10::IValue& v) {
  if (v.isTensor()) return v.toTensor().defined() ? static_cast<double>(v.toTensor().numel()) : 0.0;
  double sum = 0.0;
  if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) sum += ivalue_numel(e);
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toListRef()) sum += ivalue_numel(e);
  }
  return sum;
}

// Forward FLOPs of a layer from its kind, its parameters and the sizes of the tensors around
// it, with the zoo's conventions (src/model/arch.cpp): a multiply-add is 2 FLOPs, a bias add
// 1 per output, batch norm 2 per element, an element-wise op or a pooling 1 per element, shape
// and copy operations 0. -1 (unknown) for what the rules do not cover (recurrent modules,
// matmul without known inner size). The derivation of other device classes (latency_model.hpp)
// scales each layer by its FLOPs; unknown FLOPs only scale by the group's overhead.
double layer_flops(const std::string& kind, const std::vector<at::Tensor>& params, double in_numel,
                   double out_numel, const c10::IValue* first_input) {
  std::string k;
  for (char c : kind) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto has = [&](const char* s) { return k.find(s) != std::string::npos; };
  const at::Tensor* weight = nullptr;
  bool bias = false;
  for (const auto& t : params) {
    if (t.dim() >= 2 && !weight) weight = &t;
    if (t.dim() == 1) bias = true;
  }
  if (has("conv")) {
    if (!weight || weight->size(0) == 0) return -1.0;
    const double per_output = static_cast<double>(weight->numel()) / weight->size(0);
    return out_numel * (2.0 * per_output + (bias ? 1 : 0));
  }
  if (has("grucell")) {
    double weights = 0;  // W_ih and W_hh, 3H x (I + H)
    for (const auto& t : params)
      if (t.dim() == 2) weights += static_cast<double>(t.numel());
    return 2.0 * weights * (out_numel > 0 ? 1.0 : 0.0) + 16.0 * out_numel;
  }
  if (has("gru") || has("lstm") || has("rnn")) return -1.0;
  if (has("embedding")) return 0.0;
  if (has("linear") || has("addmm") || has("gemm")) {
    if (!weight) return -1.0;
    return out_numel * (2.0 * static_cast<double>(weight->size(-1)) + (bias ? 1 : 0));
  }
  if (has("matmul") || k == "mm" || has("bmm") || k == "einsum") {
    if (first_input && first_input->isTensor() && first_input->toTensor().dim() >= 1)
      return 2.0 * out_numel * static_cast<double>(first_input->toTensor().size(-1));
    return -1.0;
  }
  if (has("norm")) return 2.0 * out_numel;
  if (has("pool")) return in_numel;
  for (const char* free :
       {"flatten", "view",       "reshape",     "dropout",   "identity",  "size",    "getitem",
        "cat",     "contiguous", "permute",     "transpose", "unsqueeze", "squeeze", "construct",
        "unpack",  "chunk",      "split",       "detach",    "expand",    "select",  "slice",
        "stack",   "to",         "numtotensor", "int",       "len"})
    if (k == free || (std::string(free).size() > 3 && has(free))) return 0.0;
  return out_numel;  // element-wise: relu, add, mul, sigmoid, hardswish, softmax, ...
}

class Profiler {
 public:
  explicit Profiler(const TorchProfileOptions& o) : opt_(o) {}
  TorchProfileResult run();

 private:
  // One forward pass over the layers; times each when `times` is given.
  void forward_pass(Env& env, std::vector<double>* times);
  double time_backward(std::size_t k, const Env& env);

  TorchProfileOptions opt_;
  std::unique_ptr<LayerGraph> g_;
  std::vector<double> unread_output_bytes_;  // per layer, when no later layer reads its output
};

void Profiler::forward_pass(Env& env, std::vector<double>* times) {
  env.clear();
  for (std::size_t i = 0; i < g_->inputs.size(); ++i)
    env[g_->graph->inputs()[i + 1]] = g_->inputs[i];
  unread_output_bytes_.assign(g_->layers.size(), 0.0);
  for (std::size_t k = 0; k < g_->layers.size(); ++k) {
    double s = 0;
    unread_output_bytes_[k] = g_->run_layer(k, env, times ? &s : nullptr);
    if (times) times[k].push_back(s);
  }
}

double Profiler::time_backward(std::size_t k, const Env& env) {
  const Layer& layer = g_->layers[k];
  torch::AutoGradMode grad(true);
  jit::Stack stack;
  stack.emplace_back(g_->module._ivalue());
  for (jit::Value* v : layer.inputs) {
    c10::IValue x = env.at(v);
    if (x.isTensor() && x.toTensor().is_floating_point()) {
      at::Tensor leaf = x.toTensor().detach().requires_grad_(true);
      x = layer.in_place ? c10::IValue(leaf.clone()) : c10::IValue(leaf);
    }
    stack.push_back(std::move(x));
  }
  jit::InterpreterState state(*layer.code);
  state.run(stack);
  std::vector<at::Tensor> outs, grads;
  for (const auto& v : stack) {
    std::vector<at::Tensor> ts;
    collect_tensors(v, ts);
    for (auto& t : ts)
      if (t.defined() && t.requires_grad()) {
        grads.push_back(torch::ones_like(t));
        outs.push_back(t);
      }
  }
  if (outs.empty()) return 0.0;  // nothing differentiable (integer ops, no parameters)
  g_->sync();
  const auto t0 = Clock::now();
  torch::autograd::backward(outs, grads);
  g_->sync();
  return seconds_since(t0);
}

// Package energy counters of Intel RAPL (microjoules), summed over packages; nullopt when
// none is readable (no powercap, not permitted).
struct Rapl {
  std::vector<std::pair<std::string, double>> zones;  // energy_uj path, max range (uJ)
  static Rapl open() {
    Rapl r;
    std::error_code ec;
    const std::filesystem::path root = "/sys/class/powercap";
    if (!std::filesystem::is_directory(root, ec)) return r;
    for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
      const std::string name = e.path().filename().string();
      // Packages are intel-rapl:N; sub-zones (intel-rapl:N:M) are inside them.
      if (name.rfind("intel-rapl:", 0) != 0 || name.find(':', 11) != std::string::npos) continue;
      const std::string path = (e.path() / "energy_uj").string();
      std::ifstream f(path), m((e.path() / "max_energy_range_uj").string());
      double v = 0, range = 0;
      if (!(f >> v)) continue;
      if (!(m >> range)) range = 0;
      r.zones.emplace_back(path, range);
    }
    return r;
  }
  bool readable() const { return !zones.empty(); }
  std::vector<double> read() const {
    std::vector<double> out;
    for (const auto& z : zones) {
      std::ifstream f(z.first);
      double v = 0;
      f >> v;
      out.push_back(v);
    }
    return out;
  }
  // Joules between two readings, with counter wrap-around.
  double joules(const std::vector<double>& a, const std::vector<double>& b) const {
    double uj = 0;
    for (std::size_t i = 0; i < zones.size(); ++i) {
      double d = b[i] - a[i];
      if (d < 0) d += zones[i].second;
      uj += d;
    }
    return uj * 1e-6;
  }
};

// The intra-op threads an ATen parallel region really runs on in this thread: the distinct
// at::get_thread_num() of a parallel_for over enough chunks for every thread (grain 1), as
// ATen's OpenMP and native backends hand out one chunk per thread (ATen/ParallelOpenMP.h).
// This is what every parallel kernel of the profiled passes gets, whatever asked for it.
int intra_op_team_size() {
  const int asked = std::max(1, at::get_num_threads());
#if AT_PARALLEL_OPENMP && !defined(_OPENMP)
  return asked;  // parallel_for is serial in a translation unit without OpenMP: not observable
#endif
  std::mutex m;
  std::set<int> ids;
  at::parallel_for(0, static_cast<int64_t>(asked) * 64, 1, [&](int64_t, int64_t) {
    std::lock_guard<std::mutex> lock(m);
    ids.insert(at::get_thread_num());
  });
  return static_cast<int>(ids.size());
}

// "AMD EPYC; 2 logical CPUs; Linux 6.1.0 x86_64" (+ "; cuda:0" for a GPU run): the CPU model
// of /proc/cpuinfo, std::thread::hardware_concurrency and uname(2).
std::string machine_description(const c10::Device& device) {
  std::string cpu;
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; cpu.empty() && std::getline(info, line);)
    if (line.rfind("model name", 0) == 0)
      if (auto colon = line.find(':'); colon != std::string::npos) {
        cpu = line.substr(colon + 1);
        cpu.erase(0, cpu.find_first_not_of(" \t"));
      }
  std::ostringstream s;
  s << (cpu.empty() ? std::string("unknown CPU") : cpu) << "; "
    << std::thread::hardware_concurrency() << " logical CPUs";
  struct utsname u;
  if (::uname(&u) == 0) s << "; " << u.sysname << " " << u.release << " " << u.machine;
  if (device.is_cuda()) s << "; " << device.str();
  return s.str();
}

// Where the thread count comes from (at::get_num_threads' default is intraop_default_num_threads
// in ATen/ParallelCommon.cpp: OMP_NUM_THREADS, then MKL_NUM_THREADS, then the physical cores
// LibTorch's cpuinfo counts, which can be fewer than the logical CPUs on a virtual machine).
std::string threads_origin(int requested) {
  if (requested > 0) return "--threads " + std::to_string(requested);
  for (const char* var : {"OMP_NUM_THREADS", "MKL_NUM_THREADS"})
    if (const char* v = std::getenv(var); v && *v) return std::string(var) + "=" + v;
  return "LibTorch's default: the physical cores it counts";
}

TorchProfileResult Profiler::run() {
  if (opt_.reps < 1) throw InputError("--reps: " + std::to_string(opt_.reps) + " is < 1");
  if (opt_.warmup < 0) throw InputError("--warmup: " + std::to_string(opt_.warmup) + " is < 0");
  if (opt_.threads > 0) at::set_num_threads(opt_.threads);
  const int threads = intra_op_team_size();
  g_ = std::make_unique<LayerGraph>(opt_.model_path, torch_device(opt_.device));
  g_->make_inputs(opt_.inputs, opt_.seed);
  // The whole module first: a forward that fails on these inputs is the user's error. Its
  // graph executor profiles the first calls and optimises after them (LibTorch's profiling
  // executor, getNumProfiledRuns(), default 1), which takes far longer than a forward: those
  // calls are never timed, whatever --warmup says.
  std::vector<double> whole;
  int whole_warmup = opt_.warmup;
  if (jit::getExecutorMode() && jit::getProfilingMode())
    whole_warmup = std::max(whole_warmup, static_cast<int>(jit::getNumProfiledRuns()) + 1);
  {
    torch::NoGradGuard no_grad;
    try {
      for (int i = 0; i < whole_warmup + opt_.reps; ++i) {
        g_->sync();
        const auto t0 = Clock::now();
        g_->module.forward(g_->inputs);
        g_->sync();
        if (i >= whole_warmup) whole.push_back(seconds_since(t0));
      }
    } catch (const std::exception& e) {
      throw InputError("--input: forward fails on these inputs: " + torch_error_line(e));
    }
  }
  g_->build();

  const std::size_t L = g_->layers.size();
  std::vector<std::vector<double>> fwd(L), bwd(L);
  Env env;
  const Rapl rapl = opt_.power_w < 0 ? Rapl::open() : Rapl();
  double rapl_j = 0, rapl_s = 0;
  try {
    torch::NoGradGuard no_grad;
    for (int i = 0; i < opt_.warmup; ++i) forward_pass(env, nullptr);
    const auto e0 = rapl.readable() ? rapl.read() : std::vector<double>();
    const auto t0 = Clock::now();
    for (int i = 0; i < opt_.reps; ++i) forward_pass(env, fwd.data());
    if (rapl.readable()) {
      rapl_s = seconds_since(t0);
      rapl_j = rapl.joules(e0, rapl.read());
    }
  } catch (const std::exception& e) {
    throw InputError("profile: a layer failed when run alone: " + torch_error_line(e));
  }

  // Bytes from the last pass (shapes do not change between passes).
  std::vector<double> out_bytes(L, 0.0), cut_bytes(L, 0.0);
  double input_bytes = 0;
  for (const auto& x : g_->inputs) input_bytes += ivalue_bytes(x);
  for (std::size_t k = 0; k < L; ++k)
    for (jit::Value* v : g_->layers[k].outputs) out_bytes[k] += ivalue_bytes(env.at(v));
  for (std::size_t k = 0; k < L; ++k)
    if (g_->layers[k].outputs.empty()) out_bytes[k] = unread_output_bytes_[k];
  // FLOPs from the sizes of the last pass (layer_flops).
  std::vector<double> flops(L, -1.0);
  for (std::size_t k = 0; k < L; ++k) {
    const Layer& layer = g_->layers[k];
    double in_numel = 0, out_numel = 0;
    const c10::IValue* first = nullptr;
    for (jit::Value* v : layer.inputs)
      if (auto it = env.find(v); it != env.end()) {
        if (!first && it->second.isTensor()) first = &it->second;
        in_numel += ivalue_numel(it->second);
      }
    for (jit::Value* v : layer.outputs) out_numel += ivalue_numel(env.at(v));
    if (layer.outputs.empty()) continue;  // dead layer: its size is unknown here
    flops[k] = layer_flops(layer.kind, layer.params, in_numel, out_numel, first);
    // Max pooling compares kernel - 1 times per output (src/model/arch.cpp), when the kernel
    // is a constant of the graph.
    for (jit::Node* n : layer.nodes) {
      const std::string op = n->kind().toQualString();
      if (op.rfind("aten::max_pool", 0) != 0 || n->inputs().size() < 2) continue;
      // The kernel: a constant int list, or a ListConstruct of constant ints.
      std::vector<std::int64_t> kernel;
      if (const auto c = jit::toIValue(n->input(1)); c && c->isIntList()) {
        kernel = c->toIntVector();
      } else if (n->input(1)->node()->kind() == jit::prim::ListConstruct) {
        for (jit::Value* d : n->input(1)->node()->inputs())
          if (const auto c = jit::toIValue(d); c && c->isInt()) kernel.push_back(c->toInt());
        if (kernel.size() != n->input(1)->node()->inputs().size()) kernel.clear();
      }
      if (!kernel.empty()) {
        double size = 1;
        for (const auto d : kernel) size *= static_cast<double>(d);
        flops[k] = out_numel * (size - 1);
      }
    }
  }
  for (const auto& [v, last] : g_->last_use) {
    // Alive across every cut k with producer <= k < last use.
    const int p = g_->producer.at(v);
    auto it = env.find(v);
    if (it == env.end()) continue;
    const double bytes = ivalue_bytes(it->second);
    for (int k = std::max(p, 0); k < last && k < static_cast<int>(L); ++k) cut_bytes[k] += bytes;
  }

  if (opt_.backward) {
    try {
      for (std::size_t k = 0; k < L; ++k) {
        for (int i = 0; i < opt_.warmup; ++i) time_backward(k, env);
        for (int i = 0; i < opt_.reps; ++i) bwd[k].push_back(time_backward(k, env));
      }
    } catch (const std::exception& e) {
      throw InputError("profile: backward of a layer failed (try --no-backward): " +
                       torch_error_line(e));
    }
  }

  TorchProfileResult result;
  result.threads = threads;
  result.threads_origin = threads_origin(opt_.threads);
  result.runtime = std::string("LibTorch ") + TORCH_VERSION;
  result.machine = machine_description(g_->device);
  result.whole_model_s = median(whole);
  ModelProfile& p = result.profile;
  p.model = opt_.model_name.empty() ? std::filesystem::path(opt_.model_path).stem().string()
                                    : opt_.model_name;
  p.input_bytes = input_bytes;
  DeviceProfile dev;
  dev.device_class = opt_.device_class.empty() ? opt_.device : opt_.device_class;
  double power_w = 0;
  if (opt_.power_w >= 0) {
    power_w = opt_.power_w;
    std::ostringstream s;
    s << "forward latency x " << opt_.power_w << " W (--power-w)";
    result.energy_source = s.str();
  } else if (rapl.readable() && rapl_s > 0) {
    power_w = rapl_j / rapl_s;
    std::ostringstream s;
    s << "forward latency x " << power_w << " W, the mean RAPL package power over the timed "
      << "passes (whole package, other processes included)";
    result.energy_source = s.str();
  } else {
    result.energy_source = "not measured (no --power-w; RAPL counters not readable)";
  }
  for (std::size_t k = 0; k < L; ++k) {
    LayerProfile lp;
    lp.name = g_->layers[k].name;
    lp.kind = g_->layers[k].kind;
    lp.output_bytes = out_bytes[k];
    lp.cut_bytes = cut_bytes[k];
    lp.param_bytes = g_->layers[k].param_bytes;
    lp.flops = flops[k];
    p.layers.push_back(lp);
    LayerCost c;
    c.forward_s = median(fwd[k]);
    c.backward_s = opt_.backward ? median(bwd[k]) : 0.0;
    c.energy_j = c.forward_s * power_w;
    dev.layers.push_back(c);
    result.sum_layer_forward_s += c.forward_s;
    result.sum_layer_backward_s += c.backward_s;
  }
  std::ostringstream src;
  src << "measured by hivemind-profile (" << result.runtime << ", " << opt_.device << ", "
      << result.threads << (result.threads == 1 ? " thread" : " threads") << " ("
      << result.threads_origin << ")): per-layer median of " << opt_.reps << " passes after "
      << opt_.warmup << " warm-up; whole-model forward " << result.whole_model_s * 1e3
      << " ms, sum of layers " << result.sum_layer_forward_s * 1e3 << " ms; backward "
      << (opt_.backward ? "eval mode, all-ones gradients" : "not measured") << "; energy "
      << result.energy_source;
  dev.source = src.str();
  dev.runtime = result.runtime;
  dev.threads = result.threads;
  dev.machine = result.machine;
  dev.whole_model_forward_s = result.whole_model_s;
  p.source = "hivemind-profile " + std::filesystem::path(opt_.model_path).filename().string();
  p.devices.push_back(std::move(dev));
  validate(p);
  return result;
}

}  // namespace

TorchProfileResult profile_torchscript(const TorchProfileOptions& options) {
  Profiler profiler(options);
  return profiler.run();
}

// ---------------------------------------------------------------------------------------------
// ResNet-18 as TorchScript, built from TorchScript source (torch::jit::Module::define): the
// torchvision architecture (BasicBlock, downsample = Sequential(conv1x1, bn)), module names as
// in torchvision so the profiled layers line up with data/measured/resnet18_*.

namespace {

class ScriptBuilder {
 public:
  ScriptBuilder() : cu_(std::make_shared<jit::CompilationUnit>()) {}

  jit::Module make(const std::string& kind) {
    return jit::Module(
        c10::QualifiedName("__torch__.hivemind.m" + std::to_string(counter_++) + "." + kind), cu_,
        true);
  }
  jit::Module conv(long in, long out, int k, int stride, int pad) {
    auto m = make("Conv2d");
    m.register_parameter("weight", torch::randn({out, in, k, k}) * std::sqrt(2.0 / (in * k * k)),
                         false);
    const std::string s = std::to_string(stride), p = std::to_string(pad);
    m.define("def forward(self, x):\n    return torch.conv2d(x, self.weight, None, [" + s + ", " +
             s + "], [" + p + ", " + p + "], [1, 1], 1)\n");
    return m;
  }
  jit::Module bn(long c) {
    auto m = make("BatchNorm2d");
    m.register_parameter("weight", torch::ones({c}), false);
    m.register_parameter("bias", torch::zeros({c}), false);
    m.register_buffer("running_mean", torch::zeros({c}));
    m.register_buffer("running_var", torch::ones({c}));
    m.define(
        "def forward(self, x):\n    return torch.batch_norm(x, self.weight, self.bias, "
        "self.running_mean, self.running_var, False, 0.1, 1e-05, True)\n");
    return m;
  }
  jit::Module relu() {
    auto m = make("ReLU");
    m.define("def forward(self, x):\n    return torch.relu(x)\n");
    return m;
  }
  jit::Module maxpool() {
    auto m = make("MaxPool2d");
    m.define(
        "def forward(self, x):\n    return torch.max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], "
        "False)\n");
    return m;
  }
  jit::Module avgpool() {
    auto m = make("AdaptiveAvgPool2d");
    m.define("def forward(self, x):\n    return torch.adaptive_avg_pool2d(x, [1, 1])\n");
    return m;
  }
  jit::Module linear(long in, long out) {
    auto m = make("Linear");
    m.register_parameter("weight", torch::randn({out, in}) / std::sqrt(double(in)), false);
    m.register_parameter("bias", torch::zeros({out}), false);
    m.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n");
    return m;
  }
  // Children "0", "1", ... called in order (torch.nn.Sequential).
  jit::Module sequential(std::vector<jit::Module> children) {
    auto m = make("Sequential");
    std::string src = "def forward(self, x):\n";
    for (std::size_t i = 0; i < children.size(); ++i) {
      m.register_module(std::to_string(i), children[i]);
      src += "    x = getattr(self, \"" + std::to_string(i) + "\").forward(x)\n";
    }
    m.define(src + "    return x\n");
    return m;
  }
  jit::Module basic_block(long in, long out, int stride) {
    auto m = make("BasicBlock");
    m.register_module("conv1", conv(in, out, 3, stride, 1));
    m.register_module("bn1", bn(out));
    m.register_module("relu", relu());
    m.register_module("conv2", conv(out, out, 3, 1, 1));
    m.register_module("bn2", bn(out));
    const bool down = stride != 1 || in != out;
    if (down) m.register_module("downsample", sequential({conv(in, out, 1, stride, 0), bn(out)}));
    m.define(std::string("def forward(self, x):\n") +
             "    identity = x\n"
             "    out = self.conv1.forward(x)\n"
             "    out = self.bn1.forward(out)\n"
             "    out = self.relu.forward(out)\n"
             "    out = self.conv2.forward(out)\n"
             "    out = self.bn2.forward(out)\n" +
             (down ? "    identity = self.downsample.forward(x)\n" : "") +
             "    out = out + identity\n"
             "    return self.relu.forward(out)\n");
    return m;
  }

 private:
  std::shared_ptr<jit::CompilationUnit> cu_;
  int counter_ = 0;
};

}  // namespace

void save_torchscript_resnet18(const std::string& path, int classes) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  ScriptBuilder b;
  auto m = b.make("ResNet");
  m.register_module("conv1", b.conv(3, 64, 7, 2, 3));
  m.register_module("bn1", b.bn(64));
  m.register_module("relu", b.relu());
  m.register_module("maxpool", b.maxpool());
  const long widths[] = {64, 128, 256, 512};
  long in = 64;
  for (int i = 0; i < 4; ++i) {
    const int stride = i == 0 ? 1 : 2;
    m.register_module("layer" + std::to_string(i + 1),
                      b.sequential({b.basic_block(in, widths[i], stride),
                                    b.basic_block(widths[i], widths[i], 1)}));
    in = widths[i];
  }
  m.register_module("avgpool", b.avgpool());
  m.register_module("fc", b.linear(512, classes));
  m.define(R"(
def forward(self, x):
    x = self.conv1.forward(x)
    x = self.bn1.forward(x)
    x = self.relu.forward(x)
    x = self.maxpool.forward(x)
    x = self.layer1.forward(x)
    x = self.layer2.forward(x)
    x = self.layer3.forward(x)
    x = self.layer4.forward(x)
    x = self.avgpool.forward(x)
    x = torch.flatten(x, 1)
    return self.fc.forward(x)
)");
  // Parameters require grad, as after torch.jit.save of a torchvision model.
  for (auto p : m.parameters()) p.requires_grad_(true);
  try {
    m.save(path);
  } catch (const std::exception& e) {
    throw InputError(path + ": cannot write the model: " + torch_error_line(e));
  }
}

}  // namespace hivemind::model