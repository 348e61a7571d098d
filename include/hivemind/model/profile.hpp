// Model profiles, format "hivemind.profile/v1" (JSON, documented in docs/models.md):
// layers in execution order with their byte sizes, and per device class the per-layer
// forward / backward latency and energy. The zoo, the LibTorch profiler and the ONNX importer
// all produce this; `hivemind solve --model` consumes it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hivemind::model {

inline constexpr std::string_view kProfileFormat = "hivemind.profile/v1";

struct LayerProfile {
  std::string name;           // unique within the model
  std::string kind;           // "Conv2d", "add", "GRUCell", ...
  double output_bytes = 0.0;  // this layer's own output
  double cut_bytes = 0.0;     // every tensor that must cross a split right after this layer
                              // (>= output_bytes inside residual blocks; 0 after the last layer
                              // is allowed when nothing needs to be returned)
  double param_bytes = 0.0;   // parameters of this layer
  double flops = -1.0;        // forward floating-point operations (a multiply-add = 2); < 0 =
                              // unknown
};

struct LayerCost {
  double forward_s = 0.0;   // forward latency (seconds)
  double backward_s = 0.0;  // backward latency (seconds), training; 0 = not measured / none
  double energy_j = 0.0;    // forward energy (joules); 0 = unknown
};

struct DeviceProfile {
  std::string device_class;       // "ue", "iab-mec", "core-mec", "cloud", "cpu", "cuda", ...
  std::string source;             // how the numbers were obtained (measured / derived / estimated)
  std::vector<LayerCost> layers;  // one per model layer

  // Optional measurement metadata (absent in older files, in derived and estimated classes):
  // what a profiler ran on, so a profile says where its numbers come from.
  std::string runtime = {};                          // "LibTorch 1.13.0"; empty = not recorded
  std::optional<int> threads = {};                   // intra-op CPU threads used, >= 1
  std::string machine = {};                          // "AMD EPYC; 2 logical CPUs; Linux ..."
  std::optional<double> whole_model_forward_s = {};  // median forward of the whole model in one
                                                     // call (compare with forward_total_s())

  double forward_total_s() const;
};

struct ModelProfile {
  std::string model;         // "resnet18_224"
  std::string source;        // provenance, one line
  double input_bytes = 0.0;  // s_0: the model input (every input tensor together)
  std::vector<LayerProfile> layers;
  std::vector<DeviceProfile> devices;  // zero or more, distinct classes

  // The device profile of that class, or nullptr.
  const DeviceProfile* device(std::string_view device_class) const;
};

// Checks every invariant of the format (names unique and non-empty, sizes finite and >= 0,
// one cost per layer per device, distinct device classes); throws InputError naming the first
// offending field and value ("layers[3].cut_bytes: -1 is negative"). Producers (profiler,
// importer, zoo generator) call it before writing.
void validate(const ModelProfile& profile);

// Parses and validates; throws InputError "<source>: <field>: <problem>" (one line).
ModelProfile parse_model_profile(std::string_view json_text, std::string_view source = "profile");
ModelProfile load_model_profile(const std::string& path);
// Serialises to the v1 format (pretty-printed, stable field order; per-device costs as one
// array per quantity). parse_model_profile(to_json(p)) == p up to floating-point round trip,
// which nlohmann makes exact.
std::string to_json(const ModelProfile& profile);

}  // namespace hivemind::model
