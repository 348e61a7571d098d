// The zoo's architectures against the real measurements in data/measured/: the layer graph we
// derive from each architecture must reproduce, layer for layer, the names, kinds and byte
// counts that torch.fx recorded on the real PyTorch model (same order, same out_bytes, same
// cut_bytes), and the parameter total.
#include "hivemind/model/arch.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <set>
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

TEST(Arch, LeafCallsMergeFunctionalOpsIntoTheirLatestProducer) {
  // x -> a = conv(x); b = bn(a); s = add(b, x); r = relu(s) -- the add is no module call, so
  // forward hooks see conv, bn, relu; the add merges into bn (it produced the add's latest
  // input) and bn's layer outputs the sum. x stays live until that layer.
  ArchBuilder g("block");
  const int x = g.input({1, 4, 8, 8});
  const int a = g.conv2d("conv", x, 4, 3, 1, 1, false);
  const int b = g.batchnorm2d("bn", a);
  const int s = g.add("add", b, x);
  g.output({g.relu("relu", s)});
  const ModelProfile fx = g.profile("test");
  const ModelProfile calls = g.profile("test", Granularity::kLeafCalls);
  ASSERT_EQ(fx.layers.size(), 4u);
  ASSERT_EQ(calls.layers.size(), 3u);
  EXPECT_EQ(calls.layers[1].name, "bn");
  EXPECT_EQ(calls.layers[1].kind, "BatchNorm2d+add");
  EXPECT_EQ(calls.layers[1].flops, fx.layers[1].flops + fx.layers[2].flops);
  const double map = 4 * 4 * 8 * 8;               // bytes of one 4x8x8 float32 map
  EXPECT_EQ(calls.layers[0].cut_bytes, 2 * map);  // conv output + x for the add
  EXPECT_EQ(calls.layers[1].cut_bytes, map);      // the sum alone: x is no longer read
  EXPECT_EQ(calls.layers[1].cut_bytes, fx.layers[2].cut_bytes);
  EXPECT_EQ(g.layer_groups(Granularity::kLeafCalls),
            (std::vector<std::vector<int>>{{0}, {1, 2}, {3}}));
}

TEST(Arch, PaperResNet18IsItsLeafModuleCalls) {
  // Sec. VII-B2: "ResNet18, a 52-layer CNN model with an average layer output size of 80KB".
  // Forward hooks on torchvision's 52 leaf modules see 60 calls (each BasicBlock's ReLU runs
  // twice); tools/leaf_modules.py checks names and bytes against PyTorch itself.
  ArchBuilder arch = zoo_architecture("resnet18_88");
  const ModelProfile fx = arch.profile("test");
  const ModelProfile p = zoo_layers("resnet18_88", "test");
  ASSERT_EQ(p.layers.size(), 60u);
  std::set<std::string> modules;
  double flops = 0, fx_flops = 0, out = 0;
  for (const auto& l : p.layers) {
    const auto suffix = l.name.rfind("_1");
    modules.insert(suffix != std::string::npos && suffix + 2 == l.name.size()
                       ? l.name.substr(0, suffix)
                       : l.name);
    flops += l.flops, out += l.output_bytes;
    EXPECT_EQ(l.name.find("add"), std::string::npos) << l.name;  // no functional layers
  }
  for (const auto& l : fx.layers) fx_flops += l.flops;
  EXPECT_EQ(modules.size(), 52u);
  EXPECT_DOUBLE_EQ(flops, fx_flops);   // merging moves FLOPs, never loses them
  EXPECT_NEAR(out / 60 / 1e3, 80, 2);  // kB; the paper's 80 KB
  EXPECT_EQ(p.layers[8].name, "layer1.0.bn2");
  EXPECT_EQ(p.layers[8].kind, "BatchNorm2d+add");
  EXPECT_EQ(p.layers[22].name, "layer2.0.downsample.1");  // runs after bn2: the add is its
  EXPECT_EQ(p.layers[22].kind, "BatchNorm2d+add");
  EXPECT_EQ(p.layers[58].kind, "AdaptiveAvgPool2d+flatten");
  // Inside a downsampling block the block input stays live until downsample.0 reads it.
  EXPECT_EQ(p.layers[20].name, "layer2.0.bn2");
  EXPECT_EQ(p.layers[20].cut_bytes, p.layers[20].output_bytes + p.layers[15].output_bytes);
  // The cut after a merged add equals the fx cut after that add node.
  for (std::size_t l = 0; l < fx.layers.size(); ++l)
    if (fx.layers[l].name == "add_1") EXPECT_EQ(fx.layers[l].cut_bytes, p.layers[14].cut_bytes);
}

TEST(Arch, PaperVgg11IsItsLeafModuleCalls) {
  // Sec. VII-B2: VGG-11 "with an average layer output size of 356KB": 29 leaf modules, each
  // called once; flatten merges into avgpool.
  const ModelProfile p = zoo_layers("vgg11_88", "test");
  ASSERT_EQ(p.layers.size(), 29u);
  double out = 0;
  for (const auto& l : p.layers) out += l.output_bytes;
  EXPECT_NEAR(out / 29 / 1e3, 356, 5);  // kB
  EXPECT_EQ(p.layers[21].name, "avgpool");
  EXPECT_EQ(p.layers[21].kind, "AdaptiveAvgPool2d+flatten");
  // A 2x2 map pooled to 7x7: windows of 1 or 2 rows and columns, 8 x 8 reads per channel.
  EXPECT_EQ(p.layers[21].flops, 512 * 8 * 8);
  EXPECT_EQ(p.layers[22].name, "classifier.0");
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
