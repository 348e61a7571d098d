// ONNX import (include/hivemind/model/onnx_import.hpp): graph, shape inference, constant
// folding, layer order, bytes, liveness cut bytes, FLOPs, FLOPs-based latency estimates kept in
// the classes' order.
#include "hivemind/model/onnx_import.hpp"

#include <onnx/checker.h>
#include <onnx/defs/tensor_proto_util.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/profiler_cli.hpp"

namespace hivemind::model {

namespace {

// First line of a library error message, trimmed.
std::string first_line(const std::string& s) {
  std::string out = s.substr(0, s.find('\n'));
  if (out.size() > 300) out = out.substr(0, 300) + "...";
  return out;
}

// Layer names: the node's name, else its op type; a taken name gets _1, _2, ... (torch.fx
// style), the first suffix not taken. Linear in the names taken (issue 23: a scan from _1 for
// every repeat made 30,000 unnamed Relu nodes take 50 s): each base keeps the next suffix to
// try. Skipping the suffixes below it gives the names a scan from _1 gives, since a name once
// taken stays taken; and each taken name is stepped over at most once in all, since BASE_C
// names one (BASE, C) pair only (C has no '_').
class UniqueNames {
 public:
  std::string take(const std::string& base) {
    std::string name = base;
    if (taken_.count(name)) {
      std::size_t& c = next_suffix_.try_emplace(base, 1).first->second;
      do name = base + "_" + std::to_string(c++);
      while (taken_.count(name));
    }
    taken_.insert(name);
    return name;
  }

