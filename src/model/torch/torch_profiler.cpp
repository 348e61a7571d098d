// The LibTorch layer profiler (include/hivemind/model/torch_profiler.hpp). One translation
// unit on purpose: LibTorch headers are slow to compile.
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
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/lower_tuples.h>
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

namespace hivemind::model {

namespace jit = torch::jit;

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

// The line of a LibTorch error a user needs: the last non-empty line (TorchScript errors end
// with "RuntimeError: <cause>" after a traceback), without the C++ backtrace.
std::string torch_error_line(const std::exception& e) {
  std::string text;
  if (auto* ce = dynamic_cast<const c10::Error*>(&e))
    text = ce->what_without_backtrace();
  else
    text = e.what();
  std::istringstream in(text);
  std::string line, last, first;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    line = line.substr(b);
    if (first.empty()) first = line;
    last = line;
  }
  std::string out = last.empty() ? first : last;
  if (out.size() > 300) out = out.substr(0, 300) + "...";
  return out;
}

bool type_has_tensor(const c10::TypePtr& t) {
  if (t->kind() == c10::TypeKind::TensorType) return true;
  for (const auto& c : t->containedTypes())
    if (type_has_tensor(c)) return true;
  return false;
}

bool node_has_tensor_output(const jit::Node* n) {
  for (const jit::Value* v : n->outputs())
    if (type_has_tensor(v->type())) return true;
  return false;
}

// Bytes of the tensors in an IValue (lists, tuples and dicts summed).
double ivalue_bytes(const c10::IValue& v) {
  if (v.isTensor()) {
    const auto& t = v.toTensor();
    return t.defined() ? static_cast<double>(t.numel()) * static_cast<double>(t.element_size())
                       : 0.0;
  }
  double sum = 0.0;
  if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) sum += ivalue_bytes(e);
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toListRef()) sum += ivalue_bytes(e);
  } else if (v.isGenericDict()) {
    for (const auto& kv : v.toGenericDict()) sum += ivalue_bytes(kv.value());
  }
  return sum;
}

void collect_tensors(const c10::IValue& v, std::vector<at::Tensor>& out) {
  if (v.isTensor()) {
    out.push_back(v.toTensor());
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) collect_tensors(e, out);
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toListRef()) collect_tensors(e, out);
  }
}

// Nodes that are not layers: recomputed inside every layer that reads them.
bool is_free(const jit::Node* n) {
  if (!n->blocks().empty() || n->hasSideEffects()) return false;
  const auto k = n->kind();
  if (k == jit::prim::Constant || k == jit::prim::GetAttr || k == jit::prim::ListConstruct ||
      k == jit::prim::TupleConstruct || k == jit::prim::DictConstruct)
    return true;
  return !node_has_tensor_output(n);
}

// Unpacking a layer's tuple/list result belongs to that layer.
bool is_glue(const jit::Node* n) {
  const auto k = n->kind();
  return k == jit::prim::TupleUnpack || k == jit::prim::ListUnpack || k == jit::prim::TupleIndex;
}

// "__torch__.torchvision.models.resnet.___torch_mangle_3.BasicBlock" -> "BasicBlock".
std::string short_class_name(const std::string& qualified) {
  const auto dot = qualified.rfind('.');
  return dot == std::string::npos ? qualified : qualified.substr(dot + 1);
}

// "aten::add" -> "add", "prim::If" -> "if".
std::string op_name(const jit::Node* n) {
  std::string s = n->kind().toUnqualString();
  if (n->kind().is_prim()) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

// Parameters already counted: (owning module object, attribute slot). One set for the whole
// model: a parameter is carried by the first layer that reads it (a module called twice
// carries its parameters on its first call, docs/models.md).
using ParamSet = std::set<std::pair<const void*, std::size_t>>;

// Every node of `block` and of the blocks nested in it, in order.
void for_each_node(jit::Block* block, const std::function<void(jit::Node*)>& f) {
  for (jit::Node* n : block->nodes()) {
    f(n);
    for (jit::Block* b : n->blocks()) for_each_node(b, f);
  }
}

// A value that can become a graph constant without changing what forward computes: immutable
// (bool, int, float, string, None, or a tuple of these), as TorchScript's freezing and
// constant propagation treat module attributes (torch/csrc/jit/passes/freeze_module.cpp).
bool is_immutable_constant(const c10::IValue& v) {
  if (v.isBool() || v.isInt() || v.isDouble() || v.isString() || v.isNone()) return true;
  if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements())
      if (!is_immutable_constant(e)) return false;
    return true;
  }
  return false;
}

