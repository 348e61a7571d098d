// Where `hivemind solve` gets its problem: a problem file (PROBLEM.json) or, from the model
// module, a model profile plus a route. Kept apart from cmd_solve.cpp so each side can grow.
#pragma once

#include <set>
#include <string>

#include "args.hpp"
#include "hivemind/budget.hpp"
#include "hivemind/split/extensions.hpp"
#include "hivemind/split/problem.hpp"
#include "hivemind/split/solve.hpp"

namespace hivemind::cli {

// Options and switches this part of `solve` understands (merged into solve's parser).
const std::set<std::string>& problem_source_options();
const std::set<std::string>& problem_source_flags();
// Help text lines for those options.
const char* problem_source_help();
// Builds the problem from the positional PROBLEM.json (base part and extension sections, from
// one read and one parse) or from --model + --route (with --chain-sizes: plain output bytes,
// the paper's chain model; no extension sections), within `budget`. Applies --deliver to the
// base problem. Writes nothing. Throws InputError.
split::ExtendedProblem acquire_extended_problem(const Args& args, const Budget& budget = {});
// Writes --emit-problem FILE (atomically) when asked: the base problem that was solved. Called
// only once the solve has succeeded, so a refused run (exit 2) leaves no file behind.
void emit_problem(const Args& args, const split::Problem& problem);
// Text to print after the solution, "" when there is none: with --chain-sizes (table format),
// what the chain plan really costs with true cut bytes next to the DAG-aware optimum.
// `plan` is what solve printed (deliver override applied).
std::string problem_source_report(const Args& args, const split::Plan& plan, bool json,
                                  const Budget& budget = {});

}  // namespace hivemind::cli
