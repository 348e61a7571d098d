// Private to src/split: the problem file's readers from an already parsed JSON document, so
// that one parse serves the base problem and its extension sections (parse_extended_problem).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "hivemind/split/extensions.hpp"
#include "hivemind/split/problem.hpp"

namespace hivemind::split::detail {

// The base problem (hivemind.problem/v1) of `doc`, validated; messages name the field only
// (the caller prefixes the source).
Problem problem_from_json(const nlohmann::json& doc);

// The extension sections of `doc` over `base`; messages start with "<source>: ".
ExtendedProblem extensions_from_json(const Problem& base, const nlohmann::json& doc,
                                     std::string_view source);

}  // namespace hivemind::split::detail
