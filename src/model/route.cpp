#include "hivemind/model/route.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/split/chain_costs.hpp"

namespace hivemind::model {

namespace jf = json_field;
using nlohmann::json;

namespace {

// Fields a route entry may have; anything else is a typo worth an error (a misspelt
// "bandwidth_mbps" must not silently become a default).
void check_keys(const json& object, const std::string& path, const std::set<std::string>& known) {
  for (auto it = object.begin(); it != object.end(); ++it)
    if (!known.count(it.key())) throw InputError(path + "." + it.key() + ": unknown field");
}

}  // namespace

Route parse_route(std::string_view json_text, std::string_view source) {
  return with_source(source, [&] {
    const json doc = parse_json(json_text, source);
    jf::object(doc, "(top level)");
    check_keys(doc, "(top level)", {"format", "about", "nodes", "links", "deliver"});
    const std::string format = jf::string(jf::require(doc, "format", "format"), "format");
    if (format != kRouteFormat)
      throw InputError("format: unknown format " + json(format).dump() + " (expected \"" +
                       std::string(kRouteFormat) + "\")");
    Route route;
    const json& nodes = jf::chain_nodes(doc);
    std::set<std::string> names;
    for (std::size_t p = 0; p < nodes.size(); ++p) {
      const std::string at = "nodes[" + std::to_string(p) + "]";
      const json& j = jf::object(nodes[p], at);
      check_keys(j, at, {"name", "device_class", "speed_scale"});
      RouteNode node;
      node.device_class =
          jf::string(jf::require(j, "device_class", at + ".device_class"), at + ".device_class");
      if (node.device_class.empty()) throw InputError(at + ".device_class: empty");
      node.name = j.contains("name") ? jf::string(j["name"], at + ".name")
                                     : node.device_class + std::to_string(p);
      if (node.name.empty()) throw InputError(at + ".name: empty");
      if (!names.insert(node.name).second)
        throw InputError(at + ".name: " + json(node.name).dump() + " is used by an earlier node");
      if (auto it = j.find("speed_scale"); it != j.end())
        node.speed_scale = jf::positive_number(*it, at + ".speed_scale");
      route.nodes.push_back(std::move(node));
    }
    const json& links = jf::chain_links(doc, nodes.size());
    for (std::size_t p = 0; p < links.size(); ++p) {
      const std::string at = "links[" + std::to_string(p) + "]";
      const json& j = jf::object(links[p], at);
      check_keys(j, at,
                 {"bandwidth_mbps", "overhead_ms", "down_bandwidth_mbps", "down_overhead_ms"});
      RouteLink link;
      link.bandwidth_mbps = jf::positive_number(
          jf::require(j, "bandwidth_mbps", at + ".bandwidth_mbps"), at + ".bandwidth_mbps");
      if (j.contains("overhead_ms"))
        link.overhead_ms = jf::number(j["overhead_ms"], at + ".overhead_ms");
      link.down_bandwidth_mbps =
          j.contains("down_bandwidth_mbps")
              ? jf::positive_number(j["down_bandwidth_mbps"], at + ".down_bandwidth_mbps")
              : link.bandwidth_mbps;
      link.down_overhead_ms = j.contains("down_overhead_ms")
                                  ? jf::number(j["down_overhead_ms"], at + ".down_overhead_ms")
                                  : link.overhead_ms;
      route.links.push_back(link);
    }
    if (auto it = doc.find("deliver"); it != doc.end())
      route.deliver = split::parse_deliver(jf::string(*it, "deliver"), "deliver");
    return route;
  });
}

Route load_route(const std::string& path) { return parse_route(read_text_file(path), path); }

split::Problem problem_from_route(const ModelProfile& profile, const Route& route,
                                  const DeviceCatalog& catalog, CutSizes sizes,
                                  const Budget& budget) {
  if (route.nodes.size() < 2 || route.links.size() + 1 != route.nodes.size())
    throw InputError("route: " + std::to_string(route.nodes.size()) + " nodes and " +
                     std::to_string(route.links.size()) + " links (need n >= 2 nodes, n-1 links)");
  {
    // Each node resolves its device class (a copy of the profile's per-layer costs) and keeps
    // one compute value per layer: P x L values, one step and 8 bytes each, plus the one
    // resolved profile alive at a time.
    const double values =
        static_cast<double>(route.nodes.size()) * static_cast<double>(profile.layers.size());
    const std::string what = "problem of " + std::to_string(profile.layers.size()) + " layers on " +
                             std::to_string(route.nodes.size()) + " nodes";
    check_steps(budget, values, what);
    check_bytes(
        budget,
        values * sizeof(double) + static_cast<double>(profile.layers.size()) * sizeof(LayerCost),
        what);
  }
  split::Problem problem;
  problem.layers = static_cast<int>(profile.layers.size());
  problem.input_bytes = profile.input_bytes;
  for (const auto& l : profile.layers)
    problem.output_bytes.push_back(sizes == CutSizes::kDag ? l.cut_bytes : l.output_bytes);
  for (std::size_t p = 0; p < route.nodes.size(); ++p) {
    const RouteNode& n = route.nodes[p];
    DeviceProfile device;
    try {
      device = resolve_device(profile, n.device_class, catalog);
    } catch (const InputError& e) {
      throw InputError("nodes[" + std::to_string(p) + "]." + e.what());
    }
    split::Node node;
    node.name = n.name;
    for (const auto& c : device.layers) node.compute_s.push_back(c.forward_s / n.speed_scale);
    problem.nodes.push_back(std::move(node));
  }
  for (const RouteLink& l : route.links) {
    split::Link link;
    // Mbit/s -> bytes/s: x 10^6 bits, / 8 bits per byte. ms -> s: / 1000.
    link.up = {l.bandwidth_mbps * 1e6 / 8, l.overhead_ms / 1000};
    link.down = {l.down_bandwidth_mbps * 1e6 / 8, l.down_overhead_ms / 1000};
    problem.links.push_back(link);
  }
  if (route.deliver) problem.deliver = *route.deliver;
  split::validate(problem);
  return problem;
}

ChainComparison compare_chain_model(const split::Problem& dag, const split::Problem& chain,
                                    split::Method method, const Budget& budget) {
  ChainComparison c;
  c.chain = split::solve(split::compile(chain), method, budget);
  const split::ChainCosts dag_costs = split::compile(dag);
  c.chain_true = split::evaluate(dag_costs, c.chain.boundaries);
  c.dag = split::solve(dag_costs, method, budget);
  return c;
}

}  // namespace hivemind::model
