// hivemind_zoo_gen DATA_DIR: writes DATA_DIR/zoo/<model>.json for every zoo model from the
// architectures (src/model/arch.cpp) and the measurements in DATA_DIR/measured/ (build_zoo,
// zoo.hpp), and prints each model's layers, FLOPs, mean layer output and forward totals. Then
// writes
// DATA_DIR/devices/latency_models.json (latency_model.hpp: the per-class models fitted on the
// zoo's measured layers) and prints how well one measurement derives the other classes
// (leave one model out: each model is derived with models fitted on the others). Run by hand after
// changing an architecture or the measurements; never at build or test time (a test checks that the
// committed files equal what this would write).
//
//   cmake --build build --target hivemind_zoo_gen && ./build/src/model/hivemind_zoo_gen data
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "hivemind/io.hpp"
#include "hivemind/model/arch.hpp"
#include "hivemind/model/latency_model.hpp"
#include "hivemind/model/zoo.hpp"

using namespace hivemind::model;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// One model measured on `from` only, derived onto `to` with models fitted on the other models
// (leave one out, or all of them with `in_sample`): whole-model ratio derived / measured, and
// the per-layer |log ratio|s appended to `layer_errors`.
double derive_one(const ModelProfile& model, const std::vector<ModelProfile>& zoo,
                  const std::string& from, const std::string& to, bool in_sample, bool anonymous,
                  std::vector<double>& layer_errors) {
  std::vector<ModelProfile> others;
  for (const auto& p : zoo)
    if (in_sample || p.model != model.model) others.push_back(p);
  const std::vector<LatencyModel> models = fit_latency_models(others, kMeasuredRuns);
  ModelProfile one = model;
  one.devices.clear();
  one.devices.push_back(*model.device(from));
  if (anonymous) one.devices.back().device_class = "cpu";  // as `hivemind profile` names it
  derive_missing_classes(one, models);
  const DeviceProfile& got = *one.device(to);
  const DeviceProfile& want = *model.device(to);
  for (std::size_t l = 0; l < model.layers.size(); ++l)
    if (got.layers[l].forward_s > 0 && want.layers[l].forward_s > 0)
      layer_errors.push_back(
          std::fabs(std::log(got.layers[l].forward_s / want.layers[l].forward_s)));
  return got.forward_total_s() / want.forward_total_s();
}

void write_latency_models(const std::string& data, const std::vector<ModelProfile>& zoo) {
  std::vector<ModelProfile> measured;
  for (const auto& p : zoo)
    if (p.device(kMeasuredRuns[0]) && p.device(kMeasuredRuns[0])->source.rfind("measured", 0) == 0)
      measured.push_back(p);
  const std::vector<LatencyModel> models = fit_latency_models(measured, kMeasuredRuns);
  hivemind::write_text_file_atomic(
      data + "/devices/latency_models.json",
      to_json(models,
              "fitted by hivemind_zoo_gen (tools/zoo_gen.cpp) on the measured layers of "
              "data/zoo (" +
                  std::to_string(measured.size()) + " models); see src/model/latency_model.cpp"));
  std::printf("\nLatency models (per group: overhead us, GFLOP/s, layers):\n");
  for (const auto& m : models) {
    std::printf("  %-6s", m.device_class.c_str());
    for (int g = 0; g < kLayerGroups; ++g)
      std::printf("  %s %.3g us %.3g GFLOP/s (%d)",
                  std::string(to_string(static_cast<LayerGroup>(g))).c_str(),
                  m.groups[g].overhead_s * 1e6, m.groups[g].flops_per_s * 1e-9, m.groups[g].layers);
    std::printf("\n");
  }
  const std::pair<const char*, const char*> pairs[] = {{"cpu1", "cpu16"}, {"cpu1", "cuda"},
                                                       {"cpu16", "cpu1"}, {"cuda", "cpu1"},
                                                       {"cpu16", "cuda"}, {"cuda", "cpu16"}};
  struct Variant {
    bool in_sample, anonymous;
  };
  for (const Variant v : {Variant{false, false}, Variant{false, true}, Variant{true, false}}) {
    const bool in_sample = v.in_sample, anonymous = v.anonymous;
    std::printf(
        "\nOne measurement derived onto another class (%s%s): whole-model forward time "
        "derived / measured per model; per-layer |error| median and 90th percentile\n",
        in_sample ? "models fitted on every model" : "leave one model out",
        anonymous ? "; the measured class renamed \"cpu\", its reference model found by the fit"
                  : "");
    std::printf("%-13s", "from -> to");
    for (const auto& p : measured) std::printf(" %14s", p.model.c_str());
    std::printf("  layer-median  layer-p90\n");
    for (const auto& [from, to] : pairs) {
      std::printf("%-13s", (std::string(from) + " -> " + to).c_str());
      std::vector<double> errors;
      for (const auto& p : measured)
        std::printf(" %14.2f", derive_one(p, measured, from, to, in_sample, anonymous, errors));
      std::sort(errors.begin(), errors.end());
      const double p90 = errors.empty() ? 0.0 : errors[errors.size() * 9 / 10];
      std::printf("  %11.0f%%  %8.0f%%\n", (std::exp(median(errors)) - 1) * 100,
                  (std::exp(p90) - 1) * 100);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: hivemind_zoo_gen DATA_DIR\n");
    return 2;
  }
  try {
    const std::string data = argv[1], measured = data + "/measured";
    const ZooBuild build = build_zoo(measured);
    std::printf(
        "%-16s %6s %10s %16s  forward ms per run (latencies: measured, scaled or "
        "estimated)\n",
        "model", "layers", "GFLOPs", "mean out kB (KiB)");
    std::filesystem::create_directories(data + "/zoo");
    const std::vector<ModelProfile>& zoo = build.profiles;
    for (const ModelProfile& p : zoo) {
      double flops = 0, out = 0;
      for (const auto& l : p.layers) flops += l.flops > 0 ? l.flops : 0, out += l.output_bytes;
      const double mean = out / static_cast<double>(p.layers.size());
      std::printf("%-16s %6zu %10.3f %8.1f (%6.1f) ", p.model.c_str(), p.layers.size(), flops / 1e9,
                  mean / 1e3, mean / 1024);
      for (const auto& run : kMeasuredRuns) {
        const DeviceProfile* d = p.device(run);
        std::printf(" %s %9.3f %-9s", run.c_str(), d->forward_total_s() * 1e3,
                    d->source.substr(0, d->source.find(' ')).c_str());
      }
      std::printf("\n");
      hivemind::write_text_file_atomic(data + "/zoo/" + p.model + ".json", to_json(p));
    }
    write_latency_models(data, zoo);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hivemind_zoo_gen: %s\n", e.what());
    return 2;
  }
}
