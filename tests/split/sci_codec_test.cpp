// The SCI wire codec (Sec. IV-C, Fig. 4: node p sends zeta^p, Algorithm 1's output, to node
// p-1; layout in docs/formats.md): byte layout, round trips through the whole distributed solve
// on every problem of the property tests, refusal of corrupted messages, the Pareto-front
// message of `exact`, and the per-node functions' input checks (kept in Release builds).
#include "hivemind/split/sci_codec.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hivemind/error.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/paper_examples.hpp"
#include "hivemind/split/sci.hpp"
#include "random_problems.hpp"

namespace hivemind::split {
namespace {

using testing::kPropertySuites;
using testing::random_problem;
using testing::RandomSpec;
using Bytes = std::vector<std::uint8_t>;

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------------------------
// Helpers

// Runs `call`, expects an InputError whose message is one line, starts with `prefix` and
// contains `part`.
void expect_refused(const std::function<void()>& call, const std::string& prefix,
                    const std::string& part) {
  try {
    call();
    ADD_FAILURE() << "accepted; expected a refusal containing '" << part << "'";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_EQ(what.rfind(prefix, 0), 0u) << what;
    EXPECT_NE(what.find(part), std::string::npos) << "'" << what << "' lacks '" << part << "'";
  }
}

void put_u32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) b[at + k] = static_cast<std::uint8_t>(v >> (8 * k));
}
void put_f32(Bytes& b, std::size_t at, float v) { put_u32(b, at, std::bit_cast<std::uint32_t>(v)); }

// The distributed solve through the codec: node p runs sci_node on the message it decoded from
// node p+1, encodes its own zeta for node p-1; then the decisions run downstream (Sec. IV-C3).
struct WireSolve {
  Boundaries boundaries;
  bool exact_in_float = true;  // every value survived float32 unchanged
  std::size_t bytes = 0;       // bytes sent, all messages
};

WireSolve solve_over_the_wire(const ChainCosts& costs, std::uint64_t arch) {
  const int P = costs.node_count(), L = costs.layers;
  std::vector<SciNodeOutput> node(P);
  SciMessage received;  // at node p: the message of node p+1
  Bytes wire;
  WireSolve result;
  for (int p = P - 1; p >= 0; --p) {
    SciNodeInput in;
    in.compute = costs.compute[p];
    if (p > 0) in.incoming = costs.transfer[p - 1];
    in.finish = costs.finish[p];
    if (p + 1 < P) in.downstream_zeta = received.zeta;
    sci_node(in, node[p]);
    if (p == 0) break;  // the source sends no message
    encode_sci({arch, /*epoch=*/7, /*sender=*/static_cast<std::uint32_t>(p)}, node[p].zeta, wire);
    EXPECT_EQ(wire.size(), sci_message_bytes(L));
    result.bytes += wire.size();
    decode_sci(wire, {L, arch, static_cast<std::uint32_t>(p)}, received);  // at node p-1
    EXPECT_EQ(received.header.epoch, 7u);
    for (std::size_t i = 0; i < received.zeta.size(); ++i) {
      const double sent = node[p].zeta[i];
      EXPECT_EQ(received.zeta[i], static_cast<double>(static_cast<float>(sent)));
      result.exact_in_float &= received.zeta[i] == sent;
    }
  }
  int x = 0;
  for (int p = 0; p < P; ++p) result.boundaries.push_back(x = sci_decide(node[p], x));
  return result;
}

// Every problem the property tests generate (the same suites, seeds and order), handed to
// `check` with a label.
void for_each_property_problem(
    const std::function<void(const Problem&, const std::string&)>& check) {
  for (const auto& suite : kPropertySuites) {
    std::mt19937_64 rng(suite.seed);
    for (int t = 0; t < suite.trials; ++t)
      check(suite.draw(rng, t), std::string(suite.name) + " " + std::to_string(t));
  }
}

// A real message: zeta of node 1 of a random 3-node chain with L = 52.
struct Sample {
  ChainCosts costs;
  std::uint64_t arch = 0;
  Bytes bytes;
  MessageExpectation expected;
};

