// Route -> problem: unit conversions, speed scale, cut vs output bytes, the chain-model
// comparison on a model whose skip connection makes cut bytes exceed output bytes, and
// malformed routes.
#include "hivemind/model/route.hpp"

#include <gtest/gtest.h>

#include "hivemind/error.hpp"
#include "hivemind/model/zoo.hpp"
#include "hivemind/split/chain_costs.hpp"

namespace hivemind::model {
namespace {

const std::string kData = HIVEMIND_DATA_DIR;

// Three layers; a tensor produced by layer 1 is read again after layer 2 (a skip), so cuts 1
// and 2 carry 300 bytes although each layer outputs 100.
ModelProfile skip_model() {
  ModelProfile p;
  p.model = "skip3";
  p.input_bytes = 1000;
  p.layers = {{"a", "Conv2d", 100, 300, 0, -1},
              {"b", "Conv2d", 100, 300, 0, -1},
              {"c", "add", 100, 100, 0, -1}};
  DeviceProfile slow{"slow", "test", {{0.05, 0, 0}, {0.01, 0, 0}, {0.05, 0, 0}}};
  DeviceProfile fast{"fast", "test", {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}};
  p.devices = {slow, fast};
  return p;
}

// 0.008 Mbit/s = 8000 bit/s = 1000 bytes/s.
const char* kTwoNodes = R"({"format": "hivemind.route/v1",
  "nodes": [{"name": "ue", "device_class": "slow"}, {"name": "cloud", "device_class": "fast"}],
  "links": [{"bandwidth_mbps": 0.008, "overhead_ms": 0}]})";

TEST(Route, ProblemArithmetic) {
  const Route route = parse_route(R"({"format": "hivemind.route/v1",
    "nodes": [{"name": "ue", "device_class": "slow", "speed_scale": 2},
              {"name": "cloud", "device_class": "fast"}],
    "links": [{"bandwidth_mbps": 100, "overhead_ms": 1.5, "down_bandwidth_mbps": 50}]})");
  const split::Problem p = problem_from_route(skip_model(), route, DeviceCatalog{});
  // 100 Mbit/s = 100e6 / 8 = 12.5e6 bytes/s; 1.5 ms = 0.0015 s; the down direction keeps the
  // up overhead.
  EXPECT_DOUBLE_EQ(p.links[0].up.bandwidth_bytes_per_s, 12.5e6);
  EXPECT_DOUBLE_EQ(p.links[0].up.overhead_s, 0.0015);
  EXPECT_DOUBLE_EQ(p.links[0].down.bandwidth_bytes_per_s, 6.25e6);
  EXPECT_DOUBLE_EQ(p.links[0].down.overhead_s, 0.0015);
  // speed_scale 2 halves the UE's compute: 0.05 / 2 = 0.025 s.
  EXPECT_DOUBLE_EQ(p.nodes[0].compute_s[0], 0.025);
  EXPECT_EQ(p.nodes[0].name, "ue");
  // s_0 = input bytes; s_l = cut bytes (DAG) or output bytes (chain).
  EXPECT_EQ(p.input_bytes, 1000);
  EXPECT_EQ(p.output_bytes, (std::vector<double>{300, 300, 100}));
  const split::Problem chain =
      problem_from_route(skip_model(), route, DeviceCatalog{}, CutSizes::kChain);
  EXPECT_EQ(chain.output_bytes, (std::vector<double>{100, 100, 100}));
}

TEST(Route, ChainModelPlansWrongOnASkipConnection) {
  const Route route = parse_route(kTwoNodes);
  const split::Problem dag = problem_from_route(skip_model(), route, DeviceCatalog{});
  const split::Problem chain =
      problem_from_route(skip_model(), route, DeviceCatalog{}, CutSizes::kChain);
  // The UE runs layers 1..x, the link (1000 bytes/s) carries cut x, the cloud (free) the rest.
  //   x:                 0      1             2                    3
  //   chain model:  1000/1000  0.05+100/1000  0.06+0.1  = 0.16     0.11+0.1 = 0.21
  //                 = 1.0      = 0.15
  //   true (DAG):   1.0        0.05+0.3=0.35  0.06+0.3  = 0.36     0.11+0.1 = 0.21
  // The chain model picks x = 1 (0.15), which really costs 0.35; the optimum is x = 3 (0.21).
  const ChainComparison c = compare_chain_model(dag, chain);
  EXPECT_EQ(c.chain.boundaries, (split::Boundaries{1, 3}));
  EXPECT_NEAR(c.chain.cost, 0.15, 1e-12);
  EXPECT_NEAR(c.chain_true.total, 0.35, 1e-12);
  EXPECT_EQ(c.dag.boundaries, (split::Boundaries{3, 3}));
  EXPECT_NEAR(c.dag.cost, 0.21, 1e-12);
}

