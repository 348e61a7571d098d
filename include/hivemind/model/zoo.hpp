// The built-in model zoo: profiles shipped in data/zoo/<name>.json, usable by name everywhere
// (`hivemind solve --model resnet18`). Each is the exact architecture (arch.hpp) plus latencies
// of the measured runs in data/measured/ (cpu1, cpu16, cuda) or, where no measurement exists,
// latencies scaled from measured layers or estimated from FLOPs (build_zoo). Other device classes
// (ue, iab-mec, core-mec, cloud) are derived on load from data/devices/devices.json (devices.hpp).
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

// The whole zoo as hivemind_zoo_gen writes it (data/zoo) and the latency models it fits
// (data/devices/latency_models.json), built in this order:
//  1. layers from the architecture (arch.hpp, at zoo_granularity(name));
//  2. each measured run of data/measured/<name>.<run>.json: the per-layer forward and backward
//     medians scaled by whole_model_us / sum of layer medians (per-layer synchronisation
//     inflates the sum, see data/measured/README.md);
//  3. the latency models of kMeasuredRuns fitted on those measured layers (latency_model.hpp);
//  4. a run a model was not measured on:
//     - the paper's workload (resnet18_88, vgg11_88, rcnn_vgg16_88) is SCALED from the same
//       layers measured at another input side (resnet18_224 and resnet18_32; vgg11_224;
//       vgg16_224 for R-CNN's backbone), per torch.fx node, then summed per leaf-module call:
//       two measured sides: t = a + b x F through both (F = the node's FLOPs, or its output
//       bytes when it has none); one side: t = t_ref x f(F) / f(F_ref), f the run's latency
//       model of the node's group (for a FLOP-free node t_ref x bytes / bytes_ref); a node
//       without a measured counterpart (R-CNN's RPN and per-region head) takes f(F);
//     - any other model (rcnn_vgg16_224) is ESTIMATED: t = f(F) per layer.
//     Backward times follow the same rule (estimates use f(2F)).
// Throws InputError when a measured file does not match the architecture layer for layer.
struct ZooBuild {
  std::vector<ModelProfile> profiles;        // zoo_model_names() order
  std::vector<LatencyModel> latency_models;  // kMeasuredRuns, fitted on the measured runs
};
ZooBuild build_zoo(const std::string& measured_dir);

// The measured zoo models the paper's workload model `name` is scaled from (step 4 above),
// empty for any other name.
std::vector<std::string> zoo_scaled_from(const std::string& name);

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

// The derivation step of load_model on its own, for a profile read elsewhere (e.g. from JSON
// text): the kMeasuredRuns `profile` lacks, derived with <data_dir>/devices/
// latency_models.json; nothing when it has them all or that file is absent.
std::vector<Derivation> derive_missing_runs(ModelProfile& profile, const std::string& data_dir);

}  // namespace hivemind::model
