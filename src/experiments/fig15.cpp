// Fig. 15 (Sec. VII-C1): a handover that adds one hop, layers per node and latency around it.

#include <algorithm>
#include <map>

#include "context.hpp"
#include "figures.hpp"
#include "hivemind/sim/network.hpp"
#include "hivemind/sim/report.hpp"
#include "rules.hpp"

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
    const auto none = rules::fig15_no_handover();
    ctx.claim("Fig. 15", "topology change", none.tolerance, "no +1-hop handover on the trajectory",
              none.word(), "the trajectory never hands over to a gNB one hop deeper");
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
  // Nodes in route order (a node first met on a later route goes after its predecessor there).
  std::vector<int> order;
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
      if (std::find(order.begin(), order.end(), r.route[p]) == order.end())
        order.insert(
            p == 0 ? order.begin() : std::find(order.begin(), order.end(), r.route[p - 1]) + 1,
            r.route[p]);
      (t < 0 ? layers_before : layers_after)[r.route[p]].push_back(n);
    }
  }
  // Layers per node: one bar group per node on either route, its mean before and after (no
  // bar where the node is not on that route).
  Panel per_node{"mean layers per node (route order)", "node", "layers", {}};
  per_node.ymin = 0;
  per_node.ymax = jobs[0].model->layers * 1.15;
  for (const auto* side : {&layers_before, &layers_after}) {
    Series s{side == &layers_before ? "before handover" : "after handover", {}, "bars"};
    for (std::size_t k = 0; k < order.size(); ++k)
      if (side->count(order[k])) s.points.emplace_back(k, mean_of(side->at(order[k])));
    per_node.series.push_back(s);
  }
  for (int n : order) per_node.categories.push_back(sc.nodes[n].name);
  // The same over time: each task's layers stacked in route order, one band per node that ran a
  // layer (drawn top band first, each lower one painted over it).
  Panel stacked{"layers per node of each task, stacked in route order",
                "time from handover (s)",
                "layers (cumulative)",
                {}};
  stacked.ymin = 0;
  stacked.ymax = per_node.ymax;
  auto ran_a_layer = [&](int n) {
    for (const auto* side : {&layers_before, &layers_after})
      if (side->count(n))
        for (double v : side->at(n))
          if (v > 0) return true;
    return false;
  };
  std::vector<int> computing;
  for (int n : order)
    if (ran_a_layer(n)) computing.push_back(n);
  for (std::size_t k = computing.size(); k-- > 0;) {
    Series band{sc.nodes[computing[k]].name, {}, "filledcurves x1 fs solid 0.8 noborder"};
    for (const auto& r : jobs[0].result.records) {
      int top = 0, prev = 0;  // layers of the task on computing[0..k]
      for (std::size_t p = 0; p < r.route.size(); ++p) {
        const auto pos = std::find(computing.begin(), computing.end(), r.route[p]);
        if (pos != computing.end() && pos - computing.begin() <= static_cast<long>(k))
          top += r.boundaries[p] - prev;
        prev = r.boundaries[p];
      }
      band.points.emplace_back(r.arrival_s - window, top);
    }
    stacked.series.push_back(band);
  }
  Panel lat_panel{"split latency", "time from handover (s)", "latency (ms)", {lat}};
  lat_panel.ymin = 0;
  stacked.xmin = lat_panel.xmin = -window;
  stacked.xmax = lat_panel.xmax = window;
  ctx.plot("fig15", "Fig. 15: topology change (handover, +1 hop)", {lat_panel, stacked, per_node},
           1);
  std::string detail;
  std::vector<rules::NodeLayers> common;  // every node on both routes, the UE included
  for (const auto& [n, v] : layers_before)
    if (layers_after.count(n)) {
      const double b = mean_of(v), a = mean_of(layers_after[n]);
      detail += sc.nodes[n].name + " " + fmt("%.1f", b) + "->" + fmt("%.1f", a) + " ";
      common.push_back({sc.nodes[n].name, b, a});
    }
  for (const auto& [n, v] : layers_after)
    if (!layers_before.count(n))
      detail += "(new) " + sc.nodes[n].name + " " + fmt("%.1f", mean_of(v)) + " ";
  const double inc = mean_of(after) - mean_of(before);
  const auto kept = rules::fig15_assignment_kept(common, jobs[0].model->layers);
  ctx.claim("Fig. 15",
            "After a handover adding one hop, the assignment of the unchanged part of the route "
            "stays the same",
            kept.tolerance, "mean layers " + detail, kept.word(), kept.note);
  const auto latency = rules::fig15_latency_increase(inc);
  ctx.claim("Fig. 15", "Average latency increases by less than 5 ms after the topology change",
            latency.tolerance,
            fmt("%+.1f ms", inc * 1e3) + " (route " + std::to_string(hops_before) + " -> " +
                std::to_string(hops_before + 1) + " nodes)",
            latency.word(),
            "mean " + fmt("%.1f ms", mean_of(before) * 1e3) + " before, " +
                fmt("%.1f ms", mean_of(after) * 1e3) + " after");
}

}  // namespace hivemind::experiments::detail
