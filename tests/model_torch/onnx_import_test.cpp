// ONNX import on models written here with the ONNX protobuf API (no downloads): layer order,
// shapes from shape inference, bytes and FLOPs worked out by hand, a skip connection whose
// cut exceeds the layer's output, FLOPs-based latency estimates, and `hivemind profile
// MODEL.onnx` on good and malformed files; the result solves with `hivemind solve`.
#include "hivemind/model/onnx_import.hpp"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/profile.hpp"
#include "profiler_test_support.hpp"

namespace hivemind::model {
namespace {

namespace fs = std::filesystem;

// ---- Building ONNX models with the protobuf API ----

void set_shape(onnx::ValueInfoProto* v, const std::string& name,
               const std::vector<std::string>& dims) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (const auto& d : dims) {
    auto* dim = t->mutable_shape()->add_dim();
    if (std::isdigit(static_cast<unsigned char>(d[0])))
      dim->set_dim_value(std::stoll(d));
    else
      dim->set_dim_param(d);
  }
}

void add_weight(onnx::GraphProto* g, const std::string& name, const std::vector<long long>& dims) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  long long n = 1;
  for (long long d : dims) {
    t->add_dims(d);
    n *= d;
  }
  for (long long i = 0; i < n; ++i) t->add_float_data(0.01f * static_cast<float>(i % 7));
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, const std::string& name,
                          const std::vector<std::string>& in, const std::vector<std::string>& out) {
  auto* n = g->add_node();
  n->set_op_type(op);
  if (!name.empty()) n->set_name(name);
  for (const auto& i : in) n->add_input(i);
  for (const auto& o : out) n->add_output(o);
  return n;
}

void add_ints(onnx::NodeProto* n, const std::string& name, const std::vector<long long>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (long long x : v) a->add_ints(x);
}

void add_int(onnx::NodeProto* n, const std::string& name, long long v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

// x [batch,3,8,8] -> conv1 (3->4, 3x3, pad 1) -> relu1 -> conv2 (4->4) -> add(relu1, conv2)
// -> scale (Mul by a Constant) -> gap (GlobalAveragePool) -> flatten -> fc (Gemm 4->10) -> y.
onnx::ModelProto residual_onnx(const std::string& batch_dim = "N", bool named = true) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("hivemind-test");
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("residual");
  set_shape(g->add_input(), "x", {batch_dim, "3", "8", "8"});
  add_weight(g, "w1", {4, 3, 3, 3});
  add_weight(g, "b1", {4});
  add_weight(g, "w2", {4, 4, 3, 3});
  add_weight(g, "w3", {10, 4});
  add_weight(g, "b3", {10});
  auto nm = [&](const char* s) { return named ? std::string(s) : std::string(); };
  auto* c1 = add_node(g, "Conv", nm("conv1"), {"x", "w1", "b1"}, {"c1"});
  add_ints(c1, "pads", {1, 1, 1, 1});
  add_ints(c1, "kernel_shape", {3, 3});
  add_node(g, "Relu", nm("relu1"), {"c1"}, {"r1"});
  auto* c2 = add_node(g, "Conv", nm("conv2"), {"r1", "w2"}, {"c2"});  // no bias
  add_ints(c2, "pads", {1, 1, 1, 1});
  auto* k = add_node(g, "Constant", "k", {}, {"k"});
  auto* a = k->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  a->mutable_t()->add_dims(1);
  a->mutable_t()->add_float_data(0.5f);
  add_node(g, "Add", nm("add"), {"r1", "c2"}, {"s"});
  add_node(g, "Mul", nm("scale"), {"s", "k"}, {"m"});
  add_node(g, "GlobalAveragePool", nm("gap"), {"m"}, {"p"});
  add_node(g, "Flatten", nm("flatten"), {"p"}, {"f"});
  auto* fc = add_node(g, "Gemm", nm("fc"), {"f", "w3", "b3"}, {"y"});
  add_int(fc, "transB", 1);
  // The output's shape stays symbolic: shape inference works it out.
  set_shape(g->add_output(), "y", {batch_dim, "classes"});
  return m;
}

std::string write(const onnx::ModelProto& m, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  m.SerializeToOstream(&out);
  return path;
}

