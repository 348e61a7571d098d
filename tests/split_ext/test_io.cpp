// The extension sections of the problem file: parsed with one-line errors naming the field.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "hivemind/error.hpp"
#include "hivemind/split/extensions.hpp"
#include "hivemind/split/problem_io.hpp"

namespace hivemind::split {
namespace {

// A 2-layer, 2-node base problem; `extra` is merged into it.
std::string file_with(const std::string& extra) {
  nlohmann::json doc = nlohmann::json::parse(R"({
    "format": "hivemind.problem/v1", "layers": 2, "input_bytes": 8, "output_bytes": [2, 1],
    "nodes": [{"name": "ue", "compute": [4, 4]}, {"name": "cloud", "compute": [1, 1]}],
    "links": [{"bandwidth": 1}]})");
  doc.update(nlohmann::json::parse(extra));
  return doc.dump();
}

ExtendedProblem parse(const std::string& extra) {
  const std::string text = file_with(extra);
  return parse_extensions(parse_problem(text, "p.json"), text, "p.json");
}

std::string error_of(const std::string& extra) {
  try {
    parse(extra);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ExtensionsIo, PlainProblemHasNoExtensions) {
  EXPECT_FALSE(parse("{}").any());
  // The shipped plain example parses identically and has no extension.
  std::ifstream in(HIVEMIND_EXAMPLES_DIR "/fig2.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  EXPECT_FALSE(parse_extensions(parse_problem(text), text).any());
}

TEST(ExtensionsIo, EverySectionParses) {
  const ExtendedProblem t = parse(R"({"parameter_bytes": [3, 3],
    "training": {"backward_compute": [[1, 2], [0.5, 0.5]], "gradient_bytes": [4],
                 "current_boundaries": [1, 2], "migration_weight": 0.5},
    "collaborative": {"push_bytes": 10},
    "constraints": {"memory_bytes": [10, null], "pinned": {"2": "cloud"}}})");
  ASSERT_TRUE(t.training);
  EXPECT_EQ((std::vector<double>{4}), t.training->gradient_bytes);
  EXPECT_EQ((Boundaries{1, 2}), t.training->current_plan);
  EXPECT_EQ(0.5, t.training->migration_weight);
  EXPECT_EQ((std::vector<double>{10, 0}), *t.omega);  // 10 bytes / 1 B/s from the UE, 0 at the sink
  EXPECT_EQ((std::vector<int>{-1, 1}), t.constraints.pinned_node);
  EXPECT_EQ((std::vector<double>{2, 1}), t.constraints.activation_bytes);  // default: outputs
  EXPECT_TRUE(std::isinf(t.constraints.memory_budget_bytes[1]));

  const ExtendedProblem r = parse(R"({"rnn": {"steps": 3, "hidden_bytes": 5}})");
  ASSERT_TRUE(r.rnn);
  EXPECT_EQ(3, r.rnn->steps);

  const ExtendedProblem m = parse(R"({"metrics": [{"name": "latency", "from_problem": true},
      {"name": "energy", "compute": [[1, 1], [2, 2]], "links": [{"per_byte": 0.5, "fixed": 1}]}],
    "objective": {"minimize": {"energy": 1}, "limits": {"latency": 9}, "linear_weights": {"latency": 2}}})");
  ASSERT_TRUE(m.multi);
  EXPECT_EQ(2u, m.multi->metrics.size());
  EXPECT_EQ(9.0, m.multi->objective.limits[0].value);
}

