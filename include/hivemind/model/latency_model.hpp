// One measurement is enough (issue 12): a profile measured on one device class is derived onto
// the measured classes it lacks (cpu1, cpu16, cuda, the bases of every shipped route and
// scenario) while keeping each layer's measured shape.
//
// Latency model of a class: per layer group g (convolutions, dense layers, the rest),
//     f_c(layer) = overhead_g + flops / throughput_g,
// fitted on the zoo's measured layers by least squares of the RELATIVE error (weights 1 / t^2,
// so the many small layers count as much as the big convolutions), overhead and throughput
// >= 0. Stored in data/devices/latency_models.json (written by hivemind_zoo_gen; a test refits
// and compares).
//
// Derivation from a measured class M the profile has to a class T it lacks, per layer:
//     t_T(layer) = t_M(layer) x f_T(layer) / (k x f_R(layer)),
// where R is the catalogued class whose model, scaled by one factor k, fits M's own
// measurements best (median absolute log error; k = the median ratio). M itself need not be a
// catalogued class (`hivemind profile` names this machine's class "cpu"). A layer slower than
// its model predicts on M stays proportionally slower on T. docs/models.md reports the error on
// the zoo (leave one model out).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hivemind/model/profile.hpp"

namespace hivemind::model {

inline constexpr std::string_view kLatencyModelsFormat = "hivemind.latency_models/v1";

enum class LayerGroup { kConv, kDense, kOther };
inline constexpr int kLayerGroups = 3;
// By kind: "Conv*" (and ONNX "Conv", "ConvTranspose") -> kConv; Linear, Gemm, MatMul, GRU,
// LSTM, RNN cells and embeddings -> kDense; everything else -> kOther. A dense layer whose
// weights each serve 2 or more rows (flops >= 4 x parameters, its own parameters known:
// param_bytes > 0) is a matrix-matrix product, compute-bound like a convolution's GEMM, and
// goes to kConv: every dense layer the zoo measured is one row (batch 1: a matrix-vector product,
// memory-bound), so kDense's throughput is a GEMV's, 7-30x below a GEMM's on the CPUs, and would
// price R-CNN's 300-region head (or a transformer's MatMul over a sequence) at that speed.
LayerGroup layer_group(std::string_view kind, double flops = -1, double param_bytes = 0);
std::string_view to_string(LayerGroup group);

struct GroupFit {
  double overhead_s = 0.0;  // >= 0
  double flops_per_s =
      0.0;         // > 0, or 0 = no FLOPs term (the group's time does not grow with FLOPs)
  int layers = 0;  // layers the fit used
};

struct LatencyModel {
  std::string device_class;
  GroupFit groups[kLayerGroups];

  // f_c(layer) for a layer of `group` with `flops` (< 0 = unknown: the overhead alone).
  double estimate_s(LayerGroup group, double flops) const;
  // The same for a profile's layer (its group by kind, FLOPs and parameters).
  double estimate_s(const LayerProfile& layer) const;
  // A layer's estimated costs: forward f(F), backward f(2F) (a backward pass computes about
  // twice the forward's FLOPs: the gradients of the inputs and of the weights); no energy.
  LayerCost estimate(const LayerProfile& layer) const;
  // Layers the fit used over all groups; 0 for a model given by hand (uniform_latency_model).
  int layers_fitted() const;
  // One line, e.g. "conv 49 us + flops / 138 GFLOP/s, dense ..., other ...", or
  // "12 us + flops / 2 GFLOP/s" when the groups are equal.
  std::string describe() const;
};

// The only home of "time from FLOPs" in the project (the zoo's estimates, the ONNX importer's
// classes, the derivation below all use it). A model with the same overhead and throughput in
// every group: a class given by hand (`hivemind profile --gflops G --overhead-us U`).
// `flops_per_s` 0 = no FLOPs term.
LatencyModel uniform_latency_model(const std::string& device_class, double overhead_s,
                                   double flops_per_s);

// One measured layer: its kind, FLOPs and time.
struct LatencySample {
  std::string kind;
  double flops = -1.0;
  double seconds = 0.0;
  double param_bytes = 0.0;  // the layer's own parameters (layer_group), 0 = unknown
};

// The fit described above, per group; a group without samples (or with fewer than 2) takes the
// fit of all samples together. Throws InputError when there are fewer than 2 samples with a
// positive time.
LatencyModel fit_latency_model(const std::string& device_class,
                               const std::vector<LatencySample>& samples);

// The samples of `device_class` in `profiles`: layers with a positive forward time, of device
// profiles that were measured (their source starts with "measured"; FLOPs estimates are not
// measurements).
std::vector<LatencySample> latency_samples(const std::vector<ModelProfile>& profiles,
                                           const std::string& device_class);

// The models of `classes` fitted on the measured layers of `profiles` (the zoo: data/zoo).
std::vector<LatencyModel> fit_latency_models(const std::vector<ModelProfile>& profiles,
                                             const std::vector<std::string>& classes);

// File format (docs/models.md): {"format": "hivemind.latency_models/v1", "source": "...",
// "classes": [{"device_class": "cpu1", "groups": {"conv": {"overhead_us": .., "gflop_per_s":
// .., "layers": ..}, "dense": {..}, "other": {..}}}, ...]}
std::string to_json(const std::vector<LatencyModel>& models, const std::string& source);
std::vector<LatencyModel> parse_latency_models(std::string_view json_text,
                                               std::string_view source = "latency models");
std::vector<LatencyModel> load_latency_models(const std::string& path);

// One class added to a profile by derive_missing_classes.
struct Derivation {
  std::string target;        // the class derived, e.g. "cuda"
  std::string from;          // the profile's measured class it comes from, e.g. "cpu"
  std::string reference;     // the catalogued class whose model fits `from` best
  double scale = 1.0;        // k: from's times / the reference model's
  double fit_error = 0.0;    // median |log(t / (k f_R))| over from's layers
  double flops_known = 1.0;  // fraction of the layers whose FLOPs the profile gives
};

// Adds to `profile` a derived device profile for every class of `models` it lacks (the
// formula above), from the measured class whose reference fit is best. Returns what it did
// (empty: nothing was missing). Throws InputError when the profile has no device class at all
// to derive from, or no layer with a positive time.
std::vector<Derivation> derive_missing_classes(ModelProfile& profile,
                                               const std::vector<LatencyModel>& models);

// One line for the user, e.g. "profile my.json: derived cpu1, cpu16, cuda from cpu (measured;
// its layers fit the cpu1 latency model x 0.62, median error 18%); see docs/models.md", with a
// warning when most layers have no FLOPs (then each layer group only scales by one factor);
// "" when nothing was derived.
std::string describe(const std::vector<Derivation>& derived, const std::string& profile_name);

}  // namespace hivemind::model