TEST(OnnxImport, ResidualLayersBytesAndFlops) {
  TempDir dir("hivemind_model_onnx_");
  OnnxImportOptions o;
  o.model_path = write(residual_onnx(), dir.file("res.onnx"));
  const ModelProfile p = import_onnx(o);
  EXPECT_EQ(p.model, "res");
  // The Constant is not a layer.
  std::vector<std::string> names;
  for (const auto& l : p.layers) names.push_back(l.name);
  ASSERT_EQ(names, (std::vector<std::string>{"conv1", "relu1", "conv2", "add", "scale", "gap",
                                             "flatten", "fc"}));
  EXPECT_EQ(p.layers[0].kind, "Conv");
  // Symbolic batch N = 1: input 1x3x8x8 float32 = 768 bytes.
  EXPECT_DOUBLE_EQ(p.input_bytes, 768);
  // Activations 1x4x8x8 = 1024 bytes up to scale; gap and flatten 4 floats; fc 10 floats.
  const double out[] = {1024, 1024, 1024, 1024, 1024, 16, 16, 40};
  // relu1's output r1 is read by conv2 and by add: after conv2, r1 and c2 cross the cut.
  const double cut[] = {1024, 1024, 2048, 1024, 1024, 16, 16, 40};
  // FLOPs (multiply-add = 2): conv1 256 outputs x (2 x 3*3*3 + 1 bias) = 14080; relu 256;
  // conv2 256 x (2 x 4*3*3) = 18432 (no bias); add, scale 256; gap reads 256; flatten 0;
  // fc 10 x (2 x 4 + 1) = 90.
  const double flops[] = {14080, 256, 18432, 256, 256, 256, 0, 90};
  // Parameters: conv1 (108 + 4) floats, conv2 144, fc 40 + 10; scale's Constant 1 float.
  const double params[] = {448, 0, 576, 0, 4, 0, 0, 200};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_DOUBLE_EQ(p.layers[i].output_bytes, out[i]) << names[i];
    EXPECT_DOUBLE_EQ(p.layers[i].cut_bytes, cut[i]) << names[i];
    EXPECT_DOUBLE_EQ(p.layers[i].flops, flops[i]) << names[i];
    EXPECT_DOUBLE_EQ(p.layers[i].param_bytes, params[i]) << names[i];
  }
  EXPECT_GT(p.layers[2].cut_bytes, p.layers[2].output_bytes);
  EXPECT_TRUE(p.devices.empty());  // no estimates asked for
}

TEST(OnnxImport, BatchNamesAndEstimates) {
  TempDir dir("hivemind_model_onnx_");
  OnnxImportOptions o;
  o.model_path = write(residual_onnx("batch", /*named=*/false), dir.file("anon.onnx"));
  o.batch = 2;
  FlopsFit f;
  f.run = "edge";
  f.overhead_s = 1e-5;
  f.flops_per_s = 1e9;
  o.estimates = {f};
  const ModelProfile p = import_onnx(o);
  // Unnamed nodes take their op type; a repeated one gets _1 (torch.fx style).
  EXPECT_EQ(p.layers[0].name, "Conv");
  EXPECT_EQ(p.layers[2].name, "Conv_1");
  // Batch 2 doubles every byte count and FLOP count.
  EXPECT_DOUBLE_EQ(p.input_bytes, 2 * 768);
  EXPECT_DOUBLE_EQ(p.layers[2].cut_bytes, 2 * 2048);
  EXPECT_DOUBLE_EQ(p.layers[0].flops, 2 * 14080);
  ASSERT_EQ(p.devices.size(), 1u);
  EXPECT_EQ(p.devices[0].device_class, "edge");
  // t = 10 us + flops / 1 GFLOP/s; backward with 2 x flops.
  EXPECT_DOUBLE_EQ(p.devices[0].layers[0].forward_s, 1e-5 + 2 * 14080 / 1e9);
  EXPECT_DOUBLE_EQ(p.devices[0].layers[0].backward_s, 1e-5 + 4 * 14080 / 1e9);
  EXPECT_DOUBLE_EQ(p.devices[0].layers[6].forward_s, 1e-5);  // flatten: 0 FLOPs
}

