// Helpers shared by the simulator's tests: shipped scenarios, their parse errors, a loaded
// scenario with its model costs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/sim/engine.hpp"
#include "hivemind/sim/scenario.hpp"

namespace hivemind::sim::testing {

inline const std::string kData = HIVEMIND_TEST_DATA_DIR;

// A shipped scenario file (data/scenarios/NAME.json) as JSON, to edit before parsing.
inline nlohmann::json shipped(const std::string& name) {
  return nlohmann::json::parse(read_text_file(kData + "/scenarios/" + name + ".json"));
}

// The message parse_scenario refuses `doc` with ("" when it parses), the source named "s.json".
inline std::string error_of(const nlohmann::json& doc) {
  try {
    parse_scenario(doc.dump(), "s.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

struct Fixture {
  Scenario scenario;
  ModelCosts model;
};

// A shipped scenario with the costs of a zoo model on its devices.
inline Fixture load(const std::string& name, const std::string& model = "resnet18_224") {
  Fixture f;
  f.scenario = load_scenario(kData + "/scenarios/" + name + ".json");
  f.model = load_model_costs(f.scenario, kData, model);
  return f;
}

// UE -> MEC -> cloud: chain5's first hop (4000 Mbit/s, wireless, background traffic; its
// blockage removed) and its last hop (100 Mbit/s, wired, background traffic) from the MEC to
// the cloud. Every transfer's capacity varies block by block with the background UEs. The
// result goes to the cloud (deliver sink), so every link carries data on every task and every
// node measures a gap Delta t on every task.
inline Fixture chain3(const std::string& model = "resnet18_88") {
  nlohmann::json doc = shipped("chain5");
  const nlohmann::json nodes = doc["nodes"];
  doc["nodes"] = nlohmann::json::array({nodes[0], nodes[1], nodes[5]});
  nlohmann::json first = doc["links"][0], last = doc["links"][4];
  first.erase("blockage");
  last["from"] = "mec1";
  doc["links"] = nlohmann::json::array({first, last});
  doc["deliver"] = "sink";
  Fixture f;
  f.scenario = parse_scenario(doc.dump(), "chain3");
  f.model = load_model_costs(f.scenario, kData, model);
  return f;
}

}  // namespace hivemind::sim::testing
