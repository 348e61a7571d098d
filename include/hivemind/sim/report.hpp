// Statistics, CSV and parallel execution helpers shared by `hivemind simulate` and
// `hivemind reproduce`. Numbers are printed with a fixed format ("%.6g"), so the same results
// give byte-identical files.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "hivemind/sim/engine.hpp"
#include "hivemind/sim/scenario.hpp"

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

// The shape of one method's plans (issue 25): on how many nodes they compute and how many
// layers each node role runs. Node p of a task's route runs layers b_{p-1}+1 .. b_p (Eq. 1,
// b_{-1} = 0), i.e. b_p - b_{p-1} layers; a node computes when it runs >= 1 layer (the UE
// counts, a node that only relays does not). Counts and layer sums, so shapes of several runs
// add up (+=); the shares and means are taken over the planned tasks.
struct PlanShape {
  static constexpr int kRoles = 4;  // NodeRole: kUe, kGnb, kMec, kCloud, in this order
  // Column labels of the roles, in NodeRole's order.
  static constexpr std::array<const char*, kRoles> kRoleLabels = {"UE", "gNB", "MEC", "cloud"};
  long tasks = 0;    // the method's records
  long no_plan = 0;  // of which have no plan (empty boundaries: the SCI update did not reach the
                     // UE in time, or no plan had a finite cost); latency and energy +inf
  std::array<long, 3> on_nodes{};  // planned tasks computing on 1, 2, 3 or more nodes
  // Per role: layers the planned tasks' plans put on nodes of that role, summed over the
  // role's nodes on each route and over the tasks.
  std::array<double, kRoles> layers{};

  long planned() const { return tasks - no_plan; }
  // Share (0..1) of the planned tasks computing on `nodes` nodes (1, 2; 3 = three or more).
  // NaN when no task was planned.
  double share_on(int nodes) const;
  // Mean layers per planned task on the nodes of `role`; over the four roles they sum to the
  // model's layer count. NaN when no task was planned.
  double mean_layers(NodeRole role) const;
  PlanShape& operator+=(const PlanShape& o);
};

// The shape of method `method`'s plans over `records`, which come from a run with
// RunConfig::keep_plans on `scenario` (its nodes' roles). Throws std::logic_error naming the
// task when a record has no route (keep_plans was off), a plan with other than one boundary per
// route node, a plan that runs no layer, or a route node outside the scenario.
PlanShape plan_shape(const std::vector<TaskRecord>& records, int method, const Scenario& scenario);

// Runs `jobs` functions on `threads` threads (>= 1), each exactly once; results are indexed by
// job, so the output order never depends on scheduling. Prints a progress bar on stderr when
// `label` is not empty and stderr is a terminal-or-not (always a single updating line).
void run_parallel(std::size_t jobs, int threads, const std::function<void(std::size_t)>& job,
                  const std::string& label);

}  // namespace hivemind::sim
