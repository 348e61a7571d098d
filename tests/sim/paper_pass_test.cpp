// The paper-stated pass of `hivemind reproduce` (issue 25): its inputs file
// (data/scenarios/paper-stated.json) is read and validated like every other input file, and the
// scenarios it gives run resnet18_88 on the UE in the paper's 115 ms.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/experiments/reproduce.hpp"
#include "hivemind/io.hpp"
#include "hivemind/sim/engine.hpp"
#include "sim_test_support.hpp"

namespace hivemind::sim {
namespace {

using experiments::PaperStated;
using testing::kData;

const std::string kFile = kData + "/scenarios/paper-stated.json";

nlohmann::json shipped_overlay() { return nlohmann::json::parse(read_text_file(kFile)); }

// The message parse_paper_stated refuses `doc` with ("" when it parses), the source "p.json".
std::string overlay_error(const nlohmann::json& doc) {
  try {
    experiments::parse_paper_stated(doc.dump(), "p.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(PaperPass, ShippedOverlayIsRead) {
  const PaperStated p = experiments::load_paper_stated(kFile);
  EXPECT_DOUBLE_EQ(p.ue_resnet18_s, 0.115);
  EXPECT_DOUBLE_EQ(p.sci_processing_s, 0.003);
  EXPECT_NE(p.ue_resnet18_source.find("115 ms"), std::string::npos);
  EXPECT_NE(p.sci_processing_source.find("27 ms"), std::string::npos);
}

// Every bad value: one line, InputError, naming the source, the field and the value.
TEST(PaperPass, BadValuesAreRejectedInOneLine) {
  struct Case {
    const char* field;
    nlohmann::json value;
    const char* message;
  };
  const Case cases[] = {
      {"ue_resnet18_ms", -5, "p.json: ue_resnet18_ms: -5 must be > 0"},
      {"ue_resnet18_ms", 0, "p.json: ue_resnet18_ms: 0 must be > 0"},
      {"ue_resnet18_ms", "fast", "p.json: ue_resnet18_ms"},
      {"ue_resnet18_ms", 1e9, "p.json: ue_resnet18_ms: 1000000000.0 is out of range [0, 10000]"},
      {"sci_processing_ms", -1, "p.json: sci_processing_ms: -1"},
      {"sci_processing_ms", 2e4, "p.json: sci_processing_ms: 20000.0 is out of range [0, 10000]"},
      {"format", "v2", "p.json: format: \"v2\" is not \"hivemind.paper-stated/v1\""},
      {"delta_t_ms", 50, "p.json: delta_t_ms: unknown field"},
  };
  for (const Case& c : cases) {
    nlohmann::json doc = shipped_overlay();
    doc[c.field] = c.value;
    const std::string e = overlay_error(doc);
    SCOPED_TRACE(c.field);
    EXPECT_EQ(e.rfind(c.message, 0), 0u) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  nlohmann::json missing = shipped_overlay();
  missing.erase("ue_resnet18_ms");
  EXPECT_NE(overlay_error(missing).find("ue_resnet18_ms"), std::string::npos);
  nlohmann::json no_source = shipped_overlay();
  no_source["sources"].erase("sci_processing_ms");
  EXPECT_NE(overlay_error(no_source).find("sources.sci_processing_ms"), std::string::npos);
  EXPECT_EQ(overlay_error(shipped_overlay()), "");
}

double ue_only_s(const ModelCosts& m, const Scenario& s) {
  double t = 0.0;
  for (double x : m.devices.at(s.nodes.at(static_cast<std::size_t>(s.ue_node())).device).forward_s)
    t += x;
  return t;
}

// Every scenario of the pass: resnet18_88 on the UE takes 115 ms (+-1 %), every other model on
// that UE is scaled by the same factor, the SCI processing time is the file's, nothing else moves.
TEST(PaperPass, ScalesTheUeToTheStatedResnetTime) {
  const PaperStated p = experiments::load_paper_stated(kFile);
  for (const char* name : {"mmwave-iab", "sub6", "chain5"}) {
    SCOPED_TRACE(name);
    const Scenario base = load_scenario(kData + "/scenarios/" + name + ".json");
    double factor = 0.0;
    const Scenario s =
        experiments::paper_stated_scenario(base, p, kData, "resnet18_88", {}, &factor);
    const double resnet = ue_only_s(load_model_costs(s, kData, "resnet18_88"), s);
    EXPECT_NEAR(resnet, 0.115, 0.115 * 0.01);
    EXPECT_NEAR(factor * ue_only_s(load_model_costs(base, kData, "resnet18_88"), base), 0.115,
                1e-9);
    const double vgg_before = ue_only_s(load_model_costs(base, kData, "vgg11_88"), base);
    EXPECT_NEAR(ue_only_s(load_model_costs(s, kData, "vgg11_88"), s), vgg_before * factor,
                vgg_before * factor * 1e-9);
    EXPECT_DOUBLE_EQ(s.sci_processing_s, 0.003);
    for (const auto& [cls, d] : s.devices) {
      if (cls != s.nodes.at(static_cast<std::size_t>(s.ue_node())).device) {
        EXPECT_DOUBLE_EQ(d.latency_scale, base.devices.at(cls).latency_scale) << cls;
      }
    }
  }
}

// A stated time that would put the UE's latency_scale outside the scenarios' range is refused,
// naming the field.
TEST(PaperPass, OutOfRangeScaleIsRejected) {
  PaperStated p = experiments::load_paper_stated(kFile);
  p.ue_resnet18_s = 1e-9;
  const Scenario base = load_scenario(kData + "/scenarios/mmwave-iab.json");
  try {
    experiments::paper_stated_scenario(base, p, kData, "resnet18_88");
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("ue_resnet18_ms: ", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace hivemind::sim
