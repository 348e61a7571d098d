// Figs. 11 and 12 (Sec. VII-B): HiveMind against the UE-only, cloud-only and single-split
// baselines at low / mid / high load, inference latency and training energy, on mmWave IAB and
// sub-6 GHz; with the Sec. III / abstract ranges of the mmWave IAB figure.

#include <algorithm>
#include <cmath>
#include <map>

#include "context.hpp"
#include "figures.hpp"
#include "hivemind/sim/report.hpp"

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

void cost_figure(Context& ctx, const std::string& stem, const std::string& fig,
                 const std::string& scen, const std::string& title) {
  auto inf = ctx.load_sweep(scen, ctx.resnet(), TaskKind::kInference, 0.1);
  auto tr = ctx.load_sweep(scen, ctx.resnet(), TaskKind::kTraining, 0.2);
  ctx.run(inf, fig + " inference");
  ctx.run(tr, fig + " training");
  ctx.write_csv(stem + "_inference.csv", "scenario,model,task,load,seed,", inf);
  ctx.write_csv(stem + "_training.csv", "scenario,model,task,load,seed,", tr);
  std::vector<Panel> panels;
  const auto methods = standard_methods();
  std::map<std::string, std::map<int, double>> mean;  // "inference/high" -> method -> mean
  bool hm_best = true;
  std::string misses, miss_causes;
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
      for (int m = 1; m < 4; ++m)
        if (mm.at(0) > mm.at(m) * 1.01) {
          hm_best = false;
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
  // Within 1% of the best: a plan made at t1 can lose by a hair to a baseline that was luckier
  // with the capacity at t2.
  bool within5 = true;
  for (const auto& [key, mm] : mean)
    for (int m = 1; m < 4; ++m) within5 = within5 && mm.at(0) <= mm.at(m) * 1.05;
  ctx.claim(fig,
            "HiveMind has the lowest mean cost of all methods at every load (inference latency, "
            "training energy)",
            "match: lowest within 1% in all 6 load x task cases; partial: within 5% in all",
            hm_best ? "lowest in all 6 cases" : "lowest except " + misses,
            hm_best   ? "match"
            : within5 ? "partial"
                      : "differs",
            miss_causes);
  if (scen == "mmwave-iab") {
    std::vector<double> hm_all;
    double worst_mean = 0;
    for (Load l : {Load::kLow, Load::kMid, Load::kHigh}) {
      auto v = pooled(select(inf, l), 0, false);
      hm_all.insert(hm_all.end(), v.begin(), v.end());
      worst_mean = std::max(worst_mean, lat(l, 0));
    }
    const double p95 = percentile(hm_all, 95);
    ctx.claim(fig, "HiveMind keeps a stable inference latency <= 79 ms at every load",
              "match: p95 <= 79 ms over all loads; partial: every load's mean <= 79 ms",
              "p95 " + fmt("%.1f", p95 * 1e3) + " ms; means low/mid/high " +
                  fmt("%.1f", lat(Load::kLow, 0) * 1e3) + "/" +
                  fmt("%.1f", lat(Load::kMid, 0) * 1e3) + "/" +
                  fmt("%.1f", lat(Load::kHigh, 0) * 1e3) + " ms",
              p95 <= 0.079          ? "match"
              : worst_mean <= 0.079 ? "partial"
                                    : "differs",
              inputs);
    ctx.claim(fig, "Cloud-only latency exceeds 300 ms under high load",
              "match: high-load mean > 300 ms; partial: > 150 ms",
              fmt("%.0f ms", lat(Load::kHigh, 2) * 1e3),
              lat(Load::kHigh, 2) > 0.3    ? "match"
              : lat(Load::kHigh, 2) > 0.15 ? "partial"
                                           : "differs",
              "cloud only sends the input over every hop; " + inputs);
    const double gap = std::abs(lat(Load::kHigh, 3) - lat(Load::kHigh, 1)) / lat(Load::kHigh, 1);
    ctx.claim(fig, "Single split converges to UE-only under high load",
              "match: high-load means within 5%; partial: within 20%",
              "single " + fmt("%.1f", lat(Load::kHigh, 3) * 1e3) + " vs UE-only " +
                  fmt("%.1f", lat(Load::kHigh, 1) * 1e3) + " ms",
              gap < 0.05  ? "match"
              : gap < 0.2 ? "partial"
                          : "differs",
              "single split at low/mid load: " + fmt("%.1f", lat(Load::kLow, 3) * 1e3) + "/" +
                  fmt("%.1f ms", lat(Load::kMid, 3) * 1e3));
    const double red_cloud = 1 - lat(Load::kHigh, 0) / lat(Load::kHigh, 2);
    const double red_ue = 1 - lat(Load::kHigh, 0) / lat(Load::kHigh, 1);
    const double best_red = std::max(red_cloud, red_ue), least_red = std::min(red_cloud, red_ue);
    ctx.claim(fig, "HiveMind outperforms the cloud and UE baselines by up to 89.8% under high load",
              "match: below both baselines at high load and the larger reduction 80-100%; partial: "
              "below both baselines",
              "high load: " + fmt("%.1f%%", red_cloud * 100) + " below cloud only, " +
                  fmt("%.1f%%", red_ue * 100) + " below UE only",
              least_red > 0 && best_red >= 0.8 ? "match"
              : least_red > 0                  ? "partial"
                                               : "differs",
              least_red > 0 ? inputs
                            : "HiveMind is not below " +
                                  std::string(red_ue <= red_cloud ? "UE only" : "cloud only") +
                                  " at high load; " + inputs);
    ctx.claim(
        fig,
        "Training energy: cloud-only reaches up to 890 J, HiveMind keeps UE+IAB energy under "
        "400 J",
        "- (the paper's joules are not per task)",
        "per task: cloud only mean " + fmt("%.2f", en(Load::kHigh, 2)) +
            " J at high load; HiveMind max mean " +
            fmt("%.2f", std::max({en(Load::kLow, 0), en(Load::kMid, 0), en(Load::kHigh, 0)})) +
            " J",
        "not comparable",
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
    const bool in_range =
        lo_c >= 0.27 && hi_c <= 1.0 && lo_s >= 0.22 && hi_s <= 0.65;  // +-10 points
    ctx.claim(
        "Sec. III",
        "Multi-split reduces latency by 37-90% vs cloud ML and 32-55% vs single split (mmWave "
        "IAB)",
        "match: every load's reduction within 10 points of the paper's ranges; partial: a "
        "reduction (> 0) vs both at every load",
        percent_range(lo_c, hi_c) + " vs cloud, " + percent_range(lo_s, hi_s) + " vs single split",
        in_range               ? "match"
        : lo_c > 0 && lo_s > 0 ? "partial"
                               : "differs",
        "single split per load: " + fmt("%.1f", lat(Load::kLow, 3) * 1e3) + "/" +
            fmt("%.1f", lat(Load::kMid, 3) * 1e3) + "/" +
            fmt("%.1f ms", lat(Load::kHigh, 3) * 1e3) + " vs HiveMind " +
            fmt("%.1f", lat(Load::kLow, 0) * 1e3) + "/" + fmt("%.1f", lat(Load::kMid, 0) * 1e3) +
            "/" + fmt("%.1f ms", lat(Load::kHigh, 0) * 1e3) + "; " + inputs);
  } else {
    const double low_gap = 1 - lat(Load::kLow, 0) / lat(Load::kLow, 1);
    const double mid_gap = 1 - lat(Load::kMid, 0) / lat(Load::kMid, 1);
    const double high_gap = 1 - lat(Load::kHigh, 0) / lat(Load::kHigh, 1);
    const bool never_worse = std::min({low_gap, mid_gap, high_gap}) >= -0.01;
    const bool converges =
        low_gap > 0.01 && low_gap >= mid_gap && mid_gap >= high_gap && high_gap < low_gap / 2;
    ctx.claim(fig,
              "Sub-6 GHz: HiveMind's latency converges to UE-only as the load increases (never "
              "worse)",
              "match: a gain over UE only (> 1%) at low load that shrinks with load to under half, "
              "never worse by > 1%; partial: never worse by > 1%",
              "gain over UE only: low " + fmt("%.1f", low_gap * 100) + "%, mid " +
                  fmt("%.1f", mid_gap * 100) + "%, high " + fmt("%.1f", high_gap * 100) + "%",
              never_worse && converges ? "match"
              : never_worse            ? "partial"
                                       : "differs",
              inputs);
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
