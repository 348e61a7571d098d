#include "hivemind/model/zoo.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>

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

bool is_measured(const DeviceProfile& d) { return d.source.rfind("measured", 0) == 0; }

const LatencyModel& model_of(const std::vector<LatencyModel>& models, const std::string& run) {
  for (const auto& m : models)
    if (m.device_class == run) return m;
  throw std::logic_error("zoo: no latency model of " + run);
}

// The measured runs of `p` (step 2 of build_zoo), when data/measured has them.
void add_measured_runs(ModelProfile& p, const std::string& measured_dir) {
  for (const std::string& run : kMeasuredRuns) {
    const std::string path = measured_path(measured_dir, p.model, run);
    if (!std::filesystem::exists(path)) continue;
    const MeasuredProfile m = load_measured_profile(path);
    if (m.layers.size() != p.layers.size())
      throw InputError(path + ": " + std::to_string(m.layers.size()) +
                       " layers, the architecture has " + std::to_string(p.layers.size()));
    const double factor = whole_model_factor(m);
    DeviceProfile d;
    d.device_class = run;
    d.layers.resize(p.layers.size());
    for (std::size_t l = 0; l < p.layers.size(); ++l) {
      if (m.layers[l].name != p.layers[l].name || m.layers[l].cut_bytes != p.layers[l].cut_bytes)
        throw InputError(path + ": layers[" + std::to_string(l) + "] is \"" + m.layers[l].name +
                         "\", the architecture has \"" + p.layers[l].name +
                         "\" (or their cut bytes differ)");
      d.layers[l].forward_s = m.layers[l].median_us * factor * 1e-6;
      d.layers[l].backward_s = m.layers[l].bwd_us * factor * 1e-6;
    }
    d.source = "measured: data/measured/" + p.model + "." + run +
               ".json, median per layer x whole_model/sum_of_layers = " + fmt_g(factor) +
               " (backward scaled alike)";
    p.devices.push_back(std::move(d));
  }
}

// A run estimated from FLOPs with the run's latency model (rcnn_vgg16_224).
DeviceProfile estimated_run(const ModelProfile& p, const LatencyModel& f, int layers_fitted) {
  DeviceProfile d;
  d.device_class = f.device_class;
  d.layers.resize(p.layers.size());
  for (std::size_t l = 0; l < p.layers.size(); ++l) {
    d.layers[l] = f.estimate(p.layers[l]);
  }
  d.source =
      "estimated from FLOPs (no measurement): per layer group (conv, dense, other) t = "
      "overhead + flops / throughput, the " +
      f.device_class + " latency model (data/devices/latency_models.json, fitted on " +
      std::to_string(layers_fitted) + " measured layers of the zoo); backward uses 2 x flops";
  return d;
}

// The variable a node's time is scaled by: its FLOPs, or its output bytes when it has none.
double scale_variable(const LayerProfile& l) { return l.flops > 0 ? l.flops : l.output_bytes; }

// A run of a paper's-workload model scaled from its references' measured layers (step 4 of
// build_zoo), per torch.fx node, summed per leaf-module call.
DeviceProfile scaled_run(const std::string& name, const std::vector<const ModelProfile*>& refs,
                         const LatencyModel& f) {
  const std::string& run = f.device_class;
  const ArchBuilder arch = zoo_architecture(name);
  const ModelProfile fx = arch.profile("", Granularity::kFx);
  const std::vector<std::vector<int>> groups = arch.layer_groups(zoo_granularity(name));
  std::vector<std::map<std::string, std::size_t>> index(refs.size());
  for (std::size_t r = 0; r < refs.size(); ++r)
    for (std::size_t l = 0; l < refs[r]->layers.size(); ++l) index[r][refs[r]->layers[l].name] = l;
  std::vector<LayerCost> node(fx.layers.size());
  int two_sided = 0, one_sided = 0, estimated = 0;
  for (std::size_t n = 0; n < fx.layers.size(); ++n) {
    const LayerProfile& layer = fx.layers[n];
    struct Point {
      double x;
      LayerCost t;
      double flops;
    };
    std::vector<Point> points;  // this node measured at the references' input sides
    for (std::size_t r = 0; r < refs.size(); ++r) {
      const auto it = index[r].find(layer.name);
      if (it == index[r].end() || refs[r]->layers[it->second].kind != layer.kind) continue;
      const LayerProfile& ref = refs[r]->layers[it->second];
      const DeviceProfile* d = refs[r]->device(run);
      if (!d || !is_measured(*d))
        throw InputError(name + ": its reference " + refs[r]->model + " has no measured " + run);
      points.push_back({scale_variable(ref), d->layers[it->second], ref.flops});
    }
    const double x = scale_variable(layer);
    const LayerGroup group = layer_group(layer.kind, layer.flops, layer.param_bytes);
    LayerCost& t = node[n];
    if (points.size() >= 2 && points[0].x != points[1].x) {
      // t = a + b x through both measured sides (x lies between them for the 88 px models).
      const Point &p0 = points[0], &p1 = points[1];
      const double w = (x - p0.x) / (p1.x - p0.x);
      t.forward_s = std::max(0.0, p0.t.forward_s + w * (p1.t.forward_s - p0.t.forward_s));
      t.backward_s = std::max(0.0, p0.t.backward_s + w * (p1.t.backward_s - p0.t.backward_s));
      ++two_sided;
    } else if (!points.empty()) {
      // One side: the shape of the run's latency model, anchored at the measured node.
      const Point& p0 = points[0];
      const double ratio = (layer.flops > 0 && p0.flops > 0)
                               ? f.estimate_s(group, layer.flops) / f.estimate_s(group, p0.flops)
                               : x / p0.x;
      t.forward_s = p0.t.forward_s * ratio;
      t.backward_s = p0.t.backward_s * ratio;
      ++one_sided;
    } else {
      t = f.estimate(layer);
      ++estimated;
    }
  }
  DeviceProfile d;
  d.device_class = run;
  for (const auto& g : groups) {
    LayerCost c;
    for (int n : g) c.forward_s += node[n].forward_s, c.backward_s += node[n].backward_s;
    d.layers.push_back(c);
  }
  std::string from;
  for (const auto* r : refs)
    from += (from.empty() ? "" : " and ") + ("data/measured/" + r->model + "." + run + ".json");
  std::string parts;
  auto part = [&](int count, const std::string& what) {
    if (count > 0)
      parts += (parts.empty() ? "" : "; ") + std::to_string(count) + " of " +
               std::to_string(fx.layers.size()) + " nodes " + what;
  };
  part(two_sided, "t = a + b x FLOPs through both measured sides");
  part(one_sided, "t_ref x f(FLOPs) / f(FLOPs_ref), f the " + run +
                      " latency model (FLOP-free: x bytes / bytes_ref)");
  part(estimated, "estimated as f(FLOPs) (no measured counterpart; backward f(2 x FLOPs))");
  d.source = "scaled from measurements at other input sides (" + from +
             "), per torch.fx node, summed per leaf-module call: " + parts +
             " (data/zoo/PROVENANCE.md)";
  return d;
}

}  // namespace

