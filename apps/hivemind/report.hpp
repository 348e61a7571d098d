// How the CLI shows a solution: a table for people, JSON for programs.
#pragma once

#include <string>
#include <vector>

#include "hivemind/split/problem.hpp"
#include "hivemind/split/solve.hpp"

namespace hivemind::cli {

// "3-7", "-" (runs nothing) for node p of plan b.
std::string layer_range(const split::Boundaries& b, int p);
std::string format_table(const split::Problem& problem, const split::Solution& solution);
std::string format_json(const split::Problem& problem, const split::Solution& solution);
// A number with 4 significant digits, "inf" when infinite.
std::string fmt(double x);

}  // namespace hivemind::cli
