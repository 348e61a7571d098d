// Runs any contiguous range of layers of a TorchScript model: the building block of a node that
// runs its part of a split model (docs/profiling.md, "Executing layer ranges"). Layers and cuts
// are those of `hivemind profile` (torch_profiler.hpp): the same code partitions the model for
// both (src/model/torch/torch_layers.cpp).
//
// Cuts: cut 0 is before the first layer, cut x (1..L) after layer x (layers are numbered 1..L
// here). The values alive at cut x are what crosses a split there, in a canonical order: at cut
// 0 every forward argument, in order; at cut x > 0 every value produced by a layer <= x (or a
// model input) that a later layer or forward's result still reads, skip connections included,
// ordered by producer (model inputs first, then layer by layer, each layer's outputs in graph
// order). Their bytes are the profile's cut bytes (cut_bytes of layer x; input_bytes at cut 0).
// Each value is an IValue: a tensor, or a tuple/list of tensors when a layer returns one.
//
// run(i, j, live at cut i-1) runs layers i..j and returns the live values at cut j; chaining
// ranges 1..a, a+1..b, ..., ..L from the model inputs and applying result() gives forward's
// result. Arguments are checked against what the cut holds for the example inputs (number,
// type, dtype, shape, device): a mismatch throws InputError with one line, never a crash.
// Layers that change a tensor in place (x.add_(...)) change the IValue passed in.
#pragma once

#include <ATen/core/ivalue.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "hivemind/model/torch_profiler.hpp"

namespace hivemind::model {

namespace torch_layers {
class LayerGraph;
}

class TorchLayerExecutor {
 public:
  // Loads a TorchScript file (torch.jit.save) on `device` ("cpu" | "cuda") and partitions it,
  // running forward once on example inputs of `inputs` (random floats from `seed`, integer
  // zeros) to learn what every cut holds. InputError (one line) as profile_torchscript: a
  // missing or non-TorchScript file, inputs that do not fit forward, a forward that fails.
  TorchLayerExecutor(const std::string& model_path, const std::vector<TorchInputSpec>& inputs,
                     const std::string& device = "cpu", unsigned long long seed = 0);
  ~TorchLayerExecutor();
  TorchLayerExecutor(TorchLayerExecutor&&) noexcept;
  TorchLayerExecutor& operator=(TorchLayerExecutor&&) noexcept;

  // L: layers 1..L, and their names as in the profile (names()[k-1] is layer k's).
  std::size_t layer_count() const;
  const std::vector<std::string>& layer_names() const;

  // What crosses cut x (0..L): one name per live value ("input x" for a forward argument,
  // else the producing layer's name, with ":N" for its N-th output when it has several), the
  // example pass's values, and their bytes. InputError when x > L.
  std::vector<std::string> cut_names(std::size_t x) const;
  const std::vector<c10::IValue>& example_cut(std::size_t x) const;
  double cut_bytes(std::size_t x) const;

  // Runs layers i..j (1 <= i <= j + 1 <= L + 1; i = j + 1 is the empty range, which returns
  // its checked input) on `live_in`, the values alive at cut i-1 in canonical order, and
  // returns those alive at cut j. InputError (one line) for a bad range or a live_in whose
  // count, types, dtypes, shapes or devices differ from the cut's, or a layer that fails.
  std::vector<c10::IValue> run(std::size_t i, std::size_t j,
                               const std::vector<c10::IValue>& live_in) const;

  // forward's result from the values alive at cut L (checked as run's). The monolithic
  // module.forward(inputs) for comparison: forward().
  c10::IValue result(const std::vector<c10::IValue>& live_last) const;
  c10::IValue forward(const std::vector<c10::IValue>& inputs) const;

 private:
  void check_cut(std::size_t x, const std::vector<c10::IValue>& live,
                 const std::string& what) const;

  std::unique_ptr<torch_layers::LayerGraph> g_;
  std::vector<std::string> names_;
  std::vector<std::vector<c10::IValue>> examples_;   // per cut 0..L
  std::vector<std::vector<std::string>> cut_names_;  // per cut 0..L
};

}  // namespace hivemind::model
