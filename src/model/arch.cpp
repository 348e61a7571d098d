#include "hivemind/model/arch.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "hivemind/error.hpp"

namespace hivemind::model {

namespace {

double numel(const Shape& s) {
  double n = 1;
  for (long long d : s) n *= static_cast<double>(d);
  return n;
}

// Output size of a convolution / pooling window (floor mode, as PyTorch).
long long window_out(long long in, int kernel, int stride, int padding) {
  return (in + 2 * padding - kernel) / stride + 1;
}

}  // namespace

double tensor_bytes(const Shape& shape, int element_bytes) { return numel(shape) * element_bytes; }

int ArchBuilder::input(const Shape& shape, int element_bytes) {
  values_.push_back({shape, element_bytes, -1});
  return static_cast<int>(values_.size()) - 1;
}

int ArchBuilder::layer(const std::string& name, const std::string& kind,
                       const std::vector<int>& inputs, const Shape& output, double params,
                       double flops, int element_bytes) {
  for (int v : inputs)
    if (v < 0 || v >= static_cast<int>(values_.size()))
      throw std::logic_error("ArchBuilder: layer " + name + " reads unknown value");
  values_.push_back({output, element_bytes, static_cast<int>(layers_.size())});
  const int value = static_cast<int>(values_.size()) - 1;
  layers_.push_back({name, kind, inputs, value, params, flops});
  return value;
}

int ArchBuilder::functional(const std::string& name, const std::string& kind,
                            const std::vector<int>& inputs, const Shape& output, double flops,
                            int element_bytes) {
  const int value = layer(name, kind, inputs, output, 0, flops, element_bytes);
  layers_.back().functional = true;
  return value;
}

void ArchBuilder::output(const std::vector<int>& values) {
  outputs_.insert(outputs_.end(), values.begin(), values.end());
}

int ArchBuilder::conv2d(const std::string& name, int x, long long out_channels, int kernel,
                        int stride, int padding, bool bias) {
  const Shape& in = shape(x);  // N, C, H, W
  const Shape out = {in[0], out_channels, window_out(in[2], kernel, stride, padding),
                     window_out(in[3], kernel, stride, padding)};
  const double weights = static_cast<double>(out_channels) * in[1] * kernel * kernel;
  const double params = weights + (bias ? out_channels : 0);
  // One multiply-add (2 FLOPs) per weight per output position, plus the bias add.
  const double flops = numel(out) * (2.0 * in[1] * kernel * kernel + (bias ? 1 : 0));
  return layer(name, "Conv2d", {x}, out, params, flops);
}

int ArchBuilder::batchnorm2d(const std::string& name, int x) {
  const Shape s = shape(x);
  // Inference: a per-channel scale and shift (2 FLOPs per element); weight and bias are the
  // parameters (running statistics are buffers, not parameters, as in PyTorch).
  return layer(name, "BatchNorm2d", {x}, s, 2.0 * s[1], 2.0 * numel(s));
}

int ArchBuilder::relu(const std::string& name, int x, bool functional) {
  const Shape s = shape(x);
  return functional ? ArchBuilder::functional(name, "relu", {x}, s, numel(s))
                    : layer(name, "ReLU", {x}, s, 0, numel(s));
}

int ArchBuilder::maxpool2d(const std::string& name, int x, int kernel, int stride, int padding) {
  const Shape& in = shape(x);
  const Shape out = {in[0], in[1], window_out(in[2], kernel, stride, padding),
                     window_out(in[3], kernel, stride, padding)};
  return layer(name, "MaxPool2d", {x}, out, 0, numel(out) * (kernel * kernel - 1));
}

int ArchBuilder::adaptive_avgpool2d(const std::string& name, int x, long long out_h,
                                    long long out_w) {
  const Shape in = shape(x);
  // One add per element of every output window. PyTorch's window i of n over a side of size
  // s is [floor(i s / n), ceil((i + 1) s / n)); when the windows tile the input (7x7 -> 1x1,
  // 14x14 -> 7x7) this is every input element once; a map smaller than the output (VGG's 2x2
  // map at 88 px -> 7x7) reads elements several times.
  auto window_sum = [](long long s, long long n) {
    long long sum = 0;
    for (long long i = 0; i < n; ++i) sum += (((i + 1) * s + n - 1) / n) - (i * s) / n;
    return static_cast<double>(sum);
  };
  const double flops =
      static_cast<double>(in[0] * in[1]) * window_sum(in[2], out_h) * window_sum(in[3], out_w);
  return layer(name, "AdaptiveAvgPool2d", {x}, {in[0], in[1], out_h, out_w}, 0, flops);
}

int ArchBuilder::flatten(const std::string& name, int x) {
  const Shape in = shape(x);
  return functional(name, "flatten", {x}, {in[0], static_cast<long long>(numel(in) / in[0])}, 0);
}

int ArchBuilder::linear(const std::string& name, int x, long long out_features, bool bias) {
  const Shape in = shape(x);
  Shape out = in;
  out.back() = out_features;
  const double params = static_cast<double>(in.back()) * out_features + (bias ? out_features : 0);
  const double flops = numel(out) * (2.0 * in.back() + (bias ? 1 : 0));
  return layer(name, "Linear", {x}, out, params, flops);
}

int ArchBuilder::add(const std::string& name, int a, int b) {
  const Shape s = shape(a);
  return functional(name, "add", {a, b}, s, numel(s));
}

int ArchBuilder::dropout(const std::string& name, int x) {
  return layer(name, "Dropout", {x}, shape(x), 0, 0);  // identity at inference
}

int ArchBuilder::gru_cell(const std::string& name, int x, int h) {
  const long long in = shape(x).back(), hidden = shape(h).back(), batch = shape(h)[0];
  // W_ih (3H x I), W_hh (3H x H), b_ih and b_hh (3H each), as torch.nn.GRUCell.
  const double params = 3.0 * hidden * (in + hidden) + 6.0 * hidden;
  // Two mat-vecs with biases, then gates: 2 sigmoids + tanh + ~5 element-wise ops per unit.
  // The gate part is an approximation (activation cost counted as one FLOP each).
  const double flops = batch * (2.0 * 3 * hidden * (in + hidden) + 6.0 * hidden + 10.0 * hidden);
  return layer(name, "GRUCell", {x, h}, {batch, hidden}, params, flops);
}

std::vector<std::vector<int>> ArchBuilder::layer_groups(Granularity granularity) const {
  std::vector<std::vector<int>> groups;
  std::vector<int> group_of(layers_.size(), -1);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (granularity == Granularity::kLeafCalls && layers_[i].functional) {
      // Into the call that produced the latest of its inputs (execution order); an op reading
      // only model inputs stays a layer of its own.
      int target = -1;
      for (int v : layers_[i].inputs)
        if (const int p = values_[v].producer; p >= 0) target = std::max(target, group_of[p]);
      if (target >= 0) {
        groups[target].push_back(static_cast<int>(i));
        group_of[i] = target;
        continue;
      }
    }
    group_of[i] = static_cast<int>(groups.size());
    groups.push_back({static_cast<int>(i)});
  }
  return groups;
}

