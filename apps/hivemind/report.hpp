// How the CLI shows a solution: a table for people, JSON for programs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hivemind/split/extensions.hpp"
#include "hivemind/split/problem.hpp"
#include "hivemind/split/solve.hpp"

namespace hivemind::cli {

// "3-7", "-" (runs nothing) for node p of plan b.
std::string layer_range(const split::Boundaries& b, int p);
// A plain problem's plan (no extension sections, a table method).
std::string format_table(const split::Plan& plan);
std::string format_json(const split::Plan& plan);
// A number with 4 significant digits, "inf" when infinite.
std::string fmt(double x);

}  // namespace hivemind::cli

#include "hivemind/split/extensions.hpp"

namespace hivemind::cli {

// The extensions (training, collaborative, RNN, multiple objectives, bottleneck, constraints):
// the plan table plus every metric's end-to-end value.
std::string format_ext_table(const split::Plan& solution);
std::string format_ext_json(const split::Plan& solution);

// One row per method (Fig. 18-style comparison): each metric's end-to-end value; a method that
// finds no plan shows its error.
struct CompareRow {
  std::string method;
  std::optional<split::Plan> solution;
  std::string error;
};
std::string format_compare_table(const std::vector<CompareRow>& rows);
std::string format_compare_json(const std::vector<CompareRow>& rows);

}  // namespace hivemind::cli