// One layer: its nodes of the inlined graph, its own graph and how to feed it.
struct Layer {
  std::string name, kind;
  std::vector<jit::Node*> nodes;      // in graph order
  std::vector<jit::Value*> inputs;    // values of the inlined graph it reads (model inputs or
                                      // outputs of earlier layers), = its graph inputs 1..
  std::vector<jit::Value*> outputs;   // values of its own that later layers / the result read
  std::shared_ptr<jit::Graph> graph;  // input 0 = the root module (self)
  std::unique_ptr<jit::Code> code;
  double param_bytes = 0.0;
  std::vector<at::Tensor> params;    // every parameter it reads (shared ones too), for FLOPs
  double unread_output_bytes = 0.0;  // output bytes when no later layer reads the output
  bool in_place = false;             // has an in-place op (x.add_(...)): autograd needs the
                                     // inputs to be non-leaf
};

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
  void load();
  void make_inputs();
  void fold_module_constants();
  void fold_module_constants_in_place();
  void refuse_mutated_free_containers();
  void partition();
  void build_layer_graphs();
  // Counts the parameter a prim::GetAttr node reads, if it is one not counted before.
  void count_param(Layer& layer, jit::Node* get_attr);
  jit::Value* import_value(Layer& layer, std::unordered_map<jit::Value*, jit::Value*>& map,
                           jit::Value* v);
  // Values of the inlined graph (not free, not self) that reading `v` needs.
  void needed_by(jit::Value* v, std::unordered_set<jit::Value*>& out,
                 std::unordered_set<jit::Node*>& seen);
  // The object a chain of prim::GetAttr from self reads, or nullopt when `v` is not one.
  std::optional<c10::IValue> resolve_attr(jit::Value* v);
  void sync();
  // One forward pass over the layers; times each when `times` is given.
  void forward_pass(std::unordered_map<jit::Value*, c10::IValue>& env, std::vector<double>* times);
  double time_backward(std::size_t k, const std::unordered_map<jit::Value*, c10::IValue>& env);

  TorchProfileOptions opt_;
  c10::Device device_ = c10::Device(c10::kCPU);
  jit::Module module_;
  std::shared_ptr<jit::Graph> graph_;  // inlined forward
  std::vector<c10::IValue> inputs_;    // model inputs, without self
  std::vector<Layer> layers_;
  std::unordered_map<jit::Node*, int> layer_of_;   // node -> layer index
  std::unordered_map<jit::Value*, int> producer_;  // value -> layer index, -1 = model input
  std::vector<std::unordered_map<jit::Value*, jit::Value*>> layer_maps_;  // inlined -> layer
  std::unordered_map<jit::Value*, int> last_use_;  // value -> last layer reading it
                                                   // (layers_.size() = the result)
  ParamSet params_seen_;
};

void Profiler::load() {
  if (opt_.device == "cpu") {
    device_ = c10::Device(c10::kCPU);
  } else if (opt_.device == "cuda") {
    if (!torch::cuda::is_available())
      throw InputError("--device: cuda is not available (this LibTorch has no CUDA or no GPU)");
    device_ = c10::Device(c10::kCUDA);
  } else {
    throw InputError("--device: \"" + opt_.device + "\" is not cpu or cuda");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(opt_.model_path, ec)) {
    if (std::filesystem::exists(opt_.model_path, ec))
      throw InputError(opt_.model_path + ": not a regular file");
    throw InputError(opt_.model_path + ": cannot open (no such file)");
  }
  try {
    module_ = jit::load(opt_.model_path, device_);
  } catch (const std::exception& e) {
    throw InputError(opt_.model_path +
                     ": not a TorchScript model (torch::jit::load: " + torch_error_line(e) + ")");
  }
  if (!module_.find_method("forward"))
    throw InputError(opt_.model_path + ": TorchScript module has no forward method");
  module_.eval();
}

