#include "hivemind/runtime/node_file.hpp"

#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "credentials.hpp"
#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/devices.hpp"
#include "hivemind/model/latency_model.hpp"
#include "hivemind/model/route.hpp"
#include "hivemind/model/torch_profiler.hpp"
#include "hivemind/model/zoo.hpp"

namespace hivemind::runtime {

namespace fs = std::filesystem;
namespace jf = json_field;
using nlohmann::json;

namespace {

// Fields an object of the file may have; anything else is a typo worth an error (a misspelt
// "timeout_s" must not silently become the default).
void check_keys(const json& object, const std::string& path, const std::set<std::string>& known) {
  for (auto it = object.begin(); it != object.end(); ++it)
    if (!known.count(it.key()))
      throw InputError((path.empty() ? "" : path + ".") + it.key() + ": unknown field");
}

bool boolean(const json& value, const std::string& path) {
  if (!value.is_boolean())
    throw InputError(path + ": expected true or false, got " + jf::show(value));
  return value.get<bool>();
}

std::string non_empty_string(const json& value, const std::string& path) {
  std::string s = jf::string(value, path);
  if (s.empty()) throw InputError(path + ": empty");
  return s;
}

// Runs `f`; an InputError from a library that names its own command-line flag ("--input: ...")
// is re-thrown naming this file's field instead ("input: ..."), and one that names no flag of
// `renames` gets `field` in front. Other exceptions pass.
template <typename F>
auto as_field(const std::string& field,
              std::initializer_list<std::pair<const char*, const char*>> renames, F&& f)
    -> decltype(f()) {
  try {
    return f();
  } catch (const InputError& e) {
    const std::string what = e.what();
    for (const auto& [flag, name] : renames) {
      const std::string prefix = std::string(flag) + ": ";
      if (what.rfind(prefix, 0) == 0) throw InputError(name + (": " + what.substr(prefix.size())));
    }
    throw InputError(field + ": " + what);
  }
}

// A link of this file, read by the route format's own rules (model::parse_route: bandwidth_mbps
// > 0, overhead_ms >= 0, down_* defaulting to the up values, no unknown field): `value` is
// parsed as the one link of a two-node route, and the "links[0]" its errors name becomes `at`.
model::RouteLink parse_link(const json& value, const std::string& at) {
  json nodes = json::array();
  nodes.push_back({{"device_class", "a"}});
  nodes.push_back({{"device_class", "b"}});
  json links = json::array();
  links.push_back(value);
  const json route = {
      {"format", model::kRouteFormat}, {"nodes", std::move(nodes)}, {"links", std::move(links)}};
  try {
    return model::parse_route(route.dump(), "link").links.at(0);
  } catch (const InputError& e) {
    const std::string what = e.what();
    const std::string prefix = "link: links[0]";
    if (what.rfind(prefix, 0) == 0) throw InputError(at + what.substr(prefix.size()));
    throw InputError(at + ": " + what);
  }
}

// `file` relative to the node file's folder (absolute paths as they are).
std::string resolve(const fs::path& base, const std::string& file) {
  const fs::path p(file);
  return p.is_absolute() ? file : (base / p).lexically_normal().string();
}

struct Downstream {
  std::string address;
  model::RouteLink link;
};

NodeFile parse(const std::string& text, const std::string& path, const std::string& data_dir,
               std::string* note) {
  const fs::path base = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : ".";
  const json doc = parse_json(text, path);
  jf::object(doc, "(top level)");
  check_keys(doc, "",
             {"format",       "about",          "name",      "position",  "nodes",
              "device_class", "speed_scale",    "model",     "input",     "profile",
              "incoming",     "downstream",     "deliver",   "listen",    "emulation",
              "tls",          "estimate_links", "log_level", "timeout_s", "max_inflight_mib"});
  const std::string format = jf::string(jf::require(doc, "format", "format"), "format");
  if (format != kNodeFormat)
    throw InputError("format: unknown format " + json(format).dump() + " (expected \"" +
                     std::string(kNodeFormat) + "\")");

  // Where the node stands: P = "nodes" (the chain's length), p = "position".
  const int P = static_cast<int>(jf::integer(jf::require(doc, "nodes", "nodes"), "nodes", 2,
                                             static_cast<long long>(jf::kMaxChainNodes)));
  const int p = static_cast<int>(jf::integer(jf::require(doc, "position", "position"), "position",
                                             0, static_cast<long long>(jf::kMaxChainNodes)));
  if (p >= P)
    throw InputError("position: " + std::to_string(p) + " must be < nodes (" + std::to_string(P) +
                     "): positions are 0 (the source) .. nodes-1 (the sink)");
  NodeFile out;
  out.name =
      doc.contains("name") ? non_empty_string(doc["name"], "name") : "node" + std::to_string(p);
  const std::string device_class =
      non_empty_string(jf::require(doc, "device_class", "device_class"), "device_class");
  const double speed_scale =
      doc.contains("speed_scale") ? jf::positive_number(doc["speed_scale"], "speed_scale") : 1.0;

  // Links: the one into this node, and one into each node after it.
  std::optional<model::RouteLink> incoming;
  if (p == 0 && doc.contains("incoming"))
    throw InputError("incoming: given at position 0, but the source receives no data over a link");
  if (p > 0) incoming = parse_link(jf::require(doc, "incoming", "incoming"), "incoming");
  const std::size_t after = static_cast<std::size_t>(P - 1 - p);
  std::vector<Downstream> downstream;
  if (after > 0 || doc.contains("downstream")) {
    const json& list = jf::array(jf::require(doc, "downstream", "downstream"), "downstream");
    if (list.size() != after)
      throw InputError("downstream: " + std::to_string(list.size()) + " entries, but node " +
                       std::to_string(p) + " of " + std::to_string(P) + " needs " +
                       std::to_string(after) + " (nodes " + std::to_string(p + 1) + ".." +
                       std::to_string(P - 1) + ", neighbour first)");
    for (std::size_t k = 0; k < after; ++k) {
      const std::string at = "downstream[" + std::to_string(k) + "]";
      const json& entry = jf::object(list[k], at);
      check_keys(entry, at, {"address", "link"});
      Downstream d;
      d.address = non_empty_string(jf::require(entry, "address", at + ".address"), at + ".address");
      d.link = parse_link(jf::require(entry, "link", at + ".link"), at + ".link");
      downstream.push_back(std::move(d));
    }
  }
  std::optional<split::Deliver> deliver;
  if (doc.contains("deliver"))
    deliver = split::parse_deliver(jf::string(doc["deliver"], "deliver"), "deliver");
  out.listen = doc.contains("listen") ? non_empty_string(doc["listen"], "listen") : "127.0.0.1:0";

  // How it runs: emulation, TLS, link estimation, logs, deadlines.
  Emulation emulation;
  if (doc.contains("emulation")) {
    const json& e = jf::object(doc["emulation"], "emulation");
    check_keys(e, "emulation", {"devices", "links", "dilation"});
    if (e.contains("devices")) emulation.devices = boolean(e["devices"], "emulation.devices");
    if (e.contains("links")) emulation.links = boolean(e["links"], "emulation.links");
    if (e.contains("dilation")) {
      emulation.dilation = jf::number(e["dilation"], "emulation.dilation");
      if (!(emulation.dilation >= 1.0 && emulation.dilation <= 1e6))
        throw InputError("emulation.dilation: " + jf::show(e["dilation"]) +
                         " is outside 1..1e6 (a dilation slows every emulated time down)");
    }
  }
  TlsFiles tls;
  if (doc.contains("tls")) {
    const json& t = jf::object(doc["tls"], "tls");
    check_keys(t, "tls", {"ca", "cert", "key"});
    auto file = [&](const char* key) {
      const std::string at = std::string("tls.") + key;
      if (!t.contains(key))
        throw InputError(at + ": required (mutual TLS needs tls.ca, tls.cert and tls.key)");
      return resolve(base, non_empty_string(t[key], at));
    };
    tls = {file("ca"), file("cert"), file("key")};
    // Unreadable or swapped files are refused now, with this file's names, not at a handshake.
    as_field("tls", {{"--tls-ca", "tls.ca"}, {"--tls-cert", "tls.cert"}, {"--tls-key", "tls.key"}},
             [&] { check_tls(tls); });
  }
  const bool estimate_links =
      doc.contains("estimate_links") ? boolean(doc["estimate_links"], "estimate_links") : true;
  const LogLevel log_level =
      doc.contains("log_level")
          ? as_field("log_level", {{"--log-level", "log_level"}},
                     [&] { return parse_log_level(jf::string(doc["log_level"], "log_level")); })
          : LogLevel::kError;
  double timeout_s = 5.0;
  if (doc.contains("timeout_s")) {
    timeout_s = jf::positive_number(doc["timeout_s"], "timeout_s");
    if (timeout_s < 1e-3 || timeout_s > 3600)
      throw InputError("timeout_s: " + jf::show(doc["timeout_s"]) + " is outside 0.001..3600");
  }
  const std::uint64_t max_inflight_bytes =
      doc.contains("max_inflight_mib")
          ? static_cast<std::uint64_t>(
                jf::integer(doc["max_inflight_mib"], "max_inflight_mib", 1, 1 << 20))
                << 20
          : kDefaultMaxInflightBytes;

  // The model it executes, and its per-layer times (the profile's, or measured here).
  const std::string model_path =
      resolve(base, non_empty_string(jf::require(doc, "model", "model"), "model"));
  const std::string input = non_empty_string(jf::require(doc, "input", "input"), "input");
  if (!fs::is_regular_file(model_path)) throw InputError("model: " + model_path + ": no such file");
  const std::vector<model::TorchInputSpec> specs =
      as_field("input", {{"--input", "input"}}, [&] { return model::parse_torch_inputs(input); });
  const auto executor = as_field("model", {{"--input", "input"}}, [&] {
    return std::make_shared<const model::TorchLayerExecutor>(model_path, specs);
  });
  const std::size_t L = executor->layer_count();
  const std::string model_name = fs::path(model_path).stem().string();
  model::ModelProfile profile;
  std::vector<model::Derivation> derived;
  std::string measured;
  if (doc.contains("profile")) {
    const std::string file = resolve(base, non_empty_string(doc["profile"], "profile"));
    profile = as_field("profile", {}, [&] { return model::load_model(file, data_dir, &derived); });
    if (profile.layers.size() != L)
      throw InputError("profile: " + file + " has " + std::to_string(profile.layers.size()) +
                       " layers, the model " + model_path + " " + std::to_string(L));
    // The profile must be this model's: every cut carries what the executor's cut holds (the
    // cut bytes go into the architecture hash every node of the chain must agree on).
    for (std::size_t x = 0; x <= L; ++x) {
      const double want = executor->cut_bytes(x);
      const double got = x == 0 ? profile.input_bytes : profile.layers[x - 1].cut_bytes;
      if (got != want)
        throw InputError("profile: cut " + std::to_string(x) + " of " + file + " carries " +
                         exact_number(got) + " bytes, the model's " + exact_number(want) +
                         " (profile this model: hivemind profile)");
    }
  } else {
    // One measurement on this machine (as hivemind run does): class "cpu", then the catalogued
    // classes derived from it (latency_model.hpp), the node's own class from those.
    model::TorchProfileOptions o;
    o.model_path = model_path;
    o.inputs = specs;
    o.model_name = model_name;
    o.warmup = 2;
    o.reps = 5;
    o.backward = false;
    o.power_w = 0.0;  // energy is not planned by the daemons
    const model::TorchProfileResult r =
        as_field("model", {{"--input", "input"}}, [&] { return model::profile_torchscript(o); });
    profile = r.profile;
    derived = model::derive_missing_classes(
        profile, model::load_latency_models(data_dir + "/devices/latency_models.json"));
    char line[200];
    std::snprintf(line, sizeof line,
                  "no profile: measured %s here (class cpu, %d thread%s): %.3f ms per forward",
                  model_name.c_str(), r.threads, r.threads == 1 ? "" : "s",
                  r.sum_layer_forward_s * 1e3);
    measured = line;
  }
  const model::DeviceCatalog catalog =
      model::load_device_catalog(data_dir + "/devices/devices.json");
  model::resolve_device(profile, device_class, catalog);  // "device_class: ..." when it cannot
  if (note) {
    const std::string d = model::describe(derived, model_name);
    *note = measured.empty() ? d : d.empty() ? measured : measured + "; " + d;
  }

  // The node's part of the problem the same profile would give on a route: built by the route
  // code and cut by node_config_from_problem, so the units, the cut bytes, the deliver mode
  // and the architecture hash are those of a problem-file chain by construction. The other
  // nodes' rows and the links before `incoming` are placeholders (this node's class and
  // incoming link) that node_config_from_problem does not read.
  model::Route route;
  for (int q = 0; q < P; ++q)
    route.nodes.push_back({"n" + std::to_string(q), device_class, speed_scale});
  for (int k = 0; k + 1 < P; ++k)
    route.links.push_back(k >= p ? downstream[static_cast<std::size_t>(k - p)].link : *incoming);
  route.deliver = deliver;
  const split::Problem problem = model::problem_from_route(profile, route, catalog);
  std::vector<std::string> addresses;
  for (const Downstream& d : downstream) addresses.push_back(d.address);
  out.config = node_config_from_problem(problem, p, addresses);
  out.config.call_timeout_s = timeout_s;
  out.config.max_inflight_bytes = max_inflight_bytes;
  out.config.estimate_links = estimate_links;
  out.config.emulation = emulation;
  out.config.tls = tls;
  out.config.log_level = log_level;
  out.config.executor = executor;
  return out;
}

}  // namespace

NodeFile load_node_config(const std::string& path, const std::string& data_dir, std::string* note) {
  if (note) note->clear();
  const std::string text = read_text_file(path);
  return with_source(path, [&] { return parse(text, path, data_dir, note); });
}

}  // namespace hivemind::runtime