Sample sample_message() {
  std::mt19937_64 rng(52);
  RandomSpec spec;
  spec.min_layers = spec.max_layers = 52;
  spec.min_nodes = spec.max_nodes = 3;
  const Problem problem = random_problem(rng, spec);
  Sample s;
  s.costs = compile(problem);
  s.arch = architecture_hash(problem);
  SciChainSolver solver;
  Boundaries b;
  solver.solve(s.costs, b);
  s.bytes = encode_sci({s.arch, 1, 1}, solver.nodes()[1].zeta);
  s.expected = {52, s.arch, 1u};
  return s;
}

// ---------------------------------------------------------------------------------------------
// Layout and sizes

TEST(SciCodec, HeaderAndValuesByteByByte) {
  const std::vector<double> zeta = {0.0, 1.0, 0.5, kInf};  // L = 2
  const Bytes b = encode_sci({0x1122334455667788ULL, 0x0102030405060708ULL, 3}, zeta);
  const Bytes expected = {
      'H',  'M',  'S',  'C',                           // magic
      0x01, 0x00,                                      // format version 1
      0x01, 0x00,                                      // 1 value per split point set
      0x02, 0x00, 0x00, 0x00,                          // L = 2
      0x03, 0x00, 0x00, 0x00,                          // sender: node 3
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // architecture hash
      0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // epoch
      0x00, 0x00, 0x00, 0x00,                          // zeta_0 = 0
      0x00, 0x00, 0x80, 0x3f,                          // zeta_1 = 1
      0x00, 0x00, 0x00, 0x3f,                          // zeta_2 = 0.5
      0x00, 0x00, 0x80, 0x7f,                          // zeta_3 = +inf
  };
  EXPECT_EQ(b, expected);
  const SciMessage m = decode_sci(b, {2, 0x1122334455667788ULL, 3u});
  EXPECT_EQ(m.zeta, zeta);
  EXPECT_EQ(m.header.epoch, 0x0102030405060708ULL);
  EXPECT_EQ(m.header.sender, 3u);
}

TEST(SciCodec, MessageSizes) {
  EXPECT_EQ(kSciHeaderBytes, 32u);
  EXPECT_EQ(sci_message_bytes(52), 248u);    // 32 + 4 * 54
  EXPECT_EQ(sci_message_bytes(515), 2100u);  // 32 + 4 * 517: under the paper's 4 KB
  EXPECT_LE(sci_message_bytes(515), 4096u);
  EXPECT_EQ(pareto_message_bytes(52, 2, 100), 248u + 800u);
}

// ---------------------------------------------------------------------------------------------
// Round trips through the distributed solve

// Every problem of the property tests: the plan decided from float32 messages costs what the
// in-process double solve costs, within float32 rounding. Bound: each hop rounds every zeta by
// a relative 2^-24 and all costs are >= 0, so the costs node 0 sees lie within (1 +- 2^-24)^(P-1)
// of the true ones, and the plan decided costs at most ((1 + u) / (1 - u))^(P-1) ~ 1 +
// (P-1) FLT_EPSILON times the optimum; one more FLT_EPSILON absorbs second-order terms and the
// double rounding. Boundaries may differ (a tie-break, docs/formats.md), costs may not.
TEST(SciCodec, DistributedSolveCostsTheSameWithinFloatRounding) {
  int problems = 0, plans_changed = 0, exact = 0;
  for_each_property_problem([&](const Problem& problem, const std::string& label) {
    const ChainCosts costs = compile(problem);
    SciChainSolver solver;
    Boundaries in_process;
    const double cost = solver.solve(costs, in_process);
    const WireSolve wire = solve_over_the_wire(costs, architecture_hash(problem));
    ASSERT_TRUE(is_valid_plan(costs, wire.boundaries)) << label;
    const double wire_cost = evaluate(costs, wire.boundaries).total;
    const int P = costs.node_count();
    const double tolerance = P * static_cast<double>(FLT_EPSILON) * cost + 1e-12;
    ASSERT_LE(std::fabs(wire_cost - cost), tolerance)
        << label << ": L = " << problem.layers << ", P = " << P << ", in-process " << cost << " "
        << ::testing::PrintToString(in_process) << ", over the wire " << wire_cost << " "
        << ::testing::PrintToString(wire.boundaries);
    EXPECT_EQ(wire.bytes, static_cast<std::size_t>(P - 1) * sci_message_bytes(problem.layers));
    // When float32 changed no value, every node computed exactly what it computes in process:
    // the very same plan, tie-break included.
    if (wire.exact_in_float) {
      ASSERT_EQ(wire.boundaries, in_process) << label;
      ++exact;
    }
    plans_changed += wire.boundaries != in_process;
    ++problems;
  });
  EXPECT_EQ(problems, 8700);
  EXPECT_GT(exact, 1000);  // the dyadic families mostly survive float32 exactly
  std::printf(
      "%d problems over the wire: %d exact in float32, %d decided another plan of the "
      "same cost (within float32 rounding)\n",
      problems, exact, plans_changed);
}