void Profiler::make_inputs() {
  auto method = module_.get_method("forward");
  const auto& schema = method.function().getSchema();
  const std::size_t n_args = schema.arguments().size() - 1;  // without self
  if (opt_.inputs.size() != n_args) {
    std::string names;
    for (std::size_t i = 1; i < schema.arguments().size(); ++i)
      names += (i > 1 ? ", " : "") + schema.arguments()[i].name();
    throw InputError("--input: forward(" + names + ") takes " + std::to_string(n_args) +
                     " input(s), --input gives " + std::to_string(opt_.inputs.size()));
  }
  torch::manual_seed(opt_.seed);
  for (std::size_t i = 0; i < n_args; ++i) {
    const auto& arg = schema.arguments()[i + 1];
    if (arg.type()->kind() != c10::TypeKind::TensorType)
      throw InputError("--input: forward argument \"" + arg.name() + "\" has type " +
                       arg.type()->repr_str() + "; only Tensor arguments are supported");
    const auto& s = opt_.inputs[i];
    auto options = torch::TensorOptions().device(device_);
    const std::vector<int64_t> shape(s.shape.begin(), s.shape.end());
    at::Tensor t;
    if (s.dtype == "float32")
      t = torch::randn(shape, options.dtype(torch::kFloat32));
    else if (s.dtype == "float64")
      t = torch::randn(shape, options.dtype(torch::kFloat64));
    else if (s.dtype == "int64")
      t = torch::zeros(shape, options.dtype(torch::kInt64));
    else
      t = torch::zeros(shape, options.dtype(torch::kInt32));
    inputs_.emplace_back(std::move(t));
  }
}

// torch.jit.script keeps `if self.use_res_connect:` (MobileNet-V2's InvertedResidual), `if
// self.training:` and the like as prim::If nodes on a module attribute, so a whole block would be
// one layer and the parameters read inside its branches would go uncounted. The attributes are
// constants of this eval-mode module: every read of an immutable attribute (bool, number,
// string, None, tuple of these) that forward never assigns (no prim::SetAttr of that name)
// becomes a prim::Constant, as torch.jit.freeze does (freeze_module.cpp), and TorchScript's
// constant propagation (passes/constant_propagation.cpp: an If with a constant condition is
// replaced by the nodes of the branch taken, its outputs by that branch's) folds what depends on
// them. The nodes of the taken branch keep their call stacks, so they group into layers one by
// one as a traced model's do. Conditions on tensor values stay prim::If (a layer "if").
void Profiler::fold_module_constants() {
  // A pass that refuses this graph (a TORCH_CHECK in LibTorch) leaves it unfolded: profiled as
  // before, control flow as single layers, rather than not at all.
  const std::shared_ptr<jit::Graph> unfolded = graph_->copy();
  try {
    fold_module_constants_in_place();
  } catch (const c10::Error&) {
    graph_ = unfolded;
  }
}

void Profiler::fold_module_constants_in_place() {
  std::set<std::string> assigned;
  std::vector<jit::Node*> reads;
  for_each_node(graph_->block(), [&](jit::Node* n) {
    if (n->kind() == jit::prim::SetAttr) assigned.insert(n->s(jit::attr::name));
    if (n->kind() == jit::prim::GetAttr) reads.push_back(n);
  });
  bool folded = false;
  for (jit::Node* n : reads) {
    if (assigned.count(n->s(jit::attr::name))) continue;
    const auto v = resolve_attr(n->output());
    if (!v || !is_immutable_constant(*v)) continue;
    jit::WithInsertPoint guard(n);
    jit::Value* c = graph_->insertConstant(*v);
    // Keep the attribute's declared type (Optional[int] holding an int, say).
    c->setType(n->output()->type());
    n->output()->replaceAllUsesWith(c);
    folded = true;
  }
  if (!folded) return;
  for (jit::Node* n : reads)
    if (!n->hasUses()) n->destroy();
  jit::ConstantPropagationImmutableTypes(graph_);
}

