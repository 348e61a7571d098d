// Device classes: the shipped catalog, the derivation arithmetic, malformed catalogs.
#include "hivemind/model/devices.hpp"

#include <gtest/gtest.h>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/zoo.hpp"

namespace hivemind::model {
namespace {

const std::string kData = HIVEMIND_DATA_DIR;

ModelProfile two_layer() {
  ModelProfile p;
  p.model = "two";
  p.input_bytes = 8;
  p.layers = {{"conv", "Conv2d", 4, 4, 0, /*flops=*/4e9}, {"relu", "ReLU", 4, 4, 0, /*flops=*/-1}};
  DeviceProfile base;
  base.device_class = "base";
  base.source = "test";
  base.layers = {{/*forward_s=*/0.1, /*backward_s=*/0.2, 0}, {0.01, 0, 0}};
  p.devices = {base};
  return p;
}

const char* kCatalog = R"({"format": "hivemind.devices/v1", "classes": [
  {"device_class": "base", "active_power_w": 100},
  {"device_class": "slow", "base": "base", "time_scale": 3, "flops_per_s": 1e10, "active_power_w": 5}
]})";

TEST(Devices, DerivationArithmetic) {
  const DeviceCatalog catalog = parse_device_catalog(kCatalog);
  const DeviceProfile d = resolve_device(two_layer(), "slow", catalog);
  // conv: max(3 x 0.1, 4e9 / 1e10) = max(0.3, 0.4) = 0.4 s; energy 0.4 s x 5 W = 2 J;
  //       backward max(3 x 0.2, 2 x 4e9 / 1e10) = max(0.6, 0.8) = 0.8 s.
  EXPECT_DOUBLE_EQ(d.layers[0].forward_s, 0.4);
  EXPECT_DOUBLE_EQ(d.layers[0].energy_j, 2.0);
  EXPECT_DOUBLE_EQ(d.layers[0].backward_s, 0.8);
  // relu: FLOPs unknown, so the time scale alone: 3 x 0.01 = 0.03 s; no backward measured.
  EXPECT_DOUBLE_EQ(d.layers[1].forward_s, 0.03);
  EXPECT_DOUBLE_EQ(d.layers[1].backward_s, 0.0);
  EXPECT_NE(d.source.find("derived from base"), std::string::npos);
}

TEST(Devices, MeasuredClassWinsAndGetsEnergy) {
  const DeviceCatalog catalog = parse_device_catalog(kCatalog);
  const DeviceProfile d = resolve_device(two_layer(), "base", catalog);
  EXPECT_DOUBLE_EQ(d.layers[0].forward_s, 0.1);
  EXPECT_DOUBLE_EQ(d.layers[0].energy_j, 0.1 * 100);  // forward x the class's 100 W
  ModelProfile measured = two_layer();
  DeviceProfile own = measured.devices[0];
  own.device_class = "slow";  // a user who measured the "slow" device
  measured.devices.push_back(own);
  EXPECT_DOUBLE_EQ(resolve_device(measured, "slow", catalog).layers[0].forward_s, 0.1);
}

TEST(Devices, UnresolvableClassNamesIt) {
  const DeviceCatalog catalog = parse_device_catalog(kCatalog);
  ModelProfile p = two_layer();
  p.devices[0].device_class = "cpu";
  try {
    resolve_device(p, "slow", catalog);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "device_class: \"slow\" needs the \"base\" measurement it derives from, which "
                 "model two lacks (has: cpu)");
  }
  try {
    resolve_device(p, "tpu", catalog);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "device_class: \"tpu\" is neither in model two (has: cpu) nor in the devices "
                 "file (base, slow)");
  }
}

TEST(Devices, ShippedCatalogHasThePapersRolesWithSources) {
  const DeviceCatalog catalog = load_device_catalog(kData + "/devices/devices.json");
  const std::string text = read_text_file(kData + "/devices/devices.json");
  for (const char* role : {"ue", "iab-mec", "core-mec", "cloud"}) {
    const DeviceClass* c = catalog.find(role);
    ASSERT_NE(c, nullptr) << role;
    EXPECT_FALSE(c->base.empty()) << role;
    EXPECT_GT(c->active_power_w, 0) << role;
  }
  // Every number has its source next to it.
  for (const char* key : {"time_scale", "flops_per_s", "active_power_w"}) {
    std::size_t count = 0, sources = 0;
    for (auto at = text.find(std::string("\"") + key + "\""); at != std::string::npos;
         at = text.find(std::string("\"") + key + "\"", at + 1))
      ++count;
    for (auto at = text.find(std::string("\"") + key + "_source\""); at != std::string::npos;
         at = text.find(std::string("\"") + key + "_source\"", at + 1))
      ++sources;
    EXPECT_EQ(count, sources) << key;
  }
  // On the zoo's ResNet-18 the four roles are ordered as the paper's machines: the Pi is the
  // slowest, the M1 next, the two GPU machines fastest.
  const ModelProfile r18 = load_model("resnet18", kData);
  const double ue = resolve_device(r18, "ue", catalog).forward_total_s();
  const double iab = resolve_device(r18, "iab-mec", catalog).forward_total_s();
  const double core = resolve_device(r18, "core-mec", catalog).forward_total_s();
  const double cloud = resolve_device(r18, "cloud", catalog).forward_total_s();
  EXPECT_GT(ue, iab);
  EXPECT_GT(iab, core);
  EXPECT_GT(iab, cloud);
}

struct BadCatalog {
  const char* text;
  const char* error;
};
class DevicesMalformed : public ::testing::TestWithParam<BadCatalog> {};

TEST_P(DevicesMalformed, NamesFieldAndValue) {
  try {
    parse_device_catalog(GetParam().text, "d.json");
    FAIL() << GetParam().text;
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), std::string("d.json: ") + GetParam().error);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DevicesMalformed,
    ::testing::Values(
        BadCatalog{R"({"format": "x", "classes": []})",
                   "format: unknown format \"x\" (expected \"hivemind.devices/v1\")"},
        BadCatalog{R"({"format": "hivemind.devices/v1", "classes": [{"device_class": "a"}]})",
                   "classes[0].active_power_w: missing field"},
        BadCatalog{
            R"({"format": "hivemind.devices/v1", "classes": [{"device_class": "a", "active_power_w": 0}]})",
            "classes[0].active_power_w: 0 must be > 0"},
        BadCatalog{
            R"({"format": "hivemind.devices/v1", "classes": [{"device_class": "a", "active_power_w": 1, "base": "b", "time_scale": 2}]})",
            "classes[0].base: \"b\" is not a class of this file"},
        BadCatalog{
            R"({"format": "hivemind.devices/v1", "classes": [{"device_class": "a", "active_power_w": 1},
                      {"device_class": "b", "active_power_w": 1, "base": "a", "time_scale": -2}]})",
            "classes[1].time_scale: -2 must be > 0"},
        BadCatalog{
            R"({"format": "hivemind.devices/v1", "classes": [{"device_class": "a", "active_power_w": 1},
                      {"device_class": "b", "active_power_w": 1, "base": "a", "time_scale": 2},
                      {"device_class": "c", "active_power_w": 1, "base": "b", "time_scale": 2}]})",
            "classes[2].base: \"b\" is itself derived; derive from a measured class"},
        BadCatalog{
            R"({"format": "hivemind.devices/v1", "classes": [{"device_class": "a", "active_power_w": 1, "time_scale": 2}]})",
            "classes[0].time_scale: given without a base class to scale"}));

}  // namespace
}  // namespace hivemind::model