TEST(Route, ZooResNetOnTheFourRoles) {
  const ModelProfile r18 = load_model("resnet18", kData);
  const Route route = load_route(kData + "/routes/four_roles.json");
  const DeviceCatalog catalog = load_device_catalog(kData + "/devices/devices.json");
  const split::Problem p = problem_from_route(r18, route, catalog);
  ASSERT_EQ(p.node_count(), 4);
  EXPECT_EQ(p.layers, 69);
  // The UE's first layer is the derived "ue" class: max(time_scale x cpu1 time, FLOPs /
  // flops_per_s), with the catalog's own numbers (they come from public benchmarks and may be
  // revised).
  const DeviceClass* ue = catalog.find("ue");
  ASSERT_NE(ue, nullptr);
  ASSERT_EQ(ue->base, "cpu1");
  const double cpu1 = r18.device("cpu1")->layers[0].forward_s;
  EXPECT_DOUBLE_EQ(p.nodes[0].compute_s[0],
                   std::max(ue->time_scale * cpu1, r18.layers[0].flops / ue->flops_per_s));
  // The chain model never sees more bytes than the true cuts.
  const split::Problem chain = problem_from_route(r18, route, catalog, CutSizes::kChain);
  for (int l = 0; l < p.layers; ++l) EXPECT_LE(chain.output_bytes[l], p.output_bytes[l]);
  // The true cost of the chain model's plan is never below the DAG-aware optimum.
  const ChainComparison c = compare_chain_model(p, chain);
  EXPECT_GE(c.chain_true.total, c.dag.cost - 1e-12);
  EXPECT_NEAR(split::evaluate(split::compile(p), c.dag.boundaries).total, c.dag.cost, 1e-12);
}

TEST(Route, ChainModelCostsResNet18MoreOnTheMeasuredRoute) {
  // UE = 1 Xeon thread, MEC = 16 threads (speed 2), cloud = H200, 100 and 30 Mbit/s: the chain
  // model cuts inside a residual block, where the true cut carries the skip tensor too.
  const ModelProfile r18 = load_model("resnet18", kData);
  const Route route = load_route(kData + "/routes/measured_runs.json");
  const DeviceCatalog catalog = load_device_catalog(kData + "/devices/devices.json");
  const ChainComparison c =
      compare_chain_model(problem_from_route(r18, route, catalog),
                          problem_from_route(r18, route, catalog, CutSizes::kChain));
  const int cut = c.chain.boundaries[0];
  ASSERT_GT(cut, 0);
  EXPECT_GT(r18.layers[cut - 1].cut_bytes, r18.layers[cut - 1].output_bytes);
  EXPECT_GT(c.chain_true.total, 1.2 * c.dag.cost);
  EXPECT_LT(c.chain.cost, c.chain_true.total);  // the chain model underestimates its own plan
}

TEST(Route, UnknownClassNamesTheNode) {
  const Route route = parse_route(R"({"format": "hivemind.route/v1",
    "nodes": [{"device_class": "slow"}, {"device_class": "tpu"}],
    "links": [{"bandwidth_mbps": 1}]})");
  EXPECT_EQ(route.nodes[1].name, "tpu1");  // default name: class + position
  try {
    problem_from_route(skip_model(), route, DeviceCatalog{});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("nodes[1].device_class: \"tpu\" is neither in model skip3", 0),
        0u)
        << e.what();
  }
}

struct BadRoute {
  const char* find;
  const char* replace;
  const char* error;
};
class RouteMalformed : public ::testing::TestWithParam<BadRoute> {};

TEST_P(RouteMalformed, NamesFieldAndValue) {
  std::string text = kTwoNodes;
  const auto at = text.find(GetParam().find);
  ASSERT_NE(at, std::string::npos) << GetParam().find;
  text.replace(at, std::string(GetParam().find).size(), GetParam().replace);
  try {
    parse_route(text, "r.json");
    FAIL() << text;
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), std::string("r.json: ") + GetParam().error);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RouteMalformed,
    ::testing::Values(
        BadRoute{"hivemind.route/v1", "route",
                 "format: unknown format \"route\" (expected \"hivemind.route/v1\")"},
        BadRoute{"\"bandwidth_mbps\": 0.008", "\"bandwidth_mbps\": 0",
                 "links[0].bandwidth_mbps: 0 must be > 0"},
        BadRoute{"\"bandwidth_mbps\": 0.008", "\"bandwidth\": 0.008",
                 "links[0].bandwidth: unknown field"},
        BadRoute{"\"overhead_ms\": 0", "\"overhead_ms\": -1",
                 "links[0].overhead_ms: -1 is negative"},
        BadRoute{"\"overhead_ms\": 0", "\"overhead_ms\": \"1ms\"",
                 "links[0].overhead_ms: expected a number, got string \"1ms\""},
        BadRoute{"{\"bandwidth_mbps\": 0.008, \"overhead_ms\": 0}", "",
                 "links: expected 1 entries (one per adjacent node pair), got 0"},
        BadRoute{"\"device_class\": \"fast\"", "\"device_class\": \"fast\", \"speed_scale\": 0",
                 "nodes[1].speed_scale: 0 must be > 0"},
        BadRoute{"\"name\": \"cloud\"", "\"name\": \"ue\"",
                 "nodes[1].name: \"ue\" is used by an earlier node"},
        BadRoute{"{\"name\": \"cloud\", \"device_class\": \"fast\"}", "{\"name\": \"cloud\"}",
                 "nodes[1].device_class: missing field"},
        BadRoute{"\"links\"", "\"deliver\": \"moon\", \"links\"",
                 "deliver: unknown deliver mode \"moon\" (expected sink, none or source)"}));

}  // namespace
}  // namespace hivemind::model
