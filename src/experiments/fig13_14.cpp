// Fig. 13 (impact of the ML model) and Fig. 14 (impact of the MECs' computation capability),
// Sec. VII-B.

#include <algorithm>
#include <cmath>
#include <map>

#include "context.hpp"
#include "figures.hpp"
#include "hivemind/sim/report.hpp"
#include "rules.hpp"

namespace hivemind::experiments::detail {

void fig13(Context& ctx) {
  const std::vector<std::string> models = {ctx.vgg(), ctx.resnet(), ctx.rcnn()};
  std::vector<Job> jobs;
  for (const auto& mname : models)
    for (TaskKind task : {TaskKind::kInference, TaskKind::kTraining}) {
      auto js = ctx.load_sweep("mmwave-iab", mname, task, task == TaskKind::kInference ? 0.1 : 0.2,
                               {Load::kMid});
      for (auto& j : js) jobs.push_back(std::move(j));
    }
  ctx.run(jobs, "Fig. 13 (models)");
  ctx.write_csv("fig13.csv", "scenario,model,task,load,seed,", jobs);
  const auto methods = standard_methods();
  std::string csv = "model,method,relative_cost\n";
  std::vector<Series> bars(methods.size());
  std::map<std::string, double> hm_eff;
  std::vector<rules::Beat> beats;  // baselines with a lower relative cost than HiveMind's
  const std::vector<std::string> model_labels = {"VGG11", "ResNet18", "R-CNN"};
  for (std::size_t mi = 0; mi < models.size(); ++mi) {
    double hm_cost = 0;
    for (int m = 0; m < static_cast<int>(methods.size()); ++m) {
      // Relative cost: mean over tasks of cost / UE-only cost (inference and training pooled).
      std::vector<double> ratios;
      for (const auto& j : jobs) {
        if (j.model->model != ctx.model(std::string("mmwave-iab"), models[mi]).model) continue;
        const bool e = j.config.task == TaskKind::kTraining;
        const auto v = method_values(j.result, m, e), u = method_values(j.result, 1, e);
        for (std::size_t k = 0; k < v.size(); ++k) ratios.push_back(v[k] / u[k]);
      }
      const double r = mean_of(ratios);
      csv += models[mi] + "," + methods[m].label + "," + num(r) + "\n";
      // Fig. 13 plots relative efficiency: the inverse of the relative cost.
      bars[m].label = methods[m].label;
      bars[m].style = "bars";
      bars[m].points.emplace_back(static_cast<double>(mi), 1.0 / r);
      if (m == 0) hm_eff[models[mi]] = 1.0 / r, hm_cost = r;
      if (m > 0 && r < hm_cost) beats.push_back({methods[m].label, model_labels[mi], r, hm_cost});
    }
  }
  ctx.write_file("fig13_relative.csv", csv);
  Panel p{"relative efficiency (1 / mean of cost / UE-only cost, inference + training)", "model",
          "relative efficiency (higher is better)", bars};
  p.categories = {"VGG11", "ResNet18", "R-CNN (VGG16 backbone)"};
  p.ymin = 0;
  p.extra = "set arrow from graph 0, first 1 to graph 1, first 1 nohead front dt 2 lc 'black'\n";
  ctx.plot("fig13", "Fig. 13: impact of ML models (mmWave IAB, mid load)", {p}, 1);
  const double r_res = hm_eff[ctx.rcnn()] / hm_eff[ctx.resnet()],
               r_vgg = hm_eff[ctx.rcnn()] / hm_eff[ctx.vgg()];
  auto mean_kb = [&](const std::string& name) {
    const ModelCosts& m = ctx.model("mmwave-iab", name);
    double sum = 0;
    for (double b : m.out_bytes) sum += b;
    return fmt("%.0f KB", sum / std::max<std::size_t>(1, m.out_bytes.size()) / 1e3);
  };
  const auto rule = rules::fig13_efficiency(r_res, r_vgg, beats);
  ctx.claim("Fig. 13",
            "HiveMind's relative efficiency is highest on R-CNN: 3x that on ResNet18, 1.8x that on "
            "VGG11",
            rule.tolerance,
            fmt("%.2fx", r_res) + " ResNet18, " + fmt("%.2fx", r_vgg) +
                " VGG11 (efficiency = UE-only cost / HiveMind cost)",
            rule.word(),
            join_notes({rule.note, "efficiency " + fmt("%.2fx", hm_eff[ctx.vgg()]) + " VGG11, " +
                                       fmt("%.2fx", hm_eff[ctx.resnet()]) + " ResNet18, " +
                                       fmt("%.2fx", hm_eff[ctx.rcnn()]) +
                                       " R-CNN; mean layer output " + mean_kb(ctx.vgg()) + " / " +
                                       mean_kb(ctx.resnet()) + " / " + mean_kb(ctx.rcnn()) +
                                       " (paper: 356 / 80 / 242 KB); R-CNN latencies are FLOPs "
                                       "estimates"}));
}

void fig14(Context& ctx) {
  const std::vector<double> scales = {0.1, 0.5, 1, 2, 10, 20};
  const std::vector<std::pair<std::string, std::string>> classes = {
      {"iab-mec", "improved IAB"}, {"core-mec", "improved CN"}, {"cloud", "improved cloud"}};
  std::vector<Job> jobs;
  for (const auto& [cls, label] : classes)
    for (double sc : scales)
      for (int seed = 1; seed <= ctx.seeds(); ++seed) {
        Job j = ctx.trial("mmwave-iab", ctx.resnet(), seed, Load::kLow, 0.1);
        j.config.speedup[cls] = sc;
        j.prefix = cls + "," + num(sc) + "," + std::to_string(seed) + ",";
        jobs.push_back(std::move(j));
      }
  ctx.run(jobs, "Fig. 14 (MEC capability)");
  ctx.write_csv("fig14.csv", "improved,scale,seed,", jobs);
  std::vector<Series> series;
  std::map<std::string, std::map<double, double>> hm;
  std::map<double, double> cloud_only, single;
  for (const auto& [cls, label] : classes) {
    Series s{"HiveMind, " + label, {}, "linespoints"};
    for (double sc : scales) {
      std::vector<const Job*> sel;
      for (const auto& j : jobs)
        if (j.config.speedup.count(cls) && j.config.speedup.at(cls) == sc) sel.push_back(&j);
      const double v = mean_of(pooled(sel, 0, false));
      hm[cls][sc] = v;
      s.points.emplace_back(sc, v * 1e3);
      if (cls == "cloud") {
        cloud_only[sc] = mean_of(pooled(sel, 2, false));
        single[sc] = mean_of(pooled(sel, 3, false));
      }
    }
    series.push_back(s);
  }
  Series co{"cloud only (improved cloud)", {}, "linespoints"},
      ss{"single split (improved cloud)", {}, "linespoints"};
  for (double sc : scales)
    co.points.emplace_back(sc, cloud_only[sc] * 1e3), ss.points.emplace_back(sc, single[sc] * 1e3);
  series.push_back(co);
  series.push_back(ss);
  Panel p{"ResNet18 inference, mmWave IAB, low load", "computation capability scale",
          "mean latency (ms)", series};
  p.logx = true;
  ctx.plot("fig14", "Fig. 14: impact of MEC computation capability", {p}, 1);
  const double iab = hm["iab-mec"][20], cn = hm["core-mec"][20], cl = hm["cloud"][20];
  const double m_cn = 1 - iab / cn, m_cl = 1 - iab / cl;
  const std::string levels = "HiveMind at x1 " + fmt("%.1f ms", hm["iab-mec"][1] * 1e3) +
                             "; at x20 improved IAB/CN/cloud " + fmt("%.1f", iab * 1e3) + "/" +
                             fmt("%.1f", cn * 1e3) + "/" + fmt("%.1f ms", cl * 1e3);
  // How much improving a class moves HiveMind's mean at all, x0.1 to x20.
  auto spread = [&](const std::string& cls) {
    double lo = INFINITY, hi = 0;
    for (const auto& [sc, v] : hm[cls]) lo = std::min(lo, v), hi = std::max(hi, v);
    return (hi - lo) / lo;
  };
  const auto lowest = rules::fig14_iab_lowest({iab, cn, cl, spread("core-mec"), spread("cloud")});
  ctx.claim(
      "Fig. 14",
      "At x20, improved IAB MECs give the lowest latency: 14.5% below improved CN, 47.2% below "
      "improved cloud",
      lowest.tolerance,
      fmt("%.1f", m_cn * 100) + "% below CN, " + fmt("%.1f", m_cl * 100) + "% below cloud",
      lowest.word(), join_notes({lowest.note, levels}));
  // In the paper-stated pass the UE was set from this claim's 115 ms (issue 25 step 2).
  const auto flat = rules::fig14_flat(
      {single[0.1], single[1], single[20], cloud_only[0.1], cloud_only[1], cloud_only[20]},
      ctx.pass().paper.has_value());
  ctx.claim(
      "Fig. 14",
      "Single split and cloud only stay at ~115 ms and ~181 ms whatever the cloud capability",
      flat.tolerance,
      fmt("single %.0f-", single[0.1] * 1e3) + fmt("%.0f ms", single[20] * 1e3) +
          fmt(", cloud only %.0f-", cloud_only[0.1] * 1e3) + fmt("%.0f ms", cloud_only[20] * 1e3),
      flat.word(),
      "at x1: single split " + fmt("%.0f ms", single[1] * 1e3) + ", cloud only " +
          fmt("%.0f ms", cloud_only[1] * 1e3) + (flat.note.empty() ? "" : " (" + flat.note + ")"));
  const double d10 = hm["iab-mec"][10], d20 = hm["iab-mec"][20];
  const auto saturates = rules::fig14_saturates(d10, d20);
  ctx.claim("Fig. 14", "x10 and x20 give nearly the same latency (bounded by the links)",
            saturates.tolerance,
            fmt("improved IAB %.1f vs ", d10 * 1e3) + fmt("%.1f ms", d20 * 1e3), saturates.word(),
            "x1 " + fmt("%.1f ms", hm["iab-mec"][1] * 1e3));
}

}  // namespace hivemind::experiments::detail
