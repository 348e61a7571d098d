// ONNX as exported in practice (issue 12): models exported by torch.onnx.export from Debian's
// python3-torch / python3-torchvision (onnx_export_models.py, run by the ctest fixture
// model_torch.onnx_export_models into the build tree; random weights, nothing downloads) and
// traced to TorchScript from the same module. `hivemind profile MODEL.onnx` (the importer) and
// `hivemind profile MODEL.pt` (the LibTorch profiler) must agree on the bytes that cross every
// cut both profiles have: the exporter's Identity nodes on shared initializers, its shape
// arithmetic and the casts of weights fold into parameters, never layers or cut traffic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hivemind/io.hpp"
#include "hivemind/model/profile.hpp"
#include "profiler_test_support.hpp"

namespace hivemind::model {
namespace {

namespace fs = std::filesystem;

const std::string kHivemind = HIVEMIND_EXE;
const fs::path kExports = HIVEMIND_EXPORT_DIR;

// The input shape each model was exported with, from the fixture's models.txt.
std::map<std::string, std::string> exported_models() {
  const fs::path listing = kExports / "models.txt";
  if (!fs::exists(listing))
    ADD_FAILURE() << listing << " is missing: run through ctest, whose fixture test "
                  << "model_torch.onnx_export_models exports the models";
  std::map<std::string, std::string> out;
  std::istringstream in(fs::exists(listing) ? read_text_file(listing.string()) : "");
  std::string name, shape;
  while (in >> name >> shape) out[name] = shape;
  return out;
}

// The module path of an exported node, as the TorchScript profiler names that module's layer.
// torch.onnx.export names a node by its module scope, one component per module, each the
// module's name relative to the nearest ancestor that is not a Sequential:
// "/features/features.1/block/block.0/block.0.0/Conv" is module features.1.block.0.0, whose
// layer is "features_1_block_0_0". "" for a node outside any module ("/Flatten").
std::string torch_layer_of(const std::string& onnx_name) {
  if (onnx_name.empty() || onnx_name[0] != '/') return "";
  std::vector<std::string> parts;
  std::size_t start = 1;
  for (std::size_t end; (end = onnx_name.find('/', start)) != std::string::npos; start = end + 1) {
    const std::string c = onnx_name.substr(start, end - start);
    if (!parts.empty() && c.rfind(parts.back() + ".", 0) == 0)
      parts.back() = c;  // "features.0" after "features": a child of that Sequential
    else
      parts.push_back(c);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ".") + p;
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

struct Exported {
  ModelProfile onnx, torch;
  std::string onnx_json;
};

Exported profile_both(const std::string& name, const std::string& shape, const TempDir& dir) {
  Exported e;
  const std::string base = (kExports / name).string();
  e.onnx_json = dir.file(name + ".onnx.json");
  ProcessResult r = run(kHivemind + " profile " + base + ".onnx --out " + e.onnx_json, dir);
  EXPECT_EQ(r.rc, 0) << r.err;
  if (r.rc == 0) e.onnx = load_model_profile(e.onnx_json);
  // One timed pass: only the bytes are compared.
  const std::string torch_json = dir.file(name + ".pt.json");
  r = run(kHivemind + " profile " + base + ".pt --input " + shape +
              " --warmup 0 --reps 1 --no-backward --threads 1 --out " + torch_json,
          dir);
  EXPECT_EQ(r.rc, 0) << r.err;
  if (r.rc == 0) e.torch = load_model_profile(torch_json);
  return e;
}

struct Case {
  std::string model;
  std::size_t onnx_layers;  // after folding
  int by_module;            // layers compared by module path (leaf modules but batch norm)
  int by_order;             // tensor ops outside modules (add, mul, flatten, ...) compared in order
  double first_cut;         // cut bytes after the first layer
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model; }

class ExportedModel : public ::testing::TestWithParam<Case> {};

TEST_P(ExportedModel, CutBytesMatchTorchScript) {
  const Case& c = GetParam();
  const auto models = exported_models();
  ASSERT_TRUE(models.count(c.model)) << c.model << " not exported";
  TempDir dir("hivemind_model_onnx_torch_");
  const Exported e = profile_both(c.model, models.at(c.model), dir);
  ASSERT_FALSE(e.onnx.layers.empty());
  ASSERT_FALSE(e.torch.layers.empty());
  const auto& ol = e.onnx.layers;
  const auto& tl = e.torch.layers;
  EXPECT_DOUBLE_EQ(e.onnx.input_bytes, e.torch.input_bytes);

  // Nothing computed from constants alone is a layer: in these exports no such op touches an
  // activation (x.view's Reshape does, and stays).
  static const std::set<std::string> folded = {"Identity",  "Constant", "Shape", "Gather",
                                               "Unsqueeze", "Concat",   "Cast",  "Transpose"};
  for (const auto& l : ol) EXPECT_EQ(folded.count(l.kind), 0u) << l.name << " " << l.kind;
  EXPECT_EQ(ol.size(), c.onnx_layers);
  EXPECT_DOUBLE_EQ(ol.front().cut_bytes, c.first_cut);
  EXPECT_DOUBLE_EQ(tl.front().cut_bytes, c.first_cut);

  // By module: the last ONNX layer of a module's nodes (HardSwish may be HardSigmoid + Mul)
  // against the TorchScript layer of that module. The exporter folds batch norm into the
  // convolution before it, so the conv's cut stands for both (same size).
  std::map<std::string, const LayerProfile*> torch_by_name;
  for (const auto& l : tl) torch_by_name[l.name] = &l;
  std::set<std::string> matched;
  std::vector<const LayerProfile*> onnx_free;  // ONNX layers outside any leaf module
  for (std::size_t i = 0; i < ol.size(); ++i) {
    const std::string m = torch_layer_of(ol[i].name);
    const auto it = torch_by_name.find(m);
    if (it == torch_by_name.end()) {
      onnx_free.push_back(&ol[i]);
      continue;
    }
    if (i + 1 < ol.size() && torch_layer_of(ol[i + 1].name) == m) continue;
    matched.insert(m);
    EXPECT_DOUBLE_EQ(ol[i].cut_bytes, it->second->cut_bytes) << ol[i].name << " vs " << m;
    EXPECT_DOUBLE_EQ(ol[i].output_bytes, it->second->output_bytes) << ol[i].name << " vs " << m;
  }
  EXPECT_EQ(static_cast<int>(matched.size()), c.by_module);
  // Every leaf-module layer (kind = class name) has its ONNX layer, but those the exporter
  // removes in eval mode: batch norm (folded) and dropout (the identity).
  for (const auto& l : tl) {
    const bool leaf_module = std::isupper(static_cast<unsigned char>(l.kind[0]));
    if (leaf_module && l.kind != "BatchNorm2d" && l.kind != "Dropout") {
      EXPECT_TRUE(matched.count(l.name)) << l.name << " (" << l.kind << ") has no ONNX layer";
    }
  }

  // By order: TorchScript's tensor ops outside leaf modules against the ONNX op they export
  // to, the k-th against the k-th (residual adds, the squeeze-excitation product, flatten).
  static const std::vector<std::pair<std::set<std::string>, std::string>> ops = {
      {{"add", "add_"}, "Add"},
      {{"mul"}, "Mul"},
      {{"flatten"}, "Flatten"},
      {{"view"}, "Reshape"},
      {{"matmul"}, "MatMul"}};
  int by_order = 0;
  for (const auto& [torch_kinds, onnx_kind] : ops) {
    std::vector<const LayerProfile*> t, o;
    for (const auto& l : tl)
      if (torch_kinds.count(l.kind)) t.push_back(&l);
    for (const auto* l : onnx_free)
      if (l->kind == onnx_kind) o.push_back(l);
    ASSERT_EQ(t.size(), o.size()) << onnx_kind;
    for (std::size_t k = 0; k < t.size(); ++k) {
      EXPECT_DOUBLE_EQ(o[k]->cut_bytes, t[k]->cut_bytes) << o[k]->name << " vs " << t[k]->name;
      EXPECT_DOUBLE_EQ(o[k]->output_bytes, t[k]->output_bytes)
          << o[k]->name << " vs " << t[k]->name;
      ++by_order;
    }
  }
  EXPECT_EQ(by_order, c.by_order);

  // The estimated classes keep their order, layer by layer and in total.
  const DeviceProfile* cpu1 = e.onnx.device("cpu1");
  const DeviceProfile* cpu16 = e.onnx.device("cpu16");
  const DeviceProfile* cuda = e.onnx.device("cuda");
  ASSERT_TRUE(cpu1 && cpu16 && cuda);
  for (std::size_t l = 0; l < ol.size(); ++l) {
    EXPECT_LE(cuda->layers[l].forward_s, cpu16->layers[l].forward_s) << ol[l].name;
    EXPECT_LE(cpu16->layers[l].forward_s, cpu1->layers[l].forward_s) << ol[l].name;
    EXPECT_LE(cuda->layers[l].backward_s, cpu16->layers[l].backward_s) << ol[l].name;
    EXPECT_LE(cpu16->layers[l].backward_s, cpu1->layers[l].backward_s) << ol[l].name;
  }
  EXPECT_LE(cuda->forward_total_s(), cpu16->forward_total_s());
  EXPECT_LT(cpu16->forward_total_s(), cpu1->forward_total_s());

  // The profile plans on a UE -> MEC -> cloud route.
  const std::string route = dir.file("route.json");
  write_text_file_atomic(route, R"({"format": "hivemind.route/v1",
    "nodes": [{"name": "ue", "device_class": "ue"}, {"name": "mec", "device_class": "cpu16"},
              {"name": "cloud", "device_class": "cuda"}],
    "links": [{"bandwidth_mbps": 50, "overhead_ms": 1}, {"bandwidth_mbps": 1000, "overhead_ms": 5}]})");
  const ProcessResult r =
      run(kHivemind + " solve --model " + e.onnx_json + " --route " + route, dir);
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
}

// Figures of the exports by Debian's torch 1.13 / torchvision 0.14. mobilenet_v3_small: the
// export starts with 37 Identity nodes on shared initializers, whose 28,288 B crossed the first
// conv's cut before folding (831,104 B); now 802,816 B (16x112x112 float32) as in TorchScript.
// At opset 13 Hardswish is HardSigmoid + Mul: 19 more layers, compared at the Mul.
INSTANTIATE_TEST_SUITE_P(Exports, ExportedModel,
                         ::testing::Values(Case{"mobilenet_v3_small", 122, 106, 16, 802816},
                                           Case{"mobilenet_v3_small_op13", 141, 106, 16, 802816},
                                           Case{"resnet18", 49, 40, 9, 3211264},
                                           Case{"viewnet", 5, 3, 2, 8192},
                                           Case{"viewnet_op13", 5, 3, 2, 8192}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.model;
                         });

}  // namespace
}  // namespace hivemind::model
