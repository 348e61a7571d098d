#include "hivemind/model/profile.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"

namespace hivemind::model {

namespace jf = json_field;
using nlohmann::json;

namespace {

// A hostile file must not ask for gigabytes before anything else is checked.
constexpr std::size_t kMaxLayers = 1'000'000;
constexpr std::size_t kMaxDevices = 1'000;
constexpr int kMaxThreads = 1'000'000;

// An optional metadata string: absent or a non-empty string.
std::string optional_text(const json& object, const char* key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end()) return {};
  std::string s = jf::string(*it, path + "." + key);
  if (s.empty()) throw InputError(path + "." + key + ": empty (leave the field out instead)");
  return s;
}

std::string quote(const std::string& s) { return json(s).dump(); }

void check_size(double x, const std::string& path) {
  if (!std::isfinite(x)) throw InputError(path + ": " + std::to_string(x) + " is not finite");
  if (x < 0) throw InputError(path + ": " + jf::show(json(x)) + " is negative");
}

// Optional per-layer cost array: absent or null means all zeros.
std::vector<double> cost_array(const json& device, const char* key, const std::string& path,
                               std::size_t layers, bool required) {
  std::vector<double> out(layers, 0.0);
  auto it = device.find(key);
  if (it == device.end() || it->is_null()) {
    if (required) throw InputError(path + "." + key + ": missing field");
    return out;
  }
  const json& a = jf::array(*it, path + "." + key, layers);
  for (std::size_t l = 0; l < layers; ++l)
    out[l] = jf::number(a[l], path + "." + key + "[" + std::to_string(l) + "]");
  return out;
}

}  // namespace

double DeviceProfile::forward_total_s() const {
  double total = 0.0;
  for (const auto& c : layers) total += c.forward_s;
  return total;
}

const DeviceProfile* ModelProfile::device(std::string_view device_class) const {
  for (const auto& d : devices)
    if (d.device_class == device_class) return &d;
  return nullptr;
}

void validate(const ModelProfile& profile) {
  if (profile.model.empty()) throw InputError("model: empty name");
  check_size(profile.input_bytes, "input_bytes");
  if (profile.layers.empty()) throw InputError("layers: empty (a model has at least one layer)");
  std::set<std::string> names;
  for (std::size_t l = 0; l < profile.layers.size(); ++l) {
    const LayerProfile& layer = profile.layers[l];
    const std::string at = "layers[" + std::to_string(l) + "]";
    if (layer.name.empty()) throw InputError(at + ".name: empty");
    if (!names.insert(layer.name).second)
      throw InputError(at + ".name: " + quote(layer.name) + " is used by an earlier layer");
    if (layer.kind.empty()) throw InputError(at + ".kind: empty");
    check_size(layer.output_bytes, at + ".output_bytes");
    check_size(layer.cut_bytes, at + ".cut_bytes");
    check_size(layer.param_bytes, at + ".param_bytes");
    if (std::isnan(layer.flops) || std::isinf(layer.flops))
      throw InputError(at + ".flops: not finite");
  }
  std::set<std::string> classes;
  for (std::size_t d = 0; d < profile.devices.size(); ++d) {
    const DeviceProfile& device = profile.devices[d];
    const std::string at = "devices[" + std::to_string(d) + "]";
    if (device.device_class.empty()) throw InputError(at + ".device_class: empty");
    if (!classes.insert(device.device_class).second)
      throw InputError(at + ".device_class: " + quote(device.device_class) + " appears twice");
    if (device.layers.size() != profile.layers.size())
      throw InputError(at + ".forward_s: " + std::to_string(device.layers.size()) +
                       " entries, expected one per layer (" +
                       std::to_string(profile.layers.size()) + ")");
    for (std::size_t l = 0; l < device.layers.size(); ++l) {
      const std::string i = "[" + std::to_string(l) + "]";
      check_size(device.layers[l].forward_s, at + ".forward_s" + i);
      check_size(device.layers[l].backward_s, at + ".backward_s" + i);
      check_size(device.layers[l].energy_j, at + ".energy_j" + i);
    }
    if (device.threads && (*device.threads < 1 || *device.threads > kMaxThreads))
      throw InputError(at + ".threads: " + std::to_string(*device.threads) +
                       " is out of range [1, " + std::to_string(kMaxThreads) + "]");
    if (device.whole_model_forward_s)
      check_size(*device.whole_model_forward_s, at + ".whole_model_forward_s");
  }
}

