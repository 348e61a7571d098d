// What every figure of `hivemind reproduce` works from (internal to hivemind_experiments): the
// shared types (a claim of summary.md, a plotted series, a panel, a simulator job), the Context
// a figure runs in (options, scenario and model caches, trials spread over threads, CSV and
// gnuplot output into the staged folder, claims) and the statistics several figures compute
// over their jobs. Each figure is one function `void figN(Context&)` (figures.hpp).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hivemind/experiments/reproduce.hpp"
#include "hivemind/io.hpp"
#include "hivemind/sim/engine.hpp"
#include "hivemind/sim/report.hpp"

namespace hivemind::experiments::detail {

// The experiments drive the simulator; its names are used throughout.
using namespace hivemind::sim;

// A run with one input changed (issue 25 step 5): what changed, how to rerun it, its verdict.
struct Counterfactual {
  std::string change, verdict;
};

struct Claim {
  std::string fig, claim, tolerance, ours, verdict, reason;
  std::string cause = {};  // why it does not match, as the figure knows it ("": the reason)
  std::vector<Counterfactual> counterfactuals = {};
};

// A plotted series. Series of a panel whose points are identical (point for point; bars apart)
// are drawn once, "(= B)" under A in the key (plot.cpp), so no curve hides another.
struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points = {};
  // A gnuplot style ("lines" and "linespoints" get a marker, dash type and width per series);
  // "bars": one bar per point at category x (Panel::categories), the panel's bar series side
  // by side, each bar labelled with its value.
  std::string style = "lines";
};

struct Panel {
  std::string title, xlabel, ylabel;
  std::vector<Series> series;
  bool logx = false, logy = false;
  std::string extra = {};  // more gnuplot commands for this panel
  // Categorical x: a point's x = k stands for categories[k] (the tics); empty: numeric x.
  std::vector<std::string> categories = {};
  // Fixed axis ranges; kAuto (NaN): that end autoscales.
  static constexpr double kAuto = std::numeric_limits<double>::quiet_NaN();
  double xmin = kAuto, xmax = kAuto, ymin = kAuto, ymax = kAuto;
};

struct Job {
  const Scenario* scenario = nullptr;
  const ModelCosts* model = nullptr;
  RunConfig config;
  std::string prefix;  // CSV prefix columns (comma-terminated)
  RunResult result;
};

// One pass of `hivemind reproduce` (issue 25): a workload and scenario overrides under which a
// list of figures is drawn, with its claims, tables and plan shapes in summary.md sections of
// their own and its files suffixed. reproduce.cpp lists the passes.
struct Pass {
  std::string name;    // "measured", "paper-stated", "224px"
  std::string label;   // in progress bars and headings: "" (the main pass), "paper-stated", ...
  std::string suffix;  // of its files, before the extension: "", "_paper", "_224px"
  std::string title;   // added to its plots' titles: "", " - 224 px workload", ...
  std::string resnet, vgg, rcnn;     // the workload's models
  std::vector<std::string> figures;  // the figures it draws; empty: every figure
  std::optional<PaperStated> paper;  // the paper-stated inputs (scenario overrides)
};

// x within a factor `factor` of `target` (both > 0).
bool within_factor(double x, double target, double factor);

// x printed with the printf format f (one double).
std::string fmt(const char* f, double x);

// Every run is a deterministic function of its configuration; runs are spread over threads and
// written back in job order, so the same options give byte-identical files.
class Context {
 public:
  explicit Context(const ReproduceOptions& o);

  const ReproduceOptions& options() const { return o_; }
  int seeds() const { return seeds_; }               // per configuration
  double duration_s() const { return duration_s_; }  // of a trial
  // The pass being drawn (begin_pass): a figure that must read differently in a pass asks it.
  const Pass& pass() const { return passes_.back().pass; }
  // The pass's workload models (issue 14): 88 px, or 224 px in the sensitivity pass.
  const std::string& resnet() const { return pass().resnet; }
  const std::string& vgg() const { return pass().vgg; }
  const std::string& rcnn() const { return pass().rcnn; }

  // Loaded once per pass, from data_dir, with the pass's overrides (and --sci-processing-ms);
  // references stay valid for the Context's life.
  const Scenario& scenario(const std::string& name);
  const ModelCosts& model(const std::string& scen, const std::string& name);

  // Runs every job (results in job order), with a progress bar named `label`.
  void run(std::vector<Job>& jobs, const std::string& label);

  // One trial of the full-length experiment: `scen` with `model_name`, seed `seed` (which also
  // picks the stretch of the UE's trajectory), one task every `period_s`.
  Job trial(const std::string& scen, const std::string& model_name, int seed, Load load,
            double period_s);
  // Trials of every load in `loads` x every seed, one task every `period` s.
  std::vector<Job> load_sweep(const std::string& scen, const std::string& model_name, TaskKind task,
                              double period,
                              std::vector<Load> loads = {Load::kLow, Load::kMid, Load::kHigh});

  // The jobs' task rows (sim::tasks_csv_rows) into `name`, and their plan shapes per model and
  // method into summary.md's "Plan shapes" table.
  void write_csv(const std::string& name, const std::string& header_prefix,
                 const std::vector<Job>& jobs);
  void write_file(const std::string& name, const std::string& text);

  // Data blocks (one per series, gnuplot `index`) + a script drawing PNG and SVG (plot.cpp).
  void plot(const std::string& stem, const std::string& title_in, const std::vector<Panel>& panels,
            int cols);