// A list or dict built by a free node (`features = [x]`) is rebuilt by every layer that reads
// it, and a mutation of it (`features.append(y)`, scripted DenseNet's dense block) has no tensor
// output, so it would run in no layer: later layers would read the list without its entries,
// failing or, worse, measuring the wrong tensors. Such a model is refused, naming the op. (A
// container built and mutated inside the block of one If/Loop layer is cloned with that block
// and is fine.) A write is what the op's schema declares: an input with a write alias (a!).
void Profiler::refuse_mutated_free_containers() {
  for_each_node(graph_->block(), [&](jit::Node* n) {
    const c10::FunctionSchema* schema = n->maybeSchema();
    if (!schema) return;
    const auto& args = schema->arguments();
    for (std::size_t i = 0; i < args.size() && i < n->inputs().size(); ++i) {
      const c10::AliasInfo* alias = args[i].alias_info();
      if (!alias || !alias->isWrite()) continue;
      jit::Value* v = n->input(i);
      const auto kind = v->type()->kind();
      if (kind != c10::TypeKind::ListType && kind != c10::TypeKind::DictType) continue;
      jit::Node* producer = v->node();
      if (producer->owningBlock() != graph_->block() || !is_free(producer)) continue;
      throw InputError(opt_.model_path + ": forward changes a " +
                       (kind == c10::TypeKind::ListType ? "list" : "dict") + " it builds (" +
                       n->kind().toQualString() +
                       "), which layers run one by one cannot share: not supported; trace the "
                       "model (torch.jit.trace) instead");
    }
  });
}

void Profiler::partition() {
  graph_ = module_.get_method("forward").graph()->copy();
  jit::Inline(*graph_);
  // A module returning a tuple that its caller unpacks: connect the values directly.
  jit::LowerSimpleTuples(graph_);
  fold_module_constants();
  refuse_mutated_free_containers();

  // Leaf-call key of a node: the module path and call sites down to its innermost module, or
  // empty when that module has children (then every tensor op is a layer of its own).
  struct CallKey {
    std::vector<std::string> path;
    std::string key;   // path + call sites; equal for the nodes of one call
    std::string kind;  // class of the leaf module
  };
  auto call_key = [&](const jit::Node* n) -> CallKey {
    CallKey ck;
    auto cs = n->callstack();
    if (!cs) return ck;
    std::vector<std::string> path;
    std::string key, kind;
    jit::Module m = module_;
    bool resolvable = true;
    std::size_t leaf_len = 0;
    std::string leaf_key, leaf_kind;
    for (const auto& entry : (*cs)->vec()) {
      const auto& mi = std::get<2>(entry);
      const auto& range = std::get<1>(entry);
      key += std::to_string(range.start()) + ":" + std::to_string(range.end()) + "/";
      if (!mi) continue;
      const std::string name = mi->instance_name();
      if (name == "SELF") continue;
      if (name == "INSTANCE_NAME_UNKNOWN") resolvable = false;
      path.push_back(name);
      key += name + "/";
      if (resolvable) {
        auto sub = m.attr(name, c10::IValue());
        if (sub.isObject() && sub.toObject()->type()->is_module()) {
          m = jit::Module(sub.toObject());
        } else {
          resolvable = false;
        }
      }
      if (resolvable && m.children().size() == 0) {
        leaf_len = path.size();
        leaf_key = key;
        leaf_kind = short_class_name(m.type()->name() ? m.type()->name()->qualifiedName()
                                                      : std::string("Module"));
        break;  // deeper entries are helper functions inside the leaf module
      }
    }
    if (leaf_len == 0) return ck;
    path.resize(leaf_len);
    ck.path = path;
    ck.key = leaf_key;
    ck.kind = leaf_kind;
    return ck;
  };

  std::map<std::string, int> name_count;
  auto unique_name = [&](const std::string& base) {
    const int c = name_count[base]++;
    return c == 0 ? base : base + "_" + std::to_string(c);
  };

  std::string current_key;          // key of the leaf call the last layer is, or ""
  std::vector<jit::Node*> pending;  // tensor-less ops waiting for the next layer
  for (jit::Node* n : graph_->nodes()) {
    if (is_glue(n)) {
      auto it = layer_of_.find(n->input(0)->node());
      if (it != layer_of_.end()) {
        layers_[it->second].nodes.push_back(n);
        layer_of_[n] = it->second;
      }
      continue;  // else unpacking free values: free itself
    }
    if (is_free(n)) continue;
    const CallKey ck = call_key(n);
    if (!ck.key.empty() && ck.key == current_key && !layers_.empty()) {
      layers_.back().nodes.push_back(n);
      layer_of_[n] = static_cast<int>(layers_.size()) - 1;
      continue;
    }
    if (ck.key.empty() && !node_has_tensor_output(n)) {
      // An assertion or a side effect outside leaf modules: runs with the next layer.
      pending.push_back(n);
      continue;
    }
    Layer layer;
    if (!ck.key.empty()) {
      std::string base;
      for (std::size_t i = 0; i < ck.path.size(); ++i) base += (i ? "_" : "") + ck.path[i];
      layer.name = unique_name(base);
      layer.kind = ck.kind;
      current_key = ck.key;
    } else {
      layer.name = unique_name(op_name(n));
      layer.kind = op_name(n);
      current_key.clear();
    }
    const int index = static_cast<int>(layers_.size());
    for (jit::Node* p : pending) {
      layer.nodes.push_back(p);
      layer_of_[p] = index;
    }
    pending.clear();
    layer.nodes.push_back(n);
    layer_of_[n] = index;
    layers_.push_back(std::move(layer));
  }
  if (layers_.empty())
    throw InputError(opt_.model_path + ": forward has no tensor operation (no layer to profile)");
  for (jit::Node* p : pending) {
    layers_.back().nodes.push_back(p);
    layer_of_[p] = static_cast<int>(layers_.size()) - 1;
  }
  // Nodes of one layer must stay in graph order (glue/pending nodes were appended).
  for (auto& layer : layers_)
    std::stable_sort(layer.nodes.begin(), layer.nodes.end(),
                     [](jit::Node* a, jit::Node* b) { return a->isBefore(b); });
}

