// The paper's evaluation, regenerated (Sec. III Fig. 2, Sec. IV-F Fig. 6, Sec. VII Figs. 11-19,
// Table I). Every run is a deterministic function of its configuration; runs are spread over
// threads and written back in job order, so the same options give byte-identical files.
#include "hivemind/experiments/reproduce.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/process.hpp"
#include "hivemind/sim/engine.hpp"
#include "hivemind/sim/network.hpp"
#include "hivemind/sim/nonlinear.hpp"
#include "hivemind/sim/report.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/cost_model.hpp"
#include "hivemind/split/paper_examples.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/solve.hpp"

namespace hivemind::experiments {

// The experiments drive the simulator; its names are used throughout.
using namespace hivemind::sim;

const std::vector<std::string>& reproduce_figures() {
  static const std::vector<std::string> names = {"fig2",  "table1", "fig6",  "fig11",
                                                 "fig12", "fig13",  "fig14", "fig15",
                                                 "fig16", "fig17",  "fig18", "fig19"};
  return names;
}

namespace {

struct Claim {
  std::string fig, claim, tolerance, ours, verdict, reason;
};

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points = {};
  std::string style = "lines";
};

struct Panel {
  std::string title, xlabel, ylabel;
  std::vector<Series> series;
  bool logx = false, logy = false;
  std::string extra = {};  // more gnuplot commands for this panel
};

struct Job {
  const Scenario* scenario = nullptr;
  const ModelCosts* model = nullptr;
  RunConfig config;
  std::string prefix;  // CSV prefix columns (comma-terminated)
  RunResult result;
};

// x within a factor `factor` of `target` (both > 0).
bool within_factor(double x, double target, double factor) {
  return x >= target / factor && x <= target * factor;
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

// "84 to 97%"; a fraction under 0.5% in size keeps one decimal ("-0.1 to 66%"), so a small
// loss is not printed as "-0".
std::string percent_range(double lo, double hi) {
  auto one = [](double x) {
    const double pct = x * 100;
    return fmt(std::abs(pct) < 0.5 && pct != 0 ? "%.1f" : "%.0f", pct);
  };
  return one(lo) + " to " + one(hi) + "%";
}

class Reproducer {
 public:
  explicit Reproducer(const ReproduceOptions& o) : o_(o) {
    seeds_ = o.quick ? 3 : 8;
    duration_s_ = o.quick ? 20.0 : 60.0;
    // Everything is written into a staging folder and moved into out_dir by commit(), once the
    // summary is written: a failed run leaves out_dir as it was (issue 10).
    if (o.plots) gnuplot_ = find_executable("gnuplot");
  }

  bool want(const std::string& fig) const {
    return o_.only.empty() || std::find(o_.only.begin(), o_.only.end(), fig) != o_.only.end();
  }

  const Scenario& scenario(const std::string& name) {
    auto it = scenarios_.find(name);
    if (it == scenarios_.end())
      it = scenarios_.emplace(name, load_scenario(o_.data_dir + "/scenarios/" + name + ".json"))
               .first;
    return it->second;
  }
  const ModelCosts& model(const std::string& scen, const std::string& name) {
    const std::string key = scen + "/" + name;
    auto it = models_.find(key);
    if (it == models_.end())
      it = models_.emplace(key, load_model_costs(scenario(scen), o_.data_dir, name, o_.budget))
               .first;
    return it->second;
  }

  void run(std::vector<Job>& jobs, const std::string& label) {
    for (auto& j : jobs) j.config.budget = o_.budget;
    run_parallel(
        jobs.size(), o_.threads,
        [&](std::size_t i) {
          jobs[i].result = run_simulation(*jobs[i].scenario, *jobs[i].model, jobs[i].config);
        },
        o_.progress ? label + (suffix_.empty() ? "" : " (224 px)") : std::string());
  }

  void write_csv(const std::string& name, const std::string& header_prefix,
                 const std::vector<Job>& jobs) {
    std::string text = tasks_csv_header(header_prefix);
    for (const auto& j : jobs) text += tasks_csv_rows(j.prefix, j.result, j.config, *j.scenario);
    write_file(name, text);
  }

  // Every file of the sensitivity pass carries its suffix before the extension
  // ("fig11_inference_224px.csv").
  std::string suffixed(const std::string& name) const {
    const auto dot = name.rfind('.');
    return dot == std::string::npos ? name + suffix_
                                    : name.substr(0, dot) + suffix_ + name.substr(dot);
  }
  void write_file(const std::string& name, const std::string& text) {
    out_.write(suffixed(name), text);
  }

  // Every figure asked for, in the paper's order; in the sensitivity pass only those whose
  // workload is the paper's models (Figs. 6, 11-14, 16, 18).
  void figures(bool sensitivity) {
    if (want("fig2") && !sensitivity) fig2();
    if (want("table1") && !sensitivity) table1();
    if (want("fig6")) fig6();
    if (want("fig11"))
      cost_figure("fig11", "Fig. 11", "mmwave-iab",
                  "Fig. 11: HiveMind split inference (a) and training (b), mmWave IAB");
    if (want("fig12"))
      cost_figure("fig12", "Fig. 12", "sub6",
                  "Fig. 12: HiveMind split inference (a) and training (b), sub-6 GHz");
    if (want("fig13")) fig13();
    if (want("fig14")) fig14();
    if (want("fig15") && !sensitivity) fig15();
    if (want("fig16")) fig16();
    if (want("fig17") && !sensitivity) fig17();
    if (want("fig18")) fig18();
    if (want("fig19") && !sensitivity) fig19();
  }

  // The sensitivity pass (issue 14): the same figures on the 224 px workload, their claims in a
  // section of their own and their files suffixed "_224px".
  void begin_sensitivity() {
    main_claims_ = std::move(claims_);
    main_tables_ = std::move(fig_tables_);
    claims_.clear();
    fig_tables_.clear();
    resnet_ = "resnet18_224", vgg_ = "vgg11_224", rcnn_ = "rcnn_vgg16_224";
    suffix_ = "_224px";
  }
  void end_sensitivity() {
    sensitivity_claims_ = std::move(claims_);
    sensitivity_tables_ = std::move(fig_tables_);
    claims_ = std::move(main_claims_);
    fig_tables_ = std::move(main_tables_);
    resnet_ = "resnet18_88", vgg_ = "vgg11_88", rcnn_ = "rcnn_vgg16_88";
    suffix_.clear();
  }

  // Moves every written file into out_dir (StagedDir::commit).
  void commit() { out_.commit(); }

  // Data blocks (one per series, gnuplot `index`) + a script drawing PNG and SVG.
  void plot(const std::string& stem, const std::string& title_in, const std::vector<Panel>& panels,
            int cols) {
    const std::string name = stem + suffix_;  // the files' name (write_file adds the suffix)
    const std::string title = suffix_.empty() ? title_in : title_in + " - 224 px workload";
    std::string dat, gp;
    int index = 0;
    std::vector<std::vector<int>> idx(panels.size());
    for (std::size_t p = 0; p < panels.size(); ++p)
      for (const auto& s : panels[p].series) {
        dat += "# " + panels[p].title + " / " + s.label + "\n";
        for (const auto& [x, y] : s.points) dat += num(x) + " " + num(y) + "\n";
        if (s.points.empty()) dat += "nan nan\n";
        dat += "\n\n";
        idx[p].push_back(index++);
      }
    write_file(stem + ".dat", dat);
    const int rows = static_cast<int>((panels.size() + cols - 1) / cols);
    const int w = 660 * cols, h = 400 * rows;
    // A gnuplot single-quoted string: ' doubled (text is plain: the terminals are noenhanced).
    auto q = [](const std::string& text) {
      std::string out = "'";
      for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
      return out + "'";
    };
    for (const char* term : {"png", "svg"}) {
      const std::string ext = term;
      gp += ext == "png" ? "set terminal pngcairo size " + std::to_string(w) + "," +
                               std::to_string(h) + " font 'Sans,10' noenhanced\n"
                         : "set terminal svg size " + std::to_string(w) + "," + std::to_string(h) +
                               " font 'Sans,10' noenhanced background '#ffffff'\n";
      gp += "set output '" + name + "." + ext + "'\n";
      // Legends right of each panel, outside the data.
      gp += "set datafile missing 'nan'\nset grid\nset key outside right top vertical font ',8'\n";
      gp += "set multiplot layout " + std::to_string(rows) + "," + std::to_string(cols) +
            " title " + q(title) + "\n";
      for (std::size_t p = 0; p < panels.size(); ++p) {
        const Panel& pn = panels[p];
        gp += "set title " + q(pn.title) + "\nset xlabel " + q(pn.xlabel) + "\nset ylabel " +
              q(pn.ylabel) + "\n";
        gp += pn.logx ? "set logscale x\n" : "unset logscale x\n";
        gp += pn.logy ? "set logscale y\n" : "unset logscale y\n";
        gp += pn.extra;
        gp += "plot ";
        for (std::size_t s = 0; s < pn.series.size(); ++s) {
          if (s) gp += ", ";
          // Series of one panel differ in colour, dash pattern and marker, so coincident curves
          // stay visible (a marker every ~1/12 of a curve's points: `pi`).
          const std::string k = std::to_string(s % 8 + 1);
          const std::size_t n = pn.series[s].points.size();
          std::string style = pn.series[s].style;
          if (style == "lines")
            style = "linespoints pi " + std::to_string(std::max<std::size_t>(1, n / 12)) +
                    " ps 0.9 pt " + std::to_string(s % 8 + 4) + " dt " + k;
          else if (style == "linespoints")
            style += " ps 1.1 pt " + std::to_string(s % 8 + 4) + " dt " + k;
          gp += "'" + name + ".dat' index " + std::to_string(idx[p][s]) + " using 1:2 with " +
                style + " lw 2 title " + q(pn.series[s].label);
        }
        gp += "\n";
        gp += "unset label\nunset arrow\n";
      }
      gp += "unset multiplot\n";
    }
    write_file(stem + ".gp", gp);
    if (gnuplot_) {
      // No shell: gnuplot gets the script's name as one argument, in the staging folder.
      SpawnOptions run;
      run.argv = {*gnuplot_, name + ".gp"};
      run.working_dir = out_.staging();
      if (!run_process(run, kGnuplotTimeoutS).ok()) plot_failures_.push_back(name);
    }
  }

  static Series cdf(const std::string& label, std::vector<double> v, double scale) {
    std::sort(v.begin(), v.end());
    Series s{label, {}, "lines"};
    const std::size_t n = v.size();
    const std::size_t step = std::max<std::size_t>(1, n / 300);
    for (std::size_t i = 0; i < n; i += step)
      s.points.emplace_back(v[i] * scale, static_cast<double>(i + 1) / n);
    if (n) s.points.emplace_back(v.back() * scale, 1.0);
    return s;
  }

  // One row of summary.md: the paper's claim, the tolerance the verdict applies (stated before
  // the number is known), our number, the verdict (match / partial / differs / not comparable /
  // not checked) and the reason, computed from this run's numbers.
  void claim(const std::string& fig, const std::string& text, const std::string& tolerance,
             const std::string& ours, const std::string& verdict, const std::string& reason) {
    claims_.push_back({fig, text, tolerance, ours, verdict, reason});
  }

  // Values of method m pooled over jobs.
  static std::vector<double> pooled(const std::vector<const Job*>& jobs, int m, bool energy) {
    std::vector<double> v;
    for (const Job* j : jobs) {
      const auto x = method_values(j->result, m, energy);
      v.insert(v.end(), x.begin(), x.end());
    }
    return v;
  }

  // Method m's tasks above `threshold_s` (latency) pooled over jobs, split by what the plan
  // knew (Sec. IV-F, Fig. 6): a spike whose planned latency was already above the threshold at
  // t1 ("slow at t1") and one planned below it that went stale between t1 and t2 ("stale").
  struct Spikes {
    int tasks = 0, spikes = 0, slow_at_t1 = 0, stale = 0, blocked = 0;
    double share() const { return tasks ? static_cast<double>(spikes) / tasks : 0.0; }
  };
  static Spikes spikes_of(const std::vector<const Job*>& jobs, int m, double threshold_s) {
    Spikes n;
    for (const Job* j : jobs)
      for (const auto& r : j->result.records) {
        if (r.method != m) continue;
        ++n.tasks;
        if (!(r.latency_s > threshold_s)) continue;
        ++n.spikes;
        if (r.planned > threshold_s)
          ++n.slow_at_t1;
        else
          ++n.stale;
        n.blocked += r.blocked;
      }
    return n;
  }
  static std::string describe(const Spikes& s, double threshold_s) {
    return std::to_string(s.spikes) + " of " + std::to_string(s.tasks) + " tasks > " +
           fmt("%.0f ms", threshold_s * 1e3) + " (" + fmt("%.1f%%", s.share() * 100) +
           "): " + std::to_string(s.stale) + " went stale between t1 and t2, " +
           std::to_string(s.slow_at_t1) + " already planned slower at t1; " +
           std::to_string(s.blocked) + " overlap a blockage";
  }
  // Of method `base`'s tasks above the threshold, how many method `other` ran below it (the
  // same task: records are task-major, method-minor).
  static std::pair<int, int> spikes_removed(const std::vector<const Job*>& jobs, int base,
                                            int other, double threshold_s) {
    std::pair<int, int> n{0, 0};
    for (const Job* j : jobs) {
      const auto& rec = j->result.records;
      for (std::size_t i = 0; i < rec.size(); ++i) {
        if (rec[i].method != base || !(rec[i].latency_s > threshold_s)) continue;
        const std::size_t k = i - base + other;
        if (k >= rec.size() || rec[k].task != rec[i].task) continue;
        ++n.first;
        n.second += rec[k].latency_s <= threshold_s;
      }
    }
    return n;
  }
  // Sec. IV-F's look-ahead Delta t of method m: median and 95th percentile over its tasks, for
  // the first link the data crossed and the largest over the links it crossed.
  static std::string lookahead(const std::vector<const Job*>& jobs, int m) {
    std::vector<double> first, most;
    for (const Job* j : jobs)
      for (const auto& r : j->result.records)
        if (r.method == m && std::isfinite(r.first_gap_s)) {
          first.push_back(r.first_gap_s);
          most.push_back(r.max_gap_s);
        }
    if (first.empty()) return "no task crossed a link";
    return "Delta t median " + fmt("%.1f", percentile(first, 50) * 1e3) + " ms (p95 " +
           fmt("%.1f", percentile(first, 95) * 1e3) + ") on the first link, " +
           fmt("%.1f", percentile(most, 50) * 1e3) + " ms (p95 " +
           fmt("%.1f", percentile(most, 95) * 1e3) + ") on the deepest";
  }

  // Capacities method m forecast over all jobs (0: Sec. IV-F's rule, Delta t < coherence time,
  // disabled its predictions on every node and task, so it planned like the standard split).
  static long forecasts_made(const std::vector<const Job*>& jobs, int m) {
    long n = 0;
    for (const Job* j : jobs) n += j->result.forecasts[m];
    return n;
  }

  // The non-empty notes, joined by "; ".
  static std::string join_notes(const std::vector<std::string>& notes) {
    std::string out;
    for (const auto& n : notes)
      if (!n.empty()) out += (out.empty() ? "" : "; ") + n;
    return out;
  }

  static double mean_sci_update_s(const std::vector<const Job*>& jobs) {
    std::vector<double> v;
    for (const Job* j : jobs) v.push_back(j->result.mean_sci_update_s);
    return mean_of(v);
  }

  // ---------------------------------------------------------------------------------------
  void fig2() {
    // Sec. III: 3 layers on UE / MEC / cloud, MEC-cloud capacity from 1 down to 1/10.
    std::string csv = "mec_cloud_capacity,method,cost,plan\n";
    Series ue{"UE computing"}, cloud{"Cloud ML"}, edge{"Edge single split"},
        single{"Cloud single split"}, multi{"Multi-split (SCI)"};
    bool multi_best = true, cloud_monotone = true;
    double prev_cloud = -1;
    int first_k = -1, last_k = -1;
    int ties = 0;
    double cloud_first = 0, cloud_last = 0, multi_first = 0, multi_last = 0;
    for (int i = 0; i <= 36; ++i) {
      const double cap = 1.0 - 0.025 * i;
      const auto costs = split::compile(split::paper_fig2_problem(cap));
      const int L = costs.layers;
      auto cost_of = [&](const split::Boundaries& b) { return split::evaluate(costs, b).total; };
      split::Boundaries bu(3, L), bc{0, 0, L};
      split::Boundaries be, bs = split::best_single_split(costs);
      double ce = INFINITY;
      for (int k = L; k >= 0; --k) {
        split::Boundaries b{k, L, L};
        if (cost_of(b) < ce) ce = cost_of(b), be = b;
      }
      std::vector<int> bm;
      split::SciChainSolver solver;
      const double cm = solver.solve(costs, bm);
      const double vals[5] = {cost_of(bu), cost_of(bc), ce, cost_of(bs), cm};
      const split::Boundaries* plans[5] = {&bu, &bc, &be, &bs, &bm};
      const char* names[5] = {"UE computing", "Cloud ML", "Edge single split", "Cloud single split",
                              "Multi-split"};
      Series* ser[5] = {&ue, &cloud, &edge, &single, &multi};
      for (int m = 0; m < 5; ++m) {
        ser[m]->points.emplace_back(cap, vals[m]);
        std::string plan;
        for (std::size_t p = 0; p < plans[m]->size(); ++p)
          plan += (p ? "/" : "") + std::to_string((*plans[m])[p]);
        csv += num(cap) + "," + names[m] + "," + num(vals[m]) + "," + plan + "\n";
        if (m < 4 && cm > vals[m] + 1e-12) multi_best = false;
      }
      // Another architecture equal to multi-split at this capacity (none is ever below it).
      ties += std::min({vals[0], vals[1], vals[2], vals[3]}) <= cm + 1e-12;
      if (i == 0) cloud_first = vals[1], multi_first = cm;
      cloud_last = vals[1], multi_last = cm;
      if (prev_cloud >= 0 && vals[1] < prev_cloud - 1e-12) cloud_monotone = false;
      prev_cloud = vals[1];
      if (i == 0) first_k = bs[0];
      last_k = bs[0];
    }
    write_file("fig2.csv", csv);
    Panel p{"Sec. III example: UE 1, MEC 3, cloud 10; UE-MEC link 2",
            "MEC-cloud link capacity",
            "total overhead (time units)",
            {ue, cloud, edge, single, multi}};
    p.extra = "set xrange [1:0.1]\n";
    plot("fig2", "Fig. 2: latency of 4 split architectures", {p}, 1);
    const std::string exact = "exact: the paper's 3-layer example, solved exactly at 37 capacities";
    claim("Fig. 2", "Multi-split has the lowest overhead at every MEC-cloud capacity (1 to 1/10)",
          exact, multi_best ? "lowest at all 37 capacities" : "not lowest somewhere",
          multi_best ? "match" : "differs",
          "multi-split " + fmt("%.3g", multi_first) + " at capacity 1, " + fmt("%.3g", multi_last) +
              " at 0.1 (time units); another architecture ties it at " + std::to_string(ties) +
              " of 37 capacities");
    claim("Fig. 2", "Cloud ML's overhead keeps increasing as the MEC-cloud capacity drops", exact,
          cloud_monotone ? "monotone increase" : "not monotone",
          cloud_monotone ? "match" : "differs",
          "cloud ML " + fmt("%.3g", cloud_first) + " at capacity 1, " + fmt("%.3g", cloud_last) +
              " at 0.1 (time units)");
    claim("Fig. 2",
          "Single split starts with all layers on the cloud, moves layers to the UE as the link "
          "drops",
          exact,
          "UE layers " + std::to_string(first_k) + " at capacity 1 -> " + std::to_string(last_k) +
              " at 0.1",
          first_k == 0 && last_k > 0 ? "match" : "differs",
          "plans per capacity in fig2.csv (b_0/b_1/b_2: the layers up to each node)");
  }

  // ---------------------------------------------------------------------------------------
  void table1() {
    struct Row {
      std::string scen, link;
      double cap, mean, std;
    };
    const std::vector<Row> paper = {
        {"mmwave-iab", "A", 200, 66.49, 19.47},  {"mmwave-iab", "B", 200, 71.89, 19.72},
        {"mmwave-iab", "C", 200, 47.06, 8.95},   {"mmwave-iab", "D", 200, 54.03, 11.61},
        {"mmwave-iab", "E", 200, 48.59, 9.41},   {"mmwave-iab", "F", 400, 54.05, 12.94},
        {"mmwave-iab", "G", 200, 36.03, 8.63},   {"mmwave-iab", "H", 50, 18.12, 4.43},
        {"sub6", "access-gnb", 50, 33.94, 8.45}, {"sub6", "B", 50, 33.94, 8.45},
        {"sub6", "C", 50, 18.78, 3.66}};
    std::vector<Job> jobs;
    for (const char* scen : {"mmwave-iab", "sub6"})
      for (int seed = 1; seed <= seeds_; ++seed) {
        Job j;
        j.scenario = &scenario(scen);
        j.model = &model(scen, resnet_);
        j.config.seed = seed;
        j.config.duration_s = duration_s_;
        j.config.period_s = duration_s_;  // one task: the traces are what we want
        j.config.all_link_stats = true;
        j.prefix = std::string(scen) + "," + std::to_string(seed) + ",";
        jobs.push_back(std::move(j));
      }
    run(jobs, "Table I (link bandwidth)");
    std::string csv =
        "scenario,link,capacity_mbps,paper_mean_mbps,paper_std_mbps,ours_mean_mbps,ours_std_mbps\n";
    std::string md =
        "| scenario | link | capacity | paper mean ± std (Mbit/s) | ours mean ± std "
        "|\n|---|---|---|---|---|\n";
    int close = 0;
    double lo_ratio = 1e9, hi_ratio = 0, worst_mean = 0;
    std::string worst_mean_link, lo_link, hi_link;
    for (const auto& r : paper) {
      std::vector<double> means, vars;
      for (const auto& j : jobs)
        if (j.scenario->name == r.scen)
          for (const auto& l : j.result.links)
            if (l.name == r.link) {
              means.push_back(l.mean_bps / 1e6);
              vars.push_back(l.std_bps * l.std_bps / 1e12);
            }
      const double m = mean_of(means), s = std::sqrt(mean_of(vars));
      csv += r.scen + "," + r.link + "," + num(r.cap) + "," + num(r.mean) + "," + num(r.std) + "," +
             num(m) + "," + num(s) + "\n";
      md += "| " + r.scen + " | " + r.link + " | " + num(r.cap) + " | " + fmt("%.2f", r.mean) +
            " ± " + fmt("%.2f", r.std) + " | " + fmt("%.2f", m) + " ± " + fmt("%.2f", s) + " |\n";
      const double err = std::abs(m - r.mean) / r.mean;
      close += err <= 0.15;
      const std::string name = r.scen + " " + r.link;
      if (err > worst_mean) worst_mean = err, worst_mean_link = name;
      if (s / r.std < lo_ratio) lo_ratio = s / r.std, lo_link = name;
      if (s / r.std > hi_ratio) hi_ratio = s / r.std, hi_link = name;
    }
    write_file("table1.csv", csv);
    table1_md_ = md;
    // The claim is mean AND std: both must be close for a match.
    const bool stds_close = lo_ratio >= 0.67 && hi_ratio <= 1.5;
    claim("Table I", "Per-link UE bandwidth mean/std (11 links)",
          "match: >= 9 of 11 means within 15% and every std within 0.67-1.5x; partial: >= 6 means "
          "within 15%",
          std::to_string(close) + "/11 means within 15%, stds " + fmt("%.2f", lo_ratio) + "-" +
              fmt("%.2f", hi_ratio) + "x the paper's (see table below)",
          close >= 9 && stds_close ? "match"
          : close >= 6             ? "partial"
                                   : "differs",
          "background UE count and demand per link calibrated to these means and stds at mid "
          "load (data/scenarios/calibrate.py, seeds 1-4, 20 s); worst mean " +
              worst_mean_link + " (" + fmt("%.0f%%", worst_mean * 100) + " off), std ratios from " +
              lo_link + " (" + fmt("%.2fx", lo_ratio) + ") to " + hi_link + " (" +
              fmt("%.2fx", hi_ratio) + ")");
  }

  // ---------------------------------------------------------------------------------------
  void fig6() {
    // As long as the other trials: blockage events (the deep drops of this setting) arrive every
    // few seconds, so a window of the paper's 600 ms would usually contain none.
    Job j;
    j.scenario = &scenario("chain5");
    j.model = &model("chain5", resnet_);
    j.config.seed = 1;
    j.config.duration_s = duration_s_;
    j.config.period_s = 0.01;
    j.config.load = Load::kHigh;
    j.config.methods = {{"HiveMind", split::Method::kSci}};
    j.prefix = "chain5,high,1,";
    std::vector<Job> jobs{std::move(j)};
    run(jobs, "Fig. 6 (5-hop chain)");
    write_csv("fig6.csv", "scenario,load,seed,", jobs);
    const RunResult& res = jobs[0].result;
    Series s{"HiveMind (SCI at t1)"};
    for (const auto& r : res.records) s.points.emplace_back(r.arrival_s, r.latency_s * 1e3);
    auto lat = method_values(res, 0, false);
    const double med = percentile(lat, 50), mx = percentile(lat, 100);
    // Fig. 6's surges are "to over 500 ms" (Sec. IV-F): the paper's threshold, as printed.
    constexpr double kSurgeS = 0.5;
    const Spikes sp = spikes_of({&jobs[0]}, 0, kSurgeS);
    // Blockage on the chain's links (the UE's mmWave hop in the shipped chain5).
    std::string blocked_links;
    for (const auto& l : res.links)
      if (l.blockage_onsets > 0 || l.blocked_fraction > 0) {
        blocked_links += (blocked_links.empty() ? "" : ", ") + l.name + " blocked " +
                         fmt("%.1f%%", l.blocked_fraction * 100) + " of the time (" +
                         std::to_string(l.blockage_onsets) + " events)";
      }
    Series thr{"500 ms (the paper's surge level)", {}, "lines dt 2"};
    if (!res.records.empty()) {
      thr.points.emplace_back(res.records.front().arrival_s, kSurgeS * 1e3);
      thr.points.emplace_back(res.records.back().arrival_s, kSurgeS * 1e3);
    }
    Panel p6{"split latency of each task", "task arrival time (s)", "latency (ms)", {s, thr}};
    p6.logy = true;
    plot("fig6", "Fig. 6: link dynamics, 5-hop chain {4000,2000,800,400,100} Mbit/s, high load",
         {p6}, 1);
    const std::string verdict = sp.stale > 0                        ? "match"
                                : sp.spikes > 0 || mx > kSurgeS / 2 ? "partial"
                                                                    : "differs";
    claim("Fig. 6",
          "On the 5-hop chain the split latency surges (to > 500 ms) when a link's capacity drops "
          "between t1 and t2",
          "match: a task above 500 ms whose plan was below 500 ms at t1; partial: surges above "
          "250 ms only, or above 500 ms only on plans already slower at t1",
          "median " + fmt("%.1f", med * 1e3) + " ms, max " + fmt("%.1f", mx * 1e3) + " ms; " +
              describe(sp, kSurgeS),
          verdict,
          join_notes({lookahead({&jobs[0]}, 0),
                      blocked_links.empty() ? "no blockage on the chain" : blocked_links,
                      sp.spikes == 0 ? "the largest capacity drop between t1 and t2 costs at "
                                       "most " +
                                           fmt("%.0f ms", (mx - med) * 1e3) +
                                           " over the median in " + num(duration_s_) + " s"
                                     : ""}));
  }

  // One trial of the full-length experiment: `scen` with `model_name`, seed `seed` (which also
  // picks the stretch of the UE's trajectory), one task every `period_s`.
  Job trial(const std::string& scen, const std::string& model_name, int seed, Load load,
            double period_s) {
    Job j;
    j.scenario = &scenario(scen);
    j.model = &model(scen, model_name);
    j.config.seed = seed;
    j.config.load = load;
    j.config.duration_s = duration_s_;
    j.config.period_s = period_s;
    j.config.start_offset_s = 17.0 * seed;  // different stretches of the trajectory
    return j;
  }

  // ---------------------------------------------------------------------------------------
  std::vector<Job> load_sweep(const std::string& scen, const std::string& model_name, TaskKind task,
                              double period,
                              std::vector<Load> loads = {Load::kLow, Load::kMid, Load::kHigh}) {
    std::vector<Job> jobs;
    for (Load load : loads)
      for (int seed = 1; seed <= seeds_; ++seed) {
        Job j = trial(scen, model_name, seed, load, period);
        j.config.task = task;
        j.prefix = scen + "," + model_name + "," +
                   (task == TaskKind::kTraining ? "training" : "inference") + "," +
                   std::string(to_string(load)) + "," + std::to_string(seed) + ",";
        jobs.push_back(std::move(j));
      }
    return jobs;
  }

  static std::vector<const Job*> select(const std::vector<Job>& jobs, Load load) {
    std::vector<const Job*> v;
    for (const auto& j : jobs)
      if (j.config.load == load) v.push_back(&j);
    return v;
  }

  void cost_figure(const std::string& stem, const std::string& fig, const std::string& scen,
                   const std::string& title) {
    auto inf = load_sweep(scen, resnet_, TaskKind::kInference, 0.1);
    auto tr = load_sweep(scen, resnet_, TaskKind::kTraining, 0.2);
    run(inf, fig + " inference");
    run(tr, fig + " training");
    write_csv(stem + "_inference.csv", "scenario,model,task,load,seed,", inf);
    write_csv(stem + "_training.csv", "scenario,model,task,load,seed,", tr);
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
                  " of its tasks met other capacities than planned), " + methods[m].label +
                  " paid " + fmt("%.3g", mm.at(m) * unit) + u +
                  (t != 1 ? std::string()
                   : moves == 0
                       ? "; HiveMind never moved a layer off the UE, where the parameters "
                         "start: Eq. 9 weighs a move's whole eta (" +
                             fmt("%.0f MB", model(scen, resnet_).param_bytes / 1e6) +
                             " for the whole model) against one iteration's saving"
                       : "; HiveMind moved its layers in " + std::to_string(moves) + " of " +
                             std::to_string(n) + " tasks (" + fmt("%.0f MB", migrated / 1e6) +
                             " of parameters, Eq. 8's eta)");
          }
        panels.push_back(std::move(p));
      }
    }
    plot(stem, title, panels, 3);
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
    fig_tables_[fig] = md;
    auto lat = [&](Load l, int m) { return mean["inference/" + std::string(to_string(l))].at(m); };
    auto en = [&](Load l, int m) { return mean["training/" + std::string(to_string(l))].at(m); };
    // What the numbers come from, computed from this run: the model's input, the UE's own time
    // and the target's mean capacity on its access link (first hop) per load.
    const ModelCosts& mc = model(scen, resnet_);
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
    const std::string inputs = mc.model + "'s input (" + fmt("%.0f KB", mc.input_bytes / 1e3) +
                               ") takes " + fmt("%.0f", input_ms[0]) + "/" +
                               fmt("%.0f", input_ms[1]) + "/" + fmt("%.0f ms", input_ms[2]) +
                               " over the first hop at low/mid/high load (" +
                               fmt("%.0f", access_mbps[0]) + "/" + fmt("%.0f", access_mbps[1]) +
                               "/" + fmt("%.0f Mbit/s", access_mbps[2]) + "); UE only " +
                               fmt("%.0f ms", lat(Load::kMid, 1) * 1e3);
    // Within 1% of the best: a plan made at t1 can lose by a hair to a baseline that was luckier
    // with the capacity at t2.
    bool within5 = true;
    for (const auto& [key, mm] : mean)
      for (int m = 1; m < 4; ++m) within5 = within5 && mm.at(0) <= mm.at(m) * 1.05;
    claim(fig,
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
      claim(fig, "HiveMind keeps a stable inference latency <= 79 ms at every load",
            "match: p95 <= 79 ms over all loads; partial: every load's mean <= 79 ms",
            "p95 " + fmt("%.1f", p95 * 1e3) + " ms; means low/mid/high " +
                fmt("%.1f", lat(Load::kLow, 0) * 1e3) + "/" +
                fmt("%.1f", lat(Load::kMid, 0) * 1e3) + "/" +
                fmt("%.1f", lat(Load::kHigh, 0) * 1e3) + " ms",
            p95 <= 0.079          ? "match"
            : worst_mean <= 0.079 ? "partial"
                                  : "differs",
            inputs);
      claim(fig, "Cloud-only latency exceeds 300 ms under high load",
            "match: high-load mean > 300 ms; partial: > 150 ms",
            fmt("%.0f ms", lat(Load::kHigh, 2) * 1e3),
            lat(Load::kHigh, 2) > 0.3    ? "match"
            : lat(Load::kHigh, 2) > 0.15 ? "partial"
                                         : "differs",
            "cloud only sends the input over every hop; " + inputs);
      const double gap = std::abs(lat(Load::kHigh, 3) - lat(Load::kHigh, 1)) / lat(Load::kHigh, 1);
      claim(fig, "Single split converges to UE-only under high load",
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
      claim(fig, "HiveMind outperforms the cloud and UE baselines by up to 89.8% under high load",
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
      claim(fig,
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
      claim("Sec. III",
            "Multi-split reduces latency by 37-90% vs cloud ML and 32-55% vs single split (mmWave "
            "IAB)",
            "match: every load's reduction within 10 points of the paper's ranges; partial: a "
            "reduction (> 0) vs both at every load",
            percent_range(lo_c, hi_c) + " vs cloud, " + percent_range(lo_s, hi_s) +
                " vs single split",
            in_range               ? "match"
            : lo_c > 0 && lo_s > 0 ? "partial"
                                   : "differs",
            "single split per load: " + fmt("%.1f", lat(Load::kLow, 3) * 1e3) + "/" +
                fmt("%.1f", lat(Load::kMid, 3) * 1e3) + "/" +
                fmt("%.1f ms", lat(Load::kHigh, 3) * 1e3) + " vs HiveMind " +
                fmt("%.1f", lat(Load::kLow, 0) * 1e3) + "/" +
                fmt("%.1f", lat(Load::kMid, 0) * 1e3) + "/" +
                fmt("%.1f ms", lat(Load::kHigh, 0) * 1e3) + "; " + inputs);
    } else {
      const double low_gap = 1 - lat(Load::kLow, 0) / lat(Load::kLow, 1);
      const double mid_gap = 1 - lat(Load::kMid, 0) / lat(Load::kMid, 1);
      const double high_gap = 1 - lat(Load::kHigh, 0) / lat(Load::kHigh, 1);
      const bool never_worse = std::min({low_gap, mid_gap, high_gap}) >= -0.01;
      const bool converges =
          low_gap > 0.01 && low_gap >= mid_gap && mid_gap >= high_gap && high_gap < low_gap / 2;
      claim(fig,
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

  // ---------------------------------------------------------------------------------------
  void fig13() {
    const std::vector<std::string> models = {vgg_, resnet_, rcnn_};
    std::vector<Job> jobs;
    for (const auto& mname : models)
      for (TaskKind task : {TaskKind::kInference, TaskKind::kTraining}) {
        auto js = load_sweep("mmwave-iab", mname, task, task == TaskKind::kInference ? 0.1 : 0.2,
                             {Load::kMid});
        for (auto& j : js) jobs.push_back(std::move(j));
      }
    run(jobs, "Fig. 13 (models)");
    write_csv("fig13.csv", "scenario,model,task,load,seed,", jobs);
    const auto methods = standard_methods();
    std::string csv = "model,method,relative_cost\n";
    std::vector<Series> bars(methods.size());
    std::map<std::string, double> hm_eff;
    for (std::size_t mi = 0; mi < models.size(); ++mi) {
      for (int m = 0; m < static_cast<int>(methods.size()); ++m) {
        // Relative cost: mean over tasks of cost / UE-only cost (inference and training pooled).
        std::vector<double> ratios;
        for (const auto& j : jobs) {
          if (j.model->model != model(std::string("mmwave-iab"), models[mi]).model) continue;
          const bool e = j.config.task == TaskKind::kTraining;
          const auto v = method_values(j.result, m, e), u = method_values(j.result, 1, e);
          for (std::size_t k = 0; k < v.size(); ++k) ratios.push_back(v[k] / u[k]);
        }
        const double r = mean_of(ratios);
        csv += models[mi] + "," + methods[m].label + "," + num(r) + "\n";
        bars[m].label = methods[m].label;
        bars[m].style = "linespoints";
        bars[m].points.emplace_back(static_cast<double>(mi), r);
        if (m == 0) hm_eff[models[mi]] = 1.0 / r;
      }
    }
    write_file("fig13_relative.csv", csv);
    Panel p{"relative cost (cost / UE-only, inference + training)", "model",
            "relative cost (lower is better)", bars};
    p.logy = true;
    p.extra =
        "set xtics ('VGG11' 0, 'ResNet18' 1, 'R-CNN (VGG16 backbone)' 2)\nset xrange [-0.5:2.5]\n";
    plot("fig13", "Fig. 13: impact of ML models (mmWave IAB, mid load)", {p}, 1);
    const double r_res = hm_eff[rcnn_] / hm_eff[resnet_], r_vgg = hm_eff[rcnn_] / hm_eff[vgg_];
    const bool rcnn_top = r_res > 1 && r_vgg > 1;
    auto mean_kb = [&](const std::string& name) {
      const ModelCosts& m = model("mmwave-iab", name);
      double sum = 0;
      for (double b : m.out_bytes) sum += b;
      return fmt("%.0f KB", sum / std::max<std::size_t>(1, m.out_bytes.size()) / 1e3);
    };
    claim("Fig. 13",
          "HiveMind's relative efficiency is highest on R-CNN: 3x that on ResNet18, 1.8x that on "
          "VGG11",
          "match: R-CNN highest and both ratios within 30% of 3x / 1.8x; partial: R-CNN highest "
          "and both ratios within 3x of the paper's",
          fmt("%.2fx", r_res) + " ResNet18, " + fmt("%.2fx", r_vgg) +
              " VGG11 (efficiency = UE-only cost / HiveMind cost)",
          !rcnn_top                                                            ? "differs"
          : std::abs(r_res / 3 - 1) <= 0.3 && std::abs(r_vgg / 1.8 - 1) <= 0.3 ? "match"
          : within_factor(r_res, 3, 3) && within_factor(r_vgg, 1.8, 3)         ? "partial"
                                                                               : "differs",
          "efficiency " + fmt("%.2fx", hm_eff[vgg_]) + " VGG11, " + fmt("%.2fx", hm_eff[resnet_]) +
              " ResNet18, " + fmt("%.2fx", hm_eff[rcnn_]) + " R-CNN; mean layer output " +
              mean_kb(vgg_) + " / " + mean_kb(resnet_) + " / " + mean_kb(rcnn_) +
              " (paper: 356 / 80 / 242 KB); R-CNN latencies are FLOPs estimates");
  }

  void fig14() {
    const std::vector<double> scales = {0.1, 0.5, 1, 2, 10, 20};
    const std::vector<std::pair<std::string, std::string>> classes = {
        {"iab-mec", "improved IAB"}, {"core-mec", "improved CN"}, {"cloud", "improved cloud"}};
    std::vector<Job> jobs;
    for (const auto& [cls, label] : classes)
      for (double sc : scales)
        for (int seed = 1; seed <= seeds_; ++seed) {
          Job j = trial("mmwave-iab", resnet_, seed, Load::kLow, 0.1);
          j.config.speedup[cls] = sc;
          j.prefix = cls + "," + num(sc) + "," + std::to_string(seed) + ",";
          jobs.push_back(std::move(j));
        }
    run(jobs, "Fig. 14 (MEC capability)");
    write_csv("fig14.csv", "improved,scale,seed,", jobs);
    std::vector<Series> series;
    std::map<std::string, std::map<double, double>> hm;
    std::map<double, double> cloud_only, single;
    for (const auto& [cls, label] : classes) {
      Series s{label, {}, "linespoints"};
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
      co.points.emplace_back(sc, cloud_only[sc] * 1e3),
          ss.points.emplace_back(sc, single[sc] * 1e3);
    series.push_back(co);
    series.push_back(ss);
    Panel p{"ResNet18 inference, mmWave IAB, low load", "computation capability scale",
            "mean latency (ms)", series};
    p.logx = true;
    plot("fig14", "Fig. 14: impact of MEC computation capability", {p}, 1);
    const double iab = hm["iab-mec"][20], cn = hm["core-mec"][20], cl = hm["cloud"][20];
    const double m_cn = 1 - iab / cn, m_cl = 1 - iab / cl;
    const std::string levels = "HiveMind at x1 " + fmt("%.1f ms", hm["iab-mec"][1] * 1e3) +
                               "; at x20 improved IAB/CN/cloud " + fmt("%.1f", iab * 1e3) + "/" +
                               fmt("%.1f", cn * 1e3) + "/" + fmt("%.1f ms", cl * 1e3);
    claim(
        "Fig. 14",
        "At x20, improved IAB MECs give the lowest latency: 14.5% below improved CN, 47.2% below "
        "improved cloud",
        "match: IAB lowest and both margins within 10 points of the paper's; partial: IAB "
        "lowest by > 1% against both",
        fmt("%.1f", m_cn * 100) + "% below CN, " + fmt("%.1f", m_cl * 100) + "% below cloud",
        m_cn > 0.01 && m_cl > 0.01
            ? (std::abs(m_cn - 0.145) <= 0.1 && std::abs(m_cl - 0.472) <= 0.1 ? "match" : "partial")
            : "differs",
        levels);
    const bool flat = std::abs(single[20] - single[0.1]) / single[0.1] < 0.1 &&
                      std::abs(cloud_only[20] - cloud_only[0.1]) / cloud_only[0.1] < 0.1;
    const bool levels_close =
        std::abs(single[1] / 0.115 - 1) <= 0.3 && std::abs(cloud_only[1] / 0.181 - 1) <= 0.3;
    claim("Fig. 14",
          "Single split and cloud only stay at ~115 ms and ~181 ms whatever the cloud capability",
          "match: both flat within 10% from x0.1 to x20 and at x1 within 30% of 115 / 181 ms; "
          "partial: flat",
          fmt("single %.0f-", single[0.1] * 1e3) + fmt("%.0f ms", single[20] * 1e3) +
              fmt(", cloud only %.0f-", cloud_only[0.1] * 1e3) +
              fmt("%.0f ms", cloud_only[20] * 1e3),
          flat ? (levels_close ? "match" : "partial") : "differs",
          "at x1: single split " + fmt("%.0f ms", single[1] * 1e3) + ", cloud only " +
              fmt("%.0f ms", cloud_only[1] * 1e3) + (flat ? " (communication-bound)" : ""));
    const double d10 = hm["iab-mec"][10], d20 = hm["iab-mec"][20];
    const double d = std::abs(d10 - d20) / d10;
    claim("Fig. 14", "x10 and x20 give nearly the same latency (bounded by the links)",
          "match: within 10%; partial: within 25%",
          fmt("improved IAB %.1f vs ", d10 * 1e3) + fmt("%.1f ms", d20 * 1e3),
          d < 0.1    ? "match"
          : d < 0.25 ? "partial"
                     : "differs",
          "x1 " + fmt("%.1f ms", hm["iab-mec"][1] * 1e3));
  }

  void fig15() {
    // Find a handover on the trajectory that lengthens the route by one hop (gnb1 -> gnb2).
    const Scenario& sc = scenario("mmwave-iab");
    Network net(sc, NetworkOptions{Load::kMid, 1, 0, 0, 1e6, o_.budget});
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
      claim("Fig. 15", "topology change", "-", "no +1-hop handover on the trajectory",
            "not checked", "the trajectory never hands over to a gNB one hop deeper");
      return;
    }
    Job j;
    j.scenario = &sc;
    j.model = &model("mmwave-iab", resnet_);
    j.config.seed = 1;
    j.config.load = Load::kLow;
    const double window = o_.quick ? 5.0 : 10.0;
    j.config.start_offset_s = t_ho - window;
    j.config.duration_s = 2 * window;
    j.config.period_s = 0.05;
    j.config.keep_plans = true;
    j.config.methods = {{"HiveMind", split::Method::kSci}};
    j.prefix = "mmwave-iab,low,1,";
    std::vector<Job> jobs{std::move(j)};
    run(jobs, "Fig. 15 (handover)");
    write_csv("fig15.csv", "scenario,load,seed,", jobs);
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
    plot("fig15", "Fig. 15: topology change (handover, +1 hop)",
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
    claim("Fig. 15",
          "After a handover adding one hop, the assignment of the unchanged part of the route "
          "stays the same",
          "match: no node on both routes (the UE aside) changes its mean layer count by > 1; "
          "partial: at most 2 do",
          "mean layers " + detail,
          changed == 0   ? "match"
          : changed <= 2 ? "partial"
                         : "differs",
          changed == 0 ? "" : "changed: " + changed_nodes);
    claim("Fig. 15", "Average latency increases by less than 5 ms after the topology change",
          "match: < 5 ms; partial: < 10 ms",
          fmt("%+.1f ms", inc * 1e3) + " (route " + std::to_string(hops_before) + " -> " +
              std::to_string(hops_before + 1) + " nodes)",
          inc < 0.005  ? "match"
          : inc < 0.01 ? "partial"
                       : "differs",
          "mean " + fmt("%.1f ms", mean_of(before) * 1e3) + " before, " +
              fmt("%.1f ms", mean_of(after) * 1e3) + " after");
  }

  std::vector<Job> predictive_jobs(double coherence, const std::vector<double>& sigmas,
                                   const std::string& tag) {
    std::vector<Job> jobs;
    for (int seed = 1; seed <= seeds_; ++seed) {
      Job j = trial("mmwave-iab", resnet_, seed, Load::kLow, 0.02);
      j.config.coherence_s = coherence;
      j.config.methods = {{"HiveMind", split::Method::kSci}};
      for (double s : sigmas) {
        MethodSpec m{"predictive sigma=" + num(s), split::Method::kSci, Forecaster::kOracle, s};
        j.config.methods.push_back(m);
      }
      if (sigmas.size() == 1) {
        j.config.methods.push_back(
            {"predictive last value", split::Method::kSci, Forecaster::kLastValue});
        j.config.methods.push_back({"predictive EWMA", split::Method::kSci, Forecaster::kEwma});
      }
      j.prefix = tag + "," + num(coherence * 1e3) + "," + std::to_string(seed) + ",";
      jobs.push_back(std::move(j));
    }
    return jobs;
  }

  void fig16() {
    std::vector<Panel> panels;
    std::string csv_all;
    for (double coh : {0.01, 0.05}) {
      auto jobs = predictive_jobs(coh, {0.0}, "fig16");
      run(jobs, "Fig. 16 (" + num(coh * 1e3) + " ms)");
      write_csv("fig16_" + num(coh * 1e3) + "ms.csv", "fig,coherence_ms,seed,", jobs);
      std::vector<const Job*> sel;
      for (const auto& j : jobs) sel.push_back(&j);
      Panel p{"link coherence time " + num(coh * 1e3) + " ms", "latency (ms)", "CDF", {}};
      p.logx = true;
      const auto& ms = jobs[0].config.methods;
      for (int m = 0; m < static_cast<int>(ms.size()); ++m)
        p.series.push_back(cdf(ms[m].label, pooled(sel, m, false), 1e3));
      panels.push_back(p);
      // Fig. 16's spikes are tasks above 100 ms, as printed; "12%" is read as 12% of tasks.
      constexpr double kSpikeS = 0.1;
      const Spikes st = spikes_of(sel, 0, kSpikeS), pr = spikes_of(sel, 1, kSpikeS);
      const auto [base_spikes, removed_n] = spikes_removed(sel, 0, 1, kSpikeS);
      const double removed = base_spikes ? static_cast<double>(removed_n) / base_spikes : 0.0;
      const std::string ours =
          "tasks > 100 ms: standard " + fmt("%.1f%%", st.share() * 100) + ", predictive (oracle) " +
          fmt("%.1f%%", pr.share() * 100) + ", last value " +
          fmt("%.1f%%", spikes_of(sel, 2, kSpikeS).share() * 100) + ", EWMA " +
          fmt("%.1f%%", spikes_of(sel, 3, kSpikeS).share() * 100) + "; predictive removed " +
          std::to_string(removed_n) + " of the standard split's " + std::to_string(base_spikes) +
          " spikes (" + fmt("%.0f%%", removed * 100) + ")";
      // A share of spikes removed needs spikes to remove: fewer than this and the verdict is
      // "not checked" (one spike more or less would swing it by 5 points or more).
      constexpr int kMinSpikes = 20;
      const std::string too_few = "only " + std::to_string(base_spikes) +
                                  " of the standard split's tasks above 100 ms at this load, "
                                  "too few to measure a share (" +
                                  std::to_string(kMinSpikes) + " needed)";
      const bool disabled = forecasts_made(sel, 1) == 0;
      const std::string forecast_note =
          disabled ? "predictive split made no forecast: every node's look-ahead Delta t stayed "
                     "below the " +
                         num(coh * 1e3) +
                         " ms coherence time, where Sec. IV-F disables it, so it planned exactly "
                         "like the standard split"
                   : "predictive split forecast " + std::to_string(forecasts_made(sel, 1)) +
                         " link capacities (those whose look-ahead Delta t reached the "
                         "coherence time)";
      const std::string why = join_notes(
          {"standard split: " + describe(st, kSpikeS),
           lookahead(sel, 0) + " (SCI update " + fmt("%.0f ms", mean_sci_update_s(sel) * 1e3) + ")",
           forecast_note});
      if (coh == 0.01) {
        // "Leaves 12% of latency spikes over 100 ms": of the standard split's spikes, the share
        // the predictive split does not remove.
        const double left = 1.0 - removed;
        claim("Fig. 16",
              "10 ms coherence: predictive split still leaves 12% of the latency spikes over 100 "
              "ms",
              "match: 7-17% of the standard split's spikes left; partial: 3-50% left (needs >= 20 "
              "spikes)",
              ours,
              base_spikes < kMinSpikes        ? "not checked"
              : std::abs(left - 0.12) <= 0.05 ? "match"
              : left >= 0.03 && left <= 0.5   ? "partial"
                                              : "differs",
              base_spikes < kMinSpikes ? too_few : why);
      } else {
        claim("Fig. 16",
              "50 ms coherence: predictive split eliminates all latency spikes over 100 ms (Sec. "
              "IV-F: > 95%)",
              "match: >= 95% of the standard split's spikes removed; partial: >= 50% (needs >= 20 "
              "spikes)",
              ours,
              base_spikes < kMinSpikes ? "not checked"
              : removed >= 0.95        ? "match"
              : removed >= 0.5         ? "partial"
                                       : "differs",
              base_spikes < kMinSpikes ? too_few : why);
      }
    }
    plot("fig16", "Fig. 16: predictive splitting (mmWave IAB, low load)", panels, 2);
  }

  void fig17() {
    const std::vector<double> sigmas = {0.0,  0.025, 0.05, 0.075, 0.10, 0.125,
                                        0.15, 0.175, 0.20, 0.25,  0.30};
    const double coherence_s = 0.05;  // Sec. VII-C3 reuses the 50 ms setup of Fig. 16
    const std::string coherence = fmt("%.0f ms", coherence_s * 1e3);
    auto jobs = predictive_jobs(coherence_s, sigmas, "fig17");
    run(jobs, "Fig. 17 (forecast error)");
    write_csv("fig17.csv", "fig,coherence_ms,seed,", jobs);
    std::vector<const Job*> sel;
    for (const auto& j : jobs) sel.push_back(&j);
    const double std_med = percentile(pooled(sel, 0, false), 50);
    Series pred{"predictive split", {}, "linespoints"}, st{"standard split", {}, "lines"};
    double cross = -1, last = 0;
    for (std::size_t i = 0; i < sigmas.size(); ++i) {
      const double med = percentile(pooled(sel, static_cast<int>(i) + 1, false), 50);
      pred.points.emplace_back(sigmas[i] * 100, med * 1e3);
      st.points.emplace_back(sigmas[i] * 100, std_med * 1e3);
      if (cross < 0 && med > std_med) cross = sigmas[i];
      last = med;
    }
    Panel p{"link coherence " + coherence + ", oracle forecast with Gaussian relative error",
            "relative prediction error (%)",
            "median latency (ms)",
            {pred, st}};
    plot("fig17", "Fig. 17: impact of link prediction accuracy", {p}, 1);
    bool disabled = true;
    for (std::size_t i = 0; i < sigmas.size(); ++i)
      disabled = disabled && forecasts_made(sel, static_cast<int>(i) + 1) == 0;
    const std::string disabled_note =
        "predictive split made no forecast at any error: every node's look-ahead Delta t stayed "
        "below the " +
        coherence + " coherence time (the SCI update alone takes ~" +
        fmt("%.0f ms", mean_sci_update_s(sel) * 1e3) +
        "), where Sec. IV-F disables it, so forecast errors change no plan";
    const double first = pred.points.front().second * 1e-3;
    const std::string levels = std::to_string(forecasts_made(sel, 1)) +
                               " link capacities forecast at 0% error; predictive median " +
                               fmt("%.1f ms", first * 1e3) + " at 0% error, " +
                               fmt("%.1f ms", last * 1e3) + " at 30%; standard " +
                               fmt("%.1f ms", std_med * 1e3) + "; " + lookahead(sel, 0);
    claim("Fig. 17", "The predictive gain turns into a loss at a 13% relative prediction error",
          "match: the predictive median first exceeds the standard's at 8-18% error; partial: it "
          "does at some error up to 30%",
          cross < 0 ? "no loss up to 30%"
                    : "loss from " + fmt("%.1f%%", cross * 100) + " (standard median " +
                          fmt("%.1f ms)", std_med * 1e3),
          disabled    ? "not checked"
          : cross < 0 ? "differs"
                      : (std::abs(cross - 0.13) <= 0.05 ? "match" : "partial"),
          disabled ? disabled_note : levels);
    claim("Fig. 17",
          "Beyond 17% error the median latency converges to ~130 ms (model kept on UE + IAB MECs)",
          "match: median at 30% error within 20% of 130 ms; partial: within 50%",
          fmt("%.1f ms at 30%% error", last * 1e3),
          disabled                           ? "not checked"
          : std::abs(last / 0.13 - 1) <= 0.2 ? "match"
          : std::abs(last / 0.13 - 1) <= 0.5 ? "partial"
                                             : "differs",
          disabled ? disabled_note : levels);
  }

  // ---------------------------------------------------------------------------------------
  void fig18() {
    std::vector<Job> jobs;
    for (int seed = 1; seed <= seeds_; ++seed) {
      Job j = trial("mmwave-iab", resnet_, seed, Load::kMid, 0.1);
      j.config.methods = {{"Opt. latency", {split::Method::kOptMetric, "latency_ms"}},
                          {"Opt. energy", {split::Method::kOptMetric, "energy_j"}},
                          {"Linear combine", split::Method::kLinear},
                          {"HiveMind multi-objective (barrier)", split::Method::kBarrier},
                          {"Exact constrained optimum", split::Method::kExact}};
      j.prefix = "mmwave-iab,mid," + std::to_string(seed) + ",";
      jobs.push_back(std::move(j));
    }
    run(jobs, "Fig. 18 (multi-objective)");
    write_csv("fig18.csv", "scenario,load,seed,", jobs);
    std::vector<const Job*> sel;
    for (const auto& j : jobs) sel.push_back(&j);
    const auto& ms = jobs[0].config.methods;
    Panel pl{"latency (threshold 120 ms)", "latency (ms)", "CDF", {}},
        pe{"energy of UE + IAB MECs", "energy (J)", "CDF", {}};
    std::vector<double> mlat, men, maxlat;
    for (int m = 0; m < static_cast<int>(ms.size()); ++m) {
      auto l = pooled(sel, m, false), e = pooled(sel, m, true);
      pl.series.push_back(cdf(ms[m].label, l, 1e3));
      pe.series.push_back(cdf(ms[m].label, e, 1.0));
      mlat.push_back(mean_of(l));
      men.push_back(mean_of(e));
      maxlat.push_back(percentile(l, 100));
    }
    plot("fig18", "Fig. 18: multi-objective split (mmWave IAB, mid load)", {pl, pe}, 2);
    std::string md = "| method | mean latency | max latency | mean energy |\n|---|---|---|---|\n";
    for (std::size_t m = 0; m < ms.size(); ++m)
      md += "| " + ms[m].label + " | " + fmt("%.1f ms", mlat[m] * 1e3) + " | " +
            fmt("%.1f ms", maxlat[m] * 1e3) + " | " + fmt("%.3f J", men[m]) + " |\n";
    fig_tables_["Fig. 18"] = md;
    claim("Fig. 18", "Linear combine averages 75 ms / 476 J (latency needlessly low)",
          "latency only (the paper's joules are not per task): match: mean within 30% of 75 ms; "
          "partial: mean below the 120 ms threshold",
          fmt("%.1f ms / ", mlat[2] * 1e3) + fmt("%.3f J per task", men[2]),
          std::abs(mlat[2] / 0.075 - 1) <= 0.3 ? "match"
          : mlat[2] < 0.12                     ? "partial"
                                               : "differs",
          "the linear weight (UE-only normalisation) is our choice; opt. latency averages " +
              fmt("%.1f ms", mlat[0] * 1e3) + ", opt. energy " + fmt("%.1f ms", mlat[1] * 1e3));
    // Tasks of the barrier method over the 120 ms threshold, and how many of them met other
    // capacities than planned (the plan respected the threshold at t1, Sec. V).
    int over = 0, over_stale = 0, barrier_tasks = 0;
    for (const Job* j : sel)
      for (const auto& r : j->result.records)
        if (r.method == 3) {
          ++barrier_tasks;
          if (r.latency_s > 0.12) ++over, over_stale += !r.exact;
        }
    const double cut = 1 - men[3] / men[2];
    claim("Fig. 18",
          "HiveMind multi-objective cuts energy by 22.9% vs linear combine and keeps max latency "
          "under 120 ms",
          "match: energy cut within 10 points of 22.9% and max latency <= 120 ms; partial: an "
          "energy cut and mean latency <= 120 ms",
          fmt("%.1f%% less energy than linear, ", cut * 100) +
              fmt("max latency %.1f ms; exact optimum: ", maxlat[3] * 1e3) +
              fmt("%.1f%% less energy, ", (1 - men[4] / men[2]) * 100) +
              fmt("max %.1f ms", maxlat[4] * 1e3),
          std::abs(cut - 0.229) <= 0.1 && maxlat[3] <= 0.12 ? "match"
          : cut > 0 && mlat[3] <= 0.12                      ? "partial"
                                                            : "differs",
          std::to_string(over) + " of " + std::to_string(barrier_tasks) + " tasks over 120 ms, " +
              std::to_string(over_stale) + " of them met other capacities than planned at t1");
  }

  // ---------------------------------------------------------------------------------------
  // Fig. 19 (Sec. VII-E): non-linear HiveMind against standard HiveMind, both planned with the
  // paper's objective (energy, latency <= 120 ms) at t1 and executed on the traces
  // (sim/nonlinear.hpp). One task per second along the trajectory.
  void fig19() {
    const Scenario& sc = scenario("mmwave-iab");
    const ModelCosts& gru = model("mmwave-iab", "gru_tagger_200");
    const ModelCosts& qmix = model("mmwave-iab", "qmix_agent");
    struct Case {
      NonlinearModel kind;
      Load load;
      int seed;
      NonlinearResult result;
    };
    std::vector<Case> cases;
    for (NonlinearModel kind : {NonlinearModel::kRnn, NonlinearModel::kCollaborative})
      for (Load load : {Load::kLow, Load::kMid, Load::kHigh})
        for (int seed = 1; seed <= seeds_; ++seed) cases.push_back({kind, load, seed, {}});
    run_parallel(
        cases.size(), o_.threads,
        [&](std::size_t i) {
          Case& c = cases[i];
          NonlinearConfig config;
          config.model = c.kind;
          config.load = c.load;
          config.seed = static_cast<std::uint64_t>(c.seed);
          config.duration_s = duration_s_;
          config.period_s = 1.0;
          config.start_offset_s = 17.0 * c.seed;  // the stretches of the other figures
          config.budget = o_.budget;
          c.result = run_nonlinear(sc, c.kind == NonlinearModel::kRnn ? gru : qmix, config);
        },
        o_.progress ? "Fig. 19 (non-linear)" : "");
    std::string csv =
        "model,load,seed,task_index,method,arrival_ms,planned_latency_ms,planned_energy_j,"
        "fallback,latency_ms,energy_j,route,plan\n";
    // Per model and load, pooled over seeds: mean realised energy and latency per method, the
    // share within 120 ms and the share of standard tasks that ran the whole module on the UE.
    struct Pool {
      double energy[2] = {0, 0}, latency[2] = {0, 0};
      int tasks[2] = {0, 0}, within[2] = {0, 0}, ue_only = 0;
    };
    std::map<NonlinearModel, std::map<Load, Pool>> pools;
    for (const Case& c : cases) {
      const bool rnn = c.kind == NonlinearModel::kRnn;
      const ModelCosts& mc = rnn ? gru : qmix;
      const int module_layers = rnn ? RnnLayout{}.module_layers : mc.layers;
      Pool& pool = pools[c.kind][c.load];
      for (const auto& r : c.result.records) {
        const int m = r.method == NonlinearMethod::kStandard ? 0 : 1;
        pool.energy[m] += r.energy_j, pool.latency[m] += r.latency_s, ++pool.tasks[m];
        pool.within[m] += r.latency_s <= 0.12;
        if (m == 0 && !r.boundaries.empty() && r.boundaries[0] >= module_layers) ++pool.ue_only;
        std::string route, plan;
        for (std::size_t p = 0; p < r.route.size(); ++p)
          route += (p ? ">" : "") + sc.nodes[r.route[p]].name;
        for (std::size_t p = 0; p < r.boundaries.size(); ++p)
          plan += (p ? "/" : "") + std::to_string(r.boundaries[p]);
        csv += mc.model + "," + std::string(to_string(c.load)) + "," + std::to_string(c.seed) +
               "," + std::to_string(r.task) + "," + to_string(r.method) + "," +
               num(r.arrival_s * 1e3) + "," + num(r.planned_latency_s * 1e3) + "," +
               num(r.planned_energy_j) + "," + (r.fallback ? "1" : "0") + "," +
               num(r.latency_s * 1e3) + "," + num(r.energy_j) + "," + route + "," + plan + "\n";
      }
    }
    write_file("fig19.csv", csv);
    // The paper's "efficiency improvement": standard's mean realised energy / non-linear's.
    auto efficiency = [&](NonlinearModel kind, Load load) {
      const Pool& p = pools[kind][load];
      return p.tasks[0] && p.tasks[1] && p.energy[1] > 0
                 ? (p.energy[0] / p.tasks[0]) / (p.energy[1] / p.tasks[1])
                 : NAN;
    };
    auto detail = [&](NonlinearModel kind, Load load) {
      const Pool& p = pools[kind][load];
      std::string out = std::string(to_string(load)) + " load: ";
      const char* names[2] = {"standard", "non-linear"};
      for (int m = 0; m < 2; ++m)
        out += std::string(m ? ", " : "") + names[m] + " " +
               fmt("%.3g J", p.energy[m] / std::max(1, p.tasks[m])) + " / " +
               fmt("%.1f ms", p.latency[m] / std::max(1, p.tasks[m]) * 1e3) + " (" +
               fmt("%.0f%%", 100.0 * p.within[m] / std::max(1, p.tasks[m])) + " within 120 ms)";
      return out;
    };
    std::vector<Series> ser;
    for (NonlinearModel kind : {NonlinearModel::kRnn, NonlinearModel::kCollaborative}) {
      Series s{kind == NonlinearModel::kRnn ? "split RNN (GRU tagger, 200 steps)"
                                            : "split collaborative (QMIX agent)",
               {},
               "linespoints"};
      for (Load l : {Load::kLow, Load::kMid, Load::kHigh})
        s.points.emplace_back(load_scale(l), efficiency(kind, l));
      ser.push_back(s);
    }
    Panel p{"energy: standard / non-linear (limit 120 ms)", "background load scale",
            "relative efficiency (x)", ser};
    p.logx = true;
    p.logy = true;
    plot("fig19", "Fig. 19: non-linear HiveMind vs standard split (mmWave IAB)", {p}, 1);
    const double rl = efficiency(NonlinearModel::kRnn, Load::kLow),
                 rh = efficiency(NonlinearModel::kRnn, Load::kHigh);
    const Pool& gl = pools[NonlinearModel::kRnn][Load::kLow];
    claim("Fig. 19a",
          "Split RNN outperforms standard HiveMind by 1.7x (low load) and 2.3x (high load)",
          "match: both within 30% of 1.7x / 2.3x and growing with load; partial: > 1x and "
          "within 3x of the paper's at both loads",
          fmt("%.2fx low, ", rl) + fmt("%.2fx high", rh) + " (realised energy)",
          std::abs(rl / 1.7 - 1) <= 0.3 && std::abs(rh / 2.3 - 1) <= 0.3 && rh >= rl   ? "match"
          : rl > 1 && rh > 1 && within_factor(rl, 1.7, 3) && within_factor(rh, 2.3, 3) ? "partial"
                                                                                       : "differs",
          detail(NonlinearModel::kRnn, Load::kLow) + "; " +
              detail(NonlinearModel::kRnn, Load::kHigh) +
              "; the standard split ran the whole module on the UE in " +
              fmt("%.0f%%", 100.0 * gl.ue_only / std::max(1, gl.tasks[0])) +
              " of low-load tasks (its 120 ms limit shared by 200 steps leaves " +
              fmt("%.1f ms a step", 120.0 / 200) + "); hidden state " +
              fmt("%.0f B", gru.out_bytes[2]) + " per step");
    const double qh = efficiency(NonlinearModel::kCollaborative, Load::kHigh);
    claim("Fig. 19b",
          "Split collaborative learning outperforms standard HiveMind by 1.5x under high load",
          "match: within 30% of 1.5x at high load; partial: > 1x and within 3x of 1.5x",
          fmt("%.2fx high", qh) +
              fmt(", %.2fx low", efficiency(NonlinearModel::kCollaborative, Load::kLow)) +
              " (realised energy)",
          std::abs(qh / 1.5 - 1) <= 0.3         ? "match"
          : qh > 1 && within_factor(qh, 1.5, 3) ? "partial"
                                                : "differs",
          detail(NonlinearModel::kCollaborative, Load::kHigh) + "; the agent pushes " +
              fmt("%.0f KB", qmix.param_bytes / 1e3) +
              " of parameters to the mixer after each task (the paper quotes ~100 MB for "
              "collaborative models), which standard HiveMind does not plan for");
  }

  // ---------------------------------------------------------------------------------------
  static std::string claims_table(const std::vector<Claim>& claims) {
    std::string md =
        "| figure | paper's claim | tolerance | ours | verdict | from this run |\n"
        "|---|---|---|---|---|---|\n";
    for (const auto& c : claims)
      md += "| " + c.fig + " | " + c.claim + " | " + c.tolerance + " | " + c.ours + " | " +
            c.verdict + " | " + c.reason + " |\n";
    return md;
  }

  std::string summary() {
    const std::string md = claims_table(claims_);
    const std::string run = o_.quick ? "quick" : "full";
    std::string doc = "# HiveMind evaluation reproduced (" + run + " run)\n\n";
    doc += "Generated by `hivemind reproduce" + std::string(o_.quick ? " --quick" : "") +
           "`: the " + run + " run, " + std::to_string(seeds_) + " seeds per configuration, " +
           num(duration_s_) + " s trials (the other run: " +
           (o_.quick ? "`hivemind reproduce`, 8 seeds x 60 s" : "`--quick`, 3 seeds x 20 s") +
           "; docs/simulator.md lists where the two differ). Every number below comes from the "
           "CSV files in this folder; plots are `figN.png` / `figN.svg` (gnuplot scripts "
           "`figN.gp`), the sensitivity pass's `figN_224px.*`.\n\n";
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
        "this run has nothing to test it on (the reason says why).\n\n";
    doc += md;
    if (!sensitivity_claims_.empty()) {
      doc += "\n## Sensitivity: the same claims on the 224 px workload\n\n";
      doc +=
          "resnet18_224, vgg11_224, rcnn_vgg16_224 (torch.fx layers at 224 x 224 px, ~6x the "
          "paper's bytes per layer) on the same network, devices and seeds; files "
          "`*_224px.*`.\n\n";
      std::string changed;
      for (const auto& c : sensitivity_claims_)
        for (const auto& m : claims_)
          if (m.fig == c.fig && m.claim == c.claim && m.verdict != c.verdict)
            changed += "- " + c.fig + " \"" + c.claim + "\": " + m.verdict + " at 88 px, " +
                       c.verdict + " at 224 px\n";
      doc += changed.empty() ? "Every verdict is the same as at 88 px.\n\n"
                             : "Verdicts that change with the input size:\n\n" + changed + "\n";
      doc += claims_table(sensitivity_claims_);
    }
    for (const auto& [fig, t] : fig_tables_) doc += "\n## " + fig + " means\n\n" + t;
    for (const auto& [fig, t] : sensitivity_tables_)
      doc += "\n## " + fig + " means, 224 px workload\n\n" + t;
    if (!table1_md_.empty())
      doc += "\n## Table I: UE bandwidth per link (mid load)\n\n" + table1_md_;
    if (!gnuplot_ && o_.plots)
      doc +=
          "\nPlots not drawn: gnuplot is not installed (the .gp scripts and .dat files are "
          "written).\n";
    for (const auto& f : plot_failures_) doc += "\ngnuplot failed on " + f + ".gp\n";
    write_file("summary.md", doc);
    return md;
  }

  std::vector<Claim> claims_;

 private:
  // One figure takes gnuplot well under a second; a hung gnuplot is killed after this.
  static constexpr double kGnuplotTimeoutS = 60.0;
  ReproduceOptions o_;
  StagedDir out_{o_.out_dir, "--out"};
  int seeds_ = 2;
  double duration_s_ = 10.0;
  std::optional<std::string> gnuplot_;
  std::map<std::string, Scenario> scenarios_;
  std::map<std::string, ModelCosts> models_;
  std::map<std::string, std::string> fig_tables_;
  // The workload (issue 14): the paper's models at 88 px as its profiler saw them (Sec. VII-B2;
  // data/zoo/PROVENANCE.md); the 224 px ones in the sensitivity pass.
  std::string resnet_ = "resnet18_88", vgg_ = "vgg11_88", rcnn_ = "rcnn_vgg16_88";
  std::string suffix_;  // of the sensitivity pass's files
  std::vector<Claim> main_claims_, sensitivity_claims_;
  std::map<std::string, std::string> main_tables_, sensitivity_tables_;
  std::string table1_md_;
  std::vector<std::string> plot_failures_;
};

}  // namespace

std::string reproduce(const ReproduceOptions& options) {
  for (const auto& f : options.only)
    if (std::find(reproduce_figures().begin(), reproduce_figures().end(), f) ==
        reproduce_figures().end()) {
      std::string names;
      for (const auto& n : reproduce_figures()) names += (names.empty() ? "" : ", ") + n;
      throw InputError("--only: \"" + f + "\" is not one of " + names);
    }
  Reproducer r(options);
  r.figures(false);
  // The sensitivity pass: the figures whose workload is the paper's models, on the 224 px ones.
  r.begin_sensitivity();
  r.figures(true);
  r.end_sensitivity();
  std::string table = r.summary();
  r.commit();
  return table;
}

}  // namespace hivemind::experiments