 private:
  std::unordered_set<std::string> taken_;
  std::unordered_map<std::string, std::size_t> next_suffix_;  // base -> next suffix to try
};

// Bytes per element of an ONNX TensorProto data type; 0 = unknown/variable (strings).
int element_bytes(int type) {
  switch (type) {
    case onnx::TensorProto::FLOAT:
      return 4;
    case onnx::TensorProto::UINT8:
      return 1;
    case onnx::TensorProto::INT8:
      return 1;
    case onnx::TensorProto::UINT16:
      return 2;
    case onnx::TensorProto::INT16:
      return 2;
    case onnx::TensorProto::INT32:
      return 4;
    case onnx::TensorProto::INT64:
      return 8;
    case onnx::TensorProto::BOOL:
      return 1;
    case onnx::TensorProto::FLOAT16:
      return 2;
    case onnx::TensorProto::DOUBLE:
      return 8;
    case onnx::TensorProto::UINT32:
      return 4;
    case onnx::TensorProto::UINT64:
      return 8;
    case onnx::TensorProto::COMPLEX64:
      return 8;
    case onnx::TensorProto::COMPLEX128:
      return 16;
    case onnx::TensorProto::BFLOAT16:
      return 2;
    default:
      return 0;
  }
}

struct ValueInfo {
  std::vector<long long> shape;
  int elem_type = 0;
  bool known = false;  // shape fully known
  double numel() const {
    double n = 1;
    for (long long d : shape) n *= static_cast<double>(d);
    return n;
  }
  double bytes() const { return numel() * element_bytes(elem_type); }
};

// A tensor type's shape when every dimension is a number.
ValueInfo info_of(const onnx::TypeProto& t) {
  ValueInfo v;
  if (!t.has_tensor_type()) return v;
  v.elem_type = t.tensor_type().elem_type();
  if (!t.tensor_type().has_shape()) return v;
  v.known = true;
  for (const auto& d : t.tensor_type().shape().dim()) {
    if (d.has_dim_value() && d.dim_value() >= 0) {
      v.shape.push_back(d.dim_value());
    } else {
      v.known = false;
    }
  }
  return v;
}

long long attr_int(const onnx::NodeProto& n, const std::string& name, long long fallback) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.i();
  return fallback;
}

std::vector<long long> attr_ints(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return {};
}

double product(const std::vector<long long>& v, std::size_t from = 0) {
  double p = 1;
  for (std::size_t i = from; i < v.size(); ++i) p *= static_cast<double>(v[i]);
  return p;
}

// Forward FLOPs of a node (multiply-add = 2), the conventions of src/model/arch.cpp; -1 when
// the op is not covered or a needed shape is unknown.
double node_flops(const onnx::NodeProto& n,
                  const std::function<const ValueInfo*(const std::string&)>& info) {
  static const std::set<std::string> elementwise = {
      "Add",  "Sub",      "Mul",        "Div",         "Relu",      "LeakyRelu", "PRelu", "Sigmoid",
      "Tanh", "Exp",      "Log",        "Sqrt",        "Neg",       "Abs",       "Clip",  "Max",
      "Min",  "Pow",      "Erf",        "HardSigmoid", "HardSwish", "Sum",       "Mean",  "Elu",
      "Selu", "Softplus", "Reciprocal", "Floor",       "Ceil",      "Sign",      "Where", "Equal",
      "Less", "Greater",  "Not",        "And",         "Or"};
  static const std::set<std::string> movement = {
      "Reshape",      "Flatten",         "Transpose", "Concat",         "Squeeze",
      "Unsqueeze",    "Identity",        "Shape",     "Gather",         "Slice",
      "Dropout",      "Split",           "Expand",    "Tile",           "Pad",
      "Cast",         "ConstantOfShape", "Size",      "GatherElements", "ScatterElements",
      "DepthToSpace", "SpaceToDepth"};
  const std::string& op = n.op_type();
  if (n.output_size() == 0) return -1;
  const ValueInfo* out = info(n.output(0));
  if (movement.count(op)) return 0;
  if (!out || !out->known) return -1;
  const double out_n = out->numel();
  auto in = [&](int i) -> const ValueInfo* {
    if (i >= n.input_size() || n.input(i).empty()) return nullptr;
    const ValueInfo* v = info(n.input(i));
    return v && v->known ? v : nullptr;
  };
  if (elementwise.count(op)) return out_n;
  if (op == "Conv") {
    const ValueInfo* w = in(1);  // [M, C/group, k1, k2, ...]
    if (!w || w->shape.size() < 2) return -1;
    return out_n * (2.0 * product(w->shape, 1) + (in(2) ? 1 : 0));
  }
  if (op == "ConvTranspose") {
    const ValueInfo* x = in(0);
    const ValueInfo* w = in(1);  // [C, M/group, k1, ...]: each input element meets M/group x k
    if (!x || !w || w->shape.size() < 2) return -1;
    return 2.0 * x->numel() * product(w->shape, 1) + (in(2) ? out_n : 0);
  }
  if (op == "Gemm") {
    const ValueInfo* a = in(0);
    if (!a || a->shape.size() != 2) return -1;
    const double k = static_cast<double>(attr_int(n, "transA", 0) ? a->shape[0] : a->shape[1]);
    return out_n * (2.0 * k + (in(2) ? 1 : 0));
  }
  if (op == "MatMul") {
    const ValueInfo* a = in(0);
    if (!a || a->shape.empty()) return -1;
    return out_n * 2.0 * static_cast<double>(a->shape.back());
  }
  if (op == "BatchNormalization") return 2.0 * out_n;  // per-channel scale and shift
  if (op == "MaxPool" || op == "AveragePool") {
    const double k = product(attr_ints(n, "kernel_shape"));
    return op == "MaxPool" ? out_n * (k - 1) : out_n * k;  // comparisons / sums
  }
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "ReduceMean" ||
      op == "ReduceSum" || op == "ReduceMax") {
    const ValueInfo* x = in(0);
    return x ? x->numel() : -1;
  }
  if (op == "Softmax" || op == "LogSoftmax") return 3.0 * out_n;  // exp, sum, divide
  return -1;
}

// What a node is to the profile: a layer, or a value computed once from constants.
enum class Fold {
  kLayer,      // computes on activations (or is random, has a subgraph, is a custom op)
  kParameter,  // computed from initializers and Constant nodes only: a weight
  kShape,      // depends on a Shape or Size (of any value): shape metadata, not a weight
};

// A node folds when its outputs are fixed once the weights and the input shapes are:
// Constant; Shape/Size of a value whose shape inference gave a static shape (the input shapes
// are fixed before inference); any other deterministic standard op all of whose inputs are
// constants (Identity of a shared initializer, Reshape/Cast/Transpose of a weight, the
// Gather/Unsqueeze/Concat shape arithmetic torch.onnx.export emits). Not folded: nodes with no
// inputs other than Constant, random ops, nodes with subgraphs (If, Loop, Scan: they may read
// outer activations) and ops of other domains (their semantics are unknown here).
Fold fold_kind(const onnx::NodeProto& n, const std::unordered_map<std::string, bool>& constants,
               const std::function<bool(const std::string&)>& static_shape) {
  static const std::set<std::string> random = {"RandomNormal",     "RandomUniform",
                                               "RandomNormalLike", "RandomUniformLike",
                                               "Bernoulli",        "Multinomial"};
  if (!n.domain().empty() && n.domain() != "ai.onnx") return Fold::kLayer;
  for (const auto& a : n.attribute())
    if (a.has_g() || a.graphs_size() > 0) return Fold::kLayer;
  const std::string& op = n.op_type();
  if (op == "Constant") return Fold::kParameter;
  if (random.count(op)) return Fold::kLayer;
  const bool shape_op = op == "Shape" || op == "Size";  // their value is metadata only
  bool any = false, parameter = !shape_op;
  for (int i = 0; i < n.input_size(); ++i) {
    const std::string& in = n.input(i);
    if (in.empty()) continue;
    any = true;
    if (auto c = constants.find(in); c != constants.end()) {
      parameter = parameter && c->second;
    } else if (i == 0 && shape_op && static_shape(in)) {
      continue;
    } else {
      return Fold::kLayer;
    }
  }
  if (!any) return Fold::kLayer;
  return parameter ? Fold::kParameter : Fold::kShape;
}

