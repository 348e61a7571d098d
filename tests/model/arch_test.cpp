// The zoo's architectures against the real measurements in data/measured/: the layer graph we
// derive from each architecture must reproduce, layer for layer, the names, kinds and byte
// counts that torch.fx recorded on the real PyTorch model (same order, same out_bytes, same
// cut_bytes), and the parameter total.
#include "hivemind/model/arch.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <string>

#include "hivemind/model/measured.hpp"

namespace hivemind::model {
namespace {

const std::string kData = HIVEMIND_DATA_DIR;

class ArchVsMeasured : public ::testing::TestWithParam<std::string> {};

TEST_P(ArchVsMeasured, SameLayersSameBytes) {
  const std::string name = GetParam();
  const ModelProfile arch = zoo_architecture(name).profile("test");
  const MeasuredProfile measured =
      load_measured_profile(kData + "/measured/" + name + ".cpu1.json");
  ASSERT_EQ(arch.layers.size(), measured.layers.size()) << name;
  EXPECT_EQ(arch.input_bytes, measured.input_bytes);
  double params = 0;
  for (std::size_t l = 0; l < arch.layers.size(); ++l) {
    const LayerProfile& a = arch.layers[l];
    const MeasuredLayer& m = measured.layers[l];
    ASSERT_EQ(a.name, m.name) << "layer " << l;
    EXPECT_EQ(a.kind, m.kind) << a.name;
    EXPECT_EQ(a.output_bytes, m.out_bytes) << a.name;
    EXPECT_EQ(a.cut_bytes, m.cut_bytes) << a.name;
    params += a.param_bytes;
  }
  EXPECT_EQ(params, measured.param_bytes) << "sum of layer parameters (float32 bytes)";
}

INSTANTIATE_TEST_SUITE_P(Zoo, ArchVsMeasured,
                         ::testing::Values("resnet18_224", "resnet18_32", "resnet50_224",
                                           "resnet152_224", "vgg11_224", "vgg16_224",
                                           "gru_tagger_200", "qmix_agent"));

TEST(Arch, ConvArithmeticShown) {
  // ResNet-18 conv1: 3 -> 64 channels, 7x7, stride 2, pad 3 on 224x224:
  // out = (224 + 6 - 7) / 2 + 1 = 112; bytes = 64 * 112 * 112 * 4 = 3,211,264;
  // params = 64 * 3 * 7 * 7 = 9,408 (no bias) -> 37,632 bytes;
  // FLOPs = 2 * 3 * 7 * 7 * (64 * 112 * 112) = 236,027,904.
  const ModelProfile p = resnet(18, 224, 1000).profile("test");
  EXPECT_EQ(p.layers[0].name, "conv1");
  EXPECT_EQ(p.layers[0].output_bytes, 3211264);
  EXPECT_EQ(p.layers[0].param_bytes, 37632);
  EXPECT_EQ(p.layers[0].flops, 236027904);
}

TEST(Arch, SkipConnectionMakesCutExceedOutput) {
  // Two layers read the input x: y = relu(x); z = add(y, x). After relu, both y and x must
  // cross a cut: cut = 2 * 4 * 16 = 128 bytes, while relu's own output is 64 bytes.
  ArchBuilder b("skip");
  const int x = b.input({1, 16});
  const int y = b.relu("relu", x);
  const int z = b.add("add", y, x);
  b.output({z});
  const ModelProfile p = b.profile("test");
  EXPECT_EQ(p.input_bytes, 64);
  EXPECT_EQ(p.layers[0].output_bytes, 64);
  EXPECT_EQ(p.layers[0].cut_bytes, 128);
  EXPECT_EQ(p.layers[1].cut_bytes, 64);  // only the result remains
}

TEST(Arch, ResNetBlocksCarryTheirSkipTensor) {
  // Inside every residual block of ResNet-18 the cut is larger than the layer's output;
  // right after each add it equals it.
  const ModelProfile p = resnet(18, 224, 1000).profile("test");
  int exceeding = 0;
  for (const auto& l : p.layers) {
    if (l.cut_bytes > l.output_bytes) ++exceeding;
    if (l.kind == "add") {
      EXPECT_EQ(l.cut_bytes, l.output_bytes) << l.name;
    }
  }
  EXPECT_GT(exceeding, 30);
}

TEST(Arch, RcnnHasTwoParts) {
  const ModelProfile p = zoo_architecture("rcnn_vgg16_224").profile("test");
  // Backbone conv5_3 + relu is features_29: 512 x 14 x 14 floats = 401,408 bytes. While the
  // RPN runs, that map stays live for RoI pooling: after rpn_conv the cut is
  // 401,408 (features) + 401,408 (rpn_conv output) = 802,816 bytes.
  ASSERT_EQ(p.layers[29].name, "features_29");
  EXPECT_EQ(p.layers[29].output_bytes, 401408);
  EXPECT_EQ(p.layers[30].name, "rpn_conv");
  EXPECT_EQ(p.layers[30].cut_bytes, 802816);
  // 300 proposals x 512 x 7 x 7 floats after RoI pooling = 30,105,600 bytes.
  bool found = false;
  for (const auto& l : p.layers) {
    if (l.name != "roi_pool") continue;
    found = true;
    EXPECT_EQ(l.output_bytes, 30105600);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace hivemind::model
