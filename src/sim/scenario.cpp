#include "hivemind/sim/scenario.hpp"

#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"

namespace hivemind::sim {

namespace {

using nlohmann::json;
namespace jf = hivemind::json_field;

// Rejects fields we do not know: a typo in a scenario must not be silently ignored.
void check_keys(const json& object, std::initializer_list<const char*> allowed,
                const std::string& path) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool known = false;
    for (const char* k : allowed) known = known || it.key() == k;
    if (!known) throw InputError((path.empty() ? "" : path + ".") + it.key() + ": unknown field");
  }
}

std::string at(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}
std::string idx(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string short_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

// Every scenario number has a documented range (docs/simulator.md, "Accepted ranges"): the span
// that makes physical sense, which also keeps every time, count and index the simulator derives
// from it finite and small enough to hold (issue 10: a capacity of 1e-300 Mbit/s, an SCI
// processing time of 4e9 ms or 1e9 background UEs were accepted and crashed or ran for
// minutes). Checked after the type and sign checks of json_field, whose messages stay.
double in_range(double x, const json& value, const std::string& path, double lo, double hi) {
  if (!(x >= lo && x <= hi))
    throw InputError(path + ": " + jf::show(value) + " is out of range [" + short_number(lo) +
                     ", " + short_number(hi) + "]");
  return x;
}

// A required number of `object`, finite, in [lo, hi] (and > 0 if `positive`).
double bounded(const json& object, const char* key, const std::string& path, double lo, double hi,
               bool positive = false) {
  const json& v = jf::require(object, key, at(path, key));
  const double x = positive ? jf::positive_number(v, at(path, key))
                            : jf::number(v, at(path, key), /*non_negative=*/lo >= 0);
  return in_range(x, v, at(path, key), lo, hi);
}

// The same for an optional field: `fallback` when absent.
double opt_number(const json& o, const char* key, const std::string& path, double fallback,
                  bool positive, double lo, double hi) {
  if (o.find(key) == o.end()) return fallback;
  return bounded(o, key, path, lo, hi, positive);
}

// An array of at most `max_entries` entries (the sizes every loop over them is bounded by).
const json& bounded_array(const json& value, const std::string& path, std::size_t max_entries) {
  jf::array(value, path);
  if (value.size() > max_entries)
    throw InputError(path + ": " + std::to_string(value.size()) + " entries, at most " +
                     std::to_string(max_entries) + " are accepted");
  return value;
}

Background parse_background(const json& v, const std::string& path) {
  jf::object(v, path);
  check_keys(v, {"ues", "demand_mbps", "ues_sigma"}, path);
  Background b;
  b.ues = bounded(v, "ues", path, 0.0, kMaxBackgroundUes);
  b.demand_mbps = bounded(v, "demand_mbps", path, 0.0, kMaxCapacityMbps);
  if (v.contains("ues_sigma")) b.ues_sigma = bounded(v, "ues_sigma", path, 0.0, kMaxLogSigma);
  return b;
}

RadioPower parse_power(const json& v, const std::string& path) {
  jf::array(v, path, 2);
  RadioPower p;
  p.base_mw = in_range(jf::number(v[0], idx(path, 0)), v[0], idx(path, 0), 0.0, 1e6);
  p.per_mbps_mw = in_range(jf::number(v[1], idx(path, 1)), v[1], idx(path, 1), 0.0, 1e6);
  return p;
}

// `links[i].blockage` or `access.blockage` (docs/simulator.md). A scenario link has no radio
// model, so it states the SNR of its clear state (`clear_snr_db`); an access link's SNR comes
// from distance and fading, so it must not.
BlockageParams parse_blockage(const json& v, const std::string& path, bool scenario_link) {
  jf::object(v, path);
  if (!scenario_link && v.contains("clear_snr_db"))
    throw InputError(at(path, "clear_snr_db") +
                     ": not used on access links (their SNR comes from the radio model)");
  check_keys(v, {"rate_per_s", "mean_duration_ms", "attenuation_db", "clear_snr_db", "source"},
             path);
  // A required field, its path in the messages.
  auto field = [&](const char* key) -> std::pair<const json&, std::string> {
    return {jf::require(v, key, at(path, key)), at(path, key)};
  };
  BlockageParams b;
  const auto [rate, rate_path] = field("rate_per_s");
  b.rate_per_s = in_range(jf::number(rate, rate_path), rate, rate_path, 0.0, 100.0);
  const auto [duration, duration_path] = field("mean_duration_ms");
  b.mean_duration_s =
      in_range(jf::positive_number(duration, duration_path), duration, duration_path, 1.0, 1e5) *
      1e-3;
  const auto [attenuation, attenuation_path] = field("attenuation_db");
  b.attenuation_db = in_range(jf::number(attenuation, attenuation_path), attenuation,
                              attenuation_path, 0.0, 200.0);
  if (scenario_link) {
    const auto [snr, snr_path] = field("clear_snr_db");
    b.clear_snr_db = jf::number(snr, snr_path, /*non_negative=*/false);
    if (cqi_from_snr_db(b.clear_snr_db) == 0)
      throw InputError(snr_path + ": " + jf::show(snr) + " is below the CQI 1 threshold (" +
                       jf::show(json(cqi_threshold_db(1))) +
                       " dB): the clear link could not carry data");
    in_range(b.clear_snr_db, snr, snr_path, cqi_threshold_db(1), 100.0);
  }
  return b;
}

NodeRole parse_role(const json& v, const std::string& path) {
  const std::string s = jf::string(v, path);
  if (s == "ue") return NodeRole::kUe;
  if (s == "gnb") return NodeRole::kGnb;
  if (s == "mec") return NodeRole::kMec;
  if (s == "cloud") return NodeRole::kCloud;
  throw InputError(path + ": \"" + s + "\" is not one of ue, gnb, mec, cloud");
}

void parse_radio_power(const json& o, const std::string& path, Scenario& s) {
  jf::object(o, path);
  if (o.size() > kMaxScenarioEntries)
    throw InputError(path + ": " + std::to_string(o.size()) + " entries, at most " +
                     std::to_string(kMaxScenarioEntries) + " are accepted");
  for (auto it = o.begin(); it != o.end(); ++it) {
    const std::string p = at(path, it.key());
    jf::object(*it, p);
    check_keys(*it, {"uplink_mw", "downlink_mw", "source"}, p);
    s.radio_power_up[it.key()] = parse_power(jf::require(*it, "uplink_mw", p), at(p, "uplink_mw"));
    s.radio_power_down[it.key()] =
        parse_power(jf::require(*it, "downlink_mw", p), at(p, "downlink_mw"));
  }
}

std::string parse_power_ref(const json& o, const std::string& path, const Scenario& s) {
  auto it = o.find("radio_power");
  if (it == o.end()) return "";
  const std::string name = jf::string(*it, at(path, "radio_power"));
  if (!s.radio_power_up.count(name))
    throw InputError(at(path, "radio_power") + ": \"" + name + "\" is not defined in radio_power");
  return name;
}

}  // namespace