TEST(ExtensionsIo, ErrorsNameTheFieldAndValue) {
  EXPECT_EQ("p.json: training.backward_compute: missing field", error_of(R"({"training": {}})"));
  EXPECT_EQ("p.json: training.backward_compute[1]: expected 2 entries, got 1",
            error_of(R"({"training": {"backward_compute": [[1, 1], [1]]}})"));
  EXPECT_EQ("p.json: training.backward_compute[0][1]: -1 is negative",
            error_of(R"({"training": {"backward_compute": [[1, -1], [1, 1]]}})"));
  EXPECT_EQ(
      "p.json: training.speed: unknown field (expected one of backward_compute, gradient_bytes, "
      "current_boundaries, migration_weight)",
      error_of(R"({"training": {"backward_compute": [[1, 1], [1, 1]], "speed": 1}})"));
  EXPECT_EQ(
      "p.json: training.current_boundaries: migration needs the top-level parameter_bytes",
      error_of(
          R"({"training": {"backward_compute": [[1, 1], [1, 1]], "current_boundaries": [0, 2]}})"));
  EXPECT_EQ(
      "p.json: training.current_boundaries[1]: 1 breaks 0 <= b_0 <= ... <= b_{P-1} = L = 2",
      error_of(R"({"parameter_bytes": [1, 1], "training": {"backward_compute": [[1, 1], [1, 1]],
                         "current_boundaries": [0, 1]}})"));
  EXPECT_EQ(
      "p.json: collaborative: give exactly one of push_bytes (parameters pushed to the sink) or "
      "omega (per-node cost)",
      error_of(R"({"collaborative": {}})"));
  EXPECT_EQ("p.json: rnn.steps: 0 is out of range [1, 1000000]",
            error_of(R"({"rnn": {"steps": 0, "hidden_bytes": 1}})"));
  EXPECT_EQ(
      "p.json: rnn: cannot be combined with the training section (not supported; see "
      "docs/extensions.md)",
      error_of(
          R"({"rnn": {"steps": 2, "hidden_bytes": 1}, "training": {"backward_compute": [[1, 1], [1, 1]]}})"));
  EXPECT_EQ("p.json: objective: missing field (metrics and objective go together)",
            error_of(R"({"metrics": [{"name": "latency", "from_problem": true}]})"));
  EXPECT_EQ("p.json: objective.limits.delay: unknown metric \"delay\" (metrics: latency)",
            error_of(R"({"metrics": [{"name": "latency", "from_problem": true}],
                         "objective": {"minimize": {"latency": 1}, "limits": {"delay": 1}}})"));
  EXPECT_EQ(
      "p.json: objective.limits.latency: metric \"latency\" is both minimised and limited; give it "
      "one role",
      error_of(R"({"metrics": [{"name": "latency", "from_problem": true}],
                         "objective": {"minimize": {"latency": 1}, "limits": {"latency": 1}}})"));
  EXPECT_EQ(
      "p.json: metrics[1].name: metric \"latency\" is defined twice",
      error_of(
          R"({"metrics": [{"name": "latency", "from_problem": true}, {"name": "latency", "from_problem": true}],
                         "objective": {"minimize": {"latency": 1}}})"));
  EXPECT_EQ("p.json: metrics[0].links[0].per_byte: missing field",
            error_of(R"({"metrics": [{"name": "e", "compute": [[1, 1], [1, 1]], "links": [{}]}],
                         "objective": {"minimize": {"e": 1}}})"));
  EXPECT_EQ("p.json: constraints.pinned.3: \"3\" is not a layer number in 1..2",
            error_of(R"({"constraints": {"pinned": {"3": 0}}})"));
  EXPECT_EQ("p.json: constraints.pinned.1: unknown node \"mec\"",
            error_of(R"({"constraints": {"pinned": {"1": "mec"}}})"));
  EXPECT_EQ("p.json: constraints.memory_bytes[0]: -1 is negative",
            error_of(R"({"constraints": {"memory_bytes": [-1, 1]}})"));
}

TEST(ExtensionsSolve, InfeasibleConstraintsAreAClearError) {
  // Layer 1 pinned to the cloud, layer 2 to the UE: no ordered plan exists.
  const ExtendedProblem e = parse(R"({"constraints": {"pinned": {"1": "cloud", "2": "ue"}}})");
  for (const char* m : {"sci", "bottleneck"}) {
    try {
      solve(e, parse_method(m));
      FAIL() << m;
    } catch (const InputError& err) {
      EXPECT_NE(std::string(err.what()).find("no plan satisfies the pinned layers"),
                std::string::npos)
          << err.what();
    }
  }
  // Memory: each layer needs 3 + 2 bytes (parameters + activation) and no node has 4.
  const ExtendedProblem m =
      parse(R"({"parameter_bytes": [3, 3], "constraints": {"memory_bytes": [4, 4]}})");
  try {
    solve(m, parse_method("sci"));
    FAIL();
  } catch (const InputError& err) {
    EXPECT_STREQ("method sci: no plan satisfies the memory budgets", err.what());
  }
  EXPECT_THROW(solve(m, parse_method("nonsense")), InputError);
  EXPECT_THROW(solve(m, parse_method("exact")), InputError);  // no metrics section
}

}  // namespace
}  // namespace hivemind::split
