#include "hivemind/split/problem.hpp"

#include <cmath>
#include <string>

#include "hivemind/error.hpp"

namespace hivemind::split {

Deliver parse_deliver(std::string_view text, std::string_view field) {
  if (text == "sink") return Deliver::kSink;
  if (text == "none") return Deliver::kNone;
  if (text == "source") return Deliver::kSource;
  throw InputError(std::string(field) + ": unknown deliver mode \"" + std::string(text) +
                   "\" (expected sink, none or source)");
}

std::string_view to_string(Deliver deliver) {
  switch (deliver) {
    case Deliver::kSink:
      return "sink";
    case Deliver::kNone:
      return "none";
    case Deliver::kSource:
      return "source";
  }
  return "?";
}

namespace {
void check_direction(const LinkDirection& d, const std::string& field) {
  if (!std::isfinite(d.bandwidth_bytes_per_s) || !(d.bandwidth_bytes_per_s > 0))
    throw InputError(field + "bandwidth: " + exact_number(d.bandwidth_bytes_per_s) +
                     " must be > 0");
  require_non_negative(d.overhead_s, field + "overhead");
}
}  // namespace

void validate(const Problem& problem) {
  const int L = problem.layers;
  if (L < 1) throw InputError("layers: " + std::to_string(L) + " must be >= 1");
  if (problem.nodes.size() < 2)
    throw InputError("nodes: " + std::to_string(problem.nodes.size()) +
                     " nodes, need at least 2 (a source and a sink)");
  require_non_negative(problem.input_bytes, "input_bytes");
  if (problem.output_bytes.size() != static_cast<std::size_t>(L))
    throw InputError("output_bytes: expected " + std::to_string(L) + " entries, got " +
                     std::to_string(problem.output_bytes.size()));
  for (int l = 0; l < L; ++l)
    require_non_negative(problem.output_bytes[l], "output_bytes[" + std::to_string(l) + "]");
  for (std::size_t p = 0; p < problem.nodes.size(); ++p) {
    const auto& node = problem.nodes[p];
    const std::string field = "nodes[" + std::to_string(p) + "].compute";
    if (node.compute_s.size() != static_cast<std::size_t>(L))
      throw InputError(field + ": expected " + std::to_string(L) + " entries, got " +
                       std::to_string(node.compute_s.size()));
    for (int l = 0; l < L; ++l)
      require_non_negative(node.compute_s[l], field + "[" + std::to_string(l) + "]");
  }
  if (problem.links.size() + 1 != problem.nodes.size())
    throw InputError("links: expected " + std::to_string(problem.nodes.size() - 1) +
                     " entries (one per adjacent node pair), got " +
                     std::to_string(problem.links.size()));
  for (std::size_t p = 0; p < problem.links.size(); ++p) {
    const std::string field = "links[" + std::to_string(p) + "].";
    check_direction(problem.links[p].up, field);
    check_direction(problem.links[p].down, field + "down_");
  }
}

}  // namespace hivemind::split