int Scenario::ue_node() const {
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].role == NodeRole::kUe) return static_cast<int>(i);
  return -1;
}
int Scenario::sink_node() const {
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].role == NodeRole::kCloud) return static_cast<int>(i);
  return -1;
}
int Scenario::uplink_of(int node) const {
  for (std::size_t i = 0; i < links.size(); ++i)
    if (links[i].from == node) return static_cast<int>(i);
  return -1;
}

Scenario parse_scenario(std::string_view json_text, std::string_view source) {
  try {
    const json doc = parse_json(json_text, source);
    jf::object(doc, "scenario");
    check_keys(doc,
               {"format", "name", "description", "area_m", "scheduler", "dynamics", "background",
                "devices", "radio_power", "nodes", "links", "access", "mobility", "sci", "deliver",
                "notes"},
               "");
    const std::string format = jf::string(jf::require(doc, "format", "format"), "format");
    if (format != kScenarioFormat)
      throw InputError("format: \"" + format + "\" is not \"" + std::string(kScenarioFormat) +
                       "\"");
    Scenario s;
    s.name = jf::string(jf::require(doc, "name", "name"), "name");
    if (auto it = doc.find("description"); it != doc.end())
      s.description = jf::string(*it, "description");
    if (auto it = doc.find("area_m"); it != doc.end()) {
      jf::array(*it, "area_m", 2);
      s.area_x_m =
          in_range(jf::positive_number((*it)[0], "area_m[0]"), (*it)[0], "area_m[0]", 1.0, 1e5);
      s.area_y_m =
          in_range(jf::positive_number((*it)[1], "area_m[1]"), (*it)[1], "area_m[1]", 1.0, 1e5);
    }
    if (auto it = doc.find("scheduler"); it != doc.end()) {
      jf::object(*it, "scheduler");
      check_keys(*it, {"tti_ms", "pf_window_ttis"}, "scheduler");
      // From one NR slot at 240 kHz subcarrier spacing (0.0625 ms) to one 10 ms frame.
      s.tti_s = opt_number(*it, "tti_ms", "scheduler", 1.0, true, 0.0625, 10.0) * 1e-3;
      s.pf_window_ttis = opt_number(*it, "pf_window_ttis", "scheduler", 99.0, true, 0.0, 1e6);
      if (s.pf_window_ttis < 1)
        throw InputError("scheduler.pf_window_ttis: " + jf::show((*it)["pf_window_ttis"]) +
                         " must be >= 1");
    }
    if (auto it = doc.find("dynamics"); it != doc.end()) {
      jf::object(*it, "dynamics");
      check_keys(*it, {"coherence_ms"}, "dynamics");
      s.coherence_s =
          opt_number(*it, "coherence_ms", "dynamics", 50.0, true, 0.0, kMaxCoherenceS * 1e3) * 1e-3;
    }
    if (s.coherence_s + 1e-12 < s.tti_s)
      throw InputError("dynamics.coherence_ms: " + std::to_string(s.coherence_s * 1e3) +
                       " is shorter than one TTI (" + std::to_string(s.tti_s * 1e3) + " ms)");
    if (auto it = doc.find("background"); it != doc.end()) {
      jf::object(*it, "background");
      check_keys(*it, {"ues_sigma", "backlog_cap_ms", "demand_mixture", "source"}, "background");
      s.ues_sigma = opt_number(*it, "ues_sigma", "background", 0.3, false, 0.0, kMaxLogSigma);
      s.backlog_cap_s =
          opt_number(*it, "backlog_cap_ms", "background", 100.0, true, 1e-3, 1e6) * 1e-3;
      if (auto m = it->find("demand_mixture"); m != it->end()) {
        bounded_array(*m, "background.demand_mixture", 64);
        if (m->empty()) throw InputError("background.demand_mixture: empty");
        for (std::size_t i = 0; i < m->size(); ++i) {
          const std::string p = idx("background.demand_mixture", i);
          jf::object((*m)[i], p);
          check_keys((*m)[i], {"weight", "scale", "sigma"}, p);
          DemandComponent c;
          c.weight = bounded((*m)[i], "weight", p, 1e-6, 1e6, /*positive=*/true);
          c.scale = bounded((*m)[i], "scale", p, 1e-6, 1e6, /*positive=*/true);
          c.sigma = bounded((*m)[i], "sigma", p, 0.0, kMaxLogSigma);
          s.demand_mixture.push_back(c);
        }
      }
    }
    if (s.demand_mixture.empty()) s.demand_mixture.push_back({1.0, 1.0, 0.5});

    if (auto it = doc.find("radio_power"); it != doc.end())
      parse_radio_power(*it, "radio_power", s);

    // Device classes.
    const json& devs = jf::object(jf::require(doc, "devices", "devices"), "devices");
    if (devs.size() > kMaxScenarioEntries)
      throw InputError("devices: " + std::to_string(devs.size()) + " entries, at most " +
                       std::to_string(kMaxScenarioEntries) + " are accepted");
    for (auto it = devs.begin(); it != devs.end(); ++it) {
      const std::string p = "devices." + it.key();
      jf::object(*it, p);
      check_keys(*it,
                 {"device_class", "measured_run", "latency_scale", "active_power_w",
                  "energy_counted", "source"},
                 p);
      DeviceClass d;
      d.name = it.key();
      // "measured_run" is the name files before the device catalog used (cpu1, cpu16, cuda).
      const char* key = it->contains("device_class") ? "device_class" : "measured_run";
      if (it->contains("device_class") && it->contains("measured_run"))
        throw InputError(p + ": give device_class or measured_run, not both");
      d.device_class = jf::string(jf::require(*it, key, at(p, "device_class")), at(p, key));
      if (d.device_class.empty() || d.device_class.size() > 64)
        throw InputError(at(p, key) + ": \"" + d.device_class.substr(0, 64) +
                         "\" is not a device class name (1 to 64 characters)");
      d.latency_scale = opt_number(*it, "latency_scale", p, 1.0, true, 1e-4, 1e4);
      d.active_power_w = opt_number(*it, "active_power_w", p, 0.0, false, 0.0, 1e5);
      if (auto e = it->find("energy_counted"); e != it->end()) {
        if (!e->is_boolean())
          throw InputError(at(p, "energy_counted") + ": expected true or false, got " +
                           jf::show(*e));
        d.energy_counted = e->get<bool>();
      }
      if (auto e = it->find("source"); e != it->end()) d.source = jf::string(*e, at(p, "source"));
      s.devices[d.name] = d;
    }

    // Nodes.
    const json& nodes =
        bounded_array(jf::require(doc, "nodes", "nodes"), "nodes", kMaxScenarioEntries);
    std::map<std::string, int> by_name;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const std::string p = idx("nodes", i);
      jf::object(nodes[i], p);
      check_keys(nodes[i], {"name", "role", "device", "position_m"}, p);
      ScenarioNode n;
      n.name = jf::string(jf::require(nodes[i], "name", p), at(p, "name"));
      if (n.name.empty()) throw InputError(at(p, "name") + ": empty");
      if (by_name.count(n.name))
        throw InputError(at(p, "name") + ": \"" + n.name + "\" is used twice");
      n.role = parse_role(jf::require(nodes[i], "role", p), at(p, "role"));
      n.device = jf::string(jf::require(nodes[i], "device", p), at(p, "device"));
      if (!s.devices.count(n.device))
        throw InputError(at(p, "device") + ": \"" + n.device + "\" is not defined in devices");
      if (auto it = nodes[i].find("position_m"); it != nodes[i].end()) {
        jf::array(*it, at(p, "position_m"), 2);
        n.x_m = jf::number((*it)[0], at(p, "position_m") + "[0]");
        n.y_m = jf::number((*it)[1], at(p, "position_m") + "[1]");
        if (n.x_m > s.area_x_m || n.y_m > s.area_y_m)
          throw InputError(at(p, "position_m") + ": [" + jf::show((*it)[0]) + ", " +
                           jf::show((*it)[1]) + "] is outside area_m");
      } else if (n.role == NodeRole::kGnb) {
        throw InputError(at(p, "position_m") + ": missing field (a gnb needs a position)");
      }
      by_name[n.name] = static_cast<int>(i);
      s.nodes.push_back(n);
    }
    int ues = 0, clouds = 0;
    for (const auto& n : s.nodes) {
      ues += n.role == NodeRole::kUe;
      clouds += n.role == NodeRole::kCloud;
    }
    if (ues != 1)
      throw InputError("nodes: need exactly one node with role \"ue\", found " +
                       std::to_string(ues));
    if (clouds != 1)
      throw InputError("nodes: need exactly one node with role \"cloud\" (the sink), found " +
                       std::to_string(clouds));
    if (s.devices.at(s.nodes[s.ue_node()].device).device_class == "none")
      throw InputError("nodes[" + std::to_string(s.ue_node()) +
                       "].device: the UE must be able to run layers");
    if (s.devices.at(s.nodes[s.sink_node()].device).device_class == "none")
      throw InputError("nodes[" + std::to_string(s.sink_node()) +
                       "].device: the cloud must be able to run layers");

    // Links.
    const json& links =
        bounded_array(jf::require(doc, "links", "links"), "links", kMaxScenarioEntries);
    std::set<std::string> link_names;
    for (std::size_t i = 0; i < links.size(); ++i) {
      const std::string p = idx("links", i);
      jf::object(links[i], p);
      check_keys(links[i],
                 {"name", "from", "to", "type", "capacity_mbps", "overhead_ms", "background",
                  "radio_power", "blockage"},
                 p);
      ScenarioLink l;
      l.name = jf::string(jf::require(links[i], "name", p), at(p, "name"));
      if (!link_names.insert(l.name).second)
        throw InputError(at(p, "name") + ": \"" + l.name + "\" is used twice");
      for (const char* end : {"from", "to"}) {
        const std::string node = jf::string(jf::require(links[i], end, p), at(p, end));
        auto it = by_name.find(node);
        if (it == by_name.end())
          throw InputError(at(p, end) + ": \"" + node + "\" is not a node name");
        (std::string(end) == "from" ? l.from : l.to) = it->second;
      }
      if (l.from == l.to) throw InputError(at(p, "to") + ": a link cannot join a node to itself");
      const std::string type = jf::string(jf::require(links[i], "type", p), at(p, "type"));
      if (type != "wireless" && type != "wired")
        throw InputError(at(p, "type") + ": \"" + type + "\" is not wireless or wired");
      l.wireless = type == "wireless";
      l.capacity_bps =
          bounded(links[i], "capacity_mbps", p, kMinCapacityMbps, kMaxCapacityMbps, true) * 1e6;
      l.overhead_s = opt_number(links[i], "overhead_ms", p, 0.0, false, 0.0, kMaxDelayMs) * 1e-3;
      if (auto it = links[i].find("background"); it != links[i].end())
        l.background = parse_background(*it, at(p, "background"));
      l.radio_power = parse_power_ref(links[i], p, s);
      if (auto it = links[i].find("blockage"); it != links[i].end()) {
        if (!l.wireless)
          throw InputError(at(p, "blockage") + ": only a wireless link can be blocked (type is \"" +
                           type + "\")");
        l.blockage = parse_blockage(*it, at(p, "blockage"), /*scenario_link=*/true);
      }
      s.links.push_back(l);
    }

    // Access model (optional): the UE reaches the gNBs over the radio.
    if (auto it = doc.find("access"); it != doc.end()) {
      const std::string p = "access";
      jf::object(*it, p);
      check_keys(*it,
                 {"capacity_mbps", "carrier_ghz", "bandwidth_mhz", "eirp_dbm", "noise_figure_db",
                  "overhead_fraction", "cqi_table", "overhead_ms", "cell_radius_m",
                  "fading_sigma_db", "background", "radio_power", "blockage"},
                 p);
      AccessModel& a = s.access;
      a.enabled = true;
      a.radio.capacity_bps =
          bounded(*it, "capacity_mbps", p, kMinCapacityMbps, kMaxCapacityMbps, true) * 1e6;
      a.radio.carrier_hz = bounded(*it, "carrier_ghz", p, 0.1, 300.0, true) * 1e9;
      a.radio.bandwidth_hz = bounded(*it, "bandwidth_mhz", p, 0.1, 2000.0, true) * 1e6;
      a.radio.eirp_dbm = bounded(*it, "eirp_dbm", p, -100.0, 100.0);
      a.radio.noise_figure_db = opt_number(*it, "noise_figure_db", p, 7.0, false, 0.0, 50.0);
      a.radio.overhead_fraction = opt_number(*it, "overhead_fraction", p, 0.1, false, 0.0, 1.0);
      if (a.radio.overhead_fraction >= 1.0)
        throw InputError("access.overhead_fraction: " + jf::show((*it)["overhead_fraction"]) +
                         " must be < 1");
      if (auto c = it->find("cqi_table"); c != it->end())
        a.radio.cqi_table = static_cast<int>(jf::integer(*c, "access.cqi_table", 1, 2));
      a.overhead_s = opt_number(*it, "overhead_ms", p, 0.0, false, 0.0, kMaxDelayMs) * 1e-3;
      a.cell_radius_m = opt_number(*it, "cell_radius_m", p, 300.0, true, 1.0, 1e5);
      a.fading_sigma_db = opt_number(*it, "fading_sigma_db", p, 0.0, false, 0.0, 50.0);
      if (auto b = it->find("background"); b != it->end())
        a.background = parse_background(*b, "access.background");
      a.radio_power = parse_power_ref(*it, p, s);
      if (auto b = it->find("blockage"); b != it->end())
        a.blockage = parse_blockage(*b, "access.blockage", /*scenario_link=*/false);
      int gnbs = 0;
      for (const auto& n : s.nodes) gnbs += n.role == NodeRole::kGnb;
      if (gnbs == 0) throw InputError("access: needs at least one node with role \"gnb\"");
      if (s.uplink_of(s.ue_node()) >= 0)
        throw InputError(
            "links[" + std::to_string(s.uplink_of(s.ue_node())) +
            "].from: the UE reaches the gNBs through \"access\"; it cannot also have a link");
    } else if (s.uplink_of(s.ue_node()) < 0) {
      throw InputError("links: the UE \"" + s.nodes[s.ue_node()].name +
                       "\" has no link and there is no \"access\" model");
    }

    // Every node but the sink (and the UE under an access model) has exactly one uplink, and
    // following uplinks reaches the sink without a cycle. All counts are checked before any
    // path is followed: a path from node n may pass a later node that has no uplink (which
    // must be reported as such, not read as link -1).
    const int sink = s.sink_node();
    std::vector<int> uplink(s.nodes.size(), -1), outgoing(s.nodes.size(), 0);
    for (std::size_t i = 0; i < s.links.size(); ++i) {
      uplink[s.links[i].from] = static_cast<int>(i);
      ++outgoing[s.links[i].from];
    }
    auto follows_links = [&](std::size_t n) {
      return static_cast<int>(n) != sink &&
             !(s.access.enabled && static_cast<int>(n) == s.ue_node());
    };
    for (std::size_t n = 0; n < s.nodes.size(); ++n) {
      if (static_cast<int>(n) == sink && outgoing[n] > 0)
        throw InputError("nodes[" + std::to_string(n) + "]: the cloud \"" + s.nodes[n].name +
                         "\" is the sink and cannot have an outgoing link");
      if (follows_links(n) && outgoing[n] != 1)
        throw InputError("nodes[" + std::to_string(n) + "]: \"" + s.nodes[n].name + "\" has " +
                         std::to_string(outgoing[n]) +
                         " outgoing links, needs exactly 1 towards the cloud");
    }
    for (std::size_t n = 0; n < s.nodes.size(); ++n) {
      if (!follows_links(n)) continue;
      int at_node = static_cast<int>(n);
      for (std::size_t hops = 0; at_node != sink; ++hops) {
        if (hops > s.nodes.size())
          throw InputError("links: following the links from \"" + s.nodes[n].name +
                           "\" loops without reaching the cloud");
        // Every node met here has exactly one uplink (checked above; the sink ends the walk,
        // and an access UE has no incoming link).
        at_node = s.links[uplink[at_node]].to;
      }
    }

    if (auto it = doc.find("mobility"); it != doc.end()) {
      const std::string p = "mobility";
      jf::object(*it, p);
      check_keys(*it, {"speed_kmh", "waypoints_m", "hysteresis_db", "check_ms"}, p);
      s.mobility.speed_mps = opt_number(*it, "speed_kmh", p, 40.0, false, 0.0, 1000.0) / 3.6;
      s.mobility.hysteresis_db = opt_number(*it, "hysteresis_db", p, 3.0, false, 0.0, 100.0);
      s.mobility.check_s = opt_number(*it, "check_ms", p, 100.0, true, 1.0, 1e6) * 1e-3;
      const json& w =
          bounded_array(jf::require(*it, "waypoints_m", p), "mobility.waypoints_m", 10000);
      if (w.size() < 2)
        throw InputError("mobility.waypoints_m: need at least 2 points, got " +
                         std::to_string(w.size()));
      for (std::size_t i = 0; i < w.size(); ++i) {
        const std::string q = idx("mobility.waypoints_m", i);
        jf::array(w[i], q, 2);
        const double x = jf::number(w[i][0], q + "[0]"), y = jf::number(w[i][1], q + "[1]");
        if (x > s.area_x_m || y > s.area_y_m)
          throw InputError(q + ": [" + jf::show(w[i][0]) + ", " + jf::show(w[i][1]) +
                           "] is outside area_m");
        s.mobility.waypoints_m.emplace_back(x, y);
      }
    } else if (s.access.enabled) {
      throw InputError("mobility: missing field (needed with \"access\")");
    }
    if (auto it = doc.find("sci"); it != doc.end()) {
      jf::object(*it, "sci");
      check_keys(*it, {"processing_ms"}, "sci");
      s.sci_processing_s =
          opt_number(*it, "processing_ms", "sci", 3.0, false, 0.0, kMaxDelayMs) * 1e-3;
    }
    if (auto it = doc.find("deliver"); it != doc.end()) {
      const std::string deliver = jf::string(*it, "deliver");
      if (deliver != "sink" && deliver != "none")  // tasks do not return results to the UE
        throw InputError("deliver: \"" + deliver + "\" is not sink or none");
      s.deliver = split::parse_deliver(deliver);
    }
    return s;
  } catch (...) {
    detail::rethrow_with_source(source);
  }
  throw InputError(std::string(source) + ": unreachable");
}

Scenario load_scenario(const std::string& path) {
  return parse_scenario(read_text_file(path), path);
}

}  // namespace hivemind::sim