// +inf crosses the wire: a layer forbidden on the cloud (compute +inf) makes the cloud's zeta
// infinite wherever it would have to run it, and the plan still matches.
TEST(SciCodec, InfiniteCostsCrossTheWire) {
  ChainCosts costs = compile(paper_fig2_problem(0.5));
  costs.compute[2][2] = kInf;  // the cloud cannot run layer 3
  SciChainSolver solver;
  Boundaries in_process;
  const double cost = solver.solve(costs, in_process);
  bool any_inf = false;
  for (double z : solver.nodes()[2].zeta) any_inf |= std::isinf(z);
  EXPECT_TRUE(any_inf);
  const WireSolve wire = solve_over_the_wire(costs, 42);
  EXPECT_NEAR(evaluate(costs, wire.boundaries).total, cost, 3 * FLT_EPSILON * cost);
}

// Reusing the buffers: encode_sci / decode_sci into existing storage give the same result.
TEST(SciCodec, BufferReuseGivesTheSameBytes) {
  const Sample s = sample_message();
  SciMessage m;
  decode_sci(s.bytes, s.expected, m);
  Bytes again(3, 0xff);
  encode_sci(m.header, m.zeta, again);
  EXPECT_EQ(again, s.bytes);  // float -> double -> float is exact
  decode_sci(again, s.expected, m);
  EXPECT_EQ(encode_sci(m.header, m.zeta), s.bytes);
}

// ---------------------------------------------------------------------------------------------
// Corrupted messages, each refused with one line

TEST(SciCodec, RefusesEveryTruncation) {
  const Sample s = sample_message();
  ASSERT_EQ(s.bytes.size(), 248u);
  for (std::size_t n = 0; n < s.bytes.size(); ++n) {
    const Bytes cut(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(n));
    expect_refused([&] { decode_sci(cut, s.expected); }, "SCI message: ",
                   n < 32 ? std::to_string(n) + " bytes, shorter than the 32-byte header"
                          : std::to_string(n) + " bytes, L = 52 needs exactly 248");
  }
}

TEST(SciCodec, RefusesTrailingBytes) {
  const Sample s = sample_message();
  for (int extra : {1, 4, 1000}) {
    Bytes longer = s.bytes;
    longer.resize(longer.size() + extra, 0);
    expect_refused([&] { decode_sci(longer, s.expected); }, "SCI message: ",
                   std::to_string(248 + extra) + " bytes, L = 52 needs exactly 248");
  }
}

