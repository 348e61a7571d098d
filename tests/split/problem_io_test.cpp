// The problem file: a valid file parses, every malformed one is refused with one line that
// names the field and the value.
#include "hivemind/split/problem_io.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "hivemind/error.hpp"

namespace hivemind::split {
namespace {

const std::string kValid = R"({"format": "hivemind.problem/v1", "layers": 3, "input_bytes": 1.2,
 "output_bytes": [1.0, 4.0, 0.0],
 "nodes": [{"name": "ue", "compute": [0.5, 1.0, 4.0]},
           {"name": "mec", "compute": [0.1667, 0.3333, 1.3333]},
           {"name": "cloud", "compute": [0.05, 0.1, 0.4]}],
 "links": [{"bandwidth": 2.0, "overhead": 0.0}, {"bandwidth": 1.0, "overhead": 0.0}],
 "deliver": "sink"})";

TEST(ProblemIo, ParsesTheIssueExample) {
  const Problem p = parse_problem(kValid);
  EXPECT_EQ(p.layers, 3);
  EXPECT_EQ(p.node_count(), 3);
  EXPECT_DOUBLE_EQ(p.cut_bytes(0), 1.2);
  EXPECT_DOUBLE_EQ(p.cut_bytes(2), 4.0);
  EXPECT_EQ(p.nodes[1].name, "mec");
  // Down direction defaults to the up values.
  EXPECT_DOUBLE_EQ(p.links[0].down.bandwidth_bytes_per_s, 2.0);
  EXPECT_EQ(p.deliver, Deliver::kSink);
}

TEST(ProblemIo, RoundTrip) {
  Problem p = parse_problem(kValid);
  p.links[1].down = {5.0, 0.5};
  p.deliver = Deliver::kSource;
  const Problem q = parse_problem(to_json(p));
  EXPECT_EQ(to_json(q), to_json(p));
  EXPECT_DOUBLE_EQ(q.links[1].down.bandwidth_bytes_per_s, 5.0);
  EXPECT_EQ(q.deliver, Deliver::kSource);
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return text.replace(pos, from.size(), to);
}

struct BadCase {
  std::string from, to, expected;
};

TEST(ProblemIo, MalformedInputsNameTheFieldAndValue) {
  const BadCase cases[] = {
      {"\"format\": \"hivemind.problem/v1\"", "\"format\": \"hivemind.problem/v9\"",
       "format: unknown format \"hivemind.problem/v9\""},
      {"\"layers\": 3", "\"layers\": 0", "layers: 0 is out of range"},
      {"\"layers\": 3", "\"layers\": \"3\"", "layers: expected an integer, got string \"3\""},
      {"\"layers\": 3", "\"layers\": 2.5", "layers: expected an integer"},
      {"\"layers\": 3,", "", "layers: missing field"},
      {"\"input_bytes\": 1.2", "\"input_bytes\": -1", "input_bytes: -1 is negative"},
      {"[1.0, 4.0, 0.0]", "[1.0, 4.0]", "output_bytes: expected 3 entries, got 2"},
      {"[1.0, 4.0, 0.0]", "[1.0, null, 0.0]", "output_bytes[1]: expected a number, got null"},
      {"[0.5, 1.0, 4.0]", "[0.5, -1, 4.0]", "nodes[0].compute[1]: -1 is negative"},
      {"[0.05, 0.1, 0.4]", "[0.05, 0.1]", "nodes[2].compute: expected 3 entries, got 2"},
      {"[0.05, 0.1, 0.4]", "[0.05, 0.1, 1e999]", "not JSON"},
      {"{\"bandwidth\": 2.0, \"overhead\": 0.0}", "{\"bandwidth\": 0, \"overhead\": 0.0}",
       "links[0].bandwidth: 0 must be > 0"},
      {"{\"bandwidth\": 2.0, \"overhead\": 0.0}", "{\"bandwidth\": -2, \"overhead\": 0.0}",
       "links[0].bandwidth: -2 must be > 0"},
      {"{\"bandwidth\": 1.0, \"overhead\": 0.0}", "{\"overhead\": 0.0}",
       "links[1].bandwidth: missing field"},
      {"{\"bandwidth\": 1.0, \"overhead\": 0.0}",
       "{\"bandwidth\": 1.0, \"overhead\": 0.0, \"down_bandwidth\": 0}",
       "links[1].down_bandwidth: 0 must be > 0"},
      {", {\"bandwidth\": 1.0, \"overhead\": 0.0}", "", "links: expected 2 entries"},
      {"\"deliver\": \"sink\"", "\"deliver\": \"moon\"", "deliver: unknown deliver mode \"moon\""},
      {"\"nodes\": [", "\"nodes\": 7, \"x\": [", "nodes: expected an array, got number 7"},
  };
  for (const auto& c : cases) {
    const std::string text = replace(kValid, c.from, c.to);
    try {
      parse_problem(text, "p.json");
      ADD_FAILURE() << "accepted: " << c.to;
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(c.expected), std::string::npos) << "got: " << what;
      EXPECT_EQ(what.rfind("p.json: ", 0), 0u) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
    }
  }
}

TEST(ProblemIo, TooFewNodes) {
  const std::string one =
      R"({"format": "hivemind.problem/v1", "layers": 1, "input_bytes": 1, "output_bytes": [1],
          "nodes": [{"compute": [1]}], "links": []})";
  EXPECT_THROW(parse_problem(one), InputError);
}

TEST(ProblemIo, NotJsonAndUnreadable) {
  EXPECT_THROW(parse_problem("{\"format\": "), InputError);
  EXPECT_THROW(parse_problem(""), InputError);
  EXPECT_THROW(parse_problem("[]"), InputError);
  EXPECT_THROW(load_problem("/nonexistent/problem.json"), InputError);
}

// Random byte-level mutations of a valid file: the parser either accepts (and then the
// problem validates) or throws InputError, never anything else.
TEST(ProblemIo, MutationsNeverEscapeAsOtherErrors) {
  std::mt19937 rng(3);
  const std::string alphabet = "{}[]\",:-+.0123456789eE naultrfs";
  for (int t = 0; t < 20000; ++t) {
    std::string text = kValid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          text.erase(pos, 1 + rng() % 8);
          break;
        default:
          text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
      }
    }
    try {
      const Problem p = parse_problem(text);
      validate(p);
    } catch (const InputError&) {
    } catch (const std::exception& e) {
      FAIL() << "non-InputError " << e.what() << " on: " << text;
    }
  }
}

}  // namespace
}  // namespace hivemind::split
