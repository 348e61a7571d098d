// Fig. 15 (Sec. VII-C1): a handover that adds one hop, layers per node and latency around it.

#include <cmath>
#include <map>

#include "context.hpp"
#include "figures.hpp"
#include "hivemind/sim/network.hpp"
#include "hivemind/sim/report.hpp"

namespace hivemind::experiments::detail {

void fig15(Context& ctx) {
  // Find a handover on the trajectory that lengthens the route by one hop (gnb1 -> gnb2).
  const Scenario& sc = ctx.scenario("mmwave-iab");
  Network net(sc, NetworkOptions{Load::kMid, 1, 0, 0, 1e6, ctx.options().budget});
  double t_ho = -1;
  std::size_t hops_before = 0;
  const double lap = 3000.0 / sc.mobility.speed_mps;
  for (double t = sc.mobility.check_s; t < lap; t += sc.mobility.check_s) {
    const Route& a = net.route_at(t - sc.mobility.check_s);
    const Route& b = net.route_at(t);
    if (a.serving_gnb != b.serving_gnb && b.nodes.size() == a.nodes.size() + 1) {
      t_ho = t;
      hops_before = a.nodes.size();
      break;
    }
  }
  if (t_ho < 0) {
    ctx.claim("Fig. 15", "topology change", "-", "no +1-hop handover on the trajectory",
              "not checked", "the trajectory never hands over to a gNB one hop deeper");
    return;
  }
  Job j;
  j.scenario = &sc;
  j.model = &ctx.model("mmwave-iab", ctx.resnet());
  j.config.seed = 1;
  j.config.load = Load::kLow;
  const double window = ctx.options().quick ? 5.0 : 10.0;
  j.config.start_offset_s = t_ho - window;
  j.config.duration_s = 2 * window;
  j.config.period_s = 0.05;
  j.config.keep_plans = true;
  j.config.methods = {{"HiveMind", split::Method::kSci}};
  j.prefix = "mmwave-iab,low,1,";
  std::vector<Job> jobs{std::move(j)};
  ctx.run(jobs, "Fig. 15 (handover)");
  ctx.write_csv("fig15.csv", "scenario,load,seed,", jobs);
  // Layers per node, by scenario node, before/after.
  std::map<int, Series> per_node;
  Series lat{"latency"};
  std::vector<double> before, after;
  std::map<int, std::vector<double>> layers_before, layers_after;
  for (const auto& r : jobs[0].result.records) {
    const double t = r.arrival_s - window;
    lat.points.emplace_back(t, r.latency_s * 1e3);
    (t < 0 ? before : after).push_back(r.latency_s);
    int prev = 0;
    for (std::size_t p = 0; p < r.route.size(); ++p) {
      const int n = r.boundaries[p] - prev;
      prev = r.boundaries[p];
      auto& s = per_node[r.route[p]];
      s.label = sc.nodes[r.route[p]].name;
      s.points.emplace_back(t, n);
      (t < 0 ? layers_before : layers_after)[r.route[p]].push_back(n);
    }
  }
  std::vector<Series> ns;
  for (auto& [n, s] : per_node) ns.push_back(s);
  ctx.plot("fig15", "Fig. 15: topology change (handover, +1 hop)",
           {Panel{"split latency", "time from handover (s)", "latency (ms)", {lat}},
            Panel{"layers per node", "time from handover (s)", "layers", ns}},
           1);
  std::string detail, changed_nodes;
  int changed = 0;
  for (const auto& [n, v] : layers_before)
    if (layers_after.count(n)) {
      const double b = mean_of(v), a = mean_of(layers_after[n]);
      detail += sc.nodes[n].name + " " + fmt("%.1f", b) + "->" + fmt("%.1f", a) + " ";
      if (sc.nodes[n].role != NodeRole::kUe && std::abs(a - b) > 1.0) {
        ++changed;
        changed_nodes += (changed_nodes.empty() ? "" : ", ") + sc.nodes[n].name + " " +
                         fmt("%.1f", b) + "->" + fmt("%.1f", a);
      }
    }
  for (const auto& [n, v] : layers_after)
    if (!layers_before.count(n))
      detail += "(new) " + sc.nodes[n].name + " " + fmt("%.1f", mean_of(v)) + " ";
  const double inc = mean_of(after) - mean_of(before);
  ctx.claim("Fig. 15",
            "After a handover adding one hop, the assignment of the unchanged part of the route "
            "stays the same",
            "match: no node on both routes (the UE aside) changes its mean layer count by > 1; "
            "partial: at most 2 do",
            "mean layers " + detail,
            changed == 0   ? "match"
            : changed <= 2 ? "partial"
                           : "differs",
            changed == 0 ? "" : "changed: " + changed_nodes);
  ctx.claim("Fig. 15", "Average latency increases by less than 5 ms after the topology change",
            "match: < 5 ms; partial: < 10 ms",
            fmt("%+.1f ms", inc * 1e3) + " (route " + std::to_string(hops_before) + " -> " +
                std::to_string(hops_before + 1) + " nodes)",
            inc < 0.005  ? "match"
            : inc < 0.01 ? "partial"
                         : "differs",
            "mean " + fmt("%.1f ms", mean_of(before) * 1e3) + " before, " +
                fmt("%.1f ms", mean_of(after) * 1e3) + " after");
}

}  // namespace hivemind::experiments::detail