TEST(SciCodec, RefusesBadHeaders) {
  const Sample s = sample_message();
  auto refused = [&](std::size_t at, std::uint8_t value, const std::string& part) {
    Bytes b = s.bytes;
    b[at] = value;
    expect_refused([&] { decode_sci(b, s.expected); }, "SCI message: ", part);
  };
  refused(0, 'X', "starts with 58 4d 53 43, not \"HMSC\" (not a HiveMind message)");
  refused(3, 'F', "(not a HiveMind message)");
  refused(4, 2, "format version 2, this build reads version 1");
  refused(5, 1, "format version 257");
  refused(6, 2, "2 values per label, expected 1");
  {
    Bytes b = s.bytes;
    put_u32(b, 8, 0);
    expect_refused([&] { decode_sci(b, s.expected); },
                   "SCI message: ", "L = 0 is outside 1..1000000");
    put_u32(b, 8, 0xffffffffu);
    expect_refused([&] { decode_sci(b, s.expected); },
                   "SCI message: ", "L = 4294967295 is outside 1..1000000");
    put_u32(b, 8, 53);  // a wrong L that also disagrees with the length: the L is named first
    expect_refused([&] { decode_sci(b, s.expected); },
                   "SCI message: ", "L = 53, this node plans L = 52");
  }
  refused(16, s.bytes[16] ^ 1, "planned for a different model (architecture hash 0x");
  refused(12, 2, "from node 2, this node expects node 1");
  // A Pareto-front message is not an SCI message.
  ParetoMessage pareto{{s.arch, 1, 1}, 2, std::vector<std::vector<std::vector<double>>>(54)};
  const Bytes pb = encode_pareto(pareto);
  expect_refused([&] { decode_sci(pb, s.expected); },
                 "SCI message: ", "not \"HMSC\" (a Pareto-front message)");
}

TEST(SciCodec, RefusesAMessageOfAnotherLayerCount) {
  const std::vector<double> zeta(55, 1.0);  // L = 53, well formed
  const Bytes b = encode_sci({9, 0, 1}, zeta);
  expect_refused(
      [&] {
        decode_sci(b, {52, 9, 1u});
      },
      "SCI message: ", "L = 53, this node plans L = 52");
  EXPECT_EQ(decode_sci(b, {53, 9, std::nullopt}).zeta, zeta);  // any sender when none is set
}

TEST(SciCodec, RefusesValuesThatAreNotCosts) {
  const Sample s = sample_message();
  auto refused = [&](std::size_t index, float value, const std::string& part) {
    Bytes b = s.bytes;
    put_f32(b, 32 + 4 * index, value);
    expect_refused([&] { decode_sci(b, s.expected); }, "SCI message: ", part);
  };
  refused(5, std::numeric_limits<float>::quiet_NaN(), "zeta[5] = nan is not a cost");
  refused(0, -std::numeric_limits<float>::quiet_NaN(), "zeta[0] = -nan is not a cost");
  refused(7, -1.5f, "zeta[7] = -1.5 is not a cost (must be >= 0 or +inf)");
  refused(53, -std::numeric_limits<float>::infinity(), "zeta[53] = -inf is not a cost");
  refused(9, -FLT_TRUE_MIN, "zeta[9] = -1.40129846e-45 is not a cost");
  // +inf ("no finite plan from here") and -0 (= 0) are costs.
  Bytes b = s.bytes;
  put_f32(b, 32 + 4 * 3, std::numeric_limits<float>::infinity());
  put_f32(b, 32 + 4 * 4, -0.0f);
  const SciMessage m = decode_sci(b, s.expected);
  EXPECT_TRUE(std::isinf(m.zeta[3]));
  EXPECT_EQ(m.zeta[4], 0.0);
}

TEST(SciCodec, EncoderRefusesWhatTheDecoderWouldRefuse) {
  expect_refused(
      [] {
        encode_sci({}, std::vector<double>{1, std::nan(""), 2});
      },
      "encode_sci: ", "zeta[1] = nan is not a cost (must be >= 0 or +inf)");
  expect_refused(
      [] {
        encode_sci({}, std::vector<double>{1, 2, -1e-300});
      },
      "encode_sci: ", "zeta[2] = -1e-300 is not a cost");
  expect_refused(
      [] {
        encode_sci({}, std::vector<double>{1, 1e39, 2});
      },
      "encode_sci: ", "zeta[1] = 9.9999999999999994e+38 is above the float32 range");
  expect_refused(
      [] {
        encode_sci({}, std::vector<double>{1, 2});
      },
      "encode_sci: ", "2 split point sets, expected L + 2 with L in 1..1000000");
  // The largest float32 and +inf pass.
  const std::vector<double> edge = {FLT_MAX, kInf, 0};
  EXPECT_EQ(decode_sci(encode_sci({}, edge), {1, 0, std::nullopt}).zeta, edge);
}

