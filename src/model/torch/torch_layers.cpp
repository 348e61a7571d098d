// The layers of a TorchScript model (torch_layers.hpp): load, partition into layers, one graph
// per layer, liveness across cuts. Used by the profiler (torch_profiler.cpp) and the layer-range
// executor (torch_executor.cpp).
//  1. torch::jit::load, eval(), copy of forward's graph, torch::jit::Inline: every submodule
//     call is expanded in execution order and each node keeps its call stack (which module
//     instance, called from where).
//  1b. Module attributes of immutable type become constants and constant propagation inlines
//     the Ifs they decide (fold_module_constants: scripted control flow).
//  2. The graph's top-level nodes are grouped into layers (torch_profiler.hpp): leaf-module
//     calls, other tensor operations; "free" nodes (constants, attribute reads, list packing,
//     scalar arithmetic) belong to no layer and are recomputed by every layer that reads them.
//  3. Every layer becomes a small graph of its own (free nodes it needs cloned in, values of
//     earlier layers as inputs, values later layers read as outputs) run by the TorchScript
//     interpreter (torch::jit::Code); the result gets one too (what forward returns, from the
//     values alive after the last layer).
#include "torch_layers.hpp"

#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/lower_tuples.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

#include "hivemind/error.hpp"

namespace hivemind::model::torch_layers {

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

// Every node of `block` and of the blocks nested in it, in order.
void for_each_node(jit::Block* block, const std::function<void(jit::Node*)>& f) {
  for (jit::Node* n : block->nodes()) {
    f(n);
    for (jit::Block* b : n->blocks()) for_each_node(b, f);
  }
}

c10::Device torch_device(const std::string& name) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  if (name == "cuda") {
    if (!torch::cuda::is_available())
      throw InputError("--device: cuda is not available (this LibTorch has no CUDA or no GPU)");
    return c10::Device(c10::kCUDA);
  }
  throw InputError("--device: \"" + name + "\" is not cpu or cuda");
}

namespace {

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

}  // namespace

LayerGraph::LayerGraph(const std::string& model_path, c10::Device dev)
    : device(dev), path(model_path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    if (std::filesystem::exists(path, ec)) throw InputError(path + ": not a regular file");
    throw InputError(path + ": cannot open (no such file)");
  }
  try {
    module = jit::load(path, device);
  } catch (const std::exception& e) {
    throw InputError(path + ": not a TorchScript model (torch::jit::load: " + torch_error_line(e) +
                     ")");
  }
  if (!module.find_method("forward"))
    throw InputError(path + ": TorchScript module has no forward method");
  module.eval();
}