std::optional<c10::IValue> Profiler::resolve_attr(jit::Value* v) {
  if (v == graph_->inputs()[0]) return c10::IValue(module_._ivalue());
  jit::Node* n = v->node();
  if (n->kind() != jit::prim::GetAttr) return std::nullopt;
  const auto owner = resolve_attr(n->input(0));
  if (!owner || !owner->isObject()) return std::nullopt;
  const auto& obj = owner->toObject();
  if (!obj->type()->findAttributeSlot(n->s(jit::attr::name))) return std::nullopt;
  return obj->getAttr(n->s(jit::attr::name));
}

void Profiler::needed_by(jit::Value* v, std::unordered_set<jit::Value*>& out,
                         std::unordered_set<jit::Node*>& seen) {
  if (v == graph_->inputs()[0]) return;  // self
  jit::Node* n = v->node();
  if (n->kind() == jit::prim::Param || layer_of_.count(n)) {
    out.insert(v);
    return;
  }
  if (!seen.insert(n).second) return;
  for (jit::Value* in : n->inputs()) needed_by(in, out, seen);  // a free node
}

void Profiler::count_param(Layer& layer, jit::Node* get_attr) {
  const auto owner = resolve_attr(get_attr->input(0));
  if (!owner || !owner->isObject()) return;
  const auto& obj = owner->toObject();
  const auto slot = obj->type()->findAttributeSlot(get_attr->s(jit::attr::name));
  if (!slot || !obj->type()->is_parameter(*slot)) return;
  const c10::IValue p = obj->getSlot(*slot);
  if (p.isTensor()) layer.params.push_back(p.toTensor());
  if (p.isTensor() && params_seen_.insert({obj.get(), *slot}).second)
    layer.param_bytes += ivalue_bytes(p);
}