// ---- Evaluating shape arithmetic ----
// ONNX 1.12's shape inference follows Shape -> Gather -> Unsqueeze -> Concat into a shape
// input by data propagation only for some ops and opsets (Reshape from opset 14, not 13),
// so the view(x.size(0), -1) of an opset-13 export leaves the Reshape's output without a
// shape. It does read the values of Constant nodes. So the folded integer values are
// evaluated here and their nodes replaced by Constant nodes holding them, then shape
// inference runs again (evaluate_shape_arithmetic).

// A small integer tensor: a shape, an index, an axis list.
struct IntTensor {
  int type = onnx::TensorProto::INT64;  // INT64 or INT32
  std::vector<long long> dims;
  std::vector<long long> data;
};
constexpr double kMaxEvaluated = 4096;  // elements; larger values are not shape arithmetic

bool is_int_type(int t) { return t == onnx::TensorProto::INT64 || t == onnx::TensorProto::INT32; }

std::optional<IntTensor> int_tensor(const onnx::TensorProto& t) {
  if (!is_int_type(t.data_type()) || t.data_location() == onnx::TensorProto::EXTERNAL)
    return std::nullopt;
  IntTensor v;
  v.type = t.data_type();
  v.dims.assign(t.dims().begin(), t.dims().end());
  for (long long d : v.dims)
    if (d < 0) return std::nullopt;
  const double n = product(v.dims);
  if (n > kMaxEvaluated) return std::nullopt;
  try {
    if (v.type == onnx::TensorProto::INT64) {
      const auto d = onnx::ParseData<int64_t>(&t);
      v.data.assign(d.begin(), d.end());
    } else {
      const auto d = onnx::ParseData<int32_t>(&t);
      v.data.assign(d.begin(), d.end());
    }
  } catch (...) {  // ONNX's ValidationError on a malformed tensor, or bad_alloc
    return std::nullopt;
  }
  if (static_cast<double>(v.data.size()) != n) return std::nullopt;
  return v;
}

onnx::TensorProto to_proto(const IntTensor& v) {
  onnx::TensorProto t;
  t.set_data_type(v.type);
  for (long long d : v.dims) t.add_dims(d);
  for (long long x : v.data) {
    if (v.type == onnx::TensorProto::INT64)
      t.add_int64_data(x);
    else
      t.add_int32_data(static_cast<int32_t>(x));
  }
  return t;
}

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

// The value of a Constant node when it is a small integer tensor.
std::optional<IntTensor> constant_value(const onnx::NodeProto& n) {
  if (const auto* a = find_attr(n, "value"); a && a->has_t()) return int_tensor(a->t());
  IntTensor v;
  if (const auto* a = find_attr(n, "value_int")) {
    v.data = {a->i()};
    return v;
  }
  if (const auto* a = find_attr(n, "value_ints"); a && a->ints_size() <= kMaxEvaluated) {
    v.data.assign(a->ints().begin(), a->ints().end());
    v.dims = {static_cast<long long>(v.data.size())};
    return v;
  }
  return std::nullopt;
}

// Normalises axis `a` of a rank-`rank` tensor (negative counts from the end); -1 if outside.
long long norm_axis(long long a, long long rank) {
  if (a < 0) a += rank;
  return a >= 0 && a < rank ? a : -1;
}