ModelProfile ArchBuilder::profile(const std::string& source, Granularity granularity) const {
  if (layers_.empty()) throw std::logic_error("ArchBuilder: no layers");
  const std::vector<std::vector<int>> groups = layer_groups(granularity);
  const int G = static_cast<int>(groups.size());
  std::vector<int> group_of(layers_.size());
  for (int g = 0; g < G; ++g)
    for (int i : groups[g]) group_of[i] = g;
  // Position of each value's producer and of its last reader: layer index (1-based), 0 for a
  // model input, G + 1 for a result.
  std::vector<int> produced(values_.size(), 0), last_use(values_.size(), 0);
  for (std::size_t v = 0; v < values_.size(); ++v)
    if (values_[v].producer >= 0) produced[v] = group_of[values_[v].producer] + 1;
  for (std::size_t i = 0; i < layers_.size(); ++i)
    for (int v : layers_[i].inputs) last_use[v] = std::max(last_use[v], group_of[i] + 1);
  for (int v : outputs_) last_use[v] = G + 1;

  ModelProfile p;
  p.model = model_;
  p.source = source;
  std::set<std::string> names;
  for (const Value& v : values_)
    if (v.producer < 0) p.input_bytes += tensor_bytes(v.shape, v.element_bytes);
  for (int g = 0; g < G; ++g) {
    const Layer& first = layers_[groups[g].front()];
    LayerProfile lp;
    lp.name = first.name;
    // torch.fx names a module call by its path with '_' for '.'.
    if (granularity == Granularity::kFx) std::replace(lp.name.begin(), lp.name.end(), '.', '_');
    if (!names.insert(lp.name).second)
      throw std::logic_error("ArchBuilder: layer name repeats: " + lp.name);
    lp.kind = first.kind;
    lp.flops = 0;
    for (int i : groups[g]) {
      const Layer& layer = layers_[i];
      if (i != groups[g].front()) lp.kind += "+" + layer.kind;
      lp.param_bytes += layer.params * 4;  // float32 parameters
      lp.flops = (lp.flops < 0 || layer.flops < 0) ? -1 : lp.flops + layer.flops;
    }
    // The output of the group's last op: the module's own output, or the functional op's
    // merged into it (the same size for add and flatten).
    const Value& out = values_[layers_[groups[g].back()].value];
    lp.output_bytes = tensor_bytes(out.shape, out.element_bytes);
    // Cut after layer g + 1 (1-based): values produced at or before it, read after it.
    for (std::size_t v = 0; v < values_.size(); ++v)
      if (produced[v] <= g + 1 && last_use[v] > g + 1)
        lp.cut_bytes += tensor_bytes(values_[v].shape, values_[v].element_bytes);
    p.layers.push_back(std::move(lp));
  }
  return p;
}