jit::Value* Profiler::import_value(Layer& layer, std::unordered_map<jit::Value*, jit::Value*>& map,
                                   jit::Value* v) {
  if (auto it = map.find(v); it != map.end()) return it->second;
  jit::Node* n = v->node();
  const bool own = layer_of_.count(n) && &layers_[layer_of_.at(n)] == &layer;
  if (own) throw std::logic_error("profile: layer value used before its node");
  if (n->kind() == jit::prim::Param || layer_of_.count(n)) {
    // A model input or a value of an earlier layer: an input of this layer's graph.
    jit::Value* in = layer.graph->addInput()->setType(v->type());
    layer.inputs.push_back(v);
    map[v] = in;
    return in;
  }
  // A free node: clone it (and what it reads) into this layer.
  for (jit::Value* in : n->inputs()) import_value(layer, map, in);
  jit::Node* c = layer.graph->createClone(n, [&](jit::Value* x) { return map.at(x); });
  layer.graph->insertNode(c);
  for (std::size_t i = 0; i < n->outputs().size(); ++i) map[n->output(i)] = c->output(i);
  if (n->kind() == jit::prim::GetAttr) count_param(layer, n);  // a parameter read
  return map.at(v);
}

void Profiler::build_layer_graphs() {
  // Which layer reads which value (through free nodes too), and who produces it.
  for (jit::Value* in : graph_->inputs()) producer_[in] = -1;
  for (std::size_t k = 0; k < layers_.size(); ++k)
    for (jit::Node* n : layers_[k].nodes)
      for (jit::Value* out : n->outputs()) producer_[out] = static_cast<int>(k);

  for (std::size_t k = 0; k < layers_.size(); ++k) {
    Layer& layer = layers_[k];
    layer.graph = std::make_shared<jit::Graph>();
    std::unordered_map<jit::Value*, jit::Value*> map;
    map[graph_->inputs()[0]] = layer.graph->addInput()->setType(graph_->inputs()[0]->type());
    for (jit::Node* n : layer.nodes) {
      // Everything the node reads, captured values of its blocks included.
      std::vector<jit::Value*> reads;
      std::function<void(jit::Block*, std::unordered_set<jit::Value*>&)> scan =
          [&](jit::Block* b, std::unordered_set<jit::Value*>& inside) {
            for (jit::Value* p : b->inputs()) inside.insert(p);
            for (jit::Node* m : b->nodes()) {
              for (jit::Value* x : m->inputs())
                if (!inside.count(x)) reads.push_back(x);
              for (jit::Block* sb : m->blocks()) scan(sb, inside);
              for (jit::Value* o : m->outputs()) inside.insert(o);
            }
            for (jit::Value* x : b->return_node()->inputs())
              if (!inside.count(x)) reads.push_back(x);
          };
      for (jit::Value* x : n->inputs()) reads.push_back(x);
      std::unordered_set<jit::Value*> inside;
      for (jit::Block* b : n->blocks()) scan(b, inside);
      for (jit::Value* x : reads) {
        if (map.count(x)) continue;
        auto p = producer_.find(x);
        if (p != producer_.end() && p->second == static_cast<int>(k)) continue;  // cloned below
        import_value(layer, map, x);
      }
      jit::Node* c = layer.graph->createClone(n, [&](jit::Value* x) { return map.at(x); });
      layer.graph->insertNode(c);
      for (std::size_t i = 0; i < n->outputs().size(); ++i) map[n->output(i)] = c->output(i);
      // Parameters read inside the blocks of a prim::If / prim::Loop kept as one layer (a
      // condition on a tensor value) belong to that layer: cloned with it, counted here.
      for (jit::Block* b : n->blocks())
        for_each_node(b, [&](jit::Node* m) {
          if (m->kind() == jit::prim::GetAttr) count_param(layer, m);
        });
      const std::string kind = n->kind().toUnqualString();
      if (n->kind().is_aten() && !kind.empty() && kind.back() == '_' && kind.front() != '_')
        layer.in_place = true;
    }
    for (jit::Value* in : layer.inputs)
      last_use_[in] = std::max(last_use_[in], static_cast<int>(k));
    // Outputs are registered once every layer's inputs are known (below); keep the map.
    layer_maps_.push_back(std::move(map));
  }
  // The model's result reads through free nodes (a TupleConstruct) too.
  {
    std::unordered_set<jit::Value*> need;
    std::unordered_set<jit::Node*> seen;
    for (jit::Value* out : graph_->outputs()) needed_by(out, need, seen);
    for (jit::Value* v : need) last_use_[v] = static_cast<int>(layers_.size());
  }
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    Layer& layer = layers_[k];
    for (jit::Node* n : layer.nodes)
      for (jit::Value* out : n->outputs()) {
        auto it = last_use_.find(out);
        if (it != last_use_.end() && it->second > static_cast<int>(k)) {
          layer.outputs.push_back(out);
          layer.graph->registerOutput(layer_maps_[k].at(out));
        }
      }
    if (layer.outputs.empty()) {
      // Dead layer (nothing reads it): still return its last node's outputs so it runs.
      for (jit::Value* out : layer.nodes.back()->outputs())
        layer.graph->registerOutput(layer_maps_[k].at(out));
    }
    layer.code = std::make_unique<jit::Code>(layer.graph, layer.name);
  }
}

