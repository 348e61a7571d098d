// Statistics, CSV and parallel execution helpers shared by `hivemind simulate` and
// `hivemind reproduce`. Numbers are printed with a fixed format ("%.6g"), so the same results
// give byte-identical files.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "hivemind/sim/engine.hpp"

namespace hivemind::sim {

double mean_of(const std::vector<double>& v);
double std_of(const std::vector<double>& v);
// Linear-interpolated percentile q in [0, 100] of v (copied and sorted). NaN when empty.
double percentile(std::vector<double> v, double q);

// "%.6g" (inf / nan spelt "inf" / "nan").
std::string num(double x);

// Per-task CSV rows for one run. `prefix` is prepended (comma-terminated fields such as
// "fig11,mmwave-iab,high,1,"), `header_prefix` likewise for the header.
std::string tasks_csv_header(const std::string& header_prefix);
std::string tasks_csv_rows(const std::string& prefix, const RunResult& result,
                           const RunConfig& config, const Scenario& scenario);

// Latencies (s) or energies (J) of one method in a run.
std::vector<double> method_values(const RunResult& result, int method, bool energy);

// Runs `jobs` functions on `threads` threads (>= 1), each exactly once; results are indexed by
// job, so the output order never depends on scheduling. Prints a progress bar on stderr when
// `label` is not empty and stderr is a terminal-or-not (always a single updating line).
void run_parallel(std::size_t jobs, int threads, const std::function<void(std::size_t)>& job,
                  const std::string& label);

}  // namespace hivemind::sim