void LayerGraph::make_inputs(const std::vector<TorchInputSpec>& specs, unsigned long long seed) {
  auto method = module.get_method("forward");
  const auto& schema = method.function().getSchema();
  const std::size_t n_args = schema.arguments().size() - 1;  // without self
  if (specs.size() != n_args) {
    std::string names;
    for (std::size_t i = 1; i < schema.arguments().size(); ++i)
      names += (i > 1 ? ", " : "") + schema.arguments()[i].name();
    throw InputError("--input: forward(" + names + ") takes " + std::to_string(n_args) +
                     " input(s), --input gives " + std::to_string(specs.size()));
  }
  torch::manual_seed(seed);
  for (std::size_t i = 0; i < n_args; ++i) {
    const auto& arg = schema.arguments()[i + 1];
    if (arg.type()->kind() != c10::TypeKind::TensorType)
      throw InputError("--input: forward argument \"" + arg.name() + "\" has type " +
                       arg.type()->repr_str() + "; only Tensor arguments are supported");
    const auto& s = specs[i];
    auto options = torch::TensorOptions().device(device);
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
    inputs.emplace_back(std::move(t));
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
void LayerGraph::fold_module_constants() {
  // A pass that refuses this graph (a TORCH_CHECK in LibTorch) leaves it unfolded: profiled as
  // before, control flow as single layers, rather than not at all.
  const std::shared_ptr<jit::Graph> unfolded = graph->copy();
  try {
    fold_module_constants_in_place();
  } catch (const c10::Error&) {
    graph = unfolded;
  }
}

void LayerGraph::fold_module_constants_in_place() {
  std::set<std::string> assigned;
  std::vector<jit::Node*> reads;
  for_each_node(graph->block(), [&](jit::Node* n) {
    if (n->kind() == jit::prim::SetAttr) assigned.insert(n->s(jit::attr::name));
    if (n->kind() == jit::prim::GetAttr) reads.push_back(n);
  });
  bool folded = false;
  for (jit::Node* n : reads) {
    if (assigned.count(n->s(jit::attr::name))) continue;
    const auto v = resolve_attr(n->output());
    if (!v || !is_immutable_constant(*v)) continue;
    jit::WithInsertPoint guard(n);
    jit::Value* c = graph->insertConstant(*v);
    // Keep the attribute's declared type (Optional[int] holding an int, say).
    c->setType(n->output()->type());
    n->output()->replaceAllUsesWith(c);
    folded = true;
  }
  if (!folded) return;
  for (jit::Node* n : reads)
    if (!n->hasUses()) n->destroy();
  jit::ConstantPropagationImmutableTypes(graph);
}

// A list or dict built by a free node (`features = [x]`) is rebuilt by every layer that reads
// it, and a mutation of it (`features.append(y)`, scripted DenseNet's dense block) has no tensor
// output, so it would run in no layer: later layers would read the list without its entries,
// failing or, worse, measuring the wrong tensors. Such a model is refused, naming the op. (A
// container built and mutated inside the block of one If/Loop layer is cloned with that block
// and is fine.) A write is what the op's schema declares: an input with a write alias (a!).
void LayerGraph::refuse_mutated_free_containers() {
  for_each_node(graph->block(), [&](jit::Node* n) {
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
      if (producer->owningBlock() != graph->block() || !is_free(producer)) continue;
      throw InputError(path + ": forward changes a " +
                       (kind == c10::TypeKind::ListType ? "list" : "dict") + " it builds (" +
                       n->kind().toQualString() +
                       "), which layers run one by one cannot share: not supported; trace the "
                       "model (torch.jit.trace) instead");
    }
  });
}

void LayerGraph::build() {
  partition();
  build_layer_graphs();
}

void LayerGraph::partition() {
  graph = module.get_method("forward").graph()->copy();
  jit::Inline(*graph);
  // A module returning a tuple that its caller unpacks: connect the values directly.
  jit::LowerSimpleTuples(graph);
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
    jit::Module m = module;
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
  for (jit::Node* n : graph->nodes()) {
    if (is_glue(n)) {
      auto it = layer_of_.find(n->input(0)->node());
      if (it != layer_of_.end()) {
        layers[it->second].nodes.push_back(n);
        layer_of_[n] = it->second;
      }
      continue;  // else unpacking free values: free itself
    }
    if (is_free(n)) continue;
    const CallKey ck = call_key(n);
    if (!ck.key.empty() && ck.key == current_key && !layers.empty()) {
      layers.back().nodes.push_back(n);
      layer_of_[n] = static_cast<int>(layers.size()) - 1;
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
    const int index = static_cast<int>(layers.size());
    for (jit::Node* p : pending) {
      layer.nodes.push_back(p);
      layer_of_[p] = index;
    }
    pending.clear();
    layer.nodes.push_back(n);
    layer_of_[n] = index;
    layers.push_back(std::move(layer));
  }
  if (layers.empty())
    throw InputError(path + ": forward has no tensor operation (no layer to profile)");
  for (jit::Node* p : pending) {
    layers.back().nodes.push_back(p);
    layer_of_[p] = static_cast<int>(layers.size()) - 1;
  }
  // Nodes of one layer must stay in graph order (glue/pending nodes were appended).
  for (auto& layer : layers)
    std::stable_sort(layer.nodes.begin(), layer.nodes.end(),
                     [](jit::Node* a, jit::Node* b) { return a->isBefore(b); });
}

std::optional<c10::IValue> LayerGraph::resolve_attr(jit::Value* v) {
  if (v == graph->inputs()[0]) return c10::IValue(module._ivalue());
  jit::Node* n = v->node();
  if (n->kind() != jit::prim::GetAttr) return std::nullopt;
  const auto owner = resolve_attr(n->input(0));
  if (!owner || !owner->isObject()) return std::nullopt;
  const auto& obj = owner->toObject();
  if (!obj->type()->findAttributeSlot(n->s(jit::attr::name))) return std::nullopt;
  return obj->getAttr(n->s(jit::attr::name));
}

void LayerGraph::needed_by(jit::Value* v, std::unordered_set<jit::Value*>& out,
                           std::unordered_set<jit::Node*>& seen) {
  if (v == graph->inputs()[0]) return;  // self
  jit::Node* n = v->node();
  if (n->kind() == jit::prim::Param || layer_of_.count(n)) {
    out.insert(v);
    return;
  }
  if (!seen.insert(n).second) return;
  for (jit::Value* in : n->inputs()) needed_by(in, out, seen);  // a free node
}

void LayerGraph::count_param(Layer& layer, jit::Node* get_attr) {
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

jit::Value* LayerGraph::import_value(Layer& layer,
                                     std::unordered_map<jit::Value*, jit::Value*>& map,
                                     jit::Value* v) {
  if (auto it = map.find(v); it != map.end()) return it->second;
  jit::Node* n = v->node();
  const bool own = layer_of_.count(n) && &layers[layer_of_.at(n)] == &layer;
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

void LayerGraph::build_layer_graphs() {
  // Which layer reads which value (through free nodes too), and who produces it.
  for (jit::Value* in : graph->inputs()) producer[in] = -1;
  for (std::size_t k = 0; k < layers.size(); ++k)
    for (jit::Node* n : layers[k].nodes)
      for (jit::Value* out : n->outputs()) producer[out] = static_cast<int>(k);

  for (std::size_t k = 0; k < layers.size(); ++k) {
    Layer& layer = layers[k];
    layer.graph = std::make_shared<jit::Graph>();
    std::unordered_map<jit::Value*, jit::Value*> map;
    map[graph->inputs()[0]] = layer.graph->addInput()->setType(graph->inputs()[0]->type());
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
        auto p = producer.find(x);
        if (p != producer.end() && p->second == static_cast<int>(k)) continue;  // cloned below
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
    for (jit::Value* in : layer.inputs) last_use[in] = std::max(last_use[in], static_cast<int>(k));
    // Outputs are registered once every layer's inputs are known (below); keep the map.
    layer_maps_.push_back(std::move(map));
  }
  // The model's result reads through free nodes (a TupleConstruct) too.
  {
    std::unordered_set<jit::Value*> need;
    std::unordered_set<jit::Node*> seen;
    for (jit::Value* out : graph->outputs()) needed_by(out, need, seen);
    for (jit::Value* v : need) last_use[v] = static_cast<int>(layers.size());
  }
  for (std::size_t k = 0; k < layers.size(); ++k) {
    Layer& layer = layers[k];
    for (jit::Node* n : layer.nodes)
      for (jit::Value* out : n->outputs()) {
        auto it = last_use.find(out);
        if (it != last_use.end() && it->second > static_cast<int>(k)) {
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
  // The result: forward's outputs from the values alive after the last layer (free nodes such
  // as a TupleConstruct cloned in).
  result_.name = "result";
  result_.graph = std::make_shared<jit::Graph>();
  std::unordered_map<jit::Value*, jit::Value*> map;
  map[graph->inputs()[0]] = result_.graph->addInput()->setType(graph->inputs()[0]->type());
  for (jit::Value* out : graph->outputs())
    result_.graph->registerOutput(import_value(result_, map, out));
  result_.code = std::make_unique<jit::Code>(result_.graph, result_.name);
}

std::vector<jit::Value*> LayerGraph::live_after(std::size_t x) const {
  if (x > layers.size())
    throw std::logic_error("live_after: cut " + std::to_string(x) + " > layers");
  std::vector<jit::Value*> live;
  if (x == 0) {
    for (std::size_t i = 1; i < graph->inputs().size(); ++i) live.push_back(graph->inputs()[i]);
    return live;
  }
  const int cut = static_cast<int>(x) - 1;  // 0-based index of the last layer run
  for (std::size_t i = 1; i < graph->inputs().size(); ++i) {
    auto it = last_use.find(graph->inputs()[i]);
    if (it != last_use.end() && it->second > cut) live.push_back(graph->inputs()[i]);
  }
  for (int k = 0; k <= cut; ++k)
    for (jit::Value* v : layers[k].outputs)
      if (last_use.at(v) > cut) live.push_back(v);
  return live;
}

double LayerGraph::run_layer(std::size_t k, Env& env, double* seconds) const {
  const Layer& layer = layers[k];
  jit::Stack stack;
  stack.reserve(layer.inputs.size() + 1);
  stack.emplace_back(module._ivalue());
  for (jit::Value* v : layer.inputs) stack.push_back(env.at(v));
  jit::InterpreterState state(*layer.code);
  if (seconds) {
    sync();
    const auto t0 = std::chrono::steady_clock::now();
    state.run(stack);
    sync();
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } else {
    state.run(stack);
  }
  if (!layer.outputs.empty()) {
    // The interpreter leaves the graph's outputs on the stack, in order.
    const std::size_t base = stack.size() - layer.outputs.size();
    for (std::size_t i = 0; i < layer.outputs.size(); ++i)
      env[layer.outputs[i]] = std::move(stack[base + i]);
    return 0.0;
  }
  // Nothing reads it (an in-place op whose result is the mutated input): its own output is
  // what the interpreter returned.
  double bytes = 0;
  for (const auto& v : stack) bytes += ivalue_bytes(v);
  return bytes;
}

c10::IValue LayerGraph::run_result(const Env& env) const {
  jit::Stack stack;
  stack.emplace_back(module._ivalue());
  for (jit::Value* v : result_.inputs) stack.push_back(env.at(v));
  jit::InterpreterState state(*result_.code);
  state.run(stack);
  if (stack.size() == 1) return std::move(stack.back());
  // Several outputs (not produced by TorchScript's frontend, which returns one value).
  return c10::ivalue::Tuple::create(std::vector<c10::IValue>(stack.begin(), stack.end()));
}

void LayerGraph::sync() const {
  if (device.is_cuda()) torch::cuda::synchronize();
}

}  // namespace hivemind::model::torch_layers
