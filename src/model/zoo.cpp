#include "hivemind/model/zoo.hpp"

#include <filesystem>
#include <map>

#include "hivemind/error.hpp"
#include "hivemind/model/arch.hpp"
#include "hivemind/model/measured.hpp"

namespace hivemind::model {

namespace {

std::string measured_path(const std::string& dir, const std::string& model,
                          const std::string& run) {
  return dir + "/" + model + "." + run + ".json";
}

// whole_model_us / sum of layer medians: brings the per-layer times (each timed between two
// device synchronisations) back to the time of a normal forward pass.
double whole_model_factor(const MeasuredProfile& m) {
  double sum_us = 0.0;
  for (const auto& l : m.layers) sum_us += l.median_us;
  return sum_us > 0 ? m.whole_model_us / sum_us : 1.0;
}

std::string fmt_g(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

}  // namespace

FlopsFit fit_flops_model(const std::string& measured_dir, const std::string& run) {
  // Least squares of t on flops over every layer with known FLOPs, weighted by 1 / t^2: the
  // fit minimises relative errors, so small layers (most of a GRU or a ResNet block) count as
  // much as the big convolutions.
  double n = 0, sw = 0, sf = 0, st = 0, sff = 0, sft = 0;
  for (const std::string& name : zoo_model_names()) {
    const std::string path = measured_path(measured_dir, name, run);
    if (!std::filesystem::exists(path)) continue;
    const MeasuredProfile m = load_measured_profile(path);
    const ModelProfile arch = zoo_architecture(name).profile("");
    if (arch.layers.size() != m.layers.size()) continue;  // build_zoo_profile reports it
    const double factor = whole_model_factor(m);
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
      const double f = arch.layers[l].flops;
      if (f < 0) continue;
      const double t = m.layers[l].median_us * factor * 1e-6;
      if (!(t > 0)) continue;
      const double w = 1.0 / t;
      n += 1, sw += w, sf += w * f, st += w * t, sff += w * f * f, sft += w * f * t;
    }
  }
  if (n < 2) throw InputError(measured_dir + ": no measured layers of run \"" + run + "\"");
  FlopsFit fit;
  fit.run = run;
  fit.layers = static_cast<int>(n);
  const double slope = (sw * sft - sf * st) / (sw * sff - sf * sf);  // seconds per FLOP
  double intercept = (st - slope * sf) / sw;
  double per_flop = slope;
  if (intercept < 0) {  // keep the model physical: refit through the origin
    intercept = 0;
    per_flop = sft / sff;
  }
  fit.overhead_s = intercept;
  fit.flops_per_s = per_flop > 0 ? 1.0 / per_flop : 1e18;
  return fit;
}

ModelProfile build_zoo_profile(const std::string& name, const std::string& measured_dir,
                               const std::vector<FlopsFit>& fits) {
  const std::string arch_source =
      "layers, bytes, parameters and FLOPs from the architecture (src/model/arch.cpp)";
  ModelProfile p = zoo_architecture(name).profile(arch_source);
  bool any_measured = false;
  for (const std::string& run : kMeasuredRuns) {
    const std::string path = measured_path(measured_dir, name, run);
    DeviceProfile d;
    d.device_class = run;
    d.layers.resize(p.layers.size());
    if (std::filesystem::exists(path)) {
      const MeasuredProfile m = load_measured_profile(path);
      if (m.layers.size() != p.layers.size())
        throw InputError(path + ": " + std::to_string(m.layers.size()) +
                         " layers, the architecture has " + std::to_string(p.layers.size()));
      const double factor = whole_model_factor(m);
      for (std::size_t l = 0; l < p.layers.size(); ++l) {
        if (m.layers[l].name != p.layers[l].name || m.layers[l].cut_bytes != p.layers[l].cut_bytes)
          throw InputError(path + ": layers[" + std::to_string(l) + "] is \"" + m.layers[l].name +
                           "\", the architecture has \"" + p.layers[l].name +
                           "\" (or their cut bytes differ)");
        d.layers[l].forward_s = m.layers[l].median_us * factor * 1e-6;
        d.layers[l].backward_s = m.layers[l].bwd_us * factor * 1e-6;
      }
      d.source = "measured: data/measured/" + name + "." + run +
                 ".json, median per layer x whole_model/sum_of_layers = " + fmt_g(factor) +
                 " (backward scaled alike)";
      any_measured = true;
    } else {
      const FlopsFit* fit = nullptr;
      for (const auto& f : fits)
        if (f.run == run) fit = &f;
      if (!fit) continue;
      for (std::size_t l = 0; l < p.layers.size(); ++l) {
        const double flops = p.layers[l].flops;
        d.layers[l].forward_s = fit->estimate_s(flops);
        d.layers[l].backward_s = fit->estimate_s(flops > 0 ? 2 * flops : flops);
      }
      d.source = "estimated from FLOPs (no measurement): t = " + fmt_g(fit->overhead_s * 1e6) +
                 " us + flops / " + fmt_g(fit->flops_per_s) + " FLOP/s, least-squares fit on " +
                 std::to_string(fit->layers) + " measured " + run +
                 " layers of the zoo; backward uses 2 x flops";
    }
    p.devices.push_back(std::move(d));
  }
  p.source = any_measured ? "HiveMind zoo: " + arch_source +
                                "; latencies of the cpu1/cpu16/cuda "
                                "runs measured (data/measured, PyTorch 2.11, 16-core Xeon, H200)"
                          : "HiveMind zoo: " + arch_source +
                                "; no measurement exists: latencies estimated from FLOPs";
  validate(p);
  return p;
}

std::string canonical_zoo_name(const std::string& name) {
  static const std::map<std::string, std::string> aliases = {
      {"resnet18", "resnet18_224"},     {"resnet50", "resnet50_224"},
      {"resnet152", "resnet152_224"},   {"vgg11", "vgg11_224"},
      {"vgg16", "vgg16_224"},           {"rcnn", "rcnn_vgg16_224"},
      {"gru_tagger", "gru_tagger_200"}, {"qmix", "qmix_agent"}};
  if (auto it = aliases.find(name); it != aliases.end()) return it->second;
  return name;
}

ModelProfile load_model(const std::string& name_or_path, const std::string& data_dir,
                        std::vector<Derivation>* derived) {
  const bool is_path =
      name_or_path.find('/') != std::string::npos ||
      (name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".json") == 0);
  if (is_path) {
    ModelProfile profile = load_model_profile(name_or_path);
    const std::string models_path = data_dir + "/devices/latency_models.json";
    bool missing = false;
    for (const auto& run : kMeasuredRuns) missing = missing || !profile.device(run);
    if (missing && std::filesystem::exists(models_path)) {
      std::vector<Derivation> d = derive_missing_classes(profile, load_latency_models(models_path));
      if (derived) *derived = std::move(d);
    }
    return profile;
  }
  const std::string name = canonical_zoo_name(name_or_path);
  for (const auto& known : zoo_model_names())
    if (known == name) return load_model_profile(data_dir + "/zoo/" + name + ".json");
  std::string list;
  for (const auto& known : zoo_model_names()) list += (list.empty() ? "" : ", ") + known;
  throw InputError("--model: \"" + name_or_path +
                   "\" is neither a zoo model nor a profile file (zoo: " + list +
                   "; aliases resnet18, resnet50, resnet152, vgg11, vgg16, rcnn, gru_tagger, "
                   "qmix)");
}

}  // namespace hivemind::model
