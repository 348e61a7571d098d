// The built-in model zoo: profiles shipped in data/zoo/<name>.json, usable by name everywhere
// (`hivemind solve --model resnet18`). Each is the exact architecture (arch.hpp) plus latencies
// of the measured runs in data/measured/ (cpu1, cpu16, cuda) or, where no measurement exists,
// a FLOPs-based estimate of those runs. Other device classes (ue, iab-mec, core-mec, cloud)
// are derived on load from data/devices/devices.json (devices.hpp).
//
// The files are written by `hivemind_zoo_gen` (tools/zoo_gen.cpp), never at build or test
// time; a test regenerates them in memory and checks the committed files agree.
#pragma once

#include <string>
#include <vector>

#include "hivemind/model/latency_model.hpp"
#include "hivemind/model/profile.hpp"

namespace hivemind::model {

// The measured runs of data/measured/, base of every derived device class.
inline const std::vector<std::string> kMeasuredRuns = {"cpu1", "cpu16", "cuda"};

// Latency of a layer on a measured run estimated from its FLOPs: t = overhead_s + flops /
// flops_per_s (flops unknown: overhead_s alone). Fitted by least squares on every measured
// layer of every model of that run (after the whole-model rescaling, see below).
struct FlopsFit {
  std::string run;
  double overhead_s = 0.0;   // per-layer fixed cost (seconds)
  double flops_per_s = 0.0;  // sustained throughput (FLOP/s)
  int layers = 0;            // layers the fit used
  double estimate_s(double flops) const {
    return overhead_s + (flops > 0 ? flops / flops_per_s : 0.0);
  }
};

// Fits `run` on the measured models in `measured_dir` (data/measured). Throws InputError if
// the folder has no file of that run.
FlopsFit fit_flops_model(const std::string& measured_dir, const std::string& run);

// The zoo profile of `name` (a zoo_model_names() entry): layers from the architecture; for
// each run of kMeasuredRuns, the measured per-layer forward and backward latency scaled by
// whole_model_us / sum of layer medians (per-layer synchronisation inflates the sum, see
// data/measured/README.md), or, when that model was not measured, the FlopsFit estimate
// (backward: overhead + 2 x flops / throughput). Throws InputError when a measured file does
// not match the architecture layer for layer.
ModelProfile build_zoo_profile(const std::string& name, const std::string& measured_dir,
                               const std::vector<FlopsFit>& fits);

// "resnet18" -> "resnet18_224", "rcnn" -> "rcnn_vgg16_224", ...; a full zoo name maps to
// itself; anything else is returned unchanged.
std::string canonical_zoo_name(const std::string& name);

// A model by zoo name or alias (read from <data_dir>/zoo/<name>.json) or by path to a profile
// file (anything containing '/' or ending in ".json"). Throws InputError naming the value and
// listing the zoo names when neither. One measurement is enough: a profile file that lacks
// some of kMeasuredRuns gets them derived from a class it has (latency_model.hpp, with
// <data_dir>/devices/latency_models.json); `derived` (if given) receives what was derived, for
// the caller's one-line note (describe()).
ModelProfile load_model(const std::string& name_or_path, const std::string& data_dir,
                        std::vector<Derivation>* derived = nullptr);

}  // namespace hivemind::model
