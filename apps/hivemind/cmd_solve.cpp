#include <cmath>
#include <iostream>
#include <set>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/extensions.hpp"
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
                       Extensions (docs/extensions.md; sections of the problem file):
                       bottleneck (throughput: minimise the slowest stage),
                       standard (baseline of a collaborative or rnn file: plan without
                       omega / split one RNN step and repeat it),
                       linear (Eq. 11), barrier (Eq. 12), exact (minimum best effort with
                       every end-to-end limit met), opt-METRIC (one metric alone)
  --deliver MODE       sink | none | source: where the result goes (overrides the file)
  --limit M=V[,M=V]    multi-objective: set the limit of metric M to V (overrides the file)
  --minimize M=W[,..]  multi-objective: minimise these metrics with these weights instead
  --compare            solve with every method that applies and print one row per method
                       with each metric's end-to-end value (paper Fig. 18/19 comparisons)
  --format FORMAT      table (default) | json
  -h, --help           this help

Costs are in the problem's unit (seconds when compute is in seconds and bandwidth in
bytes/s). Exit code 0 on success, 2 on bad input (also when no plan meets the constraints).
)";

// "a=1,b=2" -> terms; InputError naming the option otherwise.
std::vector<split::Objective::Term> parse_terms(const std::string& text,
                                                const std::string& option) {
  std::vector<split::Objective::Term> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const std::size_t eq = item.find('=');
    double value = 0;
    std::size_t used = 0;
    bool ok = eq != std::string::npos && eq > 0;
    if (ok) {
      try {
        value = std::stod(item.substr(eq + 1), &used);
        ok = used == item.size() - eq - 1 && std::isfinite(value) && value >= 0;
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok) throw InputError(option + ": \"" + item + "\" is not METRIC=NUMBER with NUMBER >= 0");
    out.push_back({item.substr(0, eq), value});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

bool is_core_method(const std::string& name) {
  for (auto m : split::all_methods())
    if (split::to_string(m) == name) return true;
  return false;
}

// Files with extension sections, extension methods and comparisons. Prints (and emits the
// problem) only once everything has succeeded.
int run_extended(const Args& args, split::ExtendedProblem ext, const std::string& format,
                 const Budget& budget) {
  if (args.value("--limit") || args.value("--minimize")) {
    if (!ext.multi)
      throw InputError("--limit/--minimize: the problem has no metrics and objective sections");
    if (auto v = args.value("--limit")) {
      for (const auto& t : parse_terms(*v, "--limit")) {
        bool replaced = false;
        for (auto& l : ext.multi->objective.limits)
          if (l.metric == t.metric) {
            l.value = t.value;
            replaced = true;
          }
        if (!replaced) ext.multi->objective.limits.push_back(t);
      }
    }
    if (auto v = args.value("--minimize"))
      ext.multi->objective.minimize = parse_terms(*v, "--minimize");
    split::validate(*ext.multi, ext.problem);
  }
  std::string out;
  if (args.flag("--compare")) {
    // A method that refuses (no feasible plan, or above the work budget) gets a row saying so;
    // the comparison itself succeeds.
    std::vector<CompareRow> rows;
    for (const auto& m : split::applicable_methods(ext)) {
      CompareRow row{m, std::nullopt, ""};
      try {
        row.solution = split::solve_extended(ext, m, budget);
      } catch (const InputError& e) {
        row.error = e.what();
      }
      rows.push_back(std::move(row));
    }
    out = format == "json" ? format_compare_json(rows) : format_compare_table(rows);
  } else {
    const split::ExtSolution s =
        split::solve_extended(ext, args.value_or("--method", "sci"), budget);
    out = format == "json" ? format_ext_json(s) : format_ext_table(s);
  }
  emit_problem(args, ext.problem);
  std::cout << out;
  return 0;
}
}  // namespace

int run_solve(const Argv& argv) {
  std::set<std::string> options = {"--method", "--deliver", "--format", "--limit", "--minimize"};
  options.insert(problem_source_options().begin(), problem_source_options().end());
  std::set<std::string> flags = {"--compare"};
  flags.insert(problem_source_flags().begin(), problem_source_flags().end());
  Args args(argv, options, flags);
  if (args.help()) {
    std::cout << kSolveHelp << problem_source_help() << resource_options_help();
    return 0;
  }
  const std::string format = args.value_or("--format", "table");
  if (format != "table" && format != "json")
    throw InputError("--format: unknown format \"" + format + "\" (expected table or json)");
  const std::string method_name = args.value_or("--method", "sci");
  const Budget budget = args.budget();
  split::ExtendedProblem ext = acquire_extended_problem(args, budget);
  // Files with extension sections, extension methods and comparisons go through the extension
  // solver; plain problems with core methods keep the core path (and its output) unchanged.
  const bool extended = !is_core_method(method_name) || args.flag("--compare") ||
                        args.value("--limit") || args.value("--minimize") || ext.any();
  if (extended) return run_extended(args, std::move(ext), format, budget);
  const split::Problem& problem = ext.problem;
  const split::Solution solution = split::solve(problem, split::parse_method(method_name), budget);
  // Print (and emit the problem) only once everything has succeeded: a failed run writes
  // nothing, on stdout or to --emit-problem.
  std::string out =
      format == "json" ? format_json(problem, solution) : format_table(problem, solution);
  out += problem_source_report(args, problem, solution, format == "json", budget);
  emit_problem(args, problem);
  std::cout << out;
  return 0;
}

}  // namespace hivemind::cli
