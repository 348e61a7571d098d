// The measured per-layer profiles shipped in data/measured/ (one model on one device run:
// cuda = H200 GPU, cpu16 = 16-thread server CPU, cpu1 = the same CPU on one thread).
#pragma once

#include <string>
#include <vector>

namespace hivemind::model {

struct MeasuredLayer {
  std::string name;
  std::string kind;        // module class or function ("Conv2d", "add", ...)
  double median_us = 0.0;  // forward latency (microseconds)
  double bwd_us = 0.0;     // backward latency (microseconds); 0 where not measured
  double out_bytes = 0.0;  // this layer's own output
  double cut_bytes = 0.0;  // everything that must cross a split right after this layer
};

struct MeasuredProfile {
  std::string model;  // "resnet18_224"
  std::string run;    // "cuda" | "cpu16" | "cpu1"
  double input_bytes = 0.0;
  double param_bytes = 0.0;
  double whole_model_us = 0.0;
  std::vector<MeasuredLayer> layers;
};

// Reads one measured profile; throws InputError naming the file, field and value.
MeasuredProfile load_measured_profile(const std::string& path);

}  // namespace hivemind::model
