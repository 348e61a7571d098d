#include "hivemind/model/latency_model.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"

namespace hivemind::model {

namespace jf = json_field;
using nlohmann::json;

namespace {

constexpr const char* kGroupNames[kLayerGroups] = {"conv", "dense", "other"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Least squares of the relative error, sum ((a + b F) / t - 1)^2, with a, b >= 0 (b is seconds
// per FLOP). The 2x2 normal equations; on a negative coefficient, the best fit with it at 0.
GroupFit fit_group(const std::vector<const LatencySample*>& samples) {
  double s11 = 0, s1f = 0, sff = 0, r1 = 0, rf = 0;  // weights 1 / t^2
  for (const LatencySample* s : samples) {
    const double f = s->flops > 0 ? s->flops : 0.0;
    const double w = 1.0 / (s->seconds * s->seconds);
    s11 += w, s1f += w * f, sff += w * f * f, r1 += w * s->seconds, rf += w * f * s->seconds;
  }
  GroupFit g;
  g.layers = static_cast<int>(samples.size());
  double a = 0, b = 0;
  const double det = s11 * sff - s1f * s1f;
  if (det > 1e-12 * s11 * sff) {
    a = (r1 * sff - rf * s1f) / det;
    b = (s11 * rf - s1f * r1) / det;
  }
  if (!(det > 1e-12 * s11 * sff) || a < 0 || b < 0) {
    // Candidates with one coefficient at 0; keep the one with the smaller residual.
    auto residual = [&](double aa, double bb) {
      double r = 0;
      for (const LatencySample* s : samples) {
        const double f = s->flops > 0 ? s->flops : 0.0;
        const double e = (aa + bb * f) / s->seconds - 1.0;
        r += e * e;
      }
      return r;
    };
    const double a_only = r1 / s11;
    const double b_only = sff > 0 ? rf / sff : 0.0;
    if (sff > 0 && residual(0, b_only) < residual(a_only, 0)) {
      a = 0, b = b_only;
    } else {
      a = a_only, b = 0;
    }
  }
  g.overhead_s = a;
  g.flops_per_s = b > 0 ? 1.0 / b : 0.0;
  return g;
}

const LatencyModel* find_model(const std::vector<LatencyModel>& models, std::string_view cls) {
  for (const auto& m : models)
    if (m.device_class == cls) return &m;
  return nullptr;
}

std::string fmt(double x, const char* spec = "%.3g") {
  char buf[40];
  std::snprintf(buf, sizeof buf, spec, x);
  return buf;
}

}  // namespace

LayerGroup layer_group(std::string_view kind, double flops, double param_bytes) {
  const std::string k = lower(kind);
  if (k.find("conv") != std::string::npos) return LayerGroup::kConv;
  for (const char* dense :
       {"linear", "gemm", "matmul", "addmm", "bmm", "gru", "lstm", "rnn", "embedding"})
    if (k.find(dense) != std::string::npos) {
      // Rows = flops / (2 x parameters): 1 for a matrix-vector product (multiply-add per weight).
      const double params = param_bytes / 4;  // float32
      return params > 0 && flops >= 4 * params ? LayerGroup::kConv : LayerGroup::kDense;
    }
  return LayerGroup::kOther;
}

std::string_view to_string(LayerGroup group) { return kGroupNames[static_cast<int>(group)]; }

double LatencyModel::estimate_s(LayerGroup group, double flops) const {
  const GroupFit& g = groups[static_cast<int>(group)];
  return g.overhead_s + (flops > 0 && g.flops_per_s > 0 ? flops / g.flops_per_s : 0.0);
}

double LatencyModel::estimate_s(const LayerProfile& layer) const {
  return estimate_s(layer_group(layer.kind, layer.flops, layer.param_bytes), layer.flops);
}

LayerCost LatencyModel::estimate(const LayerProfile& layer) const {
  const LayerGroup g = layer_group(layer.kind, layer.flops, layer.param_bytes);
  LayerCost c;
  c.forward_s = estimate_s(g, layer.flops);
  c.backward_s = estimate_s(g, layer.flops > 0 ? 2 * layer.flops : layer.flops);
  return c;
}

int LatencyModel::layers_fitted() const {
  int n = 0;
  for (const GroupFit& g : groups) n += g.layers;
  return n;
}

std::string LatencyModel::describe() const {
  auto term = [](const GroupFit& g) {
    return fmt(g.overhead_s * 1e6, "%.4g") + " us" +
           (g.flops_per_s > 0 ? " + flops / " + fmt(g.flops_per_s * 1e-9, "%.4g") + " GFLOP/s"
                              : std::string());
  };
  bool uniform = true;
  for (const GroupFit& g : groups)
    uniform =
        uniform && g.overhead_s == groups[0].overhead_s && g.flops_per_s == groups[0].flops_per_s;
  if (uniform) return term(groups[0]);
  std::string out;
  for (int g = 0; g < kLayerGroups; ++g)
    out += (g ? ", " : "") + std::string(kGroupNames[g]) + " " + term(groups[g]);
  return out;
}

LatencyModel uniform_latency_model(const std::string& device_class, double overhead_s,
                                   double flops_per_s) {
  LatencyModel m;
  m.device_class = device_class;
  for (GroupFit& g : m.groups) g = {overhead_s, flops_per_s, 0};
  return m;
}

LatencyModel fit_latency_model(const std::string& device_class,
                               const std::vector<LatencySample>& samples) {
  std::vector<const LatencySample*> all, by_group[kLayerGroups];
  for (const auto& s : samples) {
    if (!(s.seconds > 0) || !std::isfinite(s.seconds)) continue;
    all.push_back(&s);
    by_group[static_cast<int>(layer_group(s.kind, s.flops, s.param_bytes))].push_back(&s);
  }
  if (all.size() < 2)
    throw InputError("latency model of " + device_class + ": needs at least 2 layers with a " +
                     "measured time, got " + std::to_string(all.size()));
  LatencyModel m;
  m.device_class = device_class;
  const GroupFit pooled = fit_group(all);
  for (int g = 0; g < kLayerGroups; ++g)
    m.groups[g] = by_group[g].size() >= 2 ? fit_group(by_group[g]) : pooled;
  return m;
}

std::vector<LatencySample> latency_samples(const std::vector<ModelProfile>& profiles,
                                           const std::string& device_class) {
  std::vector<LatencySample> out;
  for (const auto& p : profiles)
    if (const DeviceProfile* d = p.device(device_class); d && d->source.rfind("measured", 0) == 0)
      for (std::size_t l = 0; l < p.layers.size(); ++l)
        if (d->layers[l].forward_s > 0)
          out.push_back({p.layers[l].kind, p.layers[l].flops, d->layers[l].forward_s,
                         p.layers[l].param_bytes});
  return out;
}

std::vector<LatencyModel> fit_latency_models(const std::vector<ModelProfile>& profiles,
                                             const std::vector<std::string>& classes) {
  std::vector<LatencyModel> out;
  for (const auto& c : classes) out.push_back(fit_latency_model(c, latency_samples(profiles, c)));
  return out;
}

std::string to_json(const std::vector<LatencyModel>& models, const std::string& source) {
  nlohmann::ordered_json doc;
  doc["format"] = std::string(kLatencyModelsFormat);
  doc["source"] = source;
  nlohmann::ordered_json classes = nlohmann::ordered_json::array();
  for (const auto& m : models) {
    nlohmann::ordered_json c, groups;
    c["device_class"] = m.device_class;
    for (int g = 0; g < kLayerGroups; ++g)
      groups[kGroupNames[g]] = {{"overhead_us", m.groups[g].overhead_s * 1e6},
                                {"gflop_per_s", m.groups[g].flops_per_s * 1e-9},
                                {"layers", m.groups[g].layers}};
    c["groups"] = std::move(groups);
    classes.push_back(std::move(c));
  }
  doc["classes"] = std::move(classes);
  return doc.dump(2) + "\n";
}

std::vector<LatencyModel> parse_latency_models(std::string_view json_text,
                                               std::string_view source) {
  return with_source(source, [&] {
    const json doc = parse_json(json_text, source);
    jf::object(doc, "(top level)");
    const std::string format = jf::string(jf::require(doc, "format", "format"), "format");
    if (format != kLatencyModelsFormat)
      throw InputError("format: unknown format " + jf::show(format) + " (expected \"" +
                       std::string(kLatencyModelsFormat) + "\")");
    const json& classes = jf::array(jf::require(doc, "classes", "classes"), "classes");
    if (classes.empty()) throw InputError("classes: empty");
    if (classes.size() > 256) throw InputError("classes: more than 256 entries");
    std::vector<LatencyModel> out;
    std::set<std::string> names;
    for (std::size_t i = 0; i < classes.size(); ++i) {
      const std::string at = "classes[" + std::to_string(i) + "]";
      const json& j = jf::object(classes[i], at);
      LatencyModel m;
      m.device_class =
          jf::string(jf::require(j, "device_class", at + ".device_class"), at + ".device_class");
      if (m.device_class.empty()) throw InputError(at + ".device_class: empty");
      if (!names.insert(m.device_class).second)
        throw InputError(at + ".device_class: " + jf::show(m.device_class) + " appears twice");
      const json& groups = jf::object(jf::require(j, "groups", at + ".groups"), at + ".groups");
      for (int g = 0; g < kLayerGroups; ++g) {
        const std::string gat = at + ".groups." + kGroupNames[g];
        const json& gj = jf::object(jf::require(groups, kGroupNames[g], gat), gat);
        GroupFit& fit = m.groups[g];
        fit.overhead_s =
            jf::number(jf::require(gj, "overhead_us", gat + ".overhead_us"), gat + ".overhead_us") *
            1e-6;
        fit.flops_per_s =
            jf::number(jf::require(gj, "gflop_per_s", gat + ".gflop_per_s"), gat + ".gflop_per_s") *
            1e9;
        if (!(fit.overhead_s > 0 || fit.flops_per_s > 0))
          throw InputError(gat +
                           ": overhead_us and gflop_per_s are both 0 (a layer would take "
                           "no time)");
        if (auto it = gj.find("layers"); it != gj.end())
          fit.layers = static_cast<int>(jf::integer(*it, gat + ".layers", 0, 1'000'000'000));
      }
      out.push_back(std::move(m));
    }
    return out;
  });
}

std::vector<LatencyModel> load_latency_models(const std::string& path) {
  return parse_latency_models(read_text_file(path), path);
}

std::vector<Derivation> derive_missing_classes(ModelProfile& profile,
                                               const std::vector<LatencyModel>& models) {
  std::vector<const LatencyModel*> missing;
  for (const auto& m : models)
    if (!profile.device(m.device_class)) missing.push_back(&m);
  if (missing.empty()) return {};
  if (profile.devices.empty())
    throw InputError("profile " + profile.model + ": no measured device class to derive " +
                     missing.front()->device_class + " from (measure one with hivemind profile)");
  // The reference fit of every measured class against every catalogued model: k = the median
  // ratio measured / model, error = the median |log(measured / (k x model))|.
  Derivation best;
  std::size_t best_device = 0;
  bool found = false;
  std::vector<double> logs;
  // A measured class that is itself catalogued (the profile has cpu16, say) is its own
  // reference; otherwise every (measured class, catalogued model) pair competes.
  bool catalogued = false;
  for (const auto& dev : profile.devices)
    catalogued = catalogued || find_model(models, dev.device_class);
  for (std::size_t d = 0; d < profile.devices.size(); ++d) {
    const DeviceProfile& dev = profile.devices[d];
    for (const auto& ref : models) {
      if (catalogued && ref.device_class != dev.device_class) continue;
      logs.clear();
      for (std::size_t l = 0; l < profile.layers.size(); ++l) {
        const double t = dev.layers[l].forward_s;
        const double f = ref.estimate_s(profile.layers[l]);
        if (t > 0 && f > 0) logs.push_back(std::log(t / f));
      }
      if (logs.empty()) continue;
      auto median = [](std::vector<double>& v) {
        std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
        return v[v.size() / 2];
      };
      // A catalogued class is its own model (k = 1, the t x f_T / f_M); another class
      // is the reference model scaled by its median ratio.
      const double log_k = catalogued ? 0.0 : median(logs);
      for (double& x : logs) x = std::fabs(x - log_k);
      const double error = median(logs);
      if (!found || error < best.fit_error) {
        found = true;
        best_device = d;
        best.from = dev.device_class;
        best.reference = ref.device_class;
        best.scale = std::exp(log_k);
        best.fit_error = error;
      }
    }
  }
  if (!found)
    throw InputError("profile " + profile.model +
                     ": no layer has a positive measured time to derive other classes from");
  const LatencyModel& ref = *find_model(models, best.reference);
  std::size_t known = 0;
  for (const auto& layer : profile.layers) known += layer.flops >= 0 ? 1 : 0;
  best.flops_known = static_cast<double>(known) / static_cast<double>(profile.layers.size());
  std::vector<Derivation> done;
  for (const LatencyModel* target : missing) {
    const DeviceProfile& from = profile.devices[best_device];
    DeviceProfile d;
    d.device_class = target->device_class;
    d.source = "derived from " + from.device_class + " (" + from.source +
               ") by latency models: t x f_" + target->device_class + " / (" + fmt(best.scale) +
               " x f_" + ref.device_class + ") per layer (data/devices/latency_models.json)";
    d.layers.resize(profile.layers.size());
    for (std::size_t l = 0; l < profile.layers.size(); ++l) {
      const LayerProfile& layer = profile.layers[l];
      const double f_ref = best.scale * ref.estimate_s(layer);
      const double ratio = f_ref > 0 ? target->estimate_s(layer) / f_ref : 1.0;
      d.layers[l].forward_s = from.layers[l].forward_s * ratio;
      d.layers[l].backward_s = from.layers[l].backward_s * ratio;
      if (!std::isfinite(d.layers[l].forward_s) || !std::isfinite(d.layers[l].backward_s))
        throw InputError("profile " + profile.model + ": layers[" + std::to_string(l) +
                         "]: its time on " + target->device_class + " derived from " +
                         from.device_class + " is not finite (FLOPs " + fmt(layer.flops) + ")");
    }
    Derivation r = best;
    r.target = target->device_class;
    done.push_back(r);
    profile.devices.push_back(std::move(d));
  }
  return done;
}

std::string describe(const std::vector<Derivation>& derived, const std::string& profile_name) {
  if (derived.empty()) return "";
  std::string targets;
  for (const auto& d : derived) targets += (targets.empty() ? "" : ", ") + d.target;
  const Derivation& d = derived.front();
  return "profile " + profile_name + ": derived " + targets + " from " + d.from +
         " (measured; its layers fit the " + d.reference + " latency model x " + fmt(d.scale) +
         ", median error " + fmt((std::exp(d.fit_error) - 1) * 100, "%.0f") + "%)" +
         (d.flops_known < 0.5 ? "; WARNING: " + fmt((1 - d.flops_known) * 100, "%.0f") +
                                    "% of its layers have no FLOPs, so their derived times only "
                                    "scale by a per-group overhead ratio"
                              : std::string()) +
         "; see docs/models.md, \"One measurement\"";
}

}  // namespace hivemind::model
