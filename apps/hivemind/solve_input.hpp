// Where `hivemind solve` gets its problem: a problem file (PROBLEM.json) or, from the model
// module, a model profile plus a route. Kept apart from cmd_solve.cpp so each side can grow.
#pragma once

#include <set>
#include <string>

#include "args.hpp"
#include "hivemind/split/problem.hpp"

namespace hivemind::cli {

// Options and switches this part of `solve` understands (merged into solve's parser).
const std::set<std::string>& problem_source_options();
const std::set<std::string>& problem_source_flags();
// Help text lines for those options.
const char* problem_source_help();
// Builds the problem from the positional PROBLEM.json or from the options. Throws InputError.
split::Problem acquire_problem(const Args& args);

}  // namespace hivemind::cli
