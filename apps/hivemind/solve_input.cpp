#include "solve_input.hpp"

#include "hivemind/split/problem_io.hpp"

namespace hivemind::cli {

const std::set<std::string>& problem_source_options() {
  static const std::set<std::string> options = {};
  return options;
}

const std::set<std::string>& problem_source_flags() {
  static const std::set<std::string> flags = {};
  return flags;
}

const char* problem_source_help() { return ""; }

split::Problem acquire_problem(const Args& args) {
  args.expect_positional(1, "PROBLEM.json");
  return split::load_problem(args.positional()[0]);
}

}  // namespace hivemind::cli
