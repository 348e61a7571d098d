#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"
#include "hivemind/experiments/reproduce.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/devices.hpp"
#include "hivemind/model/route.hpp"
#include "hivemind/model/zoo.hpp"
#include "hivemind/process.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/paper_examples.hpp"
#include "hivemind/split/solve.hpp"
#include "report.hpp"
#include "sibling.hpp"

namespace hivemind::cli {

namespace {
constexpr const char* kDemoHelp = R"(usage: hivemind demo [--out DIR] [--threads N] [--quiet]

The main job on built-in defaults:
  1. the paper's Fig. 2 example (Sec. III): a 3-layer model on UE, MEC and cloud while the
     MEC-cloud link capacity drops from 1 to 1/10; multi-split (SCI) beside UE-only,
     cloud-only and single split;
  2. ResNet-18 (224x224) from measured per-layer profiles (data/measured/): UE = one server
     CPU thread, MEC = 16-thread server CPU, cloud = H200 GPU; UE-MEC 100 Mbit/s, MEC-cloud
     swept 1000 -> 10 Mbit/s; cuts carry every live tensor (DAG-aware cut bytes);
  3. the paper's evaluation on the 5G simulator, quick settings (`hivemind reproduce --quick`):
     CSV of every run, PNG/SVG plots and summary.md written into DIR; prints the summary table;
  4. real split inference (`hivemind run --emulate --requests 5`, when this build has the
     runtime, HIVEMIND_WITH_GRPC): the built-in ResNet-18 (32x32) across 4 local processes
     (UE here, IAB MEC, core MEC and cloud as hivemind-node daemons on 127.0.0.1) with
     emulated devices and links; the plan, then planned vs measured time per node and end to
     end (about 10 s).

options:
  --out DIR      folder for part 3 (default: hivemind-demo, created)
  --threads N    worker threads for part 3 (default: all cores)
  --quiet        no progress bars
)";

std::string plan_text(const split::Solution& s) {
  std::string t = fmt(s.cost) + " [";
  for (std::size_t p = 0; p < s.boundaries.size(); ++p) {
    if (p) t += ',';
    t += std::to_string(s.boundaries[p]);
  }
  return t + "]";
}

void sweep_row(std::string& out, const std::string& label, const split::ChainCosts& costs) {
  char line[256];
  const auto multi = split::solve(costs, split::Method::kSci);
  const auto ue = split::solve(costs, split::Method::kUeOnly);
  const auto cloud = split::solve(costs, split::Method::kCloudOnly);
  const auto single = split::solve(costs, split::Method::kSingleSplit);
  std::snprintf(line, sizeof line, "%-14s %-22s %-14s %-14s %-22s\n", label.c_str(),
                plan_text(multi).c_str(), fmt(ue.cost).c_str(), fmt(cloud.cost).c_str(),
                plan_text(single).c_str());
  out += line;
}
// Part 4: `hivemind run` on its defaults with emulation (hivemind-run, beside this executable,
// when the build has the runtime). Its output is captured to a file (the child's stdout and
// stderr, bounded wait, killed by PID past it) and printed through; a failure ends the demo
// with its last line.
void real_split_inference() {
  std::cout << "\n== 4/4  Real split inference: ResNet-18 (32x32) across 4 local processes\n";
  const std::string exe = sibling_path("hivemind-run");
  if (!is_executable(exe)) {
    std::cout << "   (skipped: the real part needs the runtime, a build with HIVEMIND_WITH_GRPC: "
                 "install libgrpc++-dev protobuf-compiler-grpc libtorch-dev and rebuild)\n";
    return;
  }
  std::cout << "   (hivemind run --emulate --requests 5: UE in this process, IAB MEC, core MEC "
               "and cloud as\n   hivemind-node daemons on 127.0.0.1, devices and links "
               "emulated; about 10 s)\n\n"
            << std::flush;
  const std::string log = (std::filesystem::temp_directory_path() /
                           ("hivemind-demo-run-" + std::to_string(::getpid()) + ".txt"))
                              .string();
  struct Remove {
    std::string path;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  } remove{log};
  const ExitStatus st =
      run_process({{exe, "--emulate", "--requests", "5"}, "", log}, /*timeout_s=*/120.0);
  std::string text = std::filesystem::exists(log) ? read_text_file(log) : "";
  if (!st.ok()) {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    const auto nl = text.rfind('\n');
    throw InputError("demo, part 4 (hivemind run --emulate) failed" +
                     std::string(st.timed_out ? " (no answer within 120 s)" : "") + ": " +
                     (nl == std::string::npos ? text : text.substr(nl + 1)));
  }
  std::cout << text << "\n";
}

}  // namespace