// The node's single output computed from its inputs' values, for the ops of shape arithmetic
// (the ONNX operator definitions: Shape, Size, Identity, Cast, Gather, Unsqueeze, Squeeze,
// Concat, Slice on 1-D values, integer Add/Sub/Mul/Div); nullopt when not covered.
std::optional<IntTensor> evaluate(
    const onnx::NodeProto& n, long long opset, const std::function<const IntTensor*(int)>& in,
    const std::function<const ValueInfo*(const std::string&)>& shape_of) {
  const std::string& op = n.op_type();
  auto ints_input_or_attr = [&](int index, const std::string& attr,
                                std::vector<long long>& out) -> bool {
    if (index < n.input_size() && !n.input(index).empty()) {
      const IntTensor* t = in(index);
      if (!t) return false;
      out = t->data;
      return true;
    }
    out = attr_ints(n, attr);
    return true;
  };
  if (op == "Shape" || op == "Size") {
    const ValueInfo* x = n.input_size() > 0 ? shape_of(n.input(0)) : nullptr;
    if (!x || !x->known) return std::nullopt;
    IntTensor v;
    const long long rank = static_cast<long long>(x->shape.size());
    if (op == "Size") {
      if (!(x->numel() < 9e18)) return std::nullopt;
      v.data = {static_cast<long long>(x->numel())};
      return v;
    }
    long long start = attr_int(n, "start", 0), end = attr_int(n, "end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp(start, 0LL, rank);
    end = std::clamp(end, 0LL, rank);
    for (long long i = start; i < end; ++i) v.data.push_back(x->shape[i]);
    v.dims = {static_cast<long long>(v.data.size())};
    return v;
  }
  const IntTensor* a = n.input_size() > 0 && !n.input(0).empty() ? in(0) : nullptr;
  if (!a) return std::nullopt;
  const long long rank = static_cast<long long>(a->dims.size());
  if (op == "Identity") return *a;
  if (op == "Cast") {
    const long long to = attr_int(n, "to", 0);
    if (!is_int_type(static_cast<int>(to))) return std::nullopt;
    IntTensor v = *a;
    v.type = static_cast<int>(to);
    return v;
  }
  if (op == "Gather") {
    const IntTensor* idx = n.input_size() > 1 ? in(1) : nullptr;
    if (!idx || rank != 1 || norm_axis(attr_int(n, "axis", 0), 1) != 0) return std::nullopt;
    IntTensor v;
    v.type = a->type;
    v.dims = idx->dims;
    const long long size = static_cast<long long>(a->data.size());
    for (long long i : idx->data) {
      if (i < 0) i += size;
      if (i < 0 || i >= size) return std::nullopt;
      v.data.push_back(a->data[i]);
    }
    return v;
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    std::vector<long long> axes;
    if (!ints_input_or_attr(1, "axes", axes)) return std::nullopt;
    IntTensor v = *a;
    if (op == "Unsqueeze") {
      const long long out_rank = rank + static_cast<long long>(axes.size());
      std::vector<bool> inserted(out_rank, false);
      for (long long x : axes) {
        const long long k = norm_axis(x, out_rank);
        if (k < 0 || inserted[k]) return std::nullopt;
        inserted[k] = true;
      }
      v.dims.clear();
      std::size_t from = 0;
      for (long long k = 0; k < out_rank; ++k) v.dims.push_back(inserted[k] ? 1 : a->dims[from++]);
      return v;
    }
    std::vector<bool> removed(rank, axes.empty());
    for (long long x : axes) {
      const long long k = norm_axis(x, rank);
      if (k < 0 || a->dims[k] != 1) return std::nullopt;
      removed[k] = true;
    }
    v.dims.clear();
    for (long long k = 0; k < rank; ++k)
      if (!(removed[k] && a->dims[k] == 1)) v.dims.push_back(a->dims[k]);
    return v;
  }
  if (op == "Concat") {
    if (rank != 1 || norm_axis(attr_int(n, "axis", 0), 1) != 0) return std::nullopt;
    IntTensor v;
    v.type = a->type;
    for (int i = 0; i < n.input_size(); ++i) {
      const IntTensor* t = in(i);
      if (!t || t->dims.size() != 1 || t->type != a->type) return std::nullopt;
      v.data.insert(v.data.end(), t->data.begin(), t->data.end());
    }
    v.dims = {static_cast<long long>(v.data.size())};
    return v;
  }
  if (op == "Slice") {
    if (rank != 1) return std::nullopt;
    std::vector<long long> starts, ends, axes, steps;
    if (opset < 10) {
      starts = attr_ints(n, "starts");
      ends = attr_ints(n, "ends");
      axes = attr_ints(n, "axes");
    } else if (!ints_input_or_attr(1, "", starts) || !ints_input_or_attr(2, "", ends) ||
               !ints_input_or_attr(3, "", axes) || !ints_input_or_attr(4, "", steps)) {
      return std::nullopt;
    }
    if (starts.size() != 1 || ends.size() != 1 || axes.size() > 1 || steps.size() > 1 ||
        (!axes.empty() && norm_axis(axes[0], 1) != 0))
      return std::nullopt;
    const long long dim = static_cast<long long>(a->data.size());
    const long long step = steps.empty() ? 1 : steps[0];
    if (step == 0) return std::nullopt;
    // Negative positions count from the end; then clamped to [0, dim] (step > 0) or
    // [-1, dim - 1] (step < 0), as the operator's definition says.
    auto position = [&](long long x) { return x < 0 ? (x < -dim ? -1 : x + dim) : x; };
    long long s = position(starts[0]), e = position(ends[0]);
    if (step > 0) {
      s = std::clamp(s, 0LL, dim);
      e = std::clamp(e, 0LL, dim);
    } else {
      s = std::clamp(s, 0LL, dim - 1);
      e = std::clamp(e, -1LL, dim - 1);
    }
    IntTensor v;
    v.type = a->type;
    // A stride beyond the dimension takes one element, as the step does, without overflow.
    const long long stride = step > 0 ? std::min(step, dim + 1) : std::max(step, -(dim + 1));
    for (long long i = s; step > 0 ? i < e : i > e; i += stride) v.data.push_back(a->data[i]);
    v.dims = {static_cast<long long>(v.data.size())};
    return v;
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    const IntTensor* b = n.input_size() > 1 ? in(1) : nullptr;
    if (!b || b->type != a->type) return std::nullopt;
    // Broadcasting of equal shapes, or of a one-element operand of no higher rank.
    IntTensor v;
    v.type = a->type;
    if (a->dims == b->dims) {
      v.dims = a->dims;
    } else if (b->data.size() == 1 && b->dims.size() <= a->dims.size()) {
      v.dims = a->dims;
    } else if (a->data.size() == 1 && a->dims.size() <= b->dims.size()) {
      v.dims = b->dims;
    } else {
      return std::nullopt;
    }
    const std::size_t count = v.dims == a->dims ? a->data.size() : b->data.size();
    for (std::size_t i = 0; i < count; ++i) {
      const long long x = a->data[a->data.size() == 1 ? 0 : i];
      const long long y = b->data[b->data.size() == 1 ? 0 : i];
      long long r = 0;
      bool overflow = false;
      if (op == "Add") overflow = __builtin_add_overflow(x, y, &r);
      if (op == "Sub") overflow = __builtin_sub_overflow(x, y, &r);
      if (op == "Mul") overflow = __builtin_mul_overflow(x, y, &r);
      if (op == "Div") {
        if (y == 0 || (x == std::numeric_limits<long long>::min() && y == -1)) return std::nullopt;
        r = x / y;  // integer division truncates (as onnxruntime does)
      }
      if (overflow) return std::nullopt;
      v.data.push_back(r);
    }
    return v;
  }
  return std::nullopt;
}

// The fitted classes keep their order: for every layer, forward and backward, cuda <= cpu16 <=
// cpu1 (kMeasuredRuns, slowest first). The three latency models are independent least-squares
// fits, and on the zoo the cuda models' per-layer overheads come out above cpu16's (13.5 us
// against 7.4 us for the "other" group, data/devices/latency_models.json), so a layer of few
// FLOPs would be estimated slower on the GPU class than on the CPU class: an artefact of
// fitting, not a measurement (cpu1 is the cpu16 CPU limited to one thread, cuda the GPU server;
// data/measured/README.md). Each fitted class is capped per layer at the estimate of the fitted
// class before it in kMeasuredRuns; the cap is named in its source. Classes given by the user
// (--gflops, layers_fitted() == 0) stay as given.
void keep_class_order(ModelProfile& p, const std::vector<LatencyModel>& estimates) {
  const DeviceProfile* slower = nullptr;
  for (const std::string& run : kMeasuredRuns) {
    const auto fit = std::find_if(estimates.begin(), estimates.end(), [&](const LatencyModel& f) {
      return f.device_class == run && f.layers_fitted() > 0;
    });
    if (fit == estimates.end()) continue;
    auto d = std::find_if(p.devices.begin(), p.devices.end(),
                          [&](const DeviceProfile& x) { return x.device_class == run; });
    if (d == p.devices.end()) continue;
    if (slower) {
      int capped = 0;
      for (std::size_t l = 0; l < d->layers.size(); ++l) {
        LayerCost& c = d->layers[l];
        const LayerCost& s = slower->layers[l];
        if (c.forward_s > s.forward_s || c.backward_s > s.backward_s) ++capped;
        c.forward_s = std::min(c.forward_s, s.forward_s);
        c.backward_s = std::min(c.backward_s, s.backward_s);
      }
      if (capped > 0)
        d->source += "; " + std::to_string(capped) + " of " + std::to_string(d->layers.size()) +
                     " layers capped at the " + slower->device_class +
                     " estimate (a faster class is never estimated slower)";
    }
    slower = &*d;
  }
}

}  // namespace