void Profiler::sync() {
  if (device_.is_cuda()) torch::cuda::synchronize();
}

void Profiler::forward_pass(std::unordered_map<jit::Value*, c10::IValue>& env,
                            std::vector<double>* times) {
  env.clear();
  for (std::size_t i = 0; i < inputs_.size(); ++i) env[graph_->inputs()[i + 1]] = inputs_[i];
  for (std::size_t k = 0; k < layers_.size(); ++k) {
    Layer& layer = layers_[k];
    jit::Stack stack;
    stack.reserve(layer.inputs.size() + 1);
    stack.emplace_back(module_._ivalue());
    for (jit::Value* v : layer.inputs) stack.push_back(env.at(v));
    jit::InterpreterState state(*layer.code);
    sync();
    const auto t0 = Clock::now();
    state.run(stack);
    sync();
    if (times) times[k].push_back(seconds_since(t0));
    if (!layer.outputs.empty()) {
      // The interpreter leaves the graph's outputs on the stack, in order.
      const std::size_t base = stack.size() - layer.outputs.size();
      for (std::size_t i = 0; i < layer.outputs.size(); ++i)
        env[layer.outputs[i]] = std::move(stack[base + i]);
    } else {
      // Nothing reads it (an in-place op whose result is the mutated input): its own output
      // is what the interpreter returned.
      double bytes = 0;
      for (const auto& v : stack) bytes += ivalue_bytes(v);
      layer.unread_output_bytes = bytes;
    }
  }
}

double Profiler::time_backward(std::size_t k,
                               const std::unordered_map<jit::Value*, c10::IValue>& env) {
  Layer& layer = layers_[k];
  torch::AutoGradMode grad(true);
  jit::Stack stack;
  stack.emplace_back(module_._ivalue());
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
  sync();
  const auto t0 = Clock::now();
  torch::autograd::backward(outs, grads);
  sync();
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
  load();
  make_inputs();
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
        sync();
        const auto t0 = Clock::now();
        module_.forward(inputs_);
        sync();
        if (i >= whole_warmup) whole.push_back(seconds_since(t0));
      }
    } catch (const std::exception& e) {
      throw InputError("--input: forward fails on these inputs: " + torch_error_line(e));
    }
  }
  partition();
  build_layer_graphs();

  const std::size_t L = layers_.size();
  std::vector<std::vector<double>> fwd(L), bwd(L);
  std::unordered_map<jit::Value*, c10::IValue> env;
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
  for (const auto& x : inputs_) input_bytes += ivalue_bytes(x);
  for (std::size_t k = 0; k < L; ++k)
    for (jit::Value* v : layers_[k].outputs) out_bytes[k] += ivalue_bytes(env.at(v));
  for (std::size_t k = 0; k < L; ++k)
    if (layers_[k].outputs.empty()) out_bytes[k] = layers_[k].unread_output_bytes;
  // FLOPs from the sizes of the last pass (layer_flops).
  std::vector<double> flops(L, -1.0);
  for (std::size_t k = 0; k < L; ++k) {
    const Layer& layer = layers_[k];
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
  for (const auto& [v, last] : last_use_) {
    // Alive across every cut k with producer <= k < last use.
    const int p = producer_.at(v);
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
  result.machine = machine_description(device_);
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
    lp.name = layers_[k].name;
    lp.kind = layers_[k].kind;
    lp.output_bytes = out_bytes[k];
    lp.cut_bytes = cut_bytes[k];
    lp.param_bytes = layers_[k].param_bytes;
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
