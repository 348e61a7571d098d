// ONNX import behind `hivemind profile MODEL.onnx` (executable hivemind-profile-onnx, the only
// target linking onnx and protobuf; docs/profiling.md).
//
// Reads the model's graph, fixes the input shapes, runs ONNX shape inference and turns it into
// a model profile. Nodes computed from constants alone fold into parameters: Constant, Shape
// and Size of a statically shaped value, and every other deterministic standard op whose
// inputs are all initializers or folded values (the Identity nodes on shared initializers,
// Reshape/Cast/Transpose of weights and the Shape/Gather/Unsqueeze/Concat arithmetic that
// torch.onnx.export emits). Every other node is a layer, in the graph's (topological) order,
// named by the node's name (or its op type, repeated ones suffixed _1, _2, ...). Output bytes:
// the node's outputs that later layers or the graph's outputs read. Cut bytes after layer i:
// every value produced by a layer at or before i (graph inputs included) that a layer after i
// or the graph's outputs still read; constants (initializers and folded values) never cross a
// cut, the layer reading one recomputes or holds it. Parameter bytes: the constants a layer
// reads, except pure shape metadata (values that depend on Shape/Size of an activation) and
// BatchNormalization's running statistics.
// FLOPs (a multiply-add = 2) for Conv, ConvTranspose, Gemm, MatMul, BatchNormalization, pooling,
// Softmax and element-wise ops; data movement (Reshape, Concat, ...) = 0; others unknown (-1).
// With no measurement, latencies are estimated from FLOPs with latency models (latency_model.hpp:
// per layer group t = overhead + flops / throughput); the fitted classes of kMeasuredRuns keep
// their order per layer (cuda <= cpu16 <= cpu1).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hivemind/model/latency_model.hpp"
#include "hivemind/model/profile.hpp"
#include "hivemind/model/zoo.hpp"

namespace hivemind::model {

struct OnnxImportOptions {
  std::string model_path;
  std::string model_name;  // empty = file name without extension
  // Shapes for graph inputs whose dimensions are symbolic or to override ("x" -> {1,3,224,224}).
  // A symbolic first dimension without an override is the batch: `batch`.
  std::vector<std::pair<std::string, std::vector<long long>>> input_shapes;
  long long batch = 1;
  // Latency estimates added as device profiles, one per model: t = estimate_s(kind, flops) per
  // layer (flops unknown: the group's overhead); backward the same with 2 x flops. The device
  // class is the model's. Models of kMeasuredRuns that were fitted (layers_fitted() > 0: the
  // zoo's, data/devices/latency_models.json) are capped per layer at the fitted class before
  // them in kMeasuredRuns, so a faster class is never estimated slower; models given by hand
  // (--gflops, uniform_latency_model) stay as given.
  std::vector<LatencyModel> estimates;
};

// Parses "x=1,3,224,224;h=1,64" (the --input option). Throws InputError naming the bad part.
std::vector<std::pair<std::string, std::vector<long long>>> parse_onnx_inputs(
    std::string_view text);

// Throws InputError (one line) for a missing file, a file that is not an ONNX model, a model
// the ONNX checker rejects, a symbolic input dimension with no shape given, or a value whose
// shape inference cannot determine.
ModelProfile import_onnx(const OnnxImportOptions& options);

}  // namespace hivemind::model
