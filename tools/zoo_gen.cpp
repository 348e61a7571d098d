// hivemind_zoo_gen DATA_DIR: writes DATA_DIR/zoo/<model>.json for every zoo model from the
// architectures (src/model/arch.cpp) and the measurements in DATA_DIR/measured/, and prints
// the FLOPs fits and how well they predict the measured models. Run by hand after changing
// an architecture or the measurements; never at build or test time (a test checks that the
// committed files equal what this would write).
//
//   cmake --build build --target hivemind_zoo_gen && ./build/src/model/hivemind_zoo_gen data
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "hivemind/io.hpp"
#include "hivemind/model/arch.hpp"
#include "hivemind/model/zoo.hpp"

using namespace hivemind::model;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: hivemind_zoo_gen DATA_DIR\n");
    return 2;
  }
  try {
    const std::string data = argv[1], measured = data + "/measured";
    std::vector<FlopsFit> fits;
    std::printf("FLOPs fits (t = overhead + flops / throughput, least squares over layers):\n");
    for (const auto& run : kMeasuredRuns) {
      fits.push_back(fit_flops_model(measured, run));
      std::printf("  %-6s overhead %8.2f us  throughput %10.4g FLOP/s  (%d layers)\n", run.c_str(),
                  fits.back().overhead_s * 1e6, fits.back().flops_per_s, fits.back().layers);
    }
    std::printf("\n%-16s %6s %12s  forward ms per run: measured (FLOPs estimate)\n", "model",
                "layers", "GFLOPs");
    std::filesystem::create_directories(data + "/zoo");
    for (const auto& name : zoo_model_names()) {
      const ModelProfile p = build_zoo_profile(name, measured, fits);
      double flops = 0;
      for (const auto& l : p.layers) flops += l.flops > 0 ? l.flops : 0;
      std::printf("%-16s %6zu %12.3f ", name.c_str(), p.layers.size(), flops / 1e9);
      for (std::size_t r = 0; r < kMeasuredRuns.size(); ++r) {
        const DeviceProfile* d = p.device(kMeasuredRuns[r]);
        double estimate = 0;
        for (const auto& l : p.layers) estimate += fits[r].estimate_s(l.flops);
        std::printf(" %s %8.3f (%8.3f)", kMeasuredRuns[r].c_str(),
                    d ? d->forward_total_s() * 1e3 : 0.0, estimate * 1e3);
      }
      std::printf("\n");
      hivemind::write_text_file_atomic(data + "/zoo/" + name + ".json", to_json(p));
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hivemind_zoo_gen: %s\n", e.what());
    return 2;
  }
}
