// Timing of the split solvers on synthetic chains (the numbers behind `hivemind bench`).
// Each method is timed against the others on the same problem in the same run, so ratios
// (dijkstra / sci, algorithm1 / sci) are meaningful. Every row but "sci-warm" is cold: each
// solve goes through the plain API (split::solve, split::solve_exact) and allocates its own
// buffers, so dijkstra / sci compares like with like. "sci-warm" reuses one SciChainSolver's
// buffers across solves (the hot-loop API the simulator and daemons use); no other method has
// such an API, so it has no warm row to compare with. Times are medians.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "hivemind/split/extensions.hpp"
#include "hivemind/split/problem.hpp"

namespace hivemind::bench {

struct BenchRow {
  std::string method;
  int layers = 0;
  int nodes = 0;
  double ns_per_solve = 0.0;  // median over samples
  std::size_t sci_message_bytes = 0;
  int samples = 0;
  long long solves_per_sample = 0;
  bool reuses_buffers = false;  // true only for "sci-warm" (its solver kept across solves)
};

struct BenchOptions {
  std::vector<int> layers = {52, 152, 515, 2000};
  std::vector<int> nodes = {3, 10, 30};
  // "exact" = the Pareto-front SCI of the multi-objective extension on synthetic_multi (its
  // row reports the largest per-node message in sci_message_bytes).
  // "sci-warm": sci with one SciChainSolver reused across solves (the only warm row).
  std::vector<std::string> methods = {"sci",      "sci-warm", "algorithm1",
                                      "dijkstra", "brute",    "exact"};
  int samples = 7;             // median of this many
  double min_sample_s = 0.02;  // each sample repeats the solve until it lasts this long
  double max_method_s = 3.0;   // skip a (method, L, P) whose single solve is estimated above
  unsigned seed = 1;
};

// A synthetic chain: UE slow, each further node faster (capacity doubling), layer loads and
// activation sizes drawn from a fixed-seed generator, links slower further up the chain.
split::Problem synthetic_problem(int layers, int nodes, unsigned seed);

// synthetic_problem plus an energy metric (device power x compute time, radio energy per byte)
// and the objective "minimise energy, latency <= the midpoint between the least latency and the
// latency of the least-energy plan" (a limit that binds).
split::ExtendedProblem synthetic_multi(int layers, int nodes, unsigned seed);

// Runs the benchmark; `progress` (may be empty) gets one line per finished row.
std::vector<BenchRow> run_solver_bench(const BenchOptions& options,
                                       const std::function<void(const BenchRow&)>& progress);

}  // namespace hivemind::bench