  // One row of summary.md: the paper's claim, the tolerance the verdict applies (stated before
  // the number is known), our number, the verdict (match / partial / differs / not comparable /
  // not checked) and the reason, computed from this run's numbers.
  void claim(const std::string& fig, const std::string& text, const std::string& tolerance,
             const std::string& ours, const std::string& verdict, const std::string& reason);
  // The cause of the last claim's mismatch (summary.md's "Why claims do not match"), and a run
  // with one input changed that tests it (`change` names the input and how to rerun it).
  void cause(const std::string& text) { passes_.back().claims.back().cause = text; }
  void counterfactual(const std::string& change, const std::string& verdict) {
    passes_.back().claims.back().counterfactuals.push_back({change, verdict});
  }
  // A figure's table of means (markdown), a section "## <fig> means" of summary.md.
  void table(const std::string& fig, const std::string& md) { passes_.back().tables[fig] = md; }
  // Table I's per-link bandwidth (markdown), the last section of summary.md.
  void table1(const std::string& md) { table1_md_ = md; }

  // Starts a pass: what follows (runs, files, claims, tables, plan shapes) belongs to it. The
  // first pass is the main one (the measured 88 px pass), the others get sections of their own.
  void begin_pass(const Pass& pass);

  // Writes summary.md and returns its claims table (summary.cpp).
  std::string summary();
  // Moves every written file into out_dir (StagedDir::commit).
  void commit() { out_.commit(); }

 private:
  // Every file of a pass carries its suffix before the extension ("fig11_inference_224px.csv").
  std::string suffixed(const std::string& name) const;

  // What a pass produced, for summary.md.
  struct PassOutput {
    Pass pass;
    std::vector<Claim> claims;
    std::map<std::string, std::string> tables;  // figure -> its table of means
    std::vector<std::string> plan_rows;         // summary.md's plan shapes rows (write_csv)
    double sci_update_sum_s = 0.0;              // the runs' mean SCI updates, summed
    int runs = 0;
    // Per scenario of a paper-stated pass: the UE's latency multiplier and resnet's UE-only
    // compute before it (s).
    std::map<std::string, std::pair<double, double>> ue_scales;
  };
  std::string pass_section(const PassOutput& p) const;  // summary.cpp
  // summary.md's "Why claims do not match" (issue 25 step 5): every claim of every pass that
  // does not match, its cause and the runs with one input changed (summary.cpp).
  std::string why_section() const;

  // One figure takes gnuplot well under a second; a hung gnuplot is killed after this.
  static constexpr double kGnuplotTimeoutS = 60.0;
  ReproduceOptions o_;
  StagedDir out_{o_.out_dir, "--out"};
  int seeds_ = 2;
  double duration_s_ = 10.0;
  std::optional<std::string> gnuplot_;
  // Keyed by pass name and scenario (and model): one pass's overrides never reach another.
  std::map<std::string, Scenario> scenarios_;
  std::map<std::string, ModelCosts> models_;
  std::vector<PassOutput> passes_;  // every pass begun, the current one last
  std::string suffix_;              // the current pass's (plot.cpp reads it)
  std::string table1_md_;
  std::vector<std::string> plot_failures_;
};

// ---- statistics over a figure's jobs (analysis.cpp; cdf in plot.cpp) ----

// The CDF of v (each value times `scale`): every (size / 300)-th value and the maximum.
Series cdf(const std::string& label, std::vector<double> v, double scale);

// Values of method m pooled over jobs.
std::vector<double> pooled(const std::vector<const Job*>& jobs, int m, bool energy);

// Method m's tasks above `threshold_s` (latency) pooled over jobs, split by what the plan
// knew (Sec. IV-F, Fig. 6): a spike whose planned latency was already above the threshold at
// t1 ("slow at t1") and one planned below it that went stale between t1 and t2 ("stale").
struct Spikes {
  int tasks = 0, spikes = 0, slow_at_t1 = 0, stale = 0, blocked = 0;
  double share() const { return tasks ? static_cast<double>(spikes) / tasks : 0.0; }
};
Spikes spikes_of(const std::vector<const Job*>& jobs, int m, double threshold_s);
std::string describe(const Spikes& s, double threshold_s);

// Sec. IV-F's look-ahead Delta t of method m: median and 95th percentile over its tasks, for
// the first link the data crossed and the largest over the links it crossed.
std::string lookahead(const std::vector<const Job*>& jobs, int m);

// Capacities method m forecast over all jobs (0: Sec. IV-F's rule, Delta t < coherence time,
// disabled its predictions on every node and task, so it planned like the standard split).
long forecasts_made(const std::vector<const Job*>& jobs, int m);

// The non-empty notes, joined by "; ".
std::string join_notes(const std::vector<std::string>& notes);

double mean_sci_update_s(const std::vector<const Job*>& jobs);

// Sec. IV-F's look-ahead Delta t of method m per scenario node that received data, the mean
// over the tasks' gaps (an outcome, issue 25): "mean look-ahead Delta t per node ...: gnb1
// 7.1 ms (1800), ...".
std::string lookahead_per_node(const std::vector<const Job*>& jobs, int m);

// Why method m's plans compute on one node (issue 25 step 2): on the route most of its tasks
// took, Eq. 10's inequality for moving layers from the first MEC to each later node, with the
// whole model's compute per node and the hops' psi (markdown; "" without a route of 3 nodes).
std::string eq10_second_node(const std::vector<const Job*>& jobs, int m);

}  // namespace hivemind::experiments::detail
