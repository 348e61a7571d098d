// The problem file, format "hivemind.problem/v1" (JSON; see docs/formats.md).
#pragma once

#include <string>
#include <string_view>

#include "hivemind/split/problem.hpp"

namespace hivemind::split {

inline constexpr std::string_view kProblemFormat = "hivemind.problem/v1";

// Parses and validates a problem. Throws InputError with one line naming the field and the
// value ("nodes[1].compute[2]: -1 is negative"); `source` prefixes the message (a file name).
Problem parse_problem(std::string_view json_text, std::string_view source = "problem");

// Reads a file and parses it; an unreadable file is an InputError too.
Problem load_problem(const std::string& path);

// Serialises a problem to the v1 format (pretty-printed, stable field order).
std::string to_json(const Problem& problem);

}  // namespace hivemind::split
