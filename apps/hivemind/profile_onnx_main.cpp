// hivemind-profile-onnx: `hivemind profile MODEL.onnx ...` runs this. Writes the model profile
// JSON (hivemind.profile/v1) to stdout or, atomically, to --out.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/onnx_import.hpp"
#include "hivemind/model/profiler_cli.hpp"
#include "hivemind/model/zoo.hpp"

namespace {

const char* kUsage =
    "usage: hivemind profile MODEL.onnx [options]\n\n"
    "Imports an ONNX model: layer order (graph order, one layer per node; nodes computed from\n"
    "constants alone, such as torch.onnx.export's Identity nodes on weights and its shape\n"
    "arithmetic, fold into parameters), output and cut bytes from ONNX shape inference,\n"
    "parameters and FLOPs, and latencies estimated from FLOPs (nothing is run). Writes its\n"
    "profile (hivemind.profile/v1 JSON) for `hivemind solve --model` (docs/profiling.md).\n\n"
    "options:\n"
    "  --input SPEC        shapes of graph inputs, NAME=D0,D1,... separated by ';'\n"
    "                      (needed for symbolic dimensions other than the first)\n"
    "  --batch N           value of a symbolic first (batch) dimension (default 1)\n"
    "  --name NAME         model name in the profile (default: file name)\n"
    "  --gflops G          add a device class estimated as t = overhead + flops / (G x 1e9)\n"
    "  --overhead-us U     per-layer overhead of that estimate in microseconds (default 0)\n"
    "  --device-class C    name of that device class (default \"flops\")\n"
    "  --no-fit            skip the cpu1/cpu16/cuda estimates (by default each is the latency\n"
    "                      model fitted on the zoo's measured layers, data/devices/\n"
    "                      latency_models.json, capped per layer so that cuda <= cpu16 <= cpu1)\n"
    "  --out FILE          write the JSON to FILE (atomically) instead of stdout\n"
    "  --summary           print a per-layer table on stderr\n"
    "  --max-seconds S     stop (exit 2, one line) after S seconds (default 600)\n"
    "  --max-memory-mib M  stop (exit 2, one line) when the process's peak resident memory\n"
    "                      passes M MiB (default 3/4 of the machine's or its cgroup's\n"
    "                      memory, 9/10 of the free memory if less)\n";

int run(const std::vector<std::string>& argv) {
  using hivemind::cli::Args;
  namespace m = hivemind::model;
  Args args(argv,
            {"--input", "--batch", "--name", "--gflops", "--overhead-us", "--device-class", "--out",
             "--max-seconds"},
            {"--no-fit", "--summary"});
  if (args.help()) {
    std::cout << kUsage;
    return 0;
  }
  args.expect_positional(1, "MODEL.onnx");
  m::OnnxImportOptions o;
  o.model_path = args.positional()[0];
  if (auto in = args.value("--input")) o.input_shapes = m::parse_onnx_inputs(*in);
  o.batch = args.integer_or("--batch", 1, 1, 1LL << 31);
  o.model_name = args.value_or("--name", "");
  const double gflops = args.number_or("--gflops", 0.0, 1e-9, 1e12);
  const double overhead_us = args.number_or("--overhead-us", 0.0, 0.0, 1e9);
  const std::string device_class = args.value_or("--device-class", "flops");
  if (device_class.empty()) throw hivemind::InputError("--device-class: empty");
  if (!args.value("--gflops") && (args.value("--overhead-us") || args.value("--device-class")))
    throw hivemind::InputError("--overhead-us/--device-class: only with --gflops");
  const auto out = args.value("--out");
  if (out && out->empty()) throw hivemind::InputError("--out: empty file name");

  // The same bounds as hivemind-profile's (issue 23): nothing runs the model here, but shape
  // inference and folding work on whatever the file holds.
  m::ProfileWatchdog watchdog({args.number_or("--max-seconds", 600.0, 1e-3, 1e9),
                               args.number_or("--max-memory-mib", 0.0, 1.0, 1e9)},
                              "hivemind: profile");

  if (!args.flag("--no-fit")) {
    // The CLI's one lookup (commands.hpp): $HIVEMIND_DATA, an installed prefix's share/, or the
    // source tree's data/.
    const std::string models = hivemind::cli::data_dir() + "/devices/latency_models.json";
    if (std::filesystem::exists(models))
      for (const auto& fit : m::load_latency_models(models))
        if (!(gflops > 0 && fit.device_class == device_class)) o.estimates.push_back(fit);
  }
  if (gflops > 0)
    o.estimates.push_back(m::uniform_latency_model(device_class, overhead_us * 1e-6, gflops * 1e9));
  const m::ModelProfile p = m::import_onnx(o);
  watchdog.stop();  // imported; a stop now could only cut the output short
  const std::string json = m::to_json(p);
  if (args.flag("--summary")) {
    std::fprintf(stderr, "%-4s %-24s %-20s %12s %12s %14s %12s\n", "#", "layer", "kind",
                 "out_bytes", "cut_bytes", "flops", "param_bytes");
    double total = 0;
    for (std::size_t i = 0; i < p.layers.size(); ++i) {
      const auto& l = p.layers[i];
      std::fprintf(stderr, "%-4zu %-24s %-20s %12.0f %12.0f %14.0f %12.0f\n", i + 1, l.name.c_str(),
                   l.kind.c_str(), l.output_bytes, l.cut_bytes, l.flops, l.param_bytes);
      if (l.flops > 0) total += l.flops;
    }
    std::fprintf(stderr, "%zu layers, %.4g FLOPs (known layers), input %.0f bytes\n",
                 p.layers.size(), total, p.input_bytes);
    for (const auto& d : p.devices)
      std::fprintf(stderr, "  %-8s estimated forward %.4f ms\n", d.device_class.c_str(),
                   d.forward_total_s() * 1e3);
  }
  hivemind::model::emit_profile(out, json);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return hivemind::model::profiler_main(argc, argv, run); }
