#include "hivemind/model/devices.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"

namespace hivemind::model {

namespace jf = json_field;
using nlohmann::json;

const DeviceClass* DeviceCatalog::find(std::string_view device_class) const {
  for (const auto& c : classes)
    if (c.device_class == device_class) return &c;
  return nullptr;
}

DeviceCatalog parse_device_catalog(std::string_view json_text, std::string_view source) {
  return with_source(source, [&] {
    const json doc = parse_json(json_text, source);
    jf::object(doc, "(top level)");
    const std::string format = jf::string(jf::require(doc, "format", "format"), "format");
    if (format != kDevicesFormat)
      throw InputError("format: unknown format " + json(format).dump() + " (expected \"" +
                       std::string(kDevicesFormat) + "\")");
    const json& classes = jf::array(jf::require(doc, "classes", "classes"), "classes");
    if (classes.empty()) throw InputError("classes: empty");
    DeviceCatalog catalog;
    std::set<std::string> names;
    for (std::size_t i = 0; i < classes.size(); ++i) {
      const std::string at = "classes[" + std::to_string(i) + "]";
      const json& j = jf::object(classes[i], at);
      DeviceClass c;
      c.device_class =
          jf::string(jf::require(j, "device_class", at + ".device_class"), at + ".device_class");
      if (c.device_class.empty()) throw InputError(at + ".device_class: empty");
      if (!names.insert(c.device_class).second)
        throw InputError(at + ".device_class: " + json(c.device_class).dump() + " appears twice");
      if (auto it = j.find("role"); it != j.end()) c.role = jf::string(*it, at + ".role");
      if (auto it = j.find("hardware"); it != j.end())
        c.hardware = jf::string(*it, at + ".hardware");
      if (auto it = j.find("base"); it != j.end()) {
        c.base = jf::string(*it, at + ".base");
        c.time_scale = jf::positive_number(jf::require(j, "time_scale", at + ".time_scale"),
                                           at + ".time_scale");
      } else if (j.contains("time_scale")) {
        throw InputError(at + ".time_scale: given without a base class to scale");
      }
      if (auto it = j.find("flops_per_s"); it != j.end())
        c.flops_per_s = jf::positive_number(*it, at + ".flops_per_s");
      c.active_power_w = jf::positive_number(
          jf::require(j, "active_power_w", at + ".active_power_w"), at + ".active_power_w");
      catalog.classes.push_back(std::move(c));
    }
    for (std::size_t i = 0; i < catalog.classes.size(); ++i) {
      const DeviceClass& c = catalog.classes[i];
      if (c.base.empty()) continue;
      const std::string at = "classes[" + std::to_string(i) + "].base";
      const DeviceClass* base = catalog.find(c.base);
      if (!base) throw InputError(at + ": " + json(c.base).dump() + " is not a class of this file");
      if (!base->base.empty())
        throw InputError(at + ": " + json(c.base).dump() +
                         " is itself derived; derive from a measured class");
    }
    return catalog;
  });
}

DeviceCatalog load_device_catalog(const std::string& path) {
  return parse_device_catalog(read_text_file(path), path);
}

namespace {

std::string fmt_g(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

}  // namespace

DeviceProfile resolve_device(const ModelProfile& profile, const std::string& device_class,
                             const DeviceCatalog& catalog) {
  const DeviceClass* spec = catalog.find(device_class);
  if (const DeviceProfile* own = profile.device(device_class)) {
    DeviceProfile d = *own;
    const bool has_energy = std::any_of(d.layers.begin(), d.layers.end(),
                                        [](const LayerCost& c) { return c.energy_j > 0; });
    if (!has_energy && spec) {
      for (auto& c : d.layers) c.energy_j = c.forward_s * spec->active_power_w;
      d.source += "; energy = forward_s x " + fmt_g(spec->active_power_w) + " W (devices file)";
    }
    return d;
  }
  std::string have;
  for (const auto& d : profile.devices) have += (have.empty() ? "" : ", ") + d.device_class;
  if (have.empty()) have = "none";
  if (!spec) {
    std::string known;
    for (const auto& c : catalog.classes) known += (known.empty() ? "" : ", ") + c.device_class;
    throw InputError("device_class: \"" + device_class + "\" is neither in model " + profile.model +
                     " (has: " + have + ") nor in the devices file (" + known + ")");
  }
  const DeviceProfile* base = spec->base.empty() ? nullptr : profile.device(spec->base);
  if (!base)
    throw InputError("device_class: \"" + device_class + "\" needs " +
                     (spec->base.empty()
                          ? std::string("a measurement")
                          : "the \"" + spec->base + "\" measurement it derives from") +
                     ", which model " + profile.model + " lacks (has: " + have + ")");
  DeviceProfile d;
  d.device_class = device_class;
  d.source = "derived from " + spec->base + " (" + base->source + "): time x " +
             fmt_g(spec->time_scale) +
             (spec->flops_per_s > 0 ? ", at least flops / " + fmt_g(spec->flops_per_s) + " FLOP/s"
                                    : std::string()) +
             ", energy = time x " + fmt_g(spec->active_power_w) + " W (devices file)";
  d.layers.resize(profile.layers.size());
  for (std::size_t l = 0; l < profile.layers.size(); ++l) {
    const LayerCost& b = base->layers[l];
    const double flops = profile.layers[l].flops;
    const bool bound = spec->flops_per_s > 0 && flops > 0;
    LayerCost& c = d.layers[l];
    c.forward_s = spec->time_scale * b.forward_s;
    if (bound) c.forward_s = std::max(c.forward_s, flops / spec->flops_per_s);
    c.backward_s = spec->time_scale * b.backward_s;
    if (bound && b.backward_s > 0)
      c.backward_s = std::max(c.backward_s, 2 * flops / spec->flops_per_s);
    c.energy_j = c.forward_s * spec->active_power_w;
  }
  return d;
}

}  // namespace hivemind::model