// ---- the zoo's architectures -------------------------------------------------------------

namespace {

// torchvision.models.resnet: BasicBlock (18, 34) and Bottleneck (50, 101, 152, stride on the
// 3x3 conv, "v1.5"). The block's one ReLU module is called two (three) times: relu, relu_1,
// relu_2; fx names the residual adds add, add_1, ... across the whole model. The downsample
// branch runs after bn2 (bn3), as torchvision's forward does.
struct ResNetNamer {
  int adds = 0;
  std::string next_add() { return adds == 0 ? (++adds, "add") : "add_" + std::to_string(adds++); }
};

int basic_block(ArchBuilder& b, ResNetNamer& n, const std::string& at, int x, long long planes,
                int stride) {
  const long long in_planes = b.shape(x)[1];
  int out = b.conv2d(at + ".conv1", x, planes, 3, stride, 1, false);
  out = b.batchnorm2d(at + ".bn1", out);
  out = b.relu(at + ".relu", out);
  out = b.conv2d(at + ".conv2", out, planes, 3, 1, 1, false);
  out = b.batchnorm2d(at + ".bn2", out);
  int identity = x;
  if (stride != 1 || in_planes != planes) {
    identity = b.conv2d(at + ".downsample.0", x, planes, 1, stride, 0, false);
    identity = b.batchnorm2d(at + ".downsample.1", identity);
  }
  out = b.add(n.next_add(), out, identity);
  return b.relu(at + ".relu_1", out);
}

int bottleneck(ArchBuilder& b, ResNetNamer& n, const std::string& at, int x, long long planes,
               int stride) {
  const long long in_planes = b.shape(x)[1], expansion = 4;
  int out = b.conv2d(at + ".conv1", x, planes, 1, 1, 0, false);
  out = b.batchnorm2d(at + ".bn1", out);
  out = b.relu(at + ".relu", out);
  out = b.conv2d(at + ".conv2", out, planes, 3, stride, 1, false);
  out = b.batchnorm2d(at + ".bn2", out);
  out = b.relu(at + ".relu_1", out);
  out = b.conv2d(at + ".conv3", out, planes * expansion, 1, 1, 0, false);
  out = b.batchnorm2d(at + ".bn3", out);
  int identity = x;
  if (stride != 1 || in_planes != planes * expansion) {
    identity = b.conv2d(at + ".downsample.0", x, planes * expansion, 1, stride, 0, false);
    identity = b.batchnorm2d(at + ".downsample.1", identity);
  }
  out = b.add(n.next_add(), out, identity);
  return b.relu(at + ".relu_2", out);
}

std::vector<int> vgg_config(int depth) {
  constexpr int M = -1;  // max pool
  if (depth == 11) return {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
  if (depth == 16)
    return {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
  throw InputError("vgg: depth " + std::to_string(depth) + " is not in the zoo (11 or 16)");
}

// VGG "features": conv3x3 + ReLU per entry, 2x2 max pool per M; modules features.<index>.
// `drop_last_pool` keeps the stride-16 map (the Faster R-CNN backbone).
int vgg_features(ArchBuilder& b, int x, int depth, bool drop_last_pool) {
  const std::vector<int> config = vgg_config(depth);
  int index = 0;
  for (std::size_t i = 0; i < config.size(); ++i) {
    const std::string name = "features." + std::to_string(index);
    if (config[i] < 0) {
      if (drop_last_pool && i + 1 == config.size()) break;
      x = b.maxpool2d(name, x, 2, 2, 0);
      index += 1;
    } else {
      x = b.conv2d(name, x, config[i], 3, 1, 1, true);
      x = b.relu("features." + std::to_string(index + 1), x);
      index += 2;
    }
  }
  return x;
}

}  // namespace

ArchBuilder resnet(int depth, int input_hw, int classes) {
  std::vector<int> blocks;
  bool bottlenecks = false;
  if (depth == 18)
    blocks = {2, 2, 2, 2};
  else if (depth == 50)
    blocks = {3, 4, 6, 3}, bottlenecks = true;
  else if (depth == 152)
    blocks = {3, 8, 36, 3}, bottlenecks = true;
  else
    throw InputError("resnet: depth " + std::to_string(depth) + " is not in the zoo");
  ArchBuilder b("resnet" + std::to_string(depth) + "_" + std::to_string(input_hw));
  ResNetNamer namer;
  int x = b.input({1, 3, input_hw, input_hw});
  x = b.conv2d("conv1", x, 64, 7, 2, 3, false);
  x = b.batchnorm2d("bn1", x);
  x = b.relu("relu", x);
  x = b.maxpool2d("maxpool", x, 3, 2, 1);
  const long long planes[4] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage)
    for (int block = 0; block < blocks[stage]; ++block) {
      const std::string at = "layer" + std::to_string(stage + 1) + "." + std::to_string(block);
      const int stride = (stage > 0 && block == 0) ? 2 : 1;
      x = bottlenecks ? bottleneck(b, namer, at, x, planes[stage], stride)
                      : basic_block(b, namer, at, x, planes[stage], stride);
    }
  x = b.adaptive_avgpool2d("avgpool", x, 1, 1);
  x = b.flatten("flatten", x);
  x = b.linear("fc", x, classes);
  b.output({x});
  return b;
}

ArchBuilder vgg(int depth, int input_hw, int classes) {
  ArchBuilder b("vgg" + std::to_string(depth) + "_" + std::to_string(input_hw));
  int x = b.input({1, 3, input_hw, input_hw});
  x = vgg_features(b, x, depth, /*drop_last_pool=*/false);
  x = b.adaptive_avgpool2d("avgpool", x, 7, 7);
  x = b.flatten("flatten", x);
  x = b.linear("classifier.0", x, 4096);
  x = b.relu("classifier.1", x);
  x = b.dropout("classifier.2", x);
  x = b.linear("classifier.3", x, 4096);
  x = b.relu("classifier.4", x);
  x = b.dropout("classifier.5", x);
  x = b.linear("classifier.6", x, classes);
  b.output({x});
  return b;
}

ArchBuilder gru_tagger(int steps) {
  constexpr long long kVocab = 10000, kEmbed = 128, kHidden = 256, kTags = 20;
  ArchBuilder b("gru_tagger_" + std::to_string(steps));
  const int tokens = b.input({1, steps}, /*element_bytes=*/8);  // int64 token ids
  int h = b.input({1, kHidden});                                // initial hidden state
  const int emb = b.layer("emb", "Embedding", {tokens}, {1, steps, kEmbed},
                          static_cast<double>(kVocab * kEmbed), /*flops=*/0);
  std::vector<int> outs;
  for (int t = 0; t < steps; ++t) {
    const std::string sfx = t == 0 ? "" : "_" + std::to_string(t);
    const int x = b.functional("getitem" + sfx, "getitem", {emb}, {1, kEmbed}, 0);  // emb[:, t]
    h = b.gru_cell("cell" + sfx, x, h);
    outs.push_back(b.linear("out" + sfx, h, kTags));
    if (t > 0) b.shared_parameters(h), b.shared_parameters(outs.back());
  }
  const int tags = b.functional("stack", "stack", outs, {1, steps, kTags}, 0);
  b.output({tags});
  return b;
}

ArchBuilder qmix_agent() {
  // The QMIX agent network (Rashid et al. 2018, ref. [60]): fc -> relu -> GRUCell -> fc; it
  // returns the Q-values and the new hidden state.
  constexpr long long kObs = 96, kHidden = 64, kActions = 12;
  ArchBuilder b("qmix_agent");
  int x = b.input({1, kObs});
  const int h = b.input({1, kHidden});
  x = b.linear("fc1", x, kHidden);
  x = b.relu("relu", x, /*functional=*/true);
  const int h_new = b.gru_cell("rnn", x, h);
  const int q = b.linear("fc2", h_new, kActions);
  b.output({q, h_new});
  return b;
}

ArchBuilder faster_rcnn_vgg16(int input_hw, int proposals) {
  // Two parts (Ren et al., "Faster R-CNN", NeurIPS 2015, VGG-16 variant):
  //  1. backbone + region proposal network on the whole image: VGG-16 conv1_1..conv5_3 (stride
  //     16), a 3x3 conv, objectness (2 x 9 anchors) and box deltas (4 x 9 anchors), and the
  //     proposal layer (anchor decoding + NMS, keeps `proposals` boxes);
  //  2. the per-region head: RoI pooling to 7x7 on the backbone map, fc6, fc7 (VGG-16's
  //     classifier), class scores (21 = 20 PASCAL VOC classes + background) and box deltas.
  // Dropout is omitted (identity at inference). The result is scores, deltas and the boxes.
  constexpr long long kAnchors = 9, kClasses = 21;
  ArchBuilder b("rcnn_vgg16_" + std::to_string(input_hw));
  const int image = b.input({1, 3, input_hw, input_hw});
  const int features = vgg_features(b, image, 16, /*drop_last_pool=*/true);
  int rpn = b.conv2d("rpn_conv", features, 512, 3, 1, 1, true);
  rpn = b.relu("rpn_relu", rpn);
  const int objectness = b.conv2d("rpn_cls_score", rpn, 2 * kAnchors, 1, 1, 0, true);
  const int deltas = b.conv2d("rpn_bbox_pred", rpn, 4 * kAnchors, 1, 1, 0, true);
  // Boxes as (batch index, x1, y1, x2, y2) in float32; decoding and NMS have no fixed FLOP
  // count, so FLOPs stay unknown.
  const int rois =
      b.layer("proposal", "ProposalLayer", {objectness, deltas}, {proposals, 5}, 0, /*flops=*/-1);
  const Shape& fmap = b.shape(features);
  const Shape pooled = {proposals, fmap[1], 7, 7};
  // Max over each bin: about (14/7)^2 elements per output for a 14x14 map.
  const double bin = static_cast<double>(fmap[2] * fmap[3]) / 49.0;
  int x = b.layer("roi_pool", "RoIPool", {features, rois}, pooled, 0,
                  tensor_bytes(pooled) / 4 * std::max(1.0, bin));
  x = b.flatten("head_flatten", x);
  x = b.linear("head_fc6", x, 4096);
  x = b.relu("head_relu6", x);
  x = b.linear("head_fc7", x, 4096);
  x = b.relu("head_relu7", x);
  const int scores = b.linear("head_cls_score", x, kClasses);
  const int boxes = b.linear("head_bbox_pred", x, 4 * kClasses);
  b.output({scores, boxes, rois});
  return b;
}

const std::vector<std::string>& zoo_model_names() {
  static const std::vector<std::string> names = {
      "resnet18_224", "resnet18_32", "resnet50_224",   "resnet152_224",
      "vgg11_224",    "vgg16_224",   "rcnn_vgg16_224", "gru_tagger_200",
      "qmix_agent",   "resnet18_88", "vgg11_88",       "rcnn_vgg16_88"};
  return names;
}

Granularity zoo_granularity(const std::string& name) {
  // The paper's workload (Sec. VII-B2) as its profiler saw it (Sec. VII-A4): 88x88 inputs, one
  // layer per leaf-module call (docs/models.md, "The paper's workload").
  if (name == "resnet18_88" || name == "vgg11_88" || name == "rcnn_vgg16_88")
    return Granularity::kLeafCalls;
  return Granularity::kFx;
}

ModelProfile zoo_layers(const std::string& name, const std::string& source) {
  return zoo_architecture(name).profile(source, zoo_granularity(name));
}

ArchBuilder zoo_architecture(const std::string& name) {
  if (name == "resnet18_224") return resnet(18, 224, 1000);
  if (name == "resnet18_32") return resnet(18, 32, 10);  // CIFAR-10 classes, standard stem
  if (name == "resnet50_224") return resnet(50, 224, 1000);
  if (name == "resnet152_224") return resnet(152, 224, 1000);
  if (name == "vgg11_224") return vgg(11, 224, 1000);
  if (name == "vgg16_224") return vgg(16, 224, 1000);
  if (name == "rcnn_vgg16_224") return faster_rcnn_vgg16(224, 300);
  if (name == "gru_tagger_200") return gru_tagger(200);
  if (name == "qmix_agent") return qmix_agent();
  // The paper's input side: with it torchvision's ResNet-18 has the paper's 52 leaf modules
  // averaging ~80 KB of output and VGG-11's average ~356 KB (Sec. VII-B2; issue 14).
  if (name == "resnet18_88") return resnet(18, 88, 1000);
  if (name == "vgg11_88") return vgg(11, 88, 1000);
  if (name == "rcnn_vgg16_88") return faster_rcnn_vgg16(88, 300);
  throw InputError("model: unknown zoo model \"" + name + "\"");
}

}  // namespace hivemind::model