// ---------------------------------------------------------------------------------------------
// Architecture hash

TEST(ArchitectureHash, PinnedValueAndWhatItCovers) {
  const std::vector<double> cuts = {1.2, 1, 4, 0};
  const std::vector<double> params = {10, 20, 30};
  const std::vector<std::string> names = {"conv1", "relu", "fc"};
  const std::uint64_t h = architecture_hash(3, cuts, params, names);
  // Pinned: another implementation of docs/formats.md must give this value.
  EXPECT_EQ(h, 0x29e95988d77c464cULL) << std::hex << h;
  EXPECT_EQ(architecture_hash(3, cuts, params, names), h);  // deterministic
  auto changed = [&](auto c, auto p, auto n) { return architecture_hash(3, c, p, n) != h; };
  std::vector<double> c2 = cuts;
  c2[2] = 4.000000001;
  EXPECT_TRUE(changed(c2, params, names));
  std::vector<double> p2 = params;
  p2[0] = 11;
  EXPECT_TRUE(changed(cuts, p2, names));
  std::vector<std::string> n2 = names;
  n2[1] = "gelu";
  EXPECT_TRUE(changed(cuts, params, n2));
  EXPECT_TRUE(changed(cuts, std::vector<double>{}, names));        // no params != params
  EXPECT_TRUE(changed(cuts, params, std::vector<std::string>{}));  // no names != names
  EXPECT_NE(architecture_hash(3, cuts), architecture_hash(3, cuts, std::vector<double>(3, 0.0)));
  std::vector<double> negzero = cuts;
  negzero[3] = -0.0;
  EXPECT_FALSE(changed(negzero, params, names));  // -0 bytes hash as 0
  // Names: "ab","c" and "a","bc" differ (each name carries its length).
  EXPECT_NE(
      architecture_hash(2, std::vector<double>(3, 1.0), {}, std::vector<std::string>{"ab", "c"}),
      architecture_hash(2, std::vector<double>(3, 1.0), {}, std::vector<std::string>{"a", "bc"}));
}

TEST(ArchitectureHash, IgnoresLatenciesAndLinks) {
  Problem a = paper_fig2_problem(1.0), b = paper_fig2_problem(0.1);
  b.nodes[0].compute_s[0] *= 3;  // another UE
  EXPECT_EQ(architecture_hash(a), architecture_hash(b));
  b.output_bytes[1] += 1;  // another model
  EXPECT_NE(architecture_hash(a), architecture_hash(b));
}

TEST(ArchitectureHash, RefusesWrongSizes) {
  const std::vector<double> cuts = {1, 2, 3};
  expect_refused([&] { architecture_hash(3, cuts); },
                 "architecture_hash: ", "3 cut sizes for L = 3, expected L + 1 (s_0..s_L)");
  expect_refused([&] { architecture_hash(2, cuts, std::vector<double>{1}); },
                 "architecture_hash: ", "1 parameter sizes for L = 2, expected L or none");
  expect_refused([&] { architecture_hash(2, cuts, {}, std::vector<std::string>{"x"}); },
                 "architecture_hash: ", "1 layer names for L = 2, expected L or none");
  expect_refused([&] { architecture_hash(0, std::vector<double>{1}); },
                 "architecture_hash: ", "L = 0, a model has at least one layer");
}

// ---------------------------------------------------------------------------------------------
// Pareto-front message of `exact`

ParetoMessage sample_pareto() {
  ParetoMessage m;
  m.header = {0xabcdef, 12, 2};
  m.values_per_label = 3;  // best effort + 2 limits
  m.fronts = {
      {{1, 2, 3}, {1.5, 1, 2.5}},  // i = 0
      {{1, 2, 3}, {1.5, 1, 2.5}},  // i = 1
      {},                          // i = 2: no plan meets the limits from here
      {{0.1, 0.2, 0.3}},           // i = 3 (0.1 is rounded to float32)
      {{0, 0, 0}},                 // i = 4 = L + 1: nothing left
  };
  return m;
}

