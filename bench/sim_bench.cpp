// Simulator speed: simulated seconds per second of one core, on the paper's mmWave IAB
// scenario (Fig. 10 / Table I) under high load, one target UE running ResNet-18 (the paper's
// 88 px workload, resnet18_88) every 10 ms.
// Rows, each the best of 3 repetitions, with the CPU time of the running thread (robust to
// other processes on the machine) beside the wall time:
//   traces only          - the PF scheduler producing the target's capacity, one task per minute
//   HiveMind only        - + SCI update, plan and layer-by-layer execution of every task
//   HiveMind + baselines - + UE only, cloud only, single split on the same traces (the default)
// Usage: sim_bench [DATA_DIR] [SIMULATED_SECONDS]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hivemind/sim/engine.hpp"

namespace {
double thread_cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
}  // namespace

int main(int argc, char** argv) {
  using namespace hivemind::sim;
  const std::string data = argc > 1 ? argv[1] : HIVEMIND_BENCH_DATA_DIR;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 60.0;
  try {
    const Scenario scenario = load_scenario(data + "/scenarios/mmwave-iab.json");
    const ModelCosts model = load_model_costs(scenario, data, "resnet18_88");
    struct Row {
      const char* name;
      double period_s;
      std::vector<MethodSpec> methods;
    };
    const std::vector<Row> rows = {
        {"traces only", 60.0, {{"HiveMind", hivemind::split::Method::kSci}}},
        {"HiveMind only", 0.01, {{"HiveMind", hivemind::split::Method::kSci}}},
        {"HiveMind + 3 baselines", 0.01, standard_methods()},
    };
    std::printf(
        "mmWave IAB, high load, ResNet-18 (%d layers), %.0f simulated s per run, best of 3\n",
        model.layers, seconds);
    std::printf("%-24s %10s %10s %12s %12s\n", "", "wall s", "cpu s", "sim s/wall s",
                "sim s/cpu s");
    for (const Row& row : rows) {
      double best_wall = 1e300, best_cpu = 1e300;
      std::size_t tasks = 0;
      for (int rep = 0; rep < 3; ++rep) {
        RunConfig c;
        c.load = Load::kHigh;
        c.duration_s = seconds;
        c.period_s = row.period_s;
        c.methods = row.methods;
        const double c0 = thread_cpu_s();
        const auto t0 = std::chrono::steady_clock::now();
        const RunResult r = run_simulation(scenario, model, c);
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double cpu = thread_cpu_s() - c0;
        best_wall = std::min(best_wall, wall);
        best_cpu = std::min(best_cpu, cpu);
        tasks = r.records.size();
      }
      std::printf("%-24s %10.3f %10.3f %11.0fx %11.0fx   (%zu task-methods)\n", row.name, best_wall,
                  best_cpu, seconds / best_wall, seconds / best_cpu, tasks);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sim_bench: %s\n", e.what());
    return 2;
  }
  return 0;
}
