#include <cmath>
#include <cstdio>
#include <iostream>
#include <set>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"
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
  --method NAME        the method (default sci), one of:
@METHODS@
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

// The help, with the method list from split's registry (split/methods.hpp).
std::string solve_help() {
  std::string methods;
  bool extensions = false;
  for (const auto& m : split::method_registry()) {
    if (!m.on_tables && !extensions) {
      methods += "                       extensions (docs/extensions.md; sections of the file):\n";
      extensions = true;
    }
    const std::string name =
        m.method == split::Method::kOptMetric ? "opt-METRIC" : std::string(m.name);
    char line[200];
    std::snprintf(line, sizeof line, "                       %-14s%s\n", name.c_str(),
                  std::string(m.summary).c_str());
    methods += line;
  }
  std::string help = kSolveHelp;
  help.replace(help.find("@METHODS@\n"), 10, methods);
  return help;
}

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

// --limit / --minimize: the objective of the file, overridden.
void apply_objective_options(const Args& args, split::ExtendedProblem& ext) {
  if (!args.value("--limit") && !args.value("--minimize")) return;
  if (!ext.multi)
    throw InputError("--limit/--minimize: the problem has no metrics and objective sections");
  if (auto v = args.value("--limit"))
    split::set_limits(ext.multi->objective, parse_terms(*v, "--limit"));
  if (auto v = args.value("--minimize"))
    ext.multi->objective.minimize = parse_terms(*v, "--minimize");
  split::validate(*ext.multi, ext.problem);
}
}  // namespace

int run_solve(const Argv& argv) {
  std::set<std::string> options = {"--method", "--deliver", "--format", "--limit", "--minimize"};
  options.insert(problem_source_options().begin(), problem_source_options().end());
  std::set<std::string> flags = {"--compare"};
  flags.insert(problem_source_flags().begin(), problem_source_flags().end());
  Args args(argv, options, flags);
  if (args.help()) {
    std::cout << solve_help() << problem_source_help() << resource_options_help();
    return 0;
  }
  const std::string format = args.value_or("--format", "table");
  if (format != "table" && format != "json")
    throw InputError("--format: unknown format \"" + format + "\" (expected table or json)");
  const Budget budget = args.budget();
  // Parsed once: the problem with its sections, the method; the library solves, we format.
  split::ExtendedProblem ext = acquire_extended_problem(args, budget);
  const split::MethodChoice method = split::parse_method(args.value_or("--method", "sci"));
  apply_objective_options(args, ext);
  const bool json = format == "json";
  std::string out;
  if (args.flag("--compare")) {
    // A method that refuses (no feasible plan, or above the work budget) gets a row saying so;
    // the comparison itself succeeds.
    std::vector<CompareRow> rows;
    for (const auto& m : split::applicable_methods(ext)) {
      CompareRow row{m.name(), std::nullopt, ""};
      try {
        row.solution = split::solve(ext, m, budget);
      } catch (const InputError& e) {
        row.error = e.what();
      }
      rows.push_back(std::move(row));
    }
    out = json ? format_compare_json(rows) : format_compare_table(rows);
  } else {
    const split::Plan plan = split::solve(ext, method, budget);
    // A plain problem solved by a table method prints the plain report (compute and transfer
    // per node); anything else every metric's end-to-end value.
    const bool plain = !ext.any() && split::method_info(method.method).on_tables &&
                       !args.value("--limit") && !args.value("--minimize");
    if (plain)
      out = (json ? format_json(plan) : format_table(plan)) +
            problem_source_report(args, plan, json, budget);
    else
      out = json ? format_ext_json(plan) : format_ext_table(plan);
  }
  // Print (and emit the problem) only once everything has succeeded: a failed run writes
  // nothing, on stdout or to --emit-problem.
  emit_problem(args, ext.problem);
  std::cout << out;
  return 0;
}

}  // namespace hivemind::cli
