// The measured per-layer profiles shipped in data/measured/ (one model on one device run:
// cuda = H200 GPU, cpu16 = 16-thread server CPU, cpu1 = the same CPU on one thread).
#pragma once

#include <string>
#include <vector>

namespace hivemind::model {

struct MeasuredLayer {
  std::string name;
  std::string kind;         // module class or function ("Conv2d", "add", ...)
  double median_us = 0.0;   // forward latency (microseconds)
  double bwd_us = 0.0;      // backward latency (microseconds); 0 where not measured
  double out_bytes = 0.0;   // this layer's own output
  double cut_bytes = 0.0;   // everything that must cross a split right after this layer
};

struct MeasuredProfile {
  std::string model;        // "resnet18_224"
  std::string run;          // "cuda" | "cpu16" | "cpu1"
  double input_bytes = 0.0;
  double param_bytes = 0.0;
  double whole_model_us = 0.0;
  std::vector<MeasuredLayer> layers;
};

// Reads one measured profile; throws InputError naming the file, field and value.
MeasuredProfile load_measured_profile(const std::string& path);

}  // namespace hivemind::model

#include "hivemind/split/problem.hpp"

namespace hivemind::model {

// Builds the explicit problem for a chain whose node p runs on the device of `per_node[p]`
// (all profiles of the same model, same layer order), with latencies scaled by
// whole_model_us / sum of layer medians (the per-layer synchronisation inflates the sum, see
// data/measured/README.md). With `use_cut_bytes`, a cut carries every live tensor (DAG-aware);
// otherwise only the layer's own output (the paper's chain model). Throws InputError if the
// profiles disagree on the layer list or if sizes mismatch.
split::Problem problem_from_measured(const std::vector<MeasuredProfile>& per_node,
                                     const std::vector<std::string>& node_names,
                                     const std::vector<split::Link>& links, bool use_cut_bytes,
                                     split::Deliver deliver = split::Deliver::kSink);

}  // namespace hivemind::model
