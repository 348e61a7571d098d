// The layers of a TorchScript model, one home for the profiler (torch_profiler.cpp) and the
// layer-range executor (torch_executor.cpp, include/hivemind/model/torch_executor.hpp): the
// inlined forward graph, its grouping into layers (the notion torch_profiler.hpp describes),
// one small graph per layer run by the TorchScript interpreter, and the liveness of values
// across cuts (what crosses a split; the profile's cut bytes). Internal to the LibTorch
// library: it exposes LibTorch's JIT types.
#pragma once

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/runtime/interpreter.h>
#include <torch/script.h>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "hivemind/model/torch_profiler.hpp"

namespace hivemind::model::torch_layers {

namespace jit = torch::jit;

// The line of a LibTorch error a user needs (the last non-empty line, no C++ backtrace).
std::string torch_error_line(const std::exception& e);
// "cpu" or "cuda"; InputError ("--device: ...") otherwise or when CUDA is not available.
c10::Device torch_device(const std::string& name);
// Bytes of the tensors in an IValue (lists, tuples and dicts summed).
double ivalue_bytes(const c10::IValue& v);
// Every tensor in an IValue (tuples and lists included).
void collect_tensors(const c10::IValue& v, std::vector<at::Tensor>& out);
// Every node of `block` and of the blocks nested in it, in order.
void for_each_node(jit::Block* block, const std::function<void(jit::Node*)>& f);

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
  std::vector<at::Tensor> params;  // every parameter it reads (shared ones too), for FLOPs
  bool in_place = false;           // has an in-place op (x.add_(...)): autograd needs the
                                   // inputs to be non-leaf
};

// Values of the inlined graph -> what they hold in one pass.
using Env = std::unordered_map<jit::Value*, c10::IValue>;

class LayerGraph {
 public:
  // Loads `path` onto `device`, eval(). InputError (one line): missing file, not TorchScript,
  // no forward method.
  LayerGraph(const std::string& path, c10::Device device);

  // Example inputs for forward from `specs` (float N(0,1) from `seed`, integers 0) into
  // `inputs`. InputError ("--input: ...") when they do not fit forward's arguments.
  void make_inputs(const std::vector<TorchInputSpec>& specs, unsigned long long seed);

  // Inlines and folds forward's graph, groups it into layers and builds each layer's graph,
  // the liveness and the result graph. InputError: no layer, a list mutated across layers.
  void build();

  // The values alive at cut x (0..L): cut 0 = every model input (without self), in order;
  // cut x > 0 = after layer x (1-based): every value produced by a layer <= x or a model input
  // that a layer after x, or the result, reads, ordered by producer (model inputs first, in
  // argument order) then by position among its producer's outputs. Their bytes are the
  // profile's cut_bytes[x - 1].
  std::vector<jit::Value*> live_after(std::size_t x) const;

  // Runs layer k (0-based) on the values in env and stores its outputs there. `seconds`, when
  // given, gets the layer's run time (device synchronised). Returns the bytes the interpreter
  // returned when no later layer reads the layer (a dead in-place op), else 0.
  double run_layer(std::size_t k, Env& env, double* seconds) const;

  // forward's result from the values in env (those alive at cut L).
  c10::IValue run_result(const Env& env) const;

  // Waits for the device (CUDA) to finish.
  void sync() const;

  c10::Device device = c10::Device(c10::kCPU);
  jit::Module module;
  std::string path;
  std::shared_ptr<jit::Graph> graph;  // inlined forward
  std::vector<c10::IValue> inputs;    // example model inputs, without self
  std::vector<Layer> layers;
  std::unordered_map<jit::Value*, int> producer;  // value -> layer index, -1 = model input
  std::unordered_map<jit::Value*, int> last_use;  // value -> last layer reading it
                                                  // (layers.size() = the result)

 private:
  using ParamSet = std::set<std::pair<const void*, std::size_t>>;
  void fold_module_constants();
  void fold_module_constants_in_place();
  void refuse_mutated_free_containers();
  void partition();
  void build_layer_graphs();
  void count_param(Layer& layer, jit::Node* get_attr);
  jit::Value* import_value(Layer& layer, std::unordered_map<jit::Value*, jit::Value*>& map,
                           jit::Value* v);
  void needed_by(jit::Value* v, std::unordered_set<jit::Value*>& out,
                 std::unordered_set<jit::Node*>& seen);
  std::optional<c10::IValue> resolve_attr(jit::Value* v);

  std::unordered_map<jit::Node*, int> layer_of_;                          // node -> layer index
  std::vector<std::unordered_map<jit::Value*, jit::Value*>> layer_maps_;  // inlined -> layer
  ParamSet params_seen_;
  Layer result_;  // reads the values alive at cut L, returns forward's result
};

}  // namespace hivemind::model::torch_layers
