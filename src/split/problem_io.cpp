#include "hivemind/split/problem_io.hpp"

#include <nlohmann/json.hpp>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "json_readers.hpp"

namespace hivemind::split {

namespace jf = json_field;
using nlohmann::json;

namespace {

// Largest model and chain the file format accepts (keeps a hostile file from asking for
// terabytes before anything else is checked).
constexpr long long kMaxLayers = 1'000'000;

LinkDirection parse_direction(const json& link, const std::string& path, const char* bw_key,
                              const char* ovh_key, const LinkDirection* fallback) {
  LinkDirection d;
  if (auto it = link.find(bw_key); it != link.end()) {
    d.bandwidth_bytes_per_s = jf::positive_number(*it, path + "." + bw_key);
  } else if (fallback) {
    d.bandwidth_bytes_per_s = fallback->bandwidth_bytes_per_s;
  } else {
    throw InputError(path + "." + bw_key + ": missing field");
  }
  if (auto it = link.find(ovh_key); it != link.end()) {
    d.overhead_s = jf::number(*it, path + "." + ovh_key);
  } else if (fallback) {
    d.overhead_s = fallback->overhead_s;
  }  // a missing up overhead means 0
  return d;
}

}  // namespace

namespace detail {

Problem problem_from_json(const json& doc) {
  jf::object(doc, "(top level)");
  Problem problem;
  const std::string format = jf::string(jf::require(doc, "format", "format"), "format");
  if (format != kProblemFormat)
    throw InputError("format: unknown format \"" + format + "\" (expected \"" +
                     std::string(kProblemFormat) + "\")");
  problem.layers =
      static_cast<int>(jf::integer(jf::require(doc, "layers", "layers"), "layers", 1, kMaxLayers));
  const std::size_t L = static_cast<std::size_t>(problem.layers);
  problem.input_bytes = jf::number(jf::require(doc, "input_bytes", "input_bytes"), "input_bytes");

  const json& out = jf::array(jf::require(doc, "output_bytes", "output_bytes"), "output_bytes", L);
  problem.output_bytes.reserve(L);
  for (std::size_t l = 0; l < L; ++l)
    problem.output_bytes.push_back(jf::number(out[l], "output_bytes[" + std::to_string(l) + "]"));

  const json& nodes = jf::chain_nodes(doc);
  for (std::size_t p = 0; p < nodes.size(); ++p) {
    const std::string path = "nodes[" + std::to_string(p) + "]";
    jf::object(nodes[p], path);
    Node node;
    if (auto it = nodes[p].find("name"); it != nodes[p].end())
      node.name = jf::string(*it, path + ".name");
    else
      node.name = "node" + std::to_string(p);
    const json& compute =
        jf::array(jf::require(nodes[p], "compute", path + ".compute"), path + ".compute", L);
    node.compute_s.reserve(L);
    for (std::size_t l = 0; l < L; ++l)
      node.compute_s.push_back(
          jf::number(compute[l], path + ".compute[" + std::to_string(l) + "]"));
    problem.nodes.push_back(std::move(node));
  }

  const json& links = jf::chain_links(doc, nodes.size());
  for (std::size_t p = 0; p < links.size(); ++p) {
    const std::string path = "links[" + std::to_string(p) + "]";
    jf::object(links[p], path);
    Link link;
    link.up = parse_direction(links[p], path, "bandwidth", "overhead", nullptr);
    link.down = parse_direction(links[p], path, "down_bandwidth", "down_overhead", &link.up);
    problem.links.push_back(link);
  }

  if (auto it = doc.find("deliver"); it != doc.end())
    problem.deliver = parse_deliver(jf::string(*it, "deliver"), "deliver");
  validate(problem);
  return problem;
}

}  // namespace detail

Problem parse_problem(std::string_view json_text, std::string_view source) {
  return with_source(source,
                     [&] { return detail::problem_from_json(parse_json(json_text, source)); });
}

Problem load_problem(const std::string& path) { return parse_problem(read_text_file(path), path); }

std::string to_json(const Problem& problem) {
  using ojson = nlohmann::ordered_json;
  ojson doc = ojson::object();
  doc["format"] = kProblemFormat;
  doc["layers"] = problem.layers;
  doc["input_bytes"] = problem.input_bytes;
  doc["output_bytes"] = problem.output_bytes;
  ojson nodes = ojson::array();
  for (const auto& node : problem.nodes)
    nodes.push_back(ojson{{"name", node.name}, {"compute", node.compute_s}});
  doc["nodes"] = std::move(nodes);
  ojson links = ojson::array();
  for (const auto& link : problem.links) {
    ojson l = {{"bandwidth", link.up.bandwidth_bytes_per_s}, {"overhead", link.up.overhead_s}};
    if (link.down.bandwidth_bytes_per_s != link.up.bandwidth_bytes_per_s ||
        link.down.overhead_s != link.up.overhead_s) {
      l["down_bandwidth"] = link.down.bandwidth_bytes_per_s;
      l["down_overhead"] = link.down.overhead_s;
    }
    links.push_back(std::move(l));
  }
  doc["links"] = std::move(links);
  doc["deliver"] = std::string(to_string(problem.deliver));
  return doc.dump(2) + "\n";
}

}  // namespace hivemind::split