std::vector<std::pair<std::string, std::vector<long long>>> parse_onnx_inputs(
    std::string_view text) {
  std::vector<std::pair<std::string, std::vector<long long>>> out;
  std::size_t start = 0;
  if (text.empty())
    throw InputError("--input: empty (expected NAME=D0,D1,..., e.g. x=1,3,224,224)");
  while (start <= text.size()) {
    std::size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string part(text.substr(start, end - start));
    const auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError("--input: \"" + part + "\" is not NAME=D0,D1,... (e.g. x=1,3,224,224)");
    out.emplace_back(part.substr(0, eq), parse_input_dims(part.substr(eq + 1), part));
    start = end + 1;
  }
  return out;
}

ModelProfile import_onnx(const OnnxImportOptions& o) {
  const std::string& path = o.model_path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path + ": cannot open (no such file)");
  const std::string bytes = read_text_file(path);
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes))
    throw InputError(path + ": not an ONNX model (protobuf parse failed)");
  if (!model.has_graph() || model.graph().node_size() == 0 || model.ir_version() <= 0)
    throw InputError(path + ": not an ONNX model (no ir_version or no graph nodes)");
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw InputError(path + ": invalid ONNX model: " + first_line(e.what()));
  }
  onnx::GraphProto* g = model.mutable_graph();

  // Initializers are weights (they may also be listed as graph inputs in old models).
  std::unordered_map<std::string, ValueInfo> info;
  std::set<std::string> weights;
  for (const auto& t : g->initializer()) {
    ValueInfo v;
    v.elem_type = t.data_type();
    v.known = true;
    v.shape.assign(t.dims().begin(), t.dims().end());
    info[t.name()] = v;
    weights.insert(t.name());
  }
  // Concrete input shapes: overrides, else the batch for a symbolic first dimension.
  std::set<std::string> used_overrides;
  std::vector<std::string> inputs;
  for (auto& input : *g->mutable_input()) {
    if (weights.count(input.name())) continue;
    inputs.push_back(input.name());
    if (!input.type().has_tensor_type())
      throw InputError(path + ": input \"" + input.name() + "\" is not a tensor");
    auto* shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
    const auto over = std::find_if(o.input_shapes.begin(), o.input_shapes.end(),
                                   [&](const auto& s) { return s.first == input.name(); });
    if (over != o.input_shapes.end()) {
      used_overrides.insert(over->first);
      if (input.type().tensor_type().has_shape() &&
          shape->dim_size() != static_cast<int>(over->second.size()))
        throw InputError("--input: \"" + over->first + "\" has " +
                         std::to_string(shape->dim_size()) + " dimensions in the model, not " +
                         std::to_string(over->second.size()));
      shape->clear_dim();
      for (long long d : over->second) shape->add_dim()->set_dim_value(d);
      continue;
    }
    if (!input.type().tensor_type().has_shape())
      throw InputError(path + ": input \"" + input.name() +
                       "\" has no shape; give it with --input " + input.name() + "=D0,D1,...");
    for (int i = 0; i < shape->dim_size(); ++i) {
      auto* d = shape->mutable_dim(i);
      if (d->has_dim_value() && d->dim_value() > 0) continue;
      if (i == 0) {
        d->set_dim_value(o.batch);
        continue;
      }
      throw InputError(path + ": input \"" + input.name() + "\" dimension " + std::to_string(i) +
                       " is symbolic (" + (d->has_dim_param() ? d->dim_param() : "?") +
                       "); give the shape with --input " + input.name() + "=D0,D1,...");
    }
  }
  for (const auto& s : o.input_shapes)
    if (!used_overrides.count(s.first))
      throw InputError("--input: the model has no input \"" + s.first + "\"");

  auto lookup = [&](const std::string& v) -> const ValueInfo* {
    auto it = info.find(v);
    return it == info.end() ? nullptr : &it->second;
  };
  auto static_shape = [&](const std::string& v) {
    const ValueInfo* x = lookup(v);
    return x && x->known;
  };
  auto infer_shapes = [&] {
    try {
      onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                         onnx::ShapeInferenceOptions(true, 1, true));
    } catch (const std::exception& e) {
      throw InputError(path + ": shape inference failed: " + first_line(e.what()));
    }
    for (const auto& v : g->input())
      if (!weights.count(v.name())) info[v.name()] = info_of(v.type());
    for (const auto& v : g->value_info()) info[v.name()] = info_of(v.type());
    for (const auto& v : g->output()) {
      const ValueInfo vi = info_of(v.type());
      if (vi.known || !info.count(v.name())) info[v.name()] = vi;
    }
  };
  infer_shapes();

  // Constant folding: a node whose value follows from the weights and the fixed input shapes
  // alone is not a layer (fold_kind). Its outputs join the constants, like the initializers:
  // a layer reading one counts it as parameter bytes (unless it is only shape metadata), no
  // cut carries it, the node that reads it recomputes it (as the TorchScript profiler does
  // for constants and scalar arithmetic, docs/profiling.md).
  std::unordered_map<std::string, Fold> replaced;  // Constant made here -> the node's fold
  auto node_fold = [&](const onnx::NodeProto& n,
                       const std::unordered_map<std::string, bool>& constants) {
    if (n.op_type() == "Constant" && n.output_size() == 1)
      if (auto r = replaced.find(n.output(0)); r != replaced.end()) return r->second;
    return fold_kind(n, constants, static_shape);
  };

  // Where shape inference left a node's output without a static shape, the folded integer
  // values are evaluated and their nodes become Constant nodes holding them, and shape
  // inference runs again; at most a round per value that gains a shape (see IntTensor).
  long long opset = 0;
  for (const auto& set : model.opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx") opset = set.version();
  auto any_unknown = [&] {
    for (const auto& n : g->node())
      for (const auto& out : n.output())
        if (!out.empty() && !static_shape(out)) return true;
    return false;
  };
  auto evaluate_shape_arithmetic = [&] {
    std::unordered_map<std::string, IntTensor> values;
    for (const auto& t : g->initializer())
      if (auto v = int_tensor(t)) values[t.name()] = std::move(*v);
    std::unordered_map<std::string, bool> constants;
    for (const auto& w : weights) constants[w] = true;
    bool any = false;
    for (auto& n : *g->mutable_node()) {
      const Fold fold = node_fold(n, constants);
      if (fold == Fold::kLayer) continue;
      for (const auto& out : n.output())
        if (!out.empty()) constants[out] = fold == Fold::kParameter;
      if (n.output_size() != 1 || n.output(0).empty()) continue;
      if (n.op_type() == "Constant") {
        if (auto v = constant_value(n)) values[n.output(0)] = std::move(*v);
        continue;
      }
      auto v = evaluate(
          n, opset,
          [&](int i) -> const IntTensor* {
            auto it = values.find(n.input(i));
            return it == values.end() ? nullptr : &it->second;
          },
          lookup);
      if (!v) continue;
      const std::string out = n.output(0), name = n.name();
      replaced[out] = fold;
      n.Clear();
      n.set_op_type("Constant");
      n.set_name(name);
      n.add_output(out);
      auto* a = n.add_attribute();
      a->set_name("value");
      a->set_type(onnx::AttributeProto::TENSOR);
      *a->mutable_t() = to_proto(*v);
      values[out] = std::move(*v);
      any = true;
    }
    return any;
  };
  for (int round = 0; round < 64 && any_unknown() && evaluate_shape_arithmetic(); ++round)
    infer_shapes();

  std::unordered_map<std::string, bool> constants;  // value -> counts as parameter bytes
  for (const auto& w : weights) constants[w] = true;

  // Layers in graph order, which ONNX requires to be topological (checked again here).
  struct Layer {
    const onnx::NodeProto* node;
    std::string name;
  };
  std::vector<Layer> layers;
  std::unordered_map<std::string, int> producer;  // value -> layer, -1 = graph input
  for (const auto& name : inputs) producer[name] = -1;
  UniqueNames names;
  int folded = 0;
  for (int i = 0; i < g->node_size(); ++i) {
    const auto& n = g->node(i);
    for (const auto& in : n.input())
      if (!in.empty() && !producer.count(in) && !constants.count(in))
        throw InputError(path + ": node " + std::to_string(i) + " (" + n.op_type() + ") reads \"" +
                         in + "\" before any node produces it");
    const Fold fold = node_fold(n, constants);
    if (fold != Fold::kLayer) {
      ++folded;
      for (const auto& out : n.output())
        if (!out.empty()) constants[out] = fold == Fold::kParameter;
      if (n.op_type() == "Constant")
        for (const auto& a : n.attribute())
          if (a.name() == "value" && a.has_t()) {
            ValueInfo v;
            v.elem_type = a.t().data_type();
            v.known = true;
            v.shape.assign(a.t().dims().begin(), a.t().dims().end());
            info[n.output(0)] = v;
          }
      continue;
    }
    const std::string name = names.take(n.name().empty() ? n.op_type() : n.name());
    const int index = static_cast<int>(layers.size());
    for (const auto& out : n.output())
      if (!out.empty()) producer[out] = index;
    layers.push_back({&n, name});
  }
  if (layers.empty()) throw InputError(path + ": the graph has only constants (no layer)");
  const int L = static_cast<int>(layers.size());

  // Liveness: the last layer that reads each value (L = the graph's outputs).
  std::unordered_map<std::string, int> last_use;
  for (int k = 0; k < L; ++k)
    for (const auto& in : layers[k].node->input())
      if (producer.count(in)) last_use[in] = std::max(last_use[in], k);
  for (const auto& out : g->output())
    if (producer.count(out.name())) last_use[out.name()] = L;

  auto bytes_of = [&](const std::string& value, const std::string& node) {
    auto it = info.find(value);
    if (it == info.end() || !it->second.known)
      throw InputError(path + ": shape inference gave no static shape for \"" + value +
                       "\" (output of " + node + "); give static input shapes with --input");
    if (element_bytes(it->second.elem_type) == 0)
      throw InputError(path + ": \"" + value + "\" has element type " +
                       std::to_string(it->second.elem_type) + " of unknown size");
    return it->second.bytes();
  };
  ModelProfile p;
  p.model = o.model_name.empty() ? std::filesystem::path(path).stem().string() : o.model_name;
  p.source = "hivemind-profile-onnx " + std::filesystem::path(path).filename().string() +
             " (ONNX IR " + std::to_string(model.ir_version()) + ", shape inference onnx " +
             "1.12); layer = ONNX node, " + std::to_string(folded) +
             " nodes computed from constants folded (not layers)";
  for (const auto& name : inputs) p.input_bytes += bytes_of(name, "the graph input");
  // A value crosses the cuts after layers from..last-1: added at `from` and taken off at its
  // last use, then summed once over the layers, linear in layers + values (issue 23: a loop
  // over each value's cuts was quadratic for a node reading every earlier output). Exact:
  // byte counts are integers, well below 2^53.
  std::vector<double> cut(L + 1, 0.0);
  for (const auto& [value, last] : last_use) {
    const int from = std::max(producer.at(value), 0), end = std::min(last, L);
    const double b =
        bytes_of(value, producer.at(value) < 0 ? std::string("the graph input")
                                               : "node " + layers[producer.at(value)].name);
    if (from >= end) continue;
    cut[from] += b;
    cut[end] -= b;
  }
  for (int k = 1; k < L; ++k) cut[k] += cut[k - 1];
  for (int k = 0; k < L; ++k) {
    const auto& n = *layers[k].node;
    LayerProfile lp;
    lp.name = layers[k].name;
    lp.kind = n.op_type();
    double read_later = 0, all = 0;
    bool any_read = false;
    for (const auto& out : n.output()) {
      if (out.empty()) continue;
      const double b = bytes_of(out, "node " + lp.name);
      all += b;
      if (auto it = last_use.find(out); it != last_use.end() && it->second > k) {
        read_later += b;
        any_read = true;
      }
    }
    lp.output_bytes = any_read ? read_later : all;
    lp.cut_bytes = cut[k];
    std::set<std::string> counted;
    for (int i = 0; i < n.input_size(); ++i) {
      const auto& in = n.input(i);
      const auto c = constants.find(in);
      if (c == constants.end() || !c->second || !counted.insert(in).second) continue;
      // BatchNormalization: scale and bias are parameters; mean and variance are running
      // statistics (buffers in PyTorch), as in the zoo (src/model/arch.cpp).
      if (n.op_type() == "BatchNormalization" && i >= 3) continue;
      const ValueInfo* v = lookup(in);
      if (v && v->known) lp.param_bytes += v->bytes();
    }
    lp.flops = node_flops(n, lookup);
    p.layers.push_back(lp);
  }
  for (const auto& fit : o.estimates) {
    DeviceProfile d;
    d.device_class = fit.device_class;
    d.source = "estimated from FLOPs (no measurement): t = " + fit.describe() +
               "; backward uses 2 x flops";
    if (fit.layers_fitted() > 0)
      d.source += "; the " + fit.device_class + " latency model fitted on " +
                  std::to_string(fit.layers_fitted()) +
                  " measured layers of the zoo (data/devices/latency_models.json)";
    for (const auto& l : p.layers) d.layers.push_back(fit.estimate(l));
    p.devices.push_back(std::move(d));
  }
  keep_class_order(p, o.estimates);
  validate(p);
  return p;
}

}  // namespace hivemind::model
