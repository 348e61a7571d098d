// Figs. 11 and 12 (Sec. VII-B): HiveMind against the UE-only, cloud-only and single-split
// baselines at low / mid / high load, inference latency and training energy, on mmWave IAB and
// sub-6 GHz; with the Sec. III / abstract ranges of the mmWave IAB figure.

#include <algorithm>
#include <cmath>
#include <map>

#include "context.hpp"
#include "figures.hpp"
#include "hivemind/sim/report.hpp"
#include "rules.hpp"

namespace hivemind::experiments::detail {

namespace {

// "84 to 97%"; a fraction under 0.5% in size keeps one decimal ("-0.1 to 66%"), so a small
// loss is not printed as "-0".
std::string percent_range(double lo, double hi) {
  auto one = [](double x) {
    const double pct = x * 100;
    return fmt(std::abs(pct) < 0.5 && pct != 0 ? "%.1f" : "%.0f", pct);
  };
  return one(lo) + " to " + one(hi) + "%";
}

std::vector<const Job*> select(const std::vector<Job>& jobs, Load load) {
  std::vector<const Job*> v;
  for (const auto& j : jobs)
    if (j.config.load == load) v.push_back(&j);
  return v;
}

// The counterfactual of a training miss (issue 25 step 5): HiveMind with Eq. 9's eta weighed
// 1/N, N the iterations of one trial (a planner that knows every iteration of the run shares
// the move): a fifth method of the training trials (same traces), kCounterfactual. Judged by
// the same rule with the inference cases of `pairs` (the first 9) kept.
constexpr int kCounterfactual = 4;
constexpr double kTrainingPeriodS = 0.2;

double iterations(const Context& ctx) { return std::round(ctx.duration_s() / kTrainingPeriodS); }

Counterfactual migration_counterfactual(const Context& ctx, const std::string& scen,
                                        const std::vector<Job>& tr,
                                        const std::vector<rules::CostPair>& pairs) {
  const double n = iterations(ctx);
  std::vector<rules::CostPair> cf_pairs(pairs.begin(), pairs.begin() + 9);
  std::string energies;
  int lowest = 0;
  for (Load load : {Load::kLow, Load::kMid, Load::kHigh}) {
    const auto sel = select(tr, load);
    const double hm = mean_of(pooled(sel, kCounterfactual, true));
    bool best = true;
    for (int m = 1; m < 4; ++m) {
      const double base = mean_of(pooled(sel, m, true));
      cf_pairs.push_back({hm, base});
      best = best && hm <= base * 1.01;
    }
    lowest += best;
    energies += (energies.empty() ? "" : "/") + fmt("%.3f", hm);
  }
  const rules::Judgement j = rules::lowest_cost(cf_pairs);
  return {"Eq. 9's eta weighed 1/" + num(n) + ", amortised over the trial's " + num(n) +
              " iterations (the CSV's method \"" +
              tr.front().config.methods[kCounterfactual].label +
              "\"; one trial: `hivemind simulate " + scen + " --task training --period-ms " +
              num(kTrainingPeriodS * 1e3) + " --duration " + num(ctx.duration_s()) +
              " --migration-weight " + fmt("%.4g", 1.0 / n) + "`; HiveMind's training energy " +
              "low/mid/high " + energies + " J, the lowest in " + std::to_string(lowest) +
              " of 3 training cases)",
          j.word()};
}

void cost_figure(Context& ctx, const std::string& stem, const std::string& fig,
                 const std::string& scen, const std::string& title) {
  auto inf = ctx.load_sweep(scen, ctx.resnet(), TaskKind::kInference, 0.1);
  auto tr = ctx.load_sweep(scen, ctx.resnet(), TaskKind::kTraining, kTrainingPeriodS);
  for (auto& j : tr) {
    MethodSpec cf = j.config.methods.front();  // HiveMind
    cf.label = "HiveMind, eta / " + num(iterations(ctx));
    cf.migration_weight = 1.0 / iterations(ctx);
    j.config.methods.push_back(cf);
  }
  ctx.run(inf, fig + " inference");
  ctx.run(tr, fig + " training");
  ctx.write_csv(stem + "_inference.csv", "scenario,model,task,load,seed,", inf);
  ctx.write_csv(stem + "_training.csv", "scenario,model,task,load,seed,", tr);
  std::vector<Panel> panels;
  const auto methods = standard_methods();
  std::map<std::string, std::map<int, double>> mean;  // "inference/high" -> method -> mean
  bool hm_best = true;
  std::vector<rules::CostPair> pairs;  // HiveMind vs each baseline in every (task, load) case
  std::string misses, miss_causes;
  bool training_miss = false;
  for (int t = 0; t < 2; ++t) {
    const auto& jobs = t == 0 ? inf : tr;
    for (Load load : {Load::kHigh, Load::kMid, Load::kLow}) {
      Panel p;
      p.title = std::string(t == 0 ? "(a) inference" : "(b) training") + ", " +
                std::string(to_string(load)) + " load";
      p.xlabel = t == 0 ? "latency (ms)" : "energy of UE + IAB MECs (J)";
      p.ylabel = "CDF";
      p.logx = true;
      const auto sel = select(jobs, load);
      for (int m = 0; m < static_cast<int>(methods.size()); ++m) {
        auto v = pooled(sel, m, t == 1);
        mean[std::string(t == 0 ? "inference/" : "training/") + std::string(to_string(load))][m] =
            mean_of(v);
        p.series.push_back(cdf(methods[m].label, v, t == 0 ? 1e3 : 1.0));
      }
      const auto& mm =
          mean[std::string(t == 0 ? "inference/" : "training/") + std::string(to_string(load))];
      for (int m = 1; m < 4; ++m) pairs.push_back({mm.at(0), mm.at(m)});
      for (int m = 1; m < 4; ++m)
        if (mm.at(0) > mm.at(m) * 1.01) {
          hm_best = false;
          training_miss = training_miss || t == 1;
          const std::string where =
              (t == 0 ? "inference " : "training ") + std::string(to_string(load));
          misses += std::string(misses.empty() ? "" : "; ") + where + ": " + methods[m].label +
                    " " + fmt("%.2f%% lower", (1 - mm.at(m) / mm.at(0)) * 100);
          // What HiveMind planned at t1 against what it paid, and how often the capacities
          // it met differed from those it planned with.
          double planned = 0, paid = 0, migrated = 0;
          int n = 0, stale = 0, moves = 0;
          for (const Job* j : sel)
            for (const auto& r : j->result.records)
              if (r.method == 0 && std::isfinite(r.planned)) {
                planned += r.planned, paid += t == 1 ? r.energy_j : r.latency_s, ++n;
                stale += !r.exact;
                moves += r.migrated_bytes > 0;
                migrated += r.migrated_bytes;
              }
          const double unit = t == 1 ? 1.0 : 1e3;
          const char* u = t == 1 ? " J" : " ms";
          if (n > 0)
            miss_causes +=
                std::string(miss_causes.empty() ? "" : "; ") + where + ": HiveMind planned " +
                fmt("%.3g", planned / n * unit) + u + " on average and paid " +
                fmt("%.3g", paid / n * unit) + u + " (" + fmt("%.0f%%", 100.0 * stale / n) +
                " of its tasks met other capacities than planned), " + methods[m].label + " paid " +
                fmt("%.3g", mm.at(m) * unit) + u +
                (t != 1 ? std::string()
                 : moves == 0
                     ? "; HiveMind never moved a layer off the UE, where the parameters "
                       "start: Eq. 9 weighs a move's whole eta (" +
                           fmt("%.0f MB", ctx.model(scen, ctx.resnet()).param_bytes / 1e6) +
                           " for the whole model) against one iteration's saving"
                     : "; HiveMind moved its layers in " + std::to_string(moves) + " of " +
                           std::to_string(n) + " tasks (" + fmt("%.0f MB", migrated / 1e6) +
                           " of parameters, Eq. 8's eta)");
        }
      panels.push_back(std::move(p));
    }
  }
  // Panels in load order (low, mid, high; the loop above runs high first), one x range per
  // task row, so the rows compare at a glance.
  for (std::size_t row = 0; row + 3 <= panels.size(); row += 3) {
    std::reverse(panels.begin() + static_cast<long>(row),
                 panels.begin() + static_cast<long>(row) + 3);
    double lo = INFINITY, hi = 0;
    for (std::size_t i = row; i < row + 3; ++i)
      for (const auto& s : panels[i].series)
        for (const auto& pt : s.points)
          if (pt.first > 0) lo = std::min(lo, pt.first), hi = std::max(hi, pt.first);
    for (std::size_t i = row; i < row + 3 && hi > 0; ++i)
      panels[i].xmin = lo / 1.1, panels[i].xmax = hi * 1.1;
  }
  ctx.plot(stem, title, panels, 3);
  // Summary table of means.
  std::string md =
      "| task | load | HiveMind | UE only | Cloud only | Single split "
      "|\n|---|---|---|---|---|---|\n";
  for (const char* t : {"inference", "training"})
    for (Load load : {Load::kLow, Load::kMid, Load::kHigh}) {
      const auto& mm = mean[std::string(t) + "/" + std::string(to_string(load))];
      const bool e = std::string(t) == "training";
      md += std::string("| ") + t + " | " + std::string(to_string(load)) + " |";
      for (int m = 0; m < 4; ++m)
        md += " " + (e ? fmt("%.3f J", mm.at(m)) : fmt("%.1f ms", mm.at(m) * 1e3)) + " |";
      md += "\n";
    }
  // Why HiveMind's inference plans compute on one node (issue 25 step 2), at mid load.
  const std::string eq10 = eq10_second_node(select(inf, Load::kMid), 0);
  if (!eq10.empty())
    md += "\nWhy HiveMind's inference plans rarely use a second node (Eq. 10, mid load): " + eq10;
  md += "\nHiveMind's inference at mid load, Sec. IV-F's " +
        lookahead_per_node(select(inf, Load::kMid), 0) + ".\n";
  ctx.table(fig, md);
  auto lat = [&](Load l, int m) { return mean["inference/" + std::string(to_string(l))].at(m); };
  auto en = [&](Load l, int m) { return mean["training/" + std::string(to_string(l))].at(m); };
  // What the numbers come from, computed from this run: the model's input, the UE's own time
  // and the target's mean capacity on its access link (first hop) per load.
  const ModelCosts& mc = ctx.model(scen, ctx.resnet());
  // Per load (low, mid, high): the target's mean access capacity (Mbit/s) and the input's
  // transfer time over it (ms), each computed once.
  const Load loads[3] = {Load::kLow, Load::kMid, Load::kHigh};
  double access_mbps[3], input_ms[3];
  for (int i = 0; i < 3; ++i) {
    std::vector<double> v;
    for (const Job* j : select(inf, loads[i]))
      for (const auto& ls : j->result.links)
        if (ls.name.rfind("access", 0) == 0) v.push_back(ls.mean_bps / 1e6);
    access_mbps[i] = mean_of(v);
    input_ms[i] = mc.input_bytes * 8.0 / (access_mbps[i] * 1e6) * 1e3;
  }
  const std::string inputs =
      mc.model + "'s input (" + fmt("%.0f KB", mc.input_bytes / 1e3) + ") takes " +
      fmt("%.0f", input_ms[0]) + "/" + fmt("%.0f", input_ms[1]) + "/" +
      fmt("%.0f ms", input_ms[2]) + " over the first hop at low/mid/high load (" +
      fmt("%.0f", access_mbps[0]) + "/" + fmt("%.0f", access_mbps[1]) + "/" +
      fmt("%.0f Mbit/s", access_mbps[2]) + "); UE only " + fmt("%.0f ms", lat(Load::kMid, 1) * 1e3);
  const auto lowest = rules::lowest_cost(pairs);
  ctx.claim(fig,
            "HiveMind has the lowest mean cost of all methods at every load (inference latency, "
            "training energy)",
            lowest.tolerance, hm_best ? "lowest in all 6 cases" : "lowest except " + misses,
            lowest.word(), miss_causes);
  if (training_miss) {
    const Counterfactual cf = migration_counterfactual(ctx, scen, tr, pairs);
    ctx.counterfactual(cf.change, cf.verdict);
  }
  if (scen == "mmwave-iab") {
    std::vector<double> hm_all;
    double worst_mean = 0;
    for (Load l : {Load::kLow, Load::kMid, Load::kHigh}) {
      auto v = pooled(select(inf, l), 0, false);
      hm_all.insert(hm_all.end(), v.begin(), v.end());
      worst_mean = std::max(worst_mean, lat(l, 0));
    }
    const double p95 = percentile(hm_all, 95);
    // HiveMind's p95 over UE-only's mean latency, both over all loads (equal tasks per load).
    const double ue_only = (lat(Load::kLow, 1) + lat(Load::kMid, 1) + lat(Load::kHigh, 1)) / 3;
    const auto stable = rules::stable_latency({p95, worst_mean, p95 / ue_only});
    ctx.claim(
        fig, "HiveMind keeps a stable inference latency <= 79 ms at every load", stable.tolerance,
        "p95 " + fmt("%.1f", p95 * 1e3) + " ms; means low/mid/high " +
            fmt("%.1f", lat(Load::kLow, 0) * 1e3) + "/" + fmt("%.1f", lat(Load::kMid, 0) * 1e3) +
            "/" + fmt("%.1f", lat(Load::kHigh, 0) * 1e3) + " ms; p95 " +
            fmt("%.2fx", p95 / ue_only) + " UE-only's mean",
        stable.word(), join_notes({stable.note, inputs}));
    const auto cloud300 = rules::cloud_only_high_load(lat(Load::kHigh, 2));
    ctx.claim(fig, "Cloud-only latency exceeds 300 ms under high load", cloud300.tolerance,
              fmt("%.0f ms", lat(Load::kHigh, 2) * 1e3), cloud300.word(),
              join_notes({cloud300.note, "cloud only sends the input over every hop; " + inputs}));
    const auto converge = rules::single_converges(lat(Load::kHigh, 3), lat(Load::kHigh, 1));
    ctx.claim(fig, "Single split converges to UE-only under high load", converge.tolerance,
              "single " + fmt("%.1f", lat(Load::kHigh, 3) * 1e3) + " vs UE-only " +
                  fmt("%.1f", lat(Load::kHigh, 1) * 1e3) + " ms",
              converge.word(),
              "single split at low/mid load: " + fmt("%.1f", lat(Load::kLow, 3) * 1e3) + "/" +
                  fmt("%.1f ms", lat(Load::kMid, 3) * 1e3));
    const double red_cloud = 1 - lat(Load::kHigh, 0) / lat(Load::kHigh, 2);
    const double red_ue = 1 - lat(Load::kHigh, 0) / lat(Load::kHigh, 1);
    const auto outperf =
        rules::outperforms_high_load(lat(Load::kHigh, 0), lat(Load::kHigh, 2), lat(Load::kHigh, 1));
    ctx.claim(fig, "HiveMind outperforms the cloud and UE baselines by up to 89.8% under high load",
              outperf.tolerance,
              "high load: " + fmt("%.1f%%", red_cloud * 100) + " below cloud only, " +
                  fmt("%.1f%%", red_ue * 100) + " below UE only",
              outperf.word(), join_notes({outperf.note, inputs}));
    ctx.claim(
        fig,
        "Training energy: cloud-only reaches up to 890 J, HiveMind keeps UE+IAB energy under "
        "400 J",
        rules::training_energy().tolerance,
        "per task: cloud only mean " + fmt("%.2f", en(Load::kHigh, 2)) +
            " J at high load; HiveMind max mean " +
            fmt("%.2f", std::max({en(Load::kLow, 0), en(Load::kMid, 0), en(Load::kHigh, 0)})) +
            " J",
        rules::training_energy().word(),
        "the paper does not say over how many training iterations its joules are counted; our "
        "numbers are per training iteration (batch 1); the ordering is what we check (first "
        "claim)");
    // Sec. III / abstract ranges.
    double lo_c = 1, hi_c = 0, lo_s = 1, hi_s = 0;
    for (Load l : {Load::kLow, Load::kMid, Load::kHigh}) {
      const double rc = 1 - lat(l, 0) / lat(l, 2), rs = 1 - lat(l, 0) / lat(l, 3);
      lo_c = std::min(lo_c, rc), hi_c = std::max(hi_c, rc), lo_s = std::min(lo_s, rs),
      hi_s = std::max(hi_s, rs);
    }
    const auto ranges = rules::sec3_ranges(lo_c, hi_c, lo_s, hi_s);
    ctx.claim(
        "Sec. III",
        "Multi-split reduces latency by 37-90% vs cloud ML and 32-55% vs single split (mmWave "
        "IAB)",
        ranges.tolerance,
        percent_range(lo_c, hi_c) + " vs cloud, " + percent_range(lo_s, hi_s) + " vs single split",
        ranges.word(),
        "single split per load: " + fmt("%.1f", lat(Load::kLow, 3) * 1e3) + "/" +
            fmt("%.1f", lat(Load::kMid, 3) * 1e3) + "/" +
            fmt("%.1f ms", lat(Load::kHigh, 3) * 1e3) + " vs HiveMind " +
            fmt("%.1f", lat(Load::kLow, 0) * 1e3) + "/" + fmt("%.1f", lat(Load::kMid, 0) * 1e3) +
            "/" + fmt("%.1f ms", lat(Load::kHigh, 0) * 1e3) + "; " + inputs);
  } else {
    const double low_gap = 1 - lat(Load::kLow, 0) / lat(Load::kLow, 1);
    const double mid_gap = 1 - lat(Load::kMid, 0) / lat(Load::kMid, 1);
    const double high_gap = 1 - lat(Load::kHigh, 0) / lat(Load::kHigh, 1);
    const auto sub6 = rules::sub6_converges(low_gap, mid_gap, high_gap);
    ctx.claim(fig,
              "Sub-6 GHz: HiveMind's latency converges to UE-only as the load increases (never "
              "worse)",
              sub6.tolerance,
              "gain over UE only: low " + fmt("%.1f", low_gap * 100) + "%, mid " +
                  fmt("%.1f", mid_gap * 100) + "%, high " + fmt("%.1f", high_gap * 100) + "%",
              sub6.word(), inputs);
  }
}

}  // namespace

void fig11(Context& ctx) {
  cost_figure(ctx, "fig11", "Fig. 11", "mmwave-iab",
              "Fig. 11: HiveMind split inference (a) and training (b), mmWave IAB");
}

void fig12(Context& ctx) {
  cost_figure(ctx, "fig12", "Fig. 12", "sub6",
              "Fig. 12: HiveMind split inference (a) and training (b), sub-6 GHz");
}

}  // namespace hivemind::experiments::detail