TEST(ParetoCodec, RoundTripAndLayout) {
  const ParetoMessage m = sample_pareto();
  const Bytes b = encode_pareto(m);
  ASSERT_EQ(b.size(), pareto_message_bytes(3, 3, 6));
  EXPECT_EQ(b.size(), 32u + 4 * 5 + 4 * 3 * 6);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "HMPF");
  EXPECT_EQ(b[6], 3);   // values per label
  EXPECT_EQ(b[8], 3);   // L
  EXPECT_EQ(b[32], 2);  // front 0: 2 labels
  const ParetoMessage d = decode_pareto(b, {3, 0xabcdef, 2u}, 3);
  EXPECT_EQ(d.header.epoch, 12u);
  ASSERT_EQ(d.fronts.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    ASSERT_EQ(d.fronts[i].size(), m.fronts[i].size()) << i;
    for (std::size_t k = 0; k < m.fronts[i].size(); ++k)
      for (int v = 0; v < 3; ++v)
        EXPECT_EQ(d.fronts[i][k][v], static_cast<double>(static_cast<float>(m.fronts[i][k][v])));
  }
  EXPECT_EQ(encode_pareto(d), b);
}

TEST(ParetoCodec, RefusesCorruptedMessages) {
  const ParetoMessage m = sample_pareto();
  const Bytes good = encode_pareto(m);
  const MessageExpectation expected{3, 0xabcdef, 2u};
  for (std::size_t n = 0; n < good.size(); ++n) {
    const Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    expect_refused([&] { decode_pareto(cut, expected, 3); },
                   "Pareto message: ", n < 32 ? "shorter than the 32-byte header" : "bytes");
  }
  auto refused = [&](const Bytes& b, const std::string& part, int D = 3) {
    expect_refused([&] { decode_pareto(b, expected, D); }, "Pareto message: ", part);
  };
  Bytes b = good;
  b.push_back(0);
  refused(b, "1 bytes after the last front (the fronts end at byte 124)");
  b = good;
  put_u32(b, 32, 0xffffffffu);
  refused(b, "front 0 claims 4294967295 labels (51539607540 bytes), only");
  refused(good, "3 values per label, expected 2", 2);
  b = good;
  put_f32(b, 32 + 4 + 4, std::numeric_limits<float>::quiet_NaN());  // front 0, label 0, value 1
  refused(b, "front 0, label 0, value 1 = nan is not a finite cost (must be >= 0)");
  put_f32(b, 32 + 4 + 4, std::numeric_limits<float>::infinity());
  refused(b, "front 0, label 0, value 1 = inf is not a finite cost");
  put_f32(b, 32 + 4 + 4, -2.0f);
  refused(b, "front 0, label 0, value 1 = -2 is not a finite cost");
  b = good;
  b[2] = 'S';
  b[3] = 'C';
  refused(b, "not \"HMPF\" (an SCI message)");
  expect_refused(
      [&] {
        decode_pareto(good, {3, 0xabcdee, 2u}, 3);
      },
      "Pareto message: ", "planned for a different model");
  expect_refused(
      [&] {
        decode_pareto(good, {4, 0xabcdef, 2u}, 3);
      },
      "Pareto message: ", "L = 3, this node plans L = 4");
  expect_refused([&] { decode_pareto(good, expected, 6); },
                 "decode_pareto: ", "6 values per label asked for, expected 1..5");
}

TEST(ParetoCodec, EncoderRefusesMalformedFronts) {
  ParetoMessage m = sample_pareto();
  m.fronts[1][1] = {1, 2};
  expect_refused([&] { encode_pareto(m); },
                 "encode_pareto: ", "front 1, label 1 has 2 values, expected 3");
  m = sample_pareto();
  m.fronts[3][0][2] = kInf;
  expect_refused([&] { encode_pareto(m); },
                 "encode_pareto: ", "front 3, label 0, value 2 = inf is not a finite float32 cost");
  m = sample_pareto();
  m.values_per_label = 0;
  expect_refused([&] { encode_pareto(m); }, "encode_pareto: ", "0 values per label");
}

