// `hivemind reproduce`: regenerates the paper's evaluation (Figs. 2, 6, 11-19 and Table I's
// per-link UE bandwidth) on the simulator: CSV of every run, gnuplot scripts and PNG/SVG plots,
// and summary.md with each quantitative claim of the paper beside our number and a verdict.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hivemind/budget.hpp"

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

// Every figure name `--only` accepts.
const std::vector<std::string>& reproduce_figures();

// Runs the experiments and writes everything into out_dir. Returns the summary table
// (markdown) that summary.md also holds. Throws InputError for an unknown figure name.
std::string reproduce(const ReproduceOptions& options);

}  // namespace hivemind::experiments