std::vector<std::string> zoo_scaled_from(const std::string& name) {
  // The references, nearest input side first (the line through two sides starts there).
  if (name == "resnet18_88") return {"resnet18_224", "resnet18_32"};
  if (name == "vgg11_88") return {"vgg11_224"};
  if (name == "rcnn_vgg16_88") return {"vgg16_224"};  // the backbone; RPN and head estimated
  return {};
}

ZooBuild build_zoo(const std::string& measured_dir) {
  const std::string arch_source =
      "layers, bytes, parameters and FLOPs from the architecture (src/model/arch.cpp)";
  ZooBuild zoo;
  // Steps 1 and 2: architectures and measurements.
  for (const std::string& name : zoo_model_names()) {
    ModelProfile p = zoo_layers(name, arch_source);
    add_measured_runs(p, measured_dir);
    zoo.profiles.push_back(std::move(p));
  }
  // Step 3: the latency models of the measured runs.
  zoo.latency_models = fit_latency_models(zoo.profiles, kMeasuredRuns);
  // Step 4: the runs nothing measured (the references are measured models, finished above).
  std::vector<ModelProfile> done = zoo.profiles;
  for (ModelProfile& p : done) {
    std::vector<const ModelProfile*> refs;
    for (const auto& r : zoo_scaled_from(p.model))
      for (const auto& q : zoo.profiles)
        if (q.model == r) refs.push_back(&q);
    const bool measured = !p.devices.empty();
    std::vector<DeviceProfile> ordered;
    for (const std::string& run : kMeasuredRuns) {
      if (const DeviceProfile* d = p.device(run)) {
        ordered.push_back(*d);
        continue;
      }
      const LatencyModel& f = model_of(zoo.latency_models, run);
      int fitted = 0;
      for (const auto& g : f.groups) fitted += g.layers;
      ordered.push_back(refs.empty() ? estimated_run(p, f, fitted) : scaled_run(p.model, refs, f));
    }
    p.devices = std::move(ordered);
    if (measured)
      p.source = "HiveMind zoo: " + arch_source +
                 "; latencies of the cpu1/cpu16/cuda runs measured (data/measured, PyTorch "
                 "2.11, 16-core Xeon, H200)";
    else if (!refs.empty())
      p.source = "HiveMind zoo: the paper's workload (Sec. VII-B2) at its input side; " +
                 arch_source +
                 ", one layer per leaf-module call as forward hooks see them (the paper's "
                 "profiler, Sec. VII-A4); latencies scaled from the same layers measured at "
                 "other input sides (data/zoo/PROVENANCE.md)";
    else
      p.source = "HiveMind zoo: " + arch_source +
                 "; no measurement exists: latencies estimated from FLOPs";
    validate(p);
  }
  zoo.profiles = std::move(done);
  return zoo;
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

std::vector<Derivation> derive_missing_runs(ModelProfile& profile, const std::string& data_dir) {
  const std::string models_path = data_dir + "/devices/latency_models.json";
  bool missing = false;
  for (const auto& run : kMeasuredRuns) missing = missing || !profile.device(run);
  if (!missing || !std::filesystem::exists(models_path)) return {};
  return derive_missing_classes(profile, load_latency_models(models_path));
}

ModelProfile load_model(const std::string& name_or_path, const std::string& data_dir,
                        std::vector<Derivation>* derived) {
  const bool is_path =
      name_or_path.find('/') != std::string::npos ||
      (name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".json") == 0);
  if (is_path) {
    ModelProfile profile = load_model_profile(name_or_path);
    std::vector<Derivation> d = derive_missing_runs(profile, data_dir);
    if (derived) *derived = std::move(d);
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
