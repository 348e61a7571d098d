#include <iostream>
#include <set>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/problem_io.hpp"
#include "hivemind/split/solve.hpp"
#include "report.hpp"
#include "solve_input.hpp"

namespace hivemind::cli {

namespace {
constexpr const char* kSolveHelp = R"(usage: hivemind solve PROBLEM.json [OPTIONS]

Finds the plan that splits the model of PROBLEM.json (format hivemind.problem/v1, see
docs/formats.md) across its chain of nodes at minimum total cost.

options:
  --method NAME        sci (default; per-node Split Cost Information, O(L) per node),
                       algorithm1 (the paper's Algorithm 1, O(L^2) per node),
                       dijkstra (explicit graph of Eq. 5-7), brute (every plan; small only),
                       ue-only, cloud-only, single-split (baselines)
  --deliver MODE       sink | none | source: where the result goes (overrides the file)
  --format FORMAT      table (default) | json
  -h, --help           this help

Costs are in the problem's unit (seconds when compute is in seconds and bandwidth in
bytes/s). Exit code 0 on success, 2 on bad input.
)";
}  // namespace

int run_solve(const Argv& argv) {
  std::set<std::string> options = {"--method", "--deliver", "--format"};
  options.insert(problem_source_options().begin(), problem_source_options().end());
  Args args(argv, options, problem_source_flags());
  if (args.help()) {
    std::cout << kSolveHelp << problem_source_help();
    return 0;
  }
  const std::string format = args.value_or("--format", "table");
  if (format != "table" && format != "json")
    throw InputError("--format: unknown format \"" + format + "\" (expected table or json)");
  const split::Method method = split::parse_method(args.value_or("--method", "sci"));
  split::Problem problem = acquire_problem(args);
  if (auto d = args.value("--deliver")) problem.deliver = split::parse_deliver(*d, "--deliver");
  const split::Solution solution = split::solve(split::compile(problem), method);
  // Print only once everything has succeeded: a failed run writes nothing on stdout.
  std::cout << (format == "json" ? format_json(problem, solution) : format_table(problem, solution));
  return 0;
}

}  // namespace hivemind::cli
