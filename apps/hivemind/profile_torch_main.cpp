// hivemind-profile: `hivemind profile MODEL.pt ...` runs this (the only LibTorch executable).
// Writes the model profile JSON (hivemind.profile/v1) to stdout or, atomically, to --out.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "args.hpp"
#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/profiler_cli.hpp"
#include "hivemind/model/torch_profiler.hpp"

namespace {

const char* kUsage =
    "usage: hivemind profile MODEL.pt --input SHAPE [options]\n"
    "       hivemind profile resnet18 --input 1,3,224,224 [options]   (built-in TorchScript\n"
    "                                        ResNet-18, random weights)\n"
    "       hivemind profile MODEL.onnx [options]   (see hivemind profile MODEL.onnx --help)\n\n"
    "Profiles a TorchScript model (torch.jit.save / torch.jit.trace) layer by layer with\n"
    "LibTorch and writes its profile (hivemind.profile/v1 JSON) for `hivemind solve --model`.\n"
    "A layer is each leaf-module call (Conv2d, ReLU, ...) or other tensor operation (add,\n"
    "flatten) of the inlined forward graph, in execution order (docs/profiling.md).\n\n"
    "options:\n"
    "  --input SPEC        shape of each forward() input, ';' between inputs, optional dtype:\n"
    "                      1,3,224,224   or   int64:1,200;1,256   (required)\n"
    "  --device D          cpu (default) or cuda\n"
    "  --device-class C    device class written in the profile (default: D)\n"
    "  --name NAME         model name in the profile (default: file name)\n"
    "  --warmup N          untimed passes first (default 3)\n"
    "  --reps N            timed passes; latencies are per-layer medians (default 10)\n"
    "  --no-backward       skip the backward (training) latency\n"
    "  --power-w W         device power in watts: energy = forward latency x W\n"
    "                      (default: RAPL package power when /sys/class/powercap is readable)\n"
    "  --threads N         LibTorch intra-op threads (default: LibTorch's choice, i.e.\n"
    "                      OMP_NUM_THREADS if set, else the physical cores LibTorch counts;\n"
    "                      the count used is measured, printed by --summary and recorded)\n"
    "  --seed N            seed of the random inputs (default 0)\n"
    "  --classes N         classes of the built-in resnet18 (default 1000)\n"
    "  --out FILE          write the JSON to FILE (atomically) instead of stdout\n"
    "  --summary           print a per-layer table on stderr, then the whole-model forward\n"
    "                      beside the sum of the layers' forwards, threads, runtime, machine\n"
    "  --max-seconds S     stop the run (exit 2, one line) after S seconds (default 600):\n"
    "                      loading, warm-up and every timed pass included\n"
    "  --max-memory-mib M  stop the run (exit 2, one line) when the process's peak resident\n"
    "                      memory, LibTorch's own included, passes M MiB (default 3/4 of the\n"
    "                      machine's or its cgroup's memory, 9/10 of the free memory if less)\n\n"
    "A .pt file is code: loading and running it runs whatever it holds. Profile only models\n"
    "you trust; the two limits bound time and memory, they are not a sandbox.\n\n"
    "The profile records per device: runtime (LibTorch version), threads, machine and\n"
    "whole_model_forward_s (docs/models.md).\n";

int run(const std::vector<std::string>& argv) {
  using hivemind::cli::Args;
  Args args(argv,
            {"--input", "--device", "--device-class", "--name", "--warmup", "--reps", "--power-w",
             "--threads", "--seed", "--out", "--classes", "--max-seconds"},
            {"--no-backward", "--summary"});
  if (args.help()) {
    std::cout << kUsage;
    return 0;
  }
  args.expect_positional(1, "MODEL.pt");
  hivemind::model::TorchProfileOptions o;
  o.model_path = args.positional()[0];
  const auto input = args.value("--input");
  if (!input)
    throw hivemind::InputError(
        "--input: missing (the shape of each forward() input, e.g. --input 1,3,224,224)");
  o.inputs = hivemind::model::parse_torch_inputs(*input);
  o.device = args.value_or("--device", "cpu");
  o.device_class = args.value_or("--device-class", "");
  o.model_name = args.value_or("--name", "");
  o.warmup = static_cast<int>(args.integer_or("--warmup", 3, 0, 1000000));
  o.reps = static_cast<int>(args.integer_or("--reps", 10, 1, 1000000));
  o.backward = !args.flag("--no-backward");
  o.power_w = args.number_or("--power-w", -1.0, 0.0, 1e6);
  o.threads = static_cast<int>(args.integer_or("--threads", 0, 0, 4096));
  o.seed = static_cast<unsigned long long>(args.integer_or("--seed", 0, 0, 1LL << 62));
  const auto out = args.value("--out");
  // Fail on an unwritable --out before minutes of profiling.
  if (out && out->empty()) throw hivemind::InputError("--out: empty file name");

  // From here on the model's code runs (issue 23): bounded in time and memory.
  hivemind::model::ProfileWatchdog watchdog({args.number_or("--max-seconds", 600.0, 1e-3, 1e9),
                                             args.number_or("--max-memory-mib", 0.0, 1.0, 1e9)},
                                            "hivemind: profile");

  // The built-in ResNet-18: written to a temporary file, profiled, removed.
  std::string built;
  std::error_code ec;
  const bool zoo = o.model_path == "resnet18" && !std::filesystem::exists(o.model_path, ec);
  if (args.value("--classes") && !zoo)
    throw hivemind::InputError("--classes: only with the built-in resnet18");
  if (zoo) {
    built = (std::filesystem::temp_directory_path() /
             ("hivemind-resnet18-" + std::to_string(::getpid()) + ".pt"))
                .string();
    hivemind::model::save_torchscript_resnet18(
        built, static_cast<int>(args.integer_or("--classes", 1000, 1, 1000000)));
    watchdog.remove_on_stop(built);
    o.model_path = built;
    if (o.model_name.empty()) o.model_name = "resnet18";
  }
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code e;
      if (!path.empty()) std::filesystem::remove(path, e);
    }
  } cleanup{built};
  const auto result = hivemind::model::profile_torchscript(o);
  watchdog.stop();  // the model has run; a stop now could only cut the output short
  const std::string json = hivemind::model::to_json(result.profile);
  if (args.flag("--summary")) {
    const auto& p = result.profile;
    const auto& d = p.devices.front();
    std::fprintf(stderr, "%-4s %-24s %-18s %12s %12s %11s %11s\n", "#", "layer", "kind",
                 "out_bytes", "cut_bytes", "fwd_ms", "bwd_ms");
    for (std::size_t i = 0; i < p.layers.size(); ++i)
      std::fprintf(stderr, "%-4zu %-24s %-18s %12.0f %12.0f %11.4f %11.4f\n", i + 1,
                   p.layers[i].name.c_str(), p.layers[i].kind.c_str(), p.layers[i].output_bytes,
                   p.layers[i].cut_bytes, d.layers[i].forward_s * 1e3,
                   d.layers[i].backward_s * 1e3);
    // Whole model against the sum of its layers: run one by one, each layer pays the
    // interpreter's call and a device synchronisation, and misses what the graph executor
    // optimises across layers; a scripted model's executor may also be slower than its layers.
    const double whole = result.whole_model_s, sum = result.sum_layer_forward_s;
    std::fprintf(stderr,
                 "%zu layers on %s, %d %s (%s); %s; %s\n"
                 "forward: whole model %.4f ms (median of %d calls), sum of layer medians "
                 "%.4f ms = %.2f x the whole model\n"
                 "backward: sum of layer medians %.4f ms%s\n"
                 "energy: %s\n",
                 p.layers.size(), d.device_class.c_str(), result.threads,
                 result.threads == 1 ? "thread" : "threads", result.threads_origin.c_str(),
                 result.runtime.c_str(), result.machine.c_str(), whole * 1e3, o.reps, sum * 1e3,
                 whole > 0 ? sum / whole : 0.0, result.sum_layer_backward_s * 1e3,
                 o.backward ? "" : " (not measured: --no-backward)", result.energy_source.c_str());
  }
  hivemind::model::emit_profile(out, json);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return hivemind::model::profiler_main(argc, argv, run); }
