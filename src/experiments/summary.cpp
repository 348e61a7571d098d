// summary.md: each of the paper's claims beside our number and a verdict, with the count of
// each verdict; the other passes' claims (paper-stated inputs, 224 px workload) and the verdicts
// that change from the measured pass; the plan shapes and tables of means of every pass.

#include <algorithm>

#include "context.hpp"
#include "hivemind/sim/report.hpp"
#include "rules.hpp"

namespace hivemind::experiments::detail {

namespace {

std::string claims_table(const std::vector<Claim>& claims) {
  std::string md =
      "| figure | paper's claim | tolerance | ours | verdict | from this run |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& c : claims)
    md += "| " + c.fig + " | " + c.claim + " | " + c.tolerance + " | " + c.ours + " | " +
          c.verdict + " | " + c.reason + " |\n";
  return md;
}

// "Verdicts: 9 match, 7 partial, ...": the five verdicts of the legend always, then every other
// verdict that occurs, in order of first appearance.
std::string verdict_counts(const std::vector<Claim>& claims) {
  std::vector<std::string> words = {"match", "partial", "differs", "not comparable", "not checked"};
  for (const auto& c : claims)
    if (std::find(words.begin(), words.end(), c.verdict) == words.end()) words.push_back(c.verdict);
  std::string line;
  for (const auto& w : words) {
    const auto n =
        std::count_if(claims.begin(), claims.end(), [&](const Claim& c) { return c.verdict == w; });
    line += (line.empty() ? "Verdicts: " : ", ") + std::to_string(n) + " " + w;
  }
  return line + ".\n";
}

// The table and, under it, its count line.
std::string counted_table(const std::vector<Claim>& claims) {
  return claims_table(claims) + "\n" + verdict_counts(claims);
}

// "- <fig> "<claim>": <main verdict> <main_at>, <verdict> <at>" for each claim of `other` whose
// verdict differs from the same claim's in `main`.
std::string changed_verdicts(const std::vector<Claim>& main, const std::vector<Claim>& other,
                             const std::string& main_at, const std::string& at) {
  std::string changed;
  for (const auto& c : other)
    for (const auto& m : main)
      if (m.fig == c.fig && m.claim == c.claim && m.verdict != c.verdict)
        changed += "- " + c.fig + " \"" + c.claim + "\": " + m.verdict + " " + main_at + ", " +
                   c.verdict + " " + at + "\n";
  return changed;
}

// summary.md's plan shapes table (issue 25): one row per CSV file, model and method.
std::string plan_shapes_table(const std::vector<std::string>& rows) {
  std::string md =
      "| file | model | method | tasks | on 1 node (%) | on 2 nodes (%) | on 3+ nodes (%) | "
      "no plan |";
  for (const char* role : PlanShape::kRoleLabels) md += " " + std::string(role) + " |";
  md += "\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows) md += r;
  return md;
}

// A pass's name in headings: its plot title without " - " ("224 px workload").
std::string heading(const Pass& p) { return p.title.size() > 3 ? p.title.substr(3) : p.name; }

// A verdict's rank on the way to the claim holding: match 3, partial 2, differs 1; the
// verdicts that judge nothing (not checked, not testable, not comparable, calibrated) 0.
int rank(const std::string& v) {
  return v == "match" ? 3 : v == "partial" ? 2 : v == "differs" ? 1 : 0;
}

}  // namespace

std::string Context::why_section() const {
  // What pass j changes, seen from pass `from`: each other pass differs from the measured one
  // in one input (the UE's speed, the input size); the two others differ in both, so they are
  // not compared with each other.
  auto change = [&](std::size_t j, std::size_t from) {
    const Pass& p = passes_[j].pass;
    if (j == 0) {
      const Pass& f = passes_[from].pass;
      return f.paper ? std::string("the measured UE (the benchmark-derived class)")
                     : "the " + p.resnet.substr(p.resnet.rfind('_') + 1) + " px workload";
    }
    return p.paper ? "the paper-stated UE (" + p.resnet + " in " +
                         num(p.paper->ue_resnet18_s * 1e3) + " ms)"
                   : "the " + heading(p);
  };
  std::string doc;
  for (std::size_t i = 0; i < passes_.size(); ++i) {
    std::string items;
    for (const Claim& c : passes_[i].claims) {
      if (c.verdict == "match" || c.verdict == "calibrated" || c.verdict == "not comparable")
        continue;
      // The runs with one input changed: the figure's own, then the same claim in the passes
      // that differ from this one in one input.
      std::vector<Counterfactual> runs = c.counterfactuals;
      for (std::size_t j = 0; j < passes_.size(); ++j) {
        if (j == i || (i != 0 && j != 0)) continue;
        for (const Claim& o : passes_[j].claims)
          if (o.fig == c.fig && o.claim == c.claim) runs.push_back({change(j, i), o.verdict});
      }
      std::string line = "- **" + c.fig + "** \"" + c.claim + "\": " + c.verdict +
                         ". Cause: " + (c.cause.empty() ? c.reason : c.cause) + ".";
      const Counterfactual* best = nullptr;
      for (const auto& r : runs) {
        line += " With " + r.change + ": " + r.verdict + ".";
        if (!best || rank(r.verdict) > rank(best->verdict)) best = &r;
      }
      if (rank(c.verdict) == 0)
        line += best && rank(best->verdict) > 0 ? " Judged only in the other runs."
                                                : " Not judged in any run.";
      else if (best && rank(best->verdict) == 3)
        line += " **Proven**: it holds with " + best->change + " alone.";
      else if (best && rank(best->verdict) > rank(c.verdict))
        line += " **Partly proven**: with " + best->change + " it is " + best->verdict +
                "; the rest is unproven.";
      else
        line += " **Unproven**: no run with one input changed makes it hold.";
      items += line + "\n";
    }
    if (items.empty()) continue;
    if (doc.empty())
      doc +=
          "\n## Why claims do not match\n\n"
          "Every claim that does not match, pass by pass: the cause as the figure "
          "measured it, and the runs that change one input, with the verdict each "
          "gets: the figure's own counterfactual runs (the command to rerun one is "
          "named) and the passes that differ from it in one input (the paper-stated "
          "pass only in the UE's speed, files `*_paper.*`; the 224 px pass only in the "
          "workload's resolution, `*_224px.*`; each of them from the measured pass). "
          "A cause is proven when one such run makes the claim hold; otherwise it is "
          "written unproven.\n\n";
    if (i != 0) doc += "\n### Why claims do not match, " + heading(passes_[i].pass) + "\n\n";
    doc += items;
  }
  return doc;
}

// The section of a pass other than the main one: what differs, the verdicts that change from the
// main pass, its claims table and counts.
std::string Context::pass_section(const PassOutput& p) const {
  const PassOutput& main = passes_.front();
  std::string doc;
  if (const auto& paper = p.pass.paper) {
    doc += "\n## Paper-stated pass: the same claims with the inputs the paper states\n\n";
    std::string scales;
    for (const auto& [scen, f] : p.ue_scales)
      scales += (scales.empty() ? "" : ", ") + scen + " x" + fmt("%.3f", f.first) + " (" +
                fmt("%.1f", f.second * 1e3) + " -> " + fmt("%.1f", paper->ue_resnet18_s * 1e3) +
                " ms)";
    std::string figures;
    for (const auto& f : p.pass.figures) figures += (figures.empty() ? "" : ", ") + f;
    auto mean_ms = [](const PassOutput& q) {
      return q.runs ? fmt("%.1f ms", q.sci_update_sum_s / q.runs * 1e3) : std::string("-");
    };
    doc += "The measured pass's workload (" + p.pass.resnet + ", " + p.pass.vgg + ", " +
           p.pass.rcnn +
           ") on the same scenarios and seeds, with two inputs the paper states "
           "(data/scenarios/paper-stated.json; each with its sentence in "
           "data/scenarios/PROVENANCE.md): a UE that runs ResNet-18 in " +
           num(paper->ue_resnet18_s * 1e3) +
           " ms, the time Fig. 14's single split converges to (Sec. VII-B; inferred: a single "
           "split that never uses a MEC computes on the UE), i.e. every scenario's UE latency "
           "multiplied so that " +
           p.pass.resnet + " on the UE takes that long, every model on that UE alike (" +
           (scales.empty() ? std::string("no scenario loaded") : scales) +
           "); and an SCI processing time of " + num(paper->sci_processing_s * 1e3) +
           " ms per node (Sec. IV-C3: \"the average running time for one SCI update is only 27 "
           "ms\")" +
           (o_.sci_processing_s ? ", replaced by --sci-processing-ms " +
                                      num(*o_.sci_processing_s * 1e3) + " ms in this run"
                                : std::string()) +
           ": the mean SCI update over this pass's " + std::to_string(p.runs) + " runs is " +
           mean_ms(p) + " (measured pass: " + mean_ms(main) +
           "). Delta t is an outcome, not an input. Figures drawn: " + figures + "; files `*" +
           p.pass.suffix + ".*`.\n\n";
    const std::string changed =
        changed_verdicts(main.claims, p.claims, "measured", "with the paper-stated inputs");
    doc += changed.empty()
               ? "Every verdict is the same as in the measured pass.\n\n"
               : "Verdicts that differ between the measured and the paper-stated pass:\n\n" +
                     changed + "\n";
  } else {
    doc += "\n## Sensitivity: the same claims on the 224 px workload\n\n";
    doc +=
        "resnet18_224, vgg11_224, rcnn_vgg16_224 (torch.fx layers at 224 x 224 px, ~6x the "
        "paper's bytes per layer) on the same network, devices and seeds; files "
        "`*_224px.*`.\n\n";
    const std::string changed = changed_verdicts(main.claims, p.claims, "at 88 px", "at 224 px");
    doc += changed.empty() ? "Every verdict is the same as at 88 px.\n\n"
                           : "Verdicts that change with the input size:\n\n" + changed + "\n";
  }
  return doc + counted_table(p.claims);
}

std::string Context::summary() {
  if (passes_.empty())
    begin_pass(
        {"measured", "", "", "", "resnet18_88", "vgg11_88", "rcnn_vgg16_88", {}, std::nullopt});
  const PassOutput& main = passes_.front();
  const std::string md = claims_table(main.claims);
  const std::string run = o_.quick ? "quick" : "full";
  std::string doc = "# HiveMind evaluation reproduced (" + run + " run)\n\n";
  // The run's settings beyond the defaults (issue 25): named in the command line and stated
  // once; a default run's text carries neither.
  std::string flags, settings;
  if (!o_.forecast_gating) {
    flags += " --no-gating";
    settings +=
        " Settings: predictive forecasts not gated by the coherence time (every node "
        "forecasts, however short its Delta t; Sec. IV-F gates them).";
  }
  if (o_.sci_processing_s) {
    flags += " --sci-processing-ms " + num(*o_.sci_processing_s * 1e3);
    settings += std::string(o_.forecast_gating ? " Settings:" : "") + " SCI processing time " +
                num(*o_.sci_processing_s * 1e3) +
                " ms per node in every scenario (in place of its sci.processing_ms).";
  }
  doc += "Generated by `hivemind reproduce" + std::string(o_.quick ? " --quick" : "") + flags +
         "`: the " + run + " run, " + std::to_string(seeds_) + " seeds per configuration, " +
         num(duration_s_) + " s trials (the other run: " +
         (o_.quick ? "`hivemind reproduce`, 8 seeds x 60 s" : "`--quick`, 3 seeds x 20 s") +
         "; docs/simulator.md lists where the two differ). Every number below comes from the "
         "CSV files in this folder; plots are `figN.png` / `figN.svg` (gnuplot scripts "
         "`figN.gp`), the paper-stated pass's `figN_paper.*`, the sensitivity pass's "
         "`figN_224px.*`." +
         settings + "\n\n";
  doc +=
      "Simulator: flow-level 5G MEC network (docs/simulator.md): Friis + CQI/SE link model, "
      "proportional-fair scheduling of the target UE with background UEs redrawn every "
      "coherence block (calibrated to Table I's means and stds), mmWave blockage, mobility "
      "with handover, SCI update then layer-by-layer execution over time-varying capacity.\n"
      "Workload (Sec. VII-B2): the paper's models as its profiler saw them, one layer per "
      "leaf-module call at 88 x 88 px (resnet18_88, vgg11_88, rcnn_vgg16_88; data/zoo). "
      "Devices: the paper's hardware (Raspberry Pi 3B+, M1, Ryzen 3800X + RTX 2080, "
      "i9-9990XE + GTX 1080 Ti) derived from public benchmarks (data/devices/PROVENANCE.md).\n\n";
  doc +=
      "Verdicts: **match** = the claim holds within the stated tolerance; **partial** = the "
      "weaker condition stated in the tolerance holds; **differs** = the claim does not hold "
      "here; **not comparable** = the paper's unit or setting is not stated; **not checked** = "
      "this run has nothing to test it on (the reason says why); " +
      std::string(rules::kVerdictLegendExtra) + "\n\n";
  doc += counted_table(main.claims);
  for (std::size_t i = 1; i < passes_.size(); ++i)
    if (!passes_[i].claims.empty()) doc += pass_section(passes_[i]);
  doc += why_section();
  bool any_plans = false;
  for (const auto& p : passes_) any_plans = any_plans || !p.plan_rows.empty();
  if (any_plans) {
    doc +=
        "\n## Plan shapes\n\n"
        "Where each method's plans compute, per CSV file, model and method over the file's "
        "runs: the share of the planned tasks whose plan computes on 1, 2, or 3 or more nodes (a "
        "node computes when it runs at least one layer; the UE counts, a node that only relays "
        "does not), the tasks with no plan (the SCI update did not reach the UE in time, or no "
        "plan had a finite cost), and the mean layers per planned task on the nodes of each "
        "role (UE; gNB = the IAB MECs of mmwave-iab, a relay in sub6; MEC = the core MECs and "
        "chain5's MECs; cloud), which add up to the model's layers. Fig. 19's non-linear runs "
        "are not counted (fig19.csv has its own plans). Why HiveMind's plans rarely compute on a "
        "second MEC: the sections \"Fig. 11 means\" and \"Fig. 12 means\" put Eq. 10's "
        "inequality in numbers.\n\n";
    doc += plan_shapes_table(main.plan_rows);
    for (std::size_t i = 1; i < passes_.size(); ++i)
      if (!passes_[i].plan_rows.empty())
        doc += "\n## Plan shapes, " + heading(passes_[i].pass) + "\n\n" +
               plan_shapes_table(passes_[i].plan_rows);
  }
  for (const auto& [fig, t] : main.tables) doc += "\n## " + fig + " means\n\n" + t;
  for (std::size_t i = 1; i < passes_.size(); ++i)
    for (const auto& [fig, t] : passes_[i].tables)
      doc += "\n## " + fig + " means, " + heading(passes_[i].pass) + "\n\n" + t;
  if (!table1_md_.empty()) doc += "\n## Table I: UE bandwidth per link (mid load)\n\n" + table1_md_;
  if (!gnuplot_ && o_.plots)
    doc +=
        "\nPlots not drawn: gnuplot is not installed (the .gp scripts and .dat files are "
        "written).\n";
  for (const auto& f : plot_failures_) doc += "\ngnuplot failed on " + f + ".gp\n";
  suffix_ = main.pass.suffix;  // summary.md is the run's, not the last pass's
  write_file("summary.md", doc);
  return md;
}

}  // namespace hivemind::experiments::detail
