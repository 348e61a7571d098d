// Plan shapes (issue 25): on how many nodes a method's plans compute and how many layers each
// node role gets, from the records' route and boundaries; and that `hivemind simulate` and
// `hivemind reproduce`'s summary.md print them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "hivemind/io.hpp"
#include "hivemind/sim/report.hpp"

namespace hivemind::sim {
namespace {

// Nodes 0 ue, 1 iab (gNB), 2 iab2 (gNB), 3 core (MEC), 4 cloud; only the roles matter.
Scenario five_nodes() {
  Scenario s;
  const std::pair<const char*, NodeRole> nodes[] = {{"ue", NodeRole::kUe},
                                                    {"iab", NodeRole::kGnb},
                                                    {"iab2", NodeRole::kGnb},
                                                    {"core", NodeRole::kMec},
                                                    {"cloud", NodeRole::kCloud}};
  for (const auto& [name, role] : nodes) {
    ScenarioNode n;
    n.name = name;
    n.role = role;
    s.nodes.push_back(n);
  }
  return s;
}

TaskRecord record(int method, std::vector<int> route, std::vector<int> boundaries) {
  TaskRecord r;
  r.method = method;
  r.route = std::move(route);
  r.boundaries = std::move(boundaries);
  if (r.boundaries.empty()) r.latency_s = INFINITY;
  return r;
}

// A 60-layer model; node p of the route runs layers b_{p-1}+1 .. b_p (b_{-1} = 0).
std::vector<TaskRecord> hand_made() {
  return {
      // UE only: 60 layers on the UE, the other three nodes run none -> 1 node.
      record(0, {0, 1, 3, 4}, {60, 60, 60, 60}),
      // [0, 28, 60] on ue > iab > cloud: iab 28, cloud 32 -> 2 nodes (the UE runs none).
      record(0, {0, 1, 4}, {0, 28, 60}),
      // ue 10, iab2 relays (0), iab 20, core 30, cloud 0 -> 3 nodes; gNB role 0 + 20.
      record(0, {0, 2, 1, 3, 4}, {10, 10, 30, 60, 60}),
      // The SCI update timed out: a route, no plan.
      record(0, {0, 1, 3, 4}, {}),
      // Another method's record: not counted.
      record(1, {0, 1, 3, 4}, {0, 0, 0, 60}),
      // Everything on the first IAB MEC; core and cloud relay nothing back -> 1 node.
      record(0, {0, 1, 3, 4}, {0, 60, 60, 60}),
  };
}

TEST(PlanShape, CountsComputingNodesAndLayersByRole) {
  const PlanShape s = plan_shape(hand_made(), /*method=*/0, five_nodes());
  // Method 0: 5 records, 1 without a plan -> 4 planned.
  EXPECT_EQ(s.tasks, 5);
  EXPECT_EQ(s.no_plan, 1);
  EXPECT_EQ(s.planned(), 4);
  // On 1 node: the UE-only and the IAB-only plans; on 2: [0, 28, 60]; on 3+: the 5-node one.
  EXPECT_EQ(s.on_nodes[0], 2);
  EXPECT_EQ(s.on_nodes[1], 1);
  EXPECT_EQ(s.on_nodes[2], 1);
  EXPECT_DOUBLE_EQ(s.share_on(1), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(s.share_on(2), 1.0 / 4.0);
  EXPECT_DOUBLE_EQ(s.share_on(3), 1.0 / 4.0);
  // Layers per role over the 4 planned tasks:
  //   UE    60 + 0  + 10      + 0  =  70 -> 17.5
  //   gNB   0  + 28 + (0 + 20) + 60 = 108 -> 27
  //   MEC   0  + 0  + 30      + 0  =  30 -> 7.5
  //   cloud 0  + 32 + 0       + 0  =  32 -> 8
  // and 17.5 + 27 + 7.5 + 8 = 60, the model's layers.
  EXPECT_DOUBLE_EQ(s.mean_layers(NodeRole::kUe), 17.5);
  EXPECT_DOUBLE_EQ(s.mean_layers(NodeRole::kGnb), 27.0);
  EXPECT_DOUBLE_EQ(s.mean_layers(NodeRole::kMec), 7.5);
  EXPECT_DOUBLE_EQ(s.mean_layers(NodeRole::kCloud), 8.0);
  // Shown to fail: counting a node with 0 layers as computing (n >= 0) put every plan on 3+
  // nodes (on_nodes {0, 0, 4}); dividing by tasks instead of planned() gave UE 14, gNB 21.6.
}

TEST(PlanShape, AddsUpOverRuns) {
  const auto all = hand_made();
  const std::vector<TaskRecord> a(all.begin(), all.begin() + 3), b(all.begin() + 3, all.end());
  PlanShape sum = plan_shape(a, 0, five_nodes());
  sum += plan_shape(b, 0, five_nodes());
  const PlanShape whole = plan_shape(all, 0, five_nodes());
  EXPECT_EQ(sum.tasks, whole.tasks);
  EXPECT_EQ(sum.no_plan, whole.no_plan);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(sum.on_nodes[k], whole.on_nodes[k]);
  for (int r = 0; r < PlanShape::kRoles; ++r) EXPECT_EQ(sum.layers[r], whole.layers[r]);
  // Shown to fail: with += leaving the layer sums out.
}

TEST(PlanShape, NothingPlannedGivesNan) {
  const PlanShape s = plan_shape({record(0, {0, 1}, {})}, 0, five_nodes());
  EXPECT_EQ(s.tasks, 1);
  EXPECT_EQ(s.no_plan, 1);
  EXPECT_TRUE(std::isnan(s.share_on(1)));
  EXPECT_TRUE(std::isnan(s.mean_layers(NodeRole::kUe)));
  EXPECT_EQ(plan_shape({}, 0, five_nodes()).tasks, 0);
  // Shown to fail: with share_on returning 0 when nothing was planned.
}

TEST(PlanShape, RecordsWithoutPlansKeptAreRefused) {
  // keep_plans off: no route. A plan not one boundary per route node: broken records.
  EXPECT_THROW(plan_shape({record(0, {}, {})}, 0, five_nodes()), std::logic_error);
  EXPECT_THROW(plan_shape({record(0, {0, 1}, {60})}, 0, five_nodes()), std::logic_error);
  EXPECT_THROW(plan_shape({record(0, {0, 9}, {0, 60})}, 0, five_nodes()), std::logic_error);
  // Shown to fail: with the empty-route check removed (the record counted as "no plan").
}

// stdout of a CLI command (stderr dropped).
std::string output_of(const std::string& args) {
  const std::string cmd = std::string(HIVEMIND_TEST_CLI) + " " + args + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  EXPECT_EQ(::pclose(p), 0) << cmd;
  return out;
}

// The numbers after the 22-character method column of the line starting with `label` in the
// block after `heading`; empty when there is none.
std::vector<double> row_after(const std::string& text, const std::string& heading,
                              const std::string& label) {
  const auto at = text.find(heading);
  if (at == std::string::npos) return {};
  std::istringstream in(text.substr(at));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(label + " ", 0) != 0 || line.size() < 22) continue;
    std::istringstream nums(line.substr(22));
    std::vector<double> v;
    for (double x; nums >> x;) v.push_back(x);
    return v;
  }
  return {};
}

TEST(PlanShape, SimulatePrintsTheShapes) {
  const std::string out = output_of("simulate mmwave-iab --duration 2");
  ASSERT_NE(out.find("plan shapes"), std::string::npos) << out;
  // Columns: % on 1, 2, 3+ nodes, tasks with no plan, mean layers on UE, gNB, MEC, cloud nodes.
  // UE only and cloud only compute on one node, all 60 layers of resnet18_88 there.
  const std::vector<double> ue = row_after(out, "plan shapes", "UE only");
  const std::vector<double> expect_ue = {100, 0, 0, 0, 60, 0, 0, 0};
  EXPECT_EQ(ue, expect_ue) << out;
  const std::vector<double> cloud = row_after(out, "plan shapes", "Cloud only");
  const std::vector<double> expect_cloud = {100, 0, 0, 0, 0, 0, 0, 60};
  EXPECT_EQ(cloud, expect_cloud) << out;
  // HiveMind's shares add up to 100 % and its layers to 60.
  const std::vector<double> h = row_after(out, "plan shapes", "HiveMind");
  ASSERT_EQ(h.size(), 8u) << out;
  EXPECT_NEAR(h[0] + h[1] + h[2], 100.0, 0.2);
  EXPECT_NEAR(h[4] + h[5] + h[6] + h[7], 60.0, 0.3);
  // Shown to fail: with the block under another heading ("plan shape"), and with the UE and
  // cloud columns swapped (UE only read {100, 0, 0, 0, 0, 0, 0, 60}).
}

TEST(PlanShape, SummaryHasAPlanShapesTable) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hm_shapes_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  output_of("reproduce --quick --quiet --no-plots --only fig15 --out " + dir.string());
  const std::string md = read_text_file((dir / "summary.md").string());
  std::filesystem::remove_all(dir);
  const auto at = md.find("\n## Plan shapes\n");
  ASSERT_NE(at, std::string::npos) << md;
  // Fig. 15's one method: a row "| fig15.csv | resnet18_88 | HiveMind | tasks | 1 | 2 | 3+ |
  // no plan | UE | gNB | MEC | cloud |" whose shares add up to 100 % and layers to 60.
  const auto row = md.find("| fig15.csv | resnet18_88 | HiveMind |", at);
  ASSERT_NE(row, std::string::npos) << md.substr(at);
  std::istringstream cells(md.substr(row, md.find('\n', row) - row));
  std::vector<std::string> c;
  for (std::string cell; std::getline(cells, cell, '|');) c.push_back(cell);
  ASSERT_GE(c.size(), 13u);
  const double shares = std::stod(c[5]) + std::stod(c[6]) + std::stod(c[7]);
  const double layers = std::stod(c[9]) + std::stod(c[10]) + std::stod(c[11]) + std::stod(c[12]);
  EXPECT_NEAR(shares, 100.0, 0.2);
  EXPECT_NEAR(layers, 60.0, 0.3);
  EXPECT_EQ(std::stoi(c[8]), 0);  // every task of Fig. 15's window has a plan
  // Shown to fail: with the main table printing the sensitivity pass's rows (fig15 has no 224 px
  // pass, so no row), and with the cloud column left out (12 cells, not 13).
}

}  // namespace
}  // namespace hivemind::sim
