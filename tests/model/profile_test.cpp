// The profile format hivemind.profile/v1: round trip, and every malformed file rejected with
// one line naming the field and the value.
#include "hivemind/model/profile.hpp"

#include <gtest/gtest.h>

#include <string>

#include "hivemind/error.hpp"

namespace hivemind::model {
namespace {

// A 2-layer model whose first layer keeps the input alive (a skip connection): cut 48 bytes
// after layer 1 (its 16-byte output + the 32-byte input), while its own output is 16 bytes.
const char* kValid = R"({
  "format": "hivemind.profile/v1", "model": "tiny", "source": "hand-written",
  "input_bytes": 32,
  "layers": [
    {"name": "a", "kind": "Linear", "output_bytes": 16, "cut_bytes": 48, "param_bytes": 8, "flops": 100},
    {"name": "b", "kind": "add", "output_bytes": 16, "cut_bytes": 16}
  ],
  "devices": [
    {"device_class": "cpu", "source": "made up", "forward_s": [0.5, 0.25], "backward_s": [1, 0.5]}
  ]
})";

TEST(Profile, ParsesAndRoundTrips) {
  const ModelProfile p = parse_model_profile(kValid, "tiny.json");
  ASSERT_EQ(p.layers.size(), 2u);
  EXPECT_EQ(p.layers[0].cut_bytes, 48);
  EXPECT_GT(p.layers[0].cut_bytes, p.layers[0].output_bytes);  // the skip tensor crosses
  EXPECT_EQ(p.layers[1].flops, -1);                            // absent = unknown
  EXPECT_EQ(p.layers[1].param_bytes, 0);
  ASSERT_NE(p.device("cpu"), nullptr);
  EXPECT_EQ(p.device("gpu"), nullptr);
  EXPECT_EQ(p.device("cpu")->layers[1].backward_s, 0.5);
  EXPECT_EQ(p.device("cpu")->layers[0].energy_j, 0);  // absent = unknown
  EXPECT_DOUBLE_EQ(p.device("cpu")->forward_total_s(), 0.75);

  const std::string text = to_json(p);
  const ModelProfile q = parse_model_profile(text, "again");
  EXPECT_EQ(to_json(q), text);
  EXPECT_EQ(q.layers[0].name, "a");
  EXPECT_EQ(q.devices[0].layers[0].forward_s, 0.5);
}

// The optional measurement metadata of a device (runtime, threads, machine, whole-model
// forward): absent in kValid and in every shipped profile, read and written back when present.
TEST(Profile, MetadataIsOptionalAndRoundTrips) {
  const ModelProfile plain = parse_model_profile(kValid, "tiny.json");
  const DeviceProfile& d0 = plain.devices[0];
  EXPECT_EQ(d0.runtime, "");
  EXPECT_FALSE(d0.threads.has_value());
  EXPECT_EQ(d0.machine, "");
  EXPECT_FALSE(d0.whole_model_forward_s.has_value());
  // Without metadata, to_json writes none.
  EXPECT_EQ(to_json(plain).find("threads"), std::string::npos);

  std::string text = kValid;
  const std::string source = R"("source": "made up",)";
  text.replace(text.find(source), source.size(),
               source + R"( "runtime": "LibTorch 1.13.0", "threads": 16,
     "machine": "Intel Xeon; 16 logical CPUs; Linux 6.1 x86_64", "whole_model_forward_s": 0.625,)");
  const ModelProfile p = parse_model_profile(text, "meta.json");
  const DeviceProfile& d = p.devices[0];
  EXPECT_EQ(d.runtime, "LibTorch 1.13.0");
  ASSERT_TRUE(d.threads.has_value());
  EXPECT_EQ(*d.threads, 16);
  EXPECT_EQ(d.machine, "Intel Xeon; 16 logical CPUs; Linux 6.1 x86_64");
  ASSERT_TRUE(d.whole_model_forward_s.has_value());
  EXPECT_EQ(*d.whole_model_forward_s, 0.625);
  const std::string out = to_json(p);
  const ModelProfile q = parse_model_profile(out, "again");
  EXPECT_EQ(to_json(q), out);
  EXPECT_EQ(q.devices[0].runtime, d.runtime);
  EXPECT_EQ(q.devices[0].threads, d.threads);
  EXPECT_EQ(q.devices[0].machine, d.machine);
  EXPECT_EQ(q.devices[0].whole_model_forward_s, d.whole_model_forward_s);

  // validate() checks them in memory too (producers call it before writing).
  ModelProfile bad = p;
  bad.devices[0].threads = 0;
  EXPECT_THROW(validate(bad), InputError);
  bad = p;
  bad.devices[0].whole_model_forward_s = -1.0;
  EXPECT_THROW(validate(bad), InputError);
}