int run_demo(const Argv& argv) {
  Args args(argv, {"--out", "--threads"}, {"--quiet"});
  if (args.help()) {
    std::cout << kDemoHelp << resource_options_help();
    return 0;
  }
  args.expect_positional(0, "");
  experiments::ReproduceOptions evaluation;
  evaluation.out_dir = args.value_or("--out", "hivemind-demo");
  if (evaluation.out_dir.empty()) throw InputError("--out: empty folder name");
  evaluation.data_dir = data_dir();
  evaluation.quick = true;
  evaluation.progress = !args.flag("--quiet");
  evaluation.threads = args.threads();
  evaluation.budget = args.budget();
  // A bad --out fails before anything is printed (the probe stages nothing and creates
  // nothing; reproduce writes into its own staging folder and moves the results in at the end).
  { const StagedDir probe(evaluation.out_dir, "--out"); }
  std::string out;
  char line[256];
  out += "== 1/4  Paper Fig. 2 (Sec. III): 3 layers on UE (capacity 1), MEC (3), cloud (10)\n";
  out += "   loads 0.5, 1, 4; data 1.2 (input), 1, 4; UE-MEC link 2; costs in time units\n";
  out += "   plan = cost [b_ue, b_mec, b_cloud]: node p runs layers b_{p-1}+1..b_p\n\n";
  std::snprintf(line, sizeof line, "%-14s %-22s %-14s %-14s %-22s\n", "MEC-cloud cap",
                "multi-split (SCI)", "UE-only", "cloud-only", "single split");
  out += line;
  for (int k = 1; k <= 10; ++k) {
    const double capacity = 1.0 / k;
    sweep_row(out, k == 1 ? "1" : "1/" + std::to_string(k),
              split::compile(split::paper_fig2_problem(capacity)));
  }

  out += "\n== 2/4  ResNet-18 (224x224), measured per-layer profiles, DAG-aware cut bytes\n";
  // The zoo's ResNet-18 on the three measured device classes (data/devices), through the same
  // model + route -> problem path as `hivemind solve --model --route`.
  const model::ModelProfile resnet = model::load_model("resnet18", data_dir());
  const model::DeviceCatalog catalog =
      model::load_device_catalog(data_dir() + "/devices/devices.json");
  std::snprintf(line, sizeof line,
                "   %zu layers; UE = 1 CPU thread, MEC = 16-thread CPU, cloud = H200; "
                "UE-MEC 100 Mbit/s, 1 ms overhead per transfer; costs in seconds\n\n",
                resnet.layers.size());
  out += line;
  std::snprintf(line, sizeof line, "%-14s %-22s %-14s %-14s %-22s\n", "MEC-cloud Mb/s",
                "multi-split (SCI)", "UE-only", "cloud-only", "single split");
  out += line;
  for (double mbps : {1000.0, 300.0, 100.0, 30.0, 10.0}) {
    model::Route route;
    route.nodes = {{"ue", "cpu1"}, {"mec", "cpu16"}, {"cloud", "cuda"}};
    route.links = {{100, 1, 100, 1}, {mbps, 1, mbps, 1}};
    sweep_row(out, fmt(mbps), split::compile(model::problem_from_route(resnet, route, catalog)));
  }
  // Parts 1-2 take microseconds; print them before the simulator starts.
  std::cout << out << std::flush;

  std::cout << "\n== 3/4  The paper's evaluation (Sec. VII) on the 5G simulator, quick settings\n"
               "   (hivemind reproduce --quick; the full run: hivemind reproduce --out DIR)\n\n"
            << std::flush;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string table = experiments::reproduce(evaluation);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << table;
  std::string folder = std::filesystem::absolute(evaluation.out_dir).lexically_normal().string();
  if (folder.empty() || folder.back() != '/') folder += '/';
  std::snprintf(line, sizeof line, " (%.0f s, %d threads)", wall, evaluation.threads);
  std::cout << "\nResults in " << one_line(folder) << line
            << ": summary.md, the CSV of every run, figN.png / figN.svg.\n";
  real_split_inference();
  std::cout << "Try: hivemind solve examples/fig2.json --method dijkstra\n";
  return 0;
}

}  // namespace hivemind::cli
