// The LibTorch layer profiler behind `hivemind profile MODEL.pt` (executable hivemind-profile,
// the only target that links LibTorch; docs/profiling.md).
//
// What a "layer" is for a TorchScript module: the module's forward graph is inlined (every
// submodule call expanded, in execution order) and its nodes are grouped into layers:
//   - every call of a leaf submodule (one without child modules: Conv2d, BatchNorm2d, ReLU,
//     Linear, a custom module without children, ...) is one layer, named by its module path
//     with '_' for '.' ("layer1_0_conv1"), kind = the module's class name;
//   - every other tensor-producing operation (the `x + identity` of a residual block,
//     torch.flatten, a prim::If/prim::Loop outside leaf modules) is one layer, named and kinded
//     by the operation ("add", "flatten");
//   - constants, attribute reads, list/tuple packing and scalar arithmetic are not layers: each
//     layer that reads them recomputes them;
//   - a repeated name gets _1, _2, ... (a module called twice), as torch.fx names nodes, so a
//     TorchScript ResNet lines up with data/measured/;
//   - before grouping, module attributes of immutable type that forward never assigns are
//     constants (the module is in eval()), and an If on them is replaced by its branch taken: a
//     scripted model's `if self.use_res_connect:` block yields the layers its trace does.
// Parameter bytes: every nn.Parameter once, on the first layer that reads it (inside the blocks
// of an If/Loop layer too).
// Output bytes of a layer: its tensors that later layers or the model's result read. Cut
// bytes after layer i: every tensor produced at or before i (model inputs included) that a
// layer after i, or the result, still reads (liveness on the inlined graph).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hivemind/model/profile.hpp"

namespace hivemind::model {

// One model input: element type and shape, e.g. "1,3,224,224" or "int64:1,200".
struct TorchInputSpec {
  std::string dtype = "float32";  // float32 | float64 | int64 | int32
  std::vector<long long> shape;
};

// Parses "[DTYPE:]D0,D1,...[;[DTYPE:]D0,...]" (one spec per forward input, in order). Float
// inputs are filled with N(0,1) samples, integer inputs with zeros (valid token ids for any
// embedding). Throws InputError naming the option and the bad part.
std::vector<TorchInputSpec> parse_torch_inputs(std::string_view text);

struct TorchProfileOptions {
  std::string model_path;              // a TorchScript file (torch.jit.save)
  std::vector<TorchInputSpec> inputs;  // one per forward() argument
  std::string device = "cpu";          // cpu | cuda
  std::string device_class;            // label in the profile; empty = `device`
  std::string model_name;              // empty = file name without extension
  int warmup = 3;                      // untimed passes before measuring
  int reps = 10;                       // timed passes; per-layer medians
  bool backward = true;                // also time each layer's backward (training)
  double power_w = -1.0;               // device power (watts) for energy; < 0 = RAPL if
                                       // readable, else energy not measured (0)
  int threads = 0;                     // intra-op threads; 0 = LibTorch's default
                                       // (OMP_NUM_THREADS, else the physical cores it counts)
  unsigned long long seed = 0;         // for the random float inputs
};

struct TorchProfileResult {
  ModelProfile profile;               // one device profile, validated
  double whole_model_s = 0.0;         // median forward of the whole module (module.forward),
                                      // after the graph executor's profiling/optimising calls
  double sum_layer_forward_s = 0.0;   // sum of the per-layer medians
  double sum_layer_backward_s = 0.0;  // sum of the per-layer backward medians
  std::string energy_source;          // "--power-w 15 W", "RAPL ...", "not measured"
  int threads = 0;                    // intra-op threads used: the team an ATen parallel region got
  std::string threads_origin;  // "--threads 4", "OMP_NUM_THREADS=4", "LibTorch's default: ..."
  std::string runtime;         // "LibTorch 1.13.0" (the headers it was built with)
  std::string machine;         // CPU model, logical CPUs, OS (DeviceProfile::machine)
};

// Loads, runs and measures. Throws InputError (one line) for a missing or non-TorchScript
// file, a bad device, inputs that do not fit forward(), or a forward that fails on them.
TorchProfileResult profile_torchscript(const TorchProfileOptions& options);

// Writes a TorchScript ResNet-18 (torchvision's architecture and module names, random
// weights) built in C++ from TorchScript source: no Python, no download. Profiling it with
// input 1,3,224,224 (or 1,3,32,32) gives the layers of data/measured/resnet18_224 (_32).
// Throws InputError if `path` cannot be written.
void save_torchscript_resnet18(const std::string& path, int classes = 1000);

}  // namespace hivemind::model