struct Bad {
  const char* find;     // text of kValid to replace
  const char* replace;  // with this
  const char* error;    // expected one-line message (after "tiny.json: ")
};

class ProfileMalformed : public ::testing::TestWithParam<Bad> {};

TEST_P(ProfileMalformed, NamesFieldAndValue) {
  const Bad bad = GetParam();
  std::string text = kValid;
  const auto at = text.find(bad.find);
  ASSERT_NE(at, std::string::npos) << bad.find;
  text.replace(at, std::string(bad.find).size(), bad.replace);
  try {
    parse_model_profile(text, "tiny.json");
    FAIL() << "accepted: " << bad.replace;
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), std::string("tiny.json: ") + bad.error);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ProfileMalformed,
    ::testing::Values(
        Bad{"hivemind.profile/v1", "hivemind.profile/v9",
            "format: unknown format \"hivemind.profile/v9\" (expected \"hivemind.profile/v1\")"},
        Bad{"\"model\": \"tiny\"", "\"model\": 7", "model: expected a string, got number 7"},
        Bad{"\"input_bytes\": 32", "\"input_bytes\": -32", "input_bytes: -32 is negative"},
        Bad{"\"cut_bytes\": 48", "\"cut_bytes\": -1", "layers[0].cut_bytes: -1 is negative"},
        Bad{"\"cut_bytes\": 48", "\"cut_bytes\": \"48\"",
            "layers[0].cut_bytes: expected a number, got string \"48\""},
        Bad{"\"output_bytes\": 16, \"cut_bytes\": 16", "\"cut_bytes\": 16",
            "layers[1].output_bytes: missing field"},
        Bad{"\"name\": \"b\"", "\"name\": \"a\"",
            "layers[1].name: \"a\" is used by an earlier layer"},
        Bad{"\"flops\": 100", "\"flops\": -5", "layers[0].flops: -5 is negative"},
        Bad{"[0.5, 0.25]", "[0.5]", "devices[0].forward_s: expected 2 entries, got 1"},
        Bad{"[1, 0.5]", "[1, -0.5]", "devices[0].backward_s[1]: -0.5 is negative"},
        Bad{"\"device_class\": \"cpu\"", "\"device_class\": \"\"",
            "devices[0].device_class: empty"},
        Bad{"\"source\": \"made up\",", "\"source\": \"made up\", \"threads\": 0,",
            "devices[0].threads: 0 is out of range [1, 1000000]"},
        Bad{"\"source\": \"made up\",", "\"source\": \"made up\", \"threads\": 2.5,",
            "devices[0].threads: expected an integer, got number 2.5"},
        Bad{"\"source\": \"made up\",", "\"source\": \"made up\", \"runtime\": \"\",",
            "devices[0].runtime: empty (leave the field out instead)"},
        Bad{"\"source\": \"made up\",", "\"source\": \"made up\", \"machine\": 3,",
            "devices[0].machine: expected a string, got number 3"},
        Bad{"\"source\": \"made up\",", "\"source\": \"made up\", \"whole_model_forward_s\": -0.5,",
            "devices[0].whole_model_forward_s: -0.5 is negative"},
        Bad{"\"layers\": [", "\"layers\": [], \"x\": [",
            "layers: empty (a model has at least one layer)"},
        Bad{"{\n  \"format\"", "[{\n  \"format\"",
            "not JSON: parse error at line 11, column 2: syntax error while parsing array - "
            "unexpected end of input; expected ']'"}));

TEST(Profile, DuplicateDeviceClass) {
  std::string text = kValid;
  const std::string device =
      R"({"device_class": "cpu", "source": "made up", "forward_s": [0.5, 0.25], "backward_s": [1, 0.5]})";
  text.replace(text.find(device), device.size(), device + ", " + device);
  EXPECT_THROW(
      {
        try {
          parse_model_profile(text, "p");
        } catch (const InputError& e) {
          EXPECT_STREQ(e.what(), "p: devices[1].device_class: \"cpu\" appears twice");
          throw;
        }
      },
      InputError);
}

TEST(Profile, MissingFileNamesPath) {
  try {
    load_model_profile("/nonexistent/x.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace hivemind::model
