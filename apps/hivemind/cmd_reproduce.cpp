// hivemind reproduce: the paper's evaluation regenerated on the simulator.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"
#include "hivemind/experiments/reproduce.hpp"
#include "hivemind/sim/scenario.hpp"

namespace hivemind::cli {

namespace {
constexpr const char* kHelp =
    R"(usage: hivemind reproduce [--quick] [--only figN[,figM...]] --out DIR [--threads N] [--no-plots]

Regenerates the paper's evaluation on the 5G MEC simulator: Fig. 2 (Sec. III example),
Table I (per-link UE bandwidth), Fig. 6 (link dynamics), Figs. 11-12 (cost CDFs by load,
mmWave IAB and sub-6 GHz), 13 (models), 14 (MEC capability), 15 (handover), 16-17
(predictive split), 18 (multi-objective), 19 (RNN / collaborative). Writes into DIR: the CSV
of every run, figN.png / figN.svg (gnuplot) and summary.md, which puts each of the paper's
quantitative claims beside our number with a verdict. Prints the summary table.

Three passes, each with its claims table and verdict counts: measured (88 px workload, every
figure), paper-stated (the same with a UE running ResNet-18 in 115 ms and the paper's SCI
timing, data/scenarios/paper-stated.json; Figs. 6, 11-18; files figN_paper.*) and 224 px
(Figs. 6, 11-14, 16, 18; files figN_224px.*). summary.md's "Why claims do not match" names
each measured claim's cause and the runs with one input changed that prove it, or "unproven".

options:
  --out DIR        output folder (created)
  --quick          3 seeds x 20 s per configuration instead of 8 x 60 s (2-core VM, with
                   plots: ~13 s instead of ~56 s)
  --only LIST      comma-separated subset: fig2, table1, fig6, fig11 ... fig19
  --threads N      worker threads (default: all cores)
  --no-plots       skip gnuplot (scripts and data are still written)
  --quiet          no progress bars
  --no-gating      predictive split forecasts below the coherence time too (default: gated,
                   Sec. IV-F: a node forecasts only when its look-ahead Delta t >= it)
  --sci-processing-ms MS
                   SCI processing time per node (0 .. 1e4 ms) in every scenario, default:
                   each scenario's sci.processing_ms (3 ms in the shipped ones)
)";
}  // namespace

int run_reproduce(const Argv& argv) {
  Args args(argv, {"--out", "--only", "--threads", "--sci-processing-ms"},
            {"--quick", "--no-plots", "--quiet", "--no-gating"});
  if (args.help()) {
    std::cout << kHelp << resource_options_help();
    return 0;
  }
  args.expect_positional(0, "");
  experiments::ReproduceOptions o;
  const auto out = args.value("--out");
  if (!out || out->empty()) throw InputError("--out: missing (the folder to write into)");
  o.out_dir = *out;
  o.data_dir = data_dir();
  o.quick = args.flag("--quick");
  o.plots = !args.flag("--no-plots");
  o.progress = !args.flag("--quiet");
  o.threads = args.threads();
  o.budget = args.budget();
  o.forecast_gating = !args.flag("--no-gating");
  if (args.value("--sci-processing-ms"))  // the scenario field's range (sci.processing_ms)
    o.sci_processing_s = args.number_or("--sci-processing-ms", 0.0, 0.0, sim::kMaxDelayMs) * 1e-3;
  if (auto only = args.value("--only")) {
    std::stringstream ss(*only);
    std::string item;
    while (std::getline(ss, item, ','))
      if (!item.empty()) o.only.push_back(item);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::string table = experiments::reproduce(o);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << table;
  char line[512];
  std::snprintf(line, sizeof line,
                "\nWrote %s/summary.md, the CSV of every run and the plots (%.0f s, %d threads).\n",
                one_line(o.out_dir).c_str(), wall, o.threads);
  std::cout << line;
  return 0;
}

}  // namespace hivemind::cli
