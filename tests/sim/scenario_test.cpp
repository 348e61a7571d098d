// Scenario files: the shipped ones load; malformed ones give one line naming the field, and
// the CLI exits 2 with that line on stderr and nothing on stdout.
#include "hivemind/sim/scenario.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/sim/engine.hpp"
#include "sim_test_support.hpp"

namespace hivemind::sim {
namespace {

using testing::error_of;
using testing::kData;
using testing::shipped;

TEST(Scenario, ShippedScenariosLoad) {
  const Scenario mm = load_scenario(kData + "/scenarios/mmwave-iab.json");
  EXPECT_EQ(mm.nodes.size(), 10u);  // UE, 6 IAB gNBs, 2 core MECs, cloud
  EXPECT_EQ(mm.links.size(), 8u);   // A..H (Table I)
  EXPECT_TRUE(mm.access.enabled);
  EXPECT_DOUBLE_EQ(mm.links[7].capacity_bps, 50e6);  // H
  const Scenario s6 = load_scenario(kData + "/scenarios/sub6.json");
  EXPECT_EQ(s6.nodes.size(), 4u);
  const Scenario ch = load_scenario(kData + "/scenarios/chain5.json");
  ASSERT_EQ(ch.links.size(), 5u);
  const double caps[5] = {4000e6, 2000e6, 800e6, 400e6, 100e6};
  for (int i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(ch.links[i].capacity_bps, caps[i]);
}

TEST(Scenario, ErrorsNameTheFieldAndValue) {
  auto doc = shipped("mmwave-iab");
  doc["links"][2]["capacity_mbps"] = -5;
  EXPECT_EQ(error_of(doc), "s.json: links[2].capacity_mbps: -5 must be > 0");

  doc = shipped("mmwave-iab");
  doc["links"][0]["to"] = "gnb9";
  EXPECT_EQ(error_of(doc), "s.json: links[0].to: \"gnb9\" is not a node name");

  doc = shipped("mmwave-iab");
  doc["links"][0]["capacty_mbps"] = 3;
  EXPECT_EQ(error_of(doc), "s.json: links[0].capacty_mbps: unknown field");

  doc = shipped("chain5");
  doc["links"][4]["to"] = "mec1";  // mec4 -> mec1: a loop, the cloud is never reached
  EXPECT_NE(error_of(doc).find("loops without reaching the cloud"), std::string::npos)
      << error_of(doc);

  doc = shipped("chain5");
  doc["nodes"][1]["role"] = "ue";
  EXPECT_EQ(error_of(doc), "s.json: nodes: need exactly one node with role \"ue\", found 2");

  doc = shipped("mmwave-iab");
  doc["nodes"][1]["position_m"] = {1200, 10};
  EXPECT_EQ(error_of(doc), "s.json: nodes[1].position_m: [1200, 10] is outside area_m");

  doc = shipped("mmwave-iab");
  doc["dynamics"]["coherence_ms"] = 0.5;  // shorter than the 1 ms TTI
  EXPECT_NE(error_of(doc).find("dynamics.coherence_ms"), std::string::npos);

  doc = shipped("sub6");
  doc["format"] = "hivemind.scenario/v0";
  EXPECT_EQ(error_of(doc),
            "s.json: format: \"hivemind.scenario/v0\" is not \"hivemind.scenario/v1\"");

  doc = shipped("sub6");
  doc["devices"]["ue"]["measured_run"] = "cpu1";
  EXPECT_EQ(error_of(doc), "s.json: devices.ue: give device_class or measured_run, not both");
  doc = shipped("sub6");
  doc["devices"]["ue"]["device_class"] = "";
  EXPECT_NE(error_of(doc).find("devices.ue.device_class: \"\" is not a device class name"),
            std::string::npos);

  EXPECT_NE(error_of(nlohmann::json::array()).find("expected an object"), std::string::npos);
}

// A scenario's device classes resolve through the device catalog: a derived class gets the
// catalog's latency and power; a class the catalog lacks is refused with its name.
TEST(Scenario, DeviceClassesComeFromTheCatalog) {
  const Scenario mm = load_scenario(kData + "/scenarios/mmwave-iab.json");
  const ModelCosts costs = load_model_costs(mm, kData, "resnet18_224");
  const DeviceCosts& ue = costs.devices.at("ue");
  ASSERT_EQ(ue.forward_s.size(), static_cast<std::size_t>(costs.layers));
  EXPECT_GT(ue.active_power_w, 0.0);
  double ue_s = 0, cloud_s = 0;
  for (int l = 0; l < costs.layers; ++l) {
    ue_s += ue.forward_s[l];
    cloud_s += costs.devices.at("cloud").forward_s[l];
  }
  EXPECT_GT(ue_s, cloud_s);  // a Raspberry Pi is slower than a GPU server
  EXPECT_TRUE(costs.devices.at("relay").relay);

  Scenario bad = mm;
  bad.devices["ue"].device_class = "tpu";
  try {
    (void)load_model_costs(bad, kData, "resnet18_224");
    ADD_FAILURE() << "an unknown class was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tpu"), std::string::npos) << e.what();
  }
}

TEST(Scenario, BlockageFieldsAreValidated) {
  auto doc = shipped("chain5");
  doc["links"][0]["blockage"]["rate_per_s"] = -1;
  EXPECT_EQ(error_of(doc), "s.json: links[0].blockage.rate_per_s: -1 is negative");

  doc = shipped("chain5");
  doc["links"][0]["blockage"]["mean_duration_ms"] = 0;
  EXPECT_EQ(error_of(doc), "s.json: links[0].blockage.mean_duration_ms: 0 must be > 0");

  doc = shipped("chain5");
  doc["links"][0]["blockage"].erase("clear_snr_db");
  EXPECT_EQ(error_of(doc), "s.json: links[0].blockage.clear_snr_db: missing field");

  doc = shipped("chain5");
  doc["links"][0]["blockage"]["clear_snr_db"] = -10;
  EXPECT_EQ(error_of(doc),
            "s.json: links[0].blockage.clear_snr_db: -10 is below the CQI 1 threshold (-6.7 dB): "
            "the clear link "
            "could not carry data");

  doc = shipped("chain5");
  doc["links"][4]["blockage"] = doc["links"][0]["blockage"];  // L5 is wired
  EXPECT_EQ(error_of(doc),
            "s.json: links[4].blockage: only a wireless link can be blocked (type is \"wired\")");

  doc = shipped("mmwave-iab");
  doc["access"]["blockage"]["clear_snr_db"] = 25;
  EXPECT_EQ(error_of(doc),
            "s.json: access.blockage.clear_snr_db: not used on access links (their SNR comes from "
            "the radio model)");

  doc = shipped("mmwave-iab");
  doc["access"]["blockage"]["attenuation_db"] = "deep";
  EXPECT_EQ(error_of(doc),
            "s.json: access.blockage.attenuation_db: expected a number, got string \"deep\"");

  doc = shipped("mmwave-iab");
  doc["access"]["blockage"]["duration_ms"] = 5;
  EXPECT_EQ(error_of(doc), "s.json: access.blockage.duration_ms: unknown field");

  // Without the field a scenario parses as before: never blocked.
  doc = shipped("mmwave-iab");
  doc["access"].erase("blockage");
  EXPECT_FALSE(parse_scenario(doc.dump()).access.blockage.enabled());
}

struct CliRun {
  int code = 0;
  std::string out, err;
};

CliRun run_cli(const std::string& args) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hm_sim_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "out").string(), err = (dir / "err").string();
  const std::string cmd = std::string(HIVEMIND_TEST_CLI) + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text_file(out);
  r.err = read_text_file(err);
  std::filesystem::remove_all(dir);
  return r;
}

TEST(Scenario, CliRejectsBadScenarioWithOneLine) {
  auto doc = shipped("chain5");
  doc["links"][1]["overhead_ms"] = "fast";
  const auto path =
      std::filesystem::temp_directory_path() / ("hm_bad_" + std::to_string(::getpid()) + ".json");
  write_text_file_atomic(path.string(), doc.dump());
  const CliRun r = run_cli("simulate " + path.string() + " --duration 1");
  std::filesystem::remove(path);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "hivemind: " + path.string() +
                       ": links[1].overhead_ms: expected a number, got string \"fast\"\n");
}

TEST(Scenario, CliRejectsBadFlags) {
  CliRun r = run_cli("simulate chain5 --load extreme");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "hivemind: load: \"extreme\" is not one of low, mid, high\n");
  r = run_cli("reproduce --quick --only fig99 --out /tmp/hm_never_written");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--only: \"fig99\" is not one of"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists("/tmp/hm_never_written"));
}

}  // namespace
}  // namespace hivemind::sim
