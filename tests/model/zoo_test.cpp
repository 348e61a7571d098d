// The shipped zoo (data/zoo): committed files equal what the generator writes, cut bytes equal
// the measurements for ResNet-18/50 and VGG-11 (the acceptance check), names resolve.
#include "hivemind/model/zoo.hpp"

#include <gtest/gtest.h>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/arch.hpp"
#include "hivemind/model/measured.hpp"

namespace hivemind::model {
namespace {

const std::string kData = HIVEMIND_DATA_DIR;

TEST(Zoo, CommittedFilesMatchTheGenerator) {
  const ZooBuild zoo = build_zoo(kData + "/measured");
  ASSERT_EQ(zoo.profiles.size(), zoo_model_names().size());
  for (const ModelProfile& p : zoo.profiles)
    EXPECT_EQ(read_text_file(kData + "/zoo/" + p.model + ".json"), to_json(p))
        << p.model << ": stale; rerun hivemind_zoo_gen data (tools/zoo_gen.cpp)";
  // The latency models the zoo's estimates use are the committed ones.
  const std::vector<LatencyModel> committed =
      load_latency_models(kData + "/devices/latency_models.json");
  ASSERT_EQ(committed.size(), zoo.latency_models.size());
  for (std::size_t c = 0; c < committed.size(); ++c)
    for (int g = 0; g < kLayerGroups; ++g) {
      EXPECT_NEAR(committed[c].groups[g].overhead_s, zoo.latency_models[c].groups[g].overhead_s,
                  1e-6 * zoo.latency_models[c].groups[g].overhead_s);
      EXPECT_NEAR(committed[c].groups[g].flops_per_s, zoo.latency_models[c].groups[g].flops_per_s,
                  1e-6 * zoo.latency_models[c].groups[g].flops_per_s);
    }
}

class ZooCutBytes : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooCutBytes, EqualMeasuredLayerForLayer) {
  const ModelProfile zoo = load_model(GetParam(), kData);
  for (const std::string run : {"cpu1", "cpu16", "cuda"}) {
    const MeasuredProfile m =
        load_measured_profile(kData + "/measured/" + zoo.model + "." + run + ".json");
    ASSERT_EQ(zoo.layers.size(), m.layers.size());
    EXPECT_EQ(zoo.input_bytes, m.input_bytes);
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
      EXPECT_EQ(zoo.layers[l].name, m.layers[l].name);
      EXPECT_EQ(zoo.layers[l].output_bytes, m.layers[l].out_bytes) << zoo.layers[l].name;
      EXPECT_EQ(zoo.layers[l].cut_bytes, m.layers[l].cut_bytes) << zoo.layers[l].name;
    }
    // Latencies: the measured medians rescaled so that they sum to the whole-model time.
    ASSERT_NE(zoo.device(run), nullptr);
    EXPECT_NEAR(zoo.device(run)->forward_total_s(), m.whole_model_us * 1e-6,
                1e-9 * m.whole_model_us);
  }
}

INSTANTIATE_TEST_SUITE_P(Acceptance, ZooCutBytes,
                         ::testing::Values("resnet18", "resnet50", "vgg11"));

TEST(Zoo, EveryModelLoadsByNameWithThreeRuns) {
  for (const auto& name : zoo_model_names()) {
    const ModelProfile p = load_model(name, kData);
    EXPECT_EQ(p.model, name);
    for (const auto& run : kMeasuredRuns) EXPECT_NE(p.device(run), nullptr) << name << " " << run;
  }
  EXPECT_EQ(load_model("rcnn", kData).model, "rcnn_vgg16_224");
  EXPECT_EQ(load_model(kData + "/zoo/qmix_agent.json", kData).model, "qmix_agent");
}

TEST(Zoo, RcnnIsEstimatedAndSaysSo) {
  const ModelProfile p = load_model("rcnn", kData);
  EXPECT_NE(p.source.find("estimated from FLOPs"), std::string::npos);
  EXPECT_NE(p.device("cpu1")->source.find("estimated from FLOPs"), std::string::npos);
  // Skip connections of the detector: the backbone map stays live across the RPN.
  int exceeding = 0;
  for (const auto& l : p.layers) exceeding += l.cut_bytes > l.output_bytes;
  EXPECT_GE(exceeding, 5);
}

