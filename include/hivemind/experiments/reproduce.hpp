// `hivemind reproduce`: regenerates the paper's evaluation (Figs. 2, 6, 11-19 and Table I's
// per-link UE bandwidth) on the simulator: CSV of every run, gnuplot scripts and PNG/SVG plots,
// and summary.md with each quantitative claim of the paper beside our number and a verdict.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hivemind/budget.hpp"
#include "hivemind/sim/scenario.hpp"

namespace hivemind::experiments {

struct ReproduceOptions {
  std::string out_dir;            // created; files are replaced atomically
  std::string data_dir;           // the data/ folder (scenarios, measured profiles, zoo)
  bool quick = false;             // fewer seeds and shorter trials (make demo)
  std::vector<std::string> only;  // e.g. {"fig11", "table1"}; empty = everything
  int threads = 2;
  bool plots = true;     // run gnuplot when it is installed
  bool progress = true;  // progress bars on stderr
  Budget budget{};       // of each trial (hivemind/budget.hpp; the CLI's --max-steps)
  // Every run's RunConfig::forecast_gating (the CLI's --no-gating clears it).
  bool forecast_gating = true;
  // Every scenario's SCI processing time per node (s), in place of its sci.processing_ms (the
  // CLI's --sci-processing-ms); unset: each scenario's own. reproduce() throws InputError
  // outside [0, kMaxDelayMs ms].
  std::optional<double> sci_processing_s;
};

// The inputs of the paper-stated pass (issue 25), data/scenarios/paper-stated.json: the paper's
// stated numbers in place of the measured ones, on the same scenarios and 88 px workload.
struct PaperStated {
  // resnet18_88's UE-only inference compute on the UE (s): every scenario's UE latency_scale is
  // multiplied to give it (Fig. 14's single split converges to 115 ms).
  double ue_resnet18_s = 0.115;
  double sci_processing_s = 0.003;  // per node (Sec. IV-C3: an SCI update of 27 ms)
  std::string ue_resnet18_source, sci_processing_source;  // the sentences they come from
};

// Parses and validates; every error is one line naming the field and the value
// ("paper-stated.json: ue_resnet18_ms: -5 must be > 0"), an InputError.
PaperStated parse_paper_stated(std::string_view json_text, std::string_view source);
PaperStated load_paper_stated(const std::string& path);

// `scenario` with the paper-stated inputs: every node's SCI processing time, and the UE
// device's latency_scale multiplied by ue_resnet18_s / (`model`'s UE-only inference compute on
// `scenario`), so that `model` on the UE takes ue_resnet18_s and every other model on that UE
// is scaled alike. `factor`, when given, receives the multiplier. InputError when the scaled
// latency_scale leaves the scenario's range [1e-4, 1e4].
sim::Scenario paper_stated_scenario(const sim::Scenario& scenario, const PaperStated& paper,
                                    const std::string& data_dir, const std::string& model,
                                    const Budget& budget = {}, double* factor = nullptr);

// Every figure name `--only` accepts.
const std::vector<std::string>& reproduce_figures();

// Runs the experiments and writes everything into out_dir. Returns the summary table
// (markdown) that summary.md also holds. Throws InputError for an unknown figure name.
std::string reproduce(const ReproduceOptions& options);

}  // namespace hivemind::experiments
