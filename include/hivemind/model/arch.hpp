// Model architectures as layer graphs: exact tensor shapes, parameter counts, FLOPs and the
// DAG-aware cut sizes that follow from them, for the built-in zoo (docs/models.md).
//
// A model is a list of layers in execution order; each layer reads earlier values (model inputs
// or layer outputs). The bytes crossing a cut right after layer i are every value produced at
// or before i that a layer after i (or the model's result) still reads. In a chain that is the
// layer's own output (the paper's s_l); inside a residual block the skip tensor crosses too.
// Two granularities of the same graph (Granularity):
//  - kFx: one layer per torch.fx graph node, named as torch.fx names it (module path with '_'
//    for '.', repeated calls suffixed _1, _2, functional ops such as add and flatten layers of
//    their own), so the layers line up with the measurements in data/measured/;
//  - kLeafCalls: one layer per call of a leaf module, as forward hooks on every leaf module see
//    them (the paper's profiler, Sec. VII-A4), named by the module path ("layer1.0.conv1",
//    a repeated call suffixed _1, _2: "layer1.0.relu_1"). A functional op (add, flatten, a
//    functional relu) is no call of a module, so it merges into the call that produced the
//    latest (in execution order) of its inputs: that layer's output becomes the op's output and
//    its FLOPs include the op's. ResNet's residual add thus belongs to bn2 (or to downsample.1
//    where a block has one, as torchvision runs the downsample after bn2), flatten to avgpool.
//    Cut bytes stay DAG-aware: a value crosses a cut when a layer after the cut still reads it.
#pragma once

#include <string>
#include <vector>

#include "hivemind/model/profile.hpp"

namespace hivemind::model {

using Shape = std::vector<long long>;  // e.g. {1, 64, 56, 56}; batch first

enum class Granularity { kFx, kLeafCalls };

class ArchBuilder {
 public:
  explicit ArchBuilder(std::string model) : model_(std::move(model)) {}

  // A model input; returns its value id. `element_bytes`: 4 for float32, 8 for int64.
  int input(const Shape& shape, int element_bytes = 4);
  // A call of a module reading `inputs` (value ids); returns the id of its output. `name`: the
  // module path with '.' ("layer1.0.conv1"; a repeated call suffixed _1, _2). `params`:
  // parameter count (float32); `flops`: forward FLOPs (multiply-add = 2), < 0 when unknown.
  int layer(const std::string& name, const std::string& kind, const std::vector<int>& inputs,
            const Shape& output, double params, double flops, int element_bytes = 4);
  // A functional op (no module, no parameters): a layer of its own at kFx, merged into a
  // module call at kLeafCalls (see above). `name` as torch.fx names it ("add_3").
  int functional(const std::string& name, const std::string& kind, const std::vector<int>& inputs,
                 const Shape& output, double flops, int element_bytes = 4);
  // Marks values as the model's result (they stay live to the end).
  void output(const std::vector<int>& values);

  const Shape& shape(int value) const { return values_.at(value).shape; }
  // Calls of a module already called before share its parameters: they are counted once, on
  // the first call (a node running a later call needs them too; see docs/models.md).
  void shared_parameters(int value) { layers_.at(values_.at(value).producer).params = 0; }

  // Common layers (torchvision semantics), computing shape, parameters and FLOPs.
  int conv2d(const std::string& name, int x, long long out_channels, int kernel, int stride,
             int padding, bool bias);
  int batchnorm2d(const std::string& name, int x);
  int relu(const std::string& name, int x, bool functional = false);
  int maxpool2d(const std::string& name, int x, int kernel, int stride, int padding);
  int adaptive_avgpool2d(const std::string& name, int x, long long out_h, long long out_w);
  int flatten(const std::string& name, int x);
  int linear(const std::string& name, int x, long long out_features, bool bias = true);
  int add(const std::string& name, int a, int b);
  int dropout(const std::string& name, int x);
  // torch.nn.GRUCell(input, hidden) applied to (x, h).
  int gru_cell(const std::string& name, int x, int h);

  // The profile (layers, input bytes; no device costs) at `granularity`. Throws
  // std::logic_error if a layer name repeats or nothing was added.
  ModelProfile profile(const std::string& source, Granularity granularity = Granularity::kFx) const;
  // For each layer of profile(.., granularity), the kFx layers it covers (their indices, in
  // execution order): one each at kFx; a module call and the functional ops merged into it at
  // kLeafCalls.
  std::vector<std::vector<int>> layer_groups(Granularity granularity) const;

 private:
  struct Value {
    Shape shape;
    int element_bytes = 4;
    int producer = -1;  // layer index, -1 for a model input
  };
  struct Layer {
    std::string name, kind;
    std::vector<int> inputs;
    int value = -1;
    double params = 0, flops = -1;
    bool functional = false;
  };
  std::string model_;
  std::vector<Value> values_;
  std::vector<Layer> layers_;
  std::vector<int> outputs_;
};

// Bytes of a float32 tensor of this shape, or of `element_bytes` per element.
double tensor_bytes(const Shape& shape, int element_bytes = 4);

// The architectures of the built-in zoo (torchvision definitions where one exists):
//   resnet(18|50|152, input_hw, classes), vgg(11|16, input_hw, classes),
//   gru_tagger(steps) (embedding 10000x128 -> GRUCell(128, 256) unrolled -> Linear(256, 20)),
//   qmix_agent() (Linear(96, 64) -> relu -> GRUCell(64, 64) -> Linear(64, 12); Rashid et al.),
//   faster_rcnn_vgg16(input_hw, proposals): the paper's two-part R-CNN, see docs/models.md.
ArchBuilder resnet(int depth, int input_hw, int classes);
ArchBuilder vgg(int depth, int input_hw, int classes);
ArchBuilder gru_tagger(int steps);
ArchBuilder qmix_agent();
ArchBuilder faster_rcnn_vgg16(int input_hw, int proposals);

// The zoo's architecture by zoo name ("resnet18_224", "resnet18_32", "resnet50_224",
// "resnet152_224", "vgg11_224", "vgg16_224", "rcnn_vgg16_224", "gru_tagger_200",
// "qmix_agent"; the paper's workload at 88x88, Sec. VII-B2: "resnet18_88", "vgg11_88",
// "rcnn_vgg16_88"). Throws InputError for an unknown name.
ArchBuilder zoo_architecture(const std::string& name);
const std::vector<std::string>& zoo_model_names();
// The granularity of a zoo model's layers: kLeafCalls for the paper's workload (the *_88
// models, profiled as the paper's profiler sees them), kFx for the others (as measured).
Granularity zoo_granularity(const std::string& name);
// zoo_architecture(name).profile(source, zoo_granularity(name)).
ModelProfile zoo_layers(const std::string& name, const std::string& source);

}  // namespace hivemind::model