ModelProfile parse_model_profile(std::string_view json_text, std::string_view source) {
  return with_source(source, [&] {
    const json doc = parse_json(json_text, source);
    jf::object(doc, "(top level)");
    const std::string format = jf::string(jf::require(doc, "format", "format"), "format");
    if (format != kProfileFormat)
      throw InputError("format: unknown format " + quote(format) + " (expected \"" +
                       std::string(kProfileFormat) + "\")");
    ModelProfile p;
    p.model = jf::string(jf::require(doc, "model", "model"), "model");
    if (p.model.empty()) throw InputError("model: empty name");
    if (auto it = doc.find("source"); it != doc.end()) p.source = jf::string(*it, "source");
    p.input_bytes = jf::number(jf::require(doc, "input_bytes", "input_bytes"), "input_bytes");

    const json& layers = jf::array(jf::require(doc, "layers", "layers"), "layers");
    if (layers.empty()) throw InputError("layers: empty (a model has at least one layer)");
    if (layers.size() > kMaxLayers)
      throw InputError("layers: " + std::to_string(layers.size()) + " entries, at most " +
                       std::to_string(kMaxLayers));
    p.layers.reserve(layers.size());
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const std::string at = "layers[" + std::to_string(l) + "]";
      const json& j = jf::object(layers[l], at);
      LayerProfile layer;
      layer.name = jf::string(jf::require(j, "name", at + ".name"), at + ".name");
      layer.kind = jf::string(jf::require(j, "kind", at + ".kind"), at + ".kind");
      layer.output_bytes =
          jf::number(jf::require(j, "output_bytes", at + ".output_bytes"), at + ".output_bytes");
      layer.cut_bytes =
          jf::number(jf::require(j, "cut_bytes", at + ".cut_bytes"), at + ".cut_bytes");
      if (auto it = j.find("param_bytes"); it != j.end())
        layer.param_bytes = jf::number(*it, at + ".param_bytes");
      if (auto it = j.find("flops"); it != j.end() && !it->is_null())
        layer.flops = jf::number(*it, at + ".flops");
      p.layers.push_back(std::move(layer));
    }

    if (auto it = doc.find("devices"); it != doc.end()) {
      const json& devices = jf::array(*it, "devices");
      if (devices.size() > kMaxDevices)
        throw InputError("devices: " + std::to_string(devices.size()) + " entries, at most " +
                         std::to_string(kMaxDevices));
      for (std::size_t d = 0; d < devices.size(); ++d) {
        const std::string at = "devices[" + std::to_string(d) + "]";
        const json& j = jf::object(devices[d], at);
        DeviceProfile device;
        device.device_class =
            jf::string(jf::require(j, "device_class", at + ".device_class"), at + ".device_class");
        if (auto s = j.find("source"); s != j.end()) device.source = jf::string(*s, at + ".source");
        const std::size_t L = p.layers.size();
        const auto fwd = cost_array(j, "forward_s", at, L, /*required=*/true);
        const auto bwd = cost_array(j, "backward_s", at, L, /*required=*/false);
        const auto energy = cost_array(j, "energy_j", at, L, /*required=*/false);
        device.layers.resize(L);
        for (std::size_t l = 0; l < L; ++l) device.layers[l] = {fwd[l], bwd[l], energy[l]};
        device.runtime = optional_text(j, "runtime", at);
        device.machine = optional_text(j, "machine", at);
        if (auto t = j.find("threads"); t != j.end())
          device.threads = static_cast<int>(jf::integer(*t, at + ".threads", 1, kMaxThreads));
        if (auto w = j.find("whole_model_forward_s"); w != j.end())
          device.whole_model_forward_s = jf::number(*w, at + ".whole_model_forward_s");
        p.devices.push_back(std::move(device));
      }
    }
    validate(p);
    return p;
  });
}

ModelProfile load_model_profile(const std::string& path) {
  return parse_model_profile(read_text_file(path), path);
}

std::string to_json(const ModelProfile& profile) {
  // Written by hand around compact nlohmann dumps: one layer per line and one line per cost
  // array keeps a 600-layer profile readable and diffable.
  using ojson = nlohmann::ordered_json;
  std::string out = "{\n";
  out += "  \"format\": " + ojson(kProfileFormat).dump() + ",\n";
  out += "  \"model\": " + ojson(profile.model).dump() + ",\n";
  out += "  \"source\": " + ojson(profile.source).dump() + ",\n";
  out += "  \"input_bytes\": " + ojson(profile.input_bytes).dump() + ",\n";
  out += "  \"layers\": [\n";
  for (std::size_t i = 0; i < profile.layers.size(); ++i) {
    const LayerProfile& l = profile.layers[i];
    ojson j = {{"name", l.name},
               {"kind", l.kind},
               {"output_bytes", l.output_bytes},
               {"cut_bytes", l.cut_bytes},
               {"param_bytes", l.param_bytes}};
    if (l.flops >= 0) j["flops"] = l.flops;
    out += "    " + j.dump() + (i + 1 < profile.layers.size() ? ",\n" : "\n");
  }
  out += "  ],\n";
  out += "  \"devices\": [";
  for (std::size_t i = 0; i < profile.devices.size(); ++i) {
    const DeviceProfile& d = profile.devices[i];
    std::vector<double> fwd, bwd, energy;
    bool any_bwd = false, any_energy = false;
    for (const auto& c : d.layers) {
      fwd.push_back(c.forward_s);
      bwd.push_back(c.backward_s);
      energy.push_back(c.energy_j);
      any_bwd |= c.backward_s != 0;
      any_energy |= c.energy_j != 0;
    }
    out += i == 0 ? "\n" : ",\n";
    out += "    {\"device_class\": " + ojson(d.device_class).dump() + ",\n";
    out += "     \"source\": " + ojson(d.source).dump() + ",\n";
    if (!d.runtime.empty()) out += "     \"runtime\": " + ojson(d.runtime).dump() + ",\n";
    if (d.threads) out += "     \"threads\": " + ojson(*d.threads).dump() + ",\n";
    if (!d.machine.empty()) out += "     \"machine\": " + ojson(d.machine).dump() + ",\n";
    if (d.whole_model_forward_s)
      out += "     \"whole_model_forward_s\": " + ojson(*d.whole_model_forward_s).dump() + ",\n";
    out += "     \"forward_s\": " + ojson(fwd).dump();
    if (any_bwd) out += ",\n     \"backward_s\": " + ojson(bwd).dump();
    if (any_energy) out += ",\n     \"energy_j\": " + ojson(energy).dump();
    out += "}";
  }
  out += profile.devices.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

}  // namespace hivemind::model