TEST(Zoo, RcnnEstimateIsTheLatencyModel) {
  // R-CNN's estimate is the committed latency model (data/devices/latency_models.json), checked
  // against values computed by hand here, not against the model's own estimate_s (the generator
  // of the file: comparing the two would compare it with itself). VGG-16's first layers at 224 px:
  //   features_0, Conv2d 3 -> 64, 3x3, output 64 x 224 x 224: FLOPs (2 * 3*3*3 + 1 bias) * 64 *
  //     224^2 = 55 * 64 * 50,176 = 176,619,520;
  //   features_1, ReLU on that output: 64 * 224^2 = 3,211,264 FLOPs.
  // t = overhead + FLOPs / throughput, per group (conv; ReLU is "other"), backward with 2 FLOPs:
  //   cpu1  conv : 49.028797669 us + 176,619,520 / 138.033176566 GFLOP/s = 1.3285728e-3 s
  //   cpu1  other:  7.207255850 us +   3,211,264 /   2.997467344 GFLOP/s = 1.0785330e-3 s
  //   cpu16 conv : 48.392201957 us + 176,619,520 / 691.657531953 GFLOP/s = 3.0374910e-4 s
  //   cpu1  conv backward: 49.028797669 us + 2 * 1.2795440e-3 s      = 2.6081168e-3 s
  // Caught: a zoo file regenerated with another latency model or FLOPs without the bias (checked
  // by hand: 1.3285728e-3 changed to 1.3285738e-3 fails).
  const ModelProfile p = load_model("rcnn", kData);
  ASSERT_GE(p.layers.size(), 2u);
  EXPECT_EQ(p.layers[0].flops, 55.0 * 64 * 224 * 224);
  EXPECT_EQ(p.layers[1].flops, 64.0 * 224 * 224);
  const DeviceProfile* cpu1 = p.device("cpu1");
  const DeviceProfile* cpu16 = p.device("cpu16");
  ASSERT_NE(cpu1, nullptr);
  ASSERT_NE(cpu16, nullptr);
  EXPECT_NEAR(cpu1->layers[0].forward_s, 1.3285728e-3, 1e-10);
  EXPECT_NEAR(cpu1->layers[1].forward_s, 1.0785330e-3, 1e-10);
  EXPECT_NEAR(cpu16->layers[0].forward_s, 3.0374910e-4, 1e-10);
  EXPECT_NEAR(cpu1->layers[0].backward_s, 2.6081168e-3, 1e-10);
}

// The paper's workload: latencies scaled from the same layers measured at other input sides.
double sum_of(const ModelProfile& ref, const DeviceProfile& d, const std::vector<std::string>& fx) {
  double t = 0;
  for (std::size_t l = 0; l < ref.layers.size(); ++l)
    for (const auto& n : fx)
      if (ref.layers[l].name == n) t += d.layers[l].forward_s;
  return t;
}

TEST(Zoo, PaperWorkloadIsScaledFromItsMeasuredLayers) {
  const ModelProfile r88 = load_model("resnet18_88", kData);
  const ModelProfile r224 = load_model("resnet18_224", kData);
  const ModelProfile r32 = load_model("resnet18_32", kData);
  const ArchBuilder arch = zoo_architecture("resnet18_88");
  const ModelProfile fx = arch.profile("test");
  const auto groups = arch.layer_groups(Granularity::kLeafCalls);
  ASSERT_EQ(groups.size(), r88.layers.size());
  for (const auto& run : kMeasuredRuns) {
    const DeviceProfile& d = *r88.device(run);
    // Not a measurement: it must not feed the latency models (latency_samples).
    EXPECT_EQ(d.source.rfind("scaled from measurements", 0), 0u) << d.source;
    for (std::size_t l = 0; l < groups.size(); ++l) {
      std::vector<std::string> names;
      for (int n : groups[l]) names.push_back(fx.layers[n].name);
      // 88 px lies between 32 and 224 px, and so does every call's time (a line through both).
      const double a = sum_of(r224, *r224.device(run), names);
      const double b = sum_of(r32, *r32.device(run), names);
      EXPECT_GE(d.layers[l].forward_s, std::min(a, b) * (1 - 1e-12)) << r88.layers[l].name;
      EXPECT_LE(d.layers[l].forward_s, std::max(a, b) * (1 + 1e-12)) << r88.layers[l].name;
    }
    // fc (512 -> 1000) is the same layer at every side: the 224 px measurement itself.
    EXPECT_DOUBLE_EQ(d.layers.back().forward_s, r224.device(run)->layers.back().forward_s);
  }
  // VGG-11's classifier sees 512x7x7 at both sides (adaptive pooling): unchanged times.
  const ModelProfile v88 = load_model("vgg11_88", kData);
  const ModelProfile v224 = load_model("vgg11_224", kData);
  for (const auto& run : kMeasuredRuns)
    for (int k = 0; k < 7; ++k) {
      const std::size_t a = v88.layers.size() - 7 + k, b = v224.layers.size() - 7 + k;
      ASSERT_EQ(v224.layers[b].name, "classifier_" + std::to_string(k));
      EXPECT_NEAR(v88.device(run)->layers[a].forward_s, v224.device(run)->layers[b].forward_s,
                  1e-12)
          << run << " " << v88.layers[a].name;
    }
  // R-CNN's RPN and head have no measured counterpart: the latency model's estimate.
  const ModelProfile rc = load_model("rcnn_vgg16_88", kData);
  const std::vector<LatencyModel> models =
      load_latency_models(kData + "/devices/latency_models.json");
  for (const LatencyModel& f : models)
    for (std::size_t l = 0; l < rc.layers.size(); ++l)
      if (rc.layers[l].name.rfind("head_", 0) == 0) {
        const double want = f.estimate_s(rc.layers[l]);
        EXPECT_NEAR(rc.device(f.device_class)->layers[l].forward_s, want, 1e-9 * want)
            << rc.layers[l].name;
      }
}

TEST(Zoo, UnknownNameListsTheZoo) {
  try {
    load_model("resnet19", kData);
    FAIL();
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("--model: \"resnet19\" is neither a zoo model nor a profile file", 0), 0u)
        << what;
    EXPECT_NE(what.find("resnet18_224"), std::string::npos);
  }
}

}  // namespace
}  // namespace hivemind::model
