// The layer-range executor (include/hivemind/model/torch_executor.hpp) over the layers the
// profiler uses (torch_layers.hpp).
#include "hivemind/model/torch_executor.hpp"

#include <torch/script.h>

#include <sstream>

#include "hivemind/error.hpp"
#include "torch_layers.hpp"

namespace hivemind::model {

namespace jit = torch::jit;
using torch_layers::Env;
using torch_layers::ivalue_bytes;
using torch_layers::LayerGraph;
using torch_layers::torch_error_line;

namespace {

// "float32 [1,64,8,8] cpu", "tuple of 2", "int": what a value is, for messages.
std::string describe(const c10::IValue& v) {
  std::ostringstream s;
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    if (!t.defined()) return "undefined tensor";
    s << c10::toString(t.scalar_type()) << " [";
    for (int64_t d = 0; d < t.dim(); ++d) s << (d ? "," : "") << t.size(d);
    s << "] " << t.device();
  } else if (v.isTuple()) {
    s << "tuple of " << v.toTupleRef().elements().size();
  } else if (v.isList()) {
    s << "list of " << v.toListRef().size();
  } else {
    s << v.tagKind();
  }
  return s.str();
}

// Whether `got` has the structure, dtypes, shapes and devices of `want`; `why` names the first
// difference.
bool same_kind(const c10::IValue& got, const c10::IValue& want, std::string& why) {
  if (want.isTensor()) {
    if (!got.isTensor() || !got.toTensor().defined() || !want.toTensor().defined()) {
      why = "expected " + describe(want) + ", got " + describe(got);
      return got.isTensor() && got.toTensor().defined() == want.toTensor().defined();
    }
    const at::Tensor &g = got.toTensor(), &w = want.toTensor();
    if (g.scalar_type() != w.scalar_type() || g.sizes() != w.sizes() || g.device() != w.device()) {
      why = "expected " + describe(want) + ", got " + describe(got);
      return false;
    }
    return true;
  }
  if (want.isTuple() || want.isList()) {
    const bool tuple = want.isTuple();
    if (tuple ? !got.isTuple() : !got.isList()) {
      why = "expected " + describe(want) + ", got " + describe(got);
      return false;
    }
    const std::vector<c10::IValue> g =
        tuple ? got.toTupleRef().elements().vec() : got.toListRef().vec();
    const std::vector<c10::IValue> w =
        tuple ? want.toTupleRef().elements().vec() : want.toListRef().vec();
    if (g.size() != w.size()) {
      why = "expected " + describe(want) + ", got " + describe(got);
      return false;
    }
    for (std::size_t i = 0; i < g.size(); ++i)
      if (!same_kind(g[i], w[i], why)) {
        why = "element " + std::to_string(i) + ": " + why;
        return false;
      }
    return true;
  }
  if (got.tagKind() != want.tagKind()) {
    why = "expected " + describe(want) + ", got " + describe(got);
    return false;
  }
  return true;
}

}  // namespace

TorchLayerExecutor::TorchLayerExecutor(const std::string& model_path,
                                       const std::vector<TorchInputSpec>& inputs,
                                       const std::string& device, unsigned long long seed) {
  g_ = std::make_unique<LayerGraph>(model_path, torch_layers::torch_device(device));
  g_->make_inputs(inputs, seed);
  torch::NoGradGuard no_grad;
  try {
    g_->module.forward(g_->inputs);
  } catch (const std::exception& e) {
    throw InputError("--input: forward fails on these inputs: " + torch_error_line(e));
  }
  g_->build();
  const std::size_t L = g_->layers.size();
  for (const auto& layer : g_->layers) names_.push_back(layer.name);
  // One pass on the example inputs: what every cut holds.
  Env env;
  for (std::size_t i = 0; i < g_->inputs.size(); ++i)
    env[g_->graph->inputs()[i + 1]] = g_->inputs[i];
  std::unordered_map<jit::Value*, std::string> value_name;
  for (std::size_t i = 1; i < g_->graph->inputs().size(); ++i)
    value_name[g_->graph->inputs()[i]] = "input " + g_->graph->inputs()[i]->debugNameBase();
  for (const auto& layer : g_->layers)
    for (std::size_t o = 0; o < layer.outputs.size(); ++o)
      value_name[layer.outputs[o]] =
          layer.outputs.size() == 1 ? layer.name : layer.name + ":" + std::to_string(o);
  try {
    for (std::size_t x = 0; x <= L; ++x) {
      if (x > 0) g_->run_layer(x - 1, env, nullptr);
      std::vector<c10::IValue> live;
      std::vector<std::string> names;
      for (jit::Value* v : g_->live_after(x)) {
        // Deep copies: a later in-place layer must not change the recorded examples.
        const c10::IValue& val = env.at(v);
        live.push_back(val.isTensor() ? c10::IValue(val.toTensor().clone()) : val);
        names.push_back(value_name.at(v));
      }
      examples_.push_back(std::move(live));
      cut_names_.push_back(std::move(names));
    }
  } catch (const std::exception& e) {
    throw InputError(model_path + ": a layer failed when run alone: " + torch_error_line(e));
  }
}

