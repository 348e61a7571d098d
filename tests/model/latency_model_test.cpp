// One measurement is enough (latency_model.hpp): the fit, the committed models, the derivation.
#include "hivemind/model/latency_model.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "hivemind/error.hpp"
#include "hivemind/model/arch.hpp"
#include "hivemind/model/zoo.hpp"

namespace hivemind::model {
namespace {

const std::string kData = HIVEMIND_DATA_DIR;

std::vector<ModelProfile> zoo_profiles() {
  std::vector<ModelProfile> zoo;
  for (const auto& name : zoo_model_names()) zoo.push_back(load_model(name, kData));
  return zoo;
}

// Samples that follow a + F / b exactly in every group are fitted back exactly.
TEST(LatencyModel, FitRecoversAnExactModel) {
  const double a[] = {50e-6, 10e-6, 5e-6}, rate[] = {1e11, 2e10, 3e9};
  const char* kinds[] = {"Conv2d", "Linear", "ReLU"};
  std::vector<LatencySample> samples;
  for (int g = 0; g < 3; ++g)
    for (double f : {0.0, 1e5, 1e7, 3e8, 2e9}) samples.push_back({kinds[g], f, a[g] + f / rate[g]});
  const LatencyModel m = fit_latency_model("x", samples);
  for (int g = 0; g < 3; ++g) {
    EXPECT_NEAR(m.groups[g].overhead_s, a[g], 1e-9 * a[g]) << g;
    EXPECT_NEAR(m.groups[g].flops_per_s, rate[g], 1e-6 * rate[g]) << g;
    EXPECT_EQ(m.groups[g].layers, 5);
  }
  EXPECT_EQ(layer_group("ConvTranspose"), LayerGroup::kConv);
  EXPECT_EQ(layer_group("GRUCell"), LayerGroup::kDense);
  EXPECT_EQ(layer_group("Gemm"), LayerGroup::kDense);
  EXPECT_EQ(layer_group("add"), LayerGroup::kOther);
  // A dense layer by its weight reuse: one row (2 FLOPs per weight, + bias) stays a matrix-
  // vector product; 300 rows (R-CNN's head: 300 regions x 4096 x 4096) is a GEMM, priced as
  // the convolutions are; parameters unknown or shared (0 bytes) leave the kind to decide.
  const double params = 4096.0 * 4096 + 4096;
  EXPECT_EQ(layer_group("Linear", 2 * 4096.0 * 4096 + 4096, 4 * params), LayerGroup::kDense);
  EXPECT_EQ(layer_group("Linear", 300 * (2 * 4096.0 * 4096 + 4096), 4 * params), LayerGroup::kConv);
  EXPECT_EQ(layer_group("GRUCell", 1e9, 0), LayerGroup::kDense);
  EXPECT_EQ(layer_group("ReLU", 1e9, 4), LayerGroup::kOther);
  const LatencyModel u = uniform_latency_model("pi", 1e-5, 2e9);
  EXPECT_EQ(u.layers_fitted(), 0);
  EXPECT_DOUBLE_EQ(u.estimate_s(LayerGroup::kConv, 2e9), 1e-5 + 1.0);
  LayerProfile conv;
  conv.kind = "Conv2d";
  conv.flops = 2e9;
  const LayerCost c = u.estimate(conv);  // forward f(F), backward f(2F)
  EXPECT_DOUBLE_EQ(c.forward_s, 1e-5 + 1.0);
  EXPECT_DOUBLE_EQ(c.backward_s, 1e-5 + 2.0);
  EXPECT_EQ(u.describe(), "10 us + flops / 2 GFLOP/s");
  EXPECT_THROW(fit_latency_model("x", {{"Conv2d", 1e6, 1e-3}}), InputError);
}

// data/devices/latency_models.json is what hivemind_zoo_gen fits on the zoo's measured layers.
TEST(LatencyModel, CommittedModelsMatchTheZoo) {
  const auto committed = load_latency_models(kData + "/devices/latency_models.json");
  const auto refit = fit_latency_models(zoo_profiles(), kMeasuredRuns);
  ASSERT_EQ(committed.size(), refit.size());
  for (std::size_t c = 0; c < refit.size(); ++c) {
    EXPECT_EQ(committed[c].device_class, refit[c].device_class);
    for (int g = 0; g < kLayerGroups; ++g) {
      const GroupFit &x = committed[c].groups[g], &y = refit[c].groups[g];
      EXPECT_NEAR(x.overhead_s, y.overhead_s, 1e-12 * y.overhead_s + 1e-18)
          << "stale: rerun hivemind_zoo_gen data (tools/zoo_gen.cpp)";
      EXPECT_NEAR(x.flops_per_s, y.flops_per_s, 1e-12 * y.flops_per_s);
      EXPECT_EQ(x.layers, y.layers);
    }
  }
}

// A catalogued class measured alone: every other class is derived, layer by layer, as
// t x f_T / f_M (the class's own model, k = 1); the measured class is kept as it is.
TEST(LatencyModel, DerivesTheMissingClassesKeepingEachLayersShape) {
  const auto models = load_latency_models(kData + "/devices/latency_models.json");
  for (const std::string name : {"resnet18_224", "vgg11_224", "gru_tagger_200"}) {
    const ModelProfile zoo = load_model(name, kData);
    ModelProfile one = zoo;
    one.devices = {*zoo.device("cpu1")};
    const auto derived = derive_missing_classes(one, models);
    ASSERT_EQ(derived.size(), 2u) << name;
    EXPECT_EQ(derived[0].target, "cpu16");
    EXPECT_EQ(derived[1].target, "cuda");
    EXPECT_EQ(derived[0].from, "cpu1");
    EXPECT_EQ(derived[0].reference, "cpu1");
    EXPECT_EQ(derived[0].scale, 1.0);
    EXPECT_EQ(one.device("cpu1")->layers[0].forward_s, zoo.device("cpu1")->layers[0].forward_s);
    const LatencyModel *cpu1 = &models[0], *cuda = &models[2];
    ASSERT_EQ(cuda->device_class, "cuda");
    for (std::size_t l = 0; l < one.layers.size(); ++l) {
      const auto& layer = one.layers[l];
      const double want = zoo.device("cpu1")->layers[l].forward_s * cuda->estimate_s(layer) /
                          cpu1->estimate_s(layer);
      EXPECT_NEAR(one.device("cuda")->layers[l].forward_s, want, 1e-12 * want) << name << " " << l;
    }
    EXPECT_NE(one.device("cuda")->source.find("derived from cpu1"), std::string::npos);
    // Nothing left to derive.
    EXPECT_TRUE(derive_missing_classes(one, models).empty());
  }
}

// An uncatalogued class whose layers follow one model scaled by k exactly: the derivation finds
// that reference and k, and the derived classes are the other models themselves.
TEST(LatencyModel, AnUncataloguedClassIsMatchedToItsReference) {
  const auto models = load_latency_models(kData + "/devices/latency_models.json");
  ModelProfile p = load_model("resnet50_224", kData);
  const LatencyModel& cpu16 = models[1];
  DeviceProfile mine;
  mine.device_class = "cpu";
  mine.source = "measured here";
  for (const auto& layer : p.layers)
    mine.layers.push_back({2.5 * cpu16.estimate_s(layer), 0.0, 0.0});
  p.devices = {mine};
  const auto derived = derive_missing_classes(p, models);
  ASSERT_EQ(derived.size(), 3u);
  EXPECT_EQ(derived[0].reference, "cpu16");
  EXPECT_NEAR(derived[0].scale, 2.5, 1e-9);
  EXPECT_NEAR(derived[0].fit_error, 0.0, 1e-9);
  for (const auto& m : models)
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
      const double want = m.estimate_s(p.layers[l]);
      EXPECT_NEAR(p.device(m.device_class)->layers[l].forward_s, want, 1e-9 * want);
    }
  const std::string line = describe(derived, "my.json");
  EXPECT_NE(line.find("derived cpu1, cpu16, cuda from cpu"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  ModelProfile empty = load_model("qmix_agent", kData);
  empty.devices.clear();
  EXPECT_THROW(derive_missing_classes(empty, models), InputError);
}

TEST(LatencyModel, MalformedFilesAreOneLineErrors) {
  const std::string good =
      R"({"format": "hivemind.latency_models/v1", "classes": [{"device_class": "a", "groups": {)"
      R"("conv": {"overhead_us": 1, "gflop_per_s": 1}, "dense": {"overhead_us": 1, )"
      R"("gflop_per_s": 1}, "other": {"overhead_us": 1, "gflop_per_s": 1}}}]})";
  EXPECT_EQ(parse_latency_models(good).size(), 1u);
  for (const auto& [text, field] : std::vector<std::pair<std::string, std::string>>{
           {"{}", "format"},
           {R"({"format": "x", "classes": []})", "format"},
           {R"({"format": "hivemind.latency_models/v1", "classes": []})", "classes"},
           {R"({"format": "hivemind.latency_models/v1", "classes": [{"device_class": "a"}]})",
            "classes[0].groups"},
           {std::string(good).replace(good.find("\"overhead_us\": 1"), 16, "\"overhead_us\": -1"),
            "classes[0].groups.conv.overhead_us"}}) {
    try {
      parse_latency_models(text, "m.json");
      FAIL() << text;
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("m.json: " + field), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace hivemind::model