// ---------------------------------------------------------------------------------------------
// The per-node functions check their input in every build type (these run in Release too)

TEST(SciNodeChecks, RefusesWrongSizes) {
  const std::vector<double> tau = {1, 2, 3}, in4 = {1, 1, 1, 1}, in3 = {1, 1, 1};
  const std::vector<double> down5 = {1, 1, 1, 1, 0}, down4 = {1, 1, 1, 0};
  SciNodeOutput out;
  for (auto node : {&sci_node, &algorithm1_node}) {
    const std::string who = node == &sci_node ? "sci_node: " : "algorithm1_node: ";
    expect_refused(
        [&] {
          node({tau, in3, 0.0, down5}, out);
        },
        who, "incoming has 3 values, expected L + 1 = 4");
    expect_refused(
        [&] {
          node({tau, in4, 0.0, down4}, out);
        },
        who, "downstream_zeta has 4 values, expected L + 2 = 5");
    expect_refused(
        [&] {
          node({tau, {}, 0.0, std::vector<double>(3, 0.0)}, out);
        },
        who, "downstream_zeta has 3 values");
    EXPECT_NO_THROW(node({tau, in4, 0.0, down5}, out));
  }
}

TEST(SciNodeChecks, RefusesValuesThatAreNotCosts) {
  const std::vector<double> tau = {1, 2, 3}, in = {1, 1, 1, 1}, down = {1, 1, 1, 1, 0};
  const double nan = std::nan("");
  SciNodeOutput out;
  for (auto node : {&sci_node, &algorithm1_node}) {
    const std::string who = node == &sci_node ? "sci_node: " : "algorithm1_node: ";
    expect_refused(
        [&] {
          node({std::vector<double>{1, nan, 3}, in, 0.0, down}, out);
        },
        who, "compute[1] = nan is not a cost (must be >= 0 or +inf)");
    expect_refused(
        [&] {
          node({tau, std::vector<double>{1, 1, 1, -1}, 0.0, down}, out);
        },
        who, "incoming[3] = -1 is not a cost");
    expect_refused([&] { node({tau, in, -0.5, down}, out); }, who, "finish = -0.5 is not a cost");
    expect_refused(
        [&] {
          node({tau, in, 0.0, std::vector<double>{nan, 1, 1, 1, 0}}, out);
        },
        who, "downstream_zeta[0] = nan is not a cost");
    expect_refused(
        [&] {
          node({tau, in, 0.0, std::vector<double>{1, 1, 1, 1, -kInf}}, out);
        },
        who, "downstream_zeta[4] = -inf is not a cost");
    // +inf is a cost: a forbidden layer, an impossible transfer, no finite plan downstream.
    EXPECT_NO_THROW(node({std::vector<double>{1, kInf, 3}, std::vector<double>{1, kInf, 1, 1}, kInf,
                          std::vector<double>{kInf, 1, kInf, 1, 0}},
                         out));
  }
}

TEST(SciNodeChecks, DecisionRefusesAnUpstreamStopOutOfRange) {
  SciNodeOutput out;
  expect_refused([&] { sci_decide(out, 0); }, "sci_decide: ",
                 "upstream stop 0 on a node without a split table (run sci_node first)");
  sci_node({std::vector<double>{1, 2, 3}, {}, 0.0, std::vector<double>{1, 1, 1, 1, 0}}, out);
  EXPECT_NO_THROW(sci_decide(out, 3));
  expect_refused([&] { sci_decide(out, 4); },
                 "sci_decide: ", "upstream stop 4 is outside 0..3 (L = 3)");
  expect_refused([&] { sci_decide(out, -1); }, "sci_decide: ", "upstream stop -1 is outside");
}

}  // namespace
}  // namespace hivemind::split