TorchLayerExecutor::~TorchLayerExecutor() = default;
TorchLayerExecutor::TorchLayerExecutor(TorchLayerExecutor&&) noexcept = default;
TorchLayerExecutor& TorchLayerExecutor::operator=(TorchLayerExecutor&&) noexcept = default;

std::size_t TorchLayerExecutor::layer_count() const { return names_.size(); }

const std::vector<std::string>& TorchLayerExecutor::layer_names() const { return names_; }

std::vector<std::string> TorchLayerExecutor::cut_names(std::size_t x) const {
  example_cut(x);  // checks x
  return cut_names_[x];
}

const std::vector<c10::IValue>& TorchLayerExecutor::example_cut(std::size_t x) const {
  if (x > layer_count())
    throw InputError("cut " + std::to_string(x) + " is not in 0.." + std::to_string(layer_count()));
  return examples_[x];
}

double TorchLayerExecutor::cut_bytes(std::size_t x) const {
  double sum = 0;
  for (const auto& v : example_cut(x)) sum += ivalue_bytes(v);
  return sum;
}

void TorchLayerExecutor::check_cut(std::size_t x, const std::vector<c10::IValue>& live,
                                   const std::string& what) const {
  const auto& want = examples_[x];
  if (live.size() != want.size())
    throw InputError(what + ": cut " + std::to_string(x) + " holds " + std::to_string(want.size()) +
                     " value(s), got " + std::to_string(live.size()));
  for (std::size_t n = 0; n < want.size(); ++n) {
    std::string why;
    if (!same_kind(live[n], want[n], why))
      throw InputError(what + ": value " + std::to_string(n) + " of cut " + std::to_string(x) +
                       " (" + cut_names_[x][n] + "): " + why);
  }
}

std::vector<c10::IValue> TorchLayerExecutor::run(std::size_t i, std::size_t j,
                                                 const std::vector<c10::IValue>& live_in) const {
  const std::size_t L = layer_count();
  const std::string what = "run(" + std::to_string(i) + ", " + std::to_string(j) + ")";
  if (i < 1 || i > L + 1 || j + 1 < i || j > L)
    throw InputError(what + ": not a range of layers 1.." + std::to_string(L) +
                     " (need 1 <= i <= j + 1 <= " + std::to_string(L + 1) + ")");
  check_cut(i - 1, live_in, what);
  Env env;
  const auto in = g_->live_after(i - 1);
  for (std::size_t n = 0; n < in.size(); ++n) env[in[n]] = live_in[n];
  torch::NoGradGuard no_grad;
  try {
    for (std::size_t k = i; k <= j; ++k) g_->run_layer(k - 1, env, nullptr);
  } catch (const std::exception& e) {
    throw InputError(what + ": a layer failed: " + torch_error_line(e));
  }
  std::vector<c10::IValue> out;
  for (jit::Value* v : g_->live_after(j)) out.push_back(env.at(v));
  return out;
}

c10::IValue TorchLayerExecutor::result(const std::vector<c10::IValue>& live_last) const {
  const std::size_t L = layer_count();
  check_cut(L, live_last, "result");
  Env env;
  const auto in = g_->live_after(L);
  for (std::size_t n = 0; n < in.size(); ++n) env[in[n]] = live_last[n];
  torch::NoGradGuard no_grad;
  try {
    return g_->run_result(env);
  } catch (const std::exception& e) {
    throw InputError("result: " + torch_error_line(e));
  }
}

c10::IValue TorchLayerExecutor::forward(const std::vector<c10::IValue>& inputs) const {
  check_cut(0, inputs, "forward");
  torch::NoGradGuard no_grad;
  try {
    return g_->module.forward(inputs);
  } catch (const std::exception& e) {
    throw InputError("forward: " + torch_error_line(e));
  }
}

}  // namespace hivemind::model