TEST(OnnxImport, InputSpecsAndSymbolicDimensions) {
  TempDir dir("hivemind_model_onnx_");
  OnnxImportOptions o;
  auto m = residual_onnx();
  // Make the height symbolic too: it needs --input.
  m.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(2)
      ->set_dim_param("H");
  o.model_path = write(m, dir.file("sym.onnx"));
  try {
    import_onnx(o);
    FAIL() << "no error for a symbolic height";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dimension 2 is symbolic (H)"), std::string::npos)
        << e.what();
  }
  o.input_shapes = parse_onnx_inputs("x=1,3,8,8");
  EXPECT_DOUBLE_EQ(import_onnx(o).layers[2].cut_bytes, 2048);
  o.input_shapes = parse_onnx_inputs("y=1,3,8,8");
  EXPECT_THROW(import_onnx(o), InputError);
  for (const char* bad : {"", "x", "=1,2", "x=1,,2", "x=0"})
    EXPECT_THROW(parse_onnx_inputs(bad), InputError) << bad;
}

// ---- The executables ----

const std::string kHivemind = HIVEMIND_EXE;

TEST(OnnxImportCli, ProfileThenSolve) {
  TempDir dir("hivemind_model_onnx_");
  const auto path = write(residual_onnx(), dir.file("res.onnx"));
  const std::string json = dir.file("res.json");
  ProcessResult r = run(kHivemind + " profile " + path + " --out " + json, dir);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const ModelProfile p = load_model_profile(json);
  ASSERT_EQ(p.layers.size(), 8u);
  // By default the measured runs' FLOPs fits (data/measured) give cpu1, cpu16 and cuda.
  EXPECT_NE(p.device("cpu1"), nullptr);
  EXPECT_NE(p.device("cuda"), nullptr);
  // --gflops: a named class from FLOPs alone.
  r = run(kHivemind + " profile " + path + " --no-fit --gflops 2 --device-class pi", dir);
  ASSERT_EQ(r.rc, 0) << r.err;
  const ModelProfile q = parse_model_profile(r.out, "stdout");
  ASSERT_EQ(q.devices.size(), 1u);
  EXPECT_DOUBLE_EQ(q.devices[0].layers[0].forward_s, 14080 / 2e9);

  // The profile plans: UE (derived class ue) -> MEC (cpu16) -> cloud (cuda).
  const std::string route = dir.file("route.json");
  write_text_file_atomic(route, R"({"format": "hivemind.route/v1",
    "nodes": [{"name": "ue", "device_class": "ue"}, {"name": "mec", "device_class": "cpu16"},
              {"name": "cloud", "device_class": "cuda"}],
    "links": [{"bandwidth_mbps": 50, "overhead_ms": 1}, {"bandwidth_mbps": 1000, "overhead_ms": 5}]})");
  r = run(kHivemind + " solve --model " + json + " --route " + route, dir);
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ue"), std::string::npos) << r.out;
}

void expect_bad(const std::string& args, const std::string& needle, const TempDir& dir) {
  expect_bad_profile(kHivemind, args, needle, dir);
}

TEST(OnnxImportCli, MalformedModelsExitTwoWithOneLine) {
  TempDir dir("hivemind_model_onnx_");
  const auto good = write(residual_onnx(), dir.file("good.onnx"));
  const auto text = dir.file("text.onnx");
  { std::ofstream(text) << "this is not a protobuf \xff\xff\xff\n"; }
  const auto empty = dir.file("empty.onnx");
  { std::ofstream(empty) << ""; }
  auto broken = residual_onnx();
  broken.mutable_graph()->mutable_node(1)->set_input(0, "nowhere");  // relu1 reads nothing
  const auto dangling = write(broken, dir.file("dangling.onnx"));
  auto truncated_bytes = read_text_file(good);
  const auto truncated = dir.file("truncated.onnx");
  {
    std::ofstream(truncated, std::ios::binary)
        << truncated_bytes.substr(0, truncated_bytes.size() / 2);
  }

  expect_bad(dir.file("missing.onnx"), "missing.onnx: cannot open", dir);
  expect_bad(text, "text.onnx: not an ONNX model", dir);
  expect_bad(empty, "empty.onnx: not an ONNX model", dir);
  expect_bad(truncated, "truncated.onnx: not an ONNX model", dir);
  expect_bad(dangling, "dangling.onnx: invalid ONNX model", dir);
  expect_bad(good + " --input x=1,3,8", "\"x\" has 4 dimensions in the model, not 3", dir);
  expect_bad(good + " --input z=1,3,8,8", "the model has no input \"z\"", dir);
  expect_bad(good + " --gflops -1", "--gflops", dir);
}

}  // namespace
}  // namespace hivemind::model
