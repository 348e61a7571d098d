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
  std::vector<FlopsFit> fits;
  for (const auto& run : kMeasuredRuns) fits.push_back(fit_flops_model(kData + "/measured", run));
  for (const auto& name : zoo_model_names()) {
    const std::string expected = to_json(build_zoo_profile(name, kData + "/measured", fits));
    EXPECT_EQ(read_text_file(kData + "/zoo/" + name + ".json"), expected)
        << name << ": stale; rerun hivemind_zoo_gen data (tools/zoo_gen.cpp)";
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

TEST(Zoo, FlopsFitIsPhysical) {
  for (const auto& run : kMeasuredRuns) {
    const FlopsFit fit = fit_flops_model(kData + "/measured", run);
    EXPECT_GE(fit.overhead_s, 0) << run;
    EXPECT_GT(fit.flops_per_s, 1e9) << run;
    EXPECT_EQ(fit.layers, 1504) << run;  // every measured layer with known FLOPs
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
