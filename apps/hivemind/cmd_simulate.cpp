// hivemind simulate: one scenario, one trial, every method on the same traces.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/sim/engine.hpp"
#include "hivemind/sim/report.hpp"
#include "hivemind/sim/scenario.hpp"

namespace hivemind::cli {

namespace {
constexpr const char* kHelp = R"(usage: hivemind simulate SCENARIO [options]

Runs one trial of a 5G MEC scenario (data/scenarios/*.json, or a name: mmwave-iab, sub6,
chain5) and compares HiveMind (SCI) with UE only, cloud only and single split on the same
network traces. Prints latency and energy per method, its plan shapes (on how many nodes its
plans compute, layers per node role; docs/simulator.md) and the links used; --out writes
tasks.csv (every task x method) and links.csv.

options:
  --load low|mid|high     background traffic (x0.5 / x1 / x2 UEs and bitrate), default mid
  --seed N                random seed, default 1 (same seed -> identical traces and CSV)
  --duration S            simulated seconds of task arrivals, default 10
  --period-ms MS          task period (mean gap with --poisson), default 100
  --poisson               Poisson arrivals instead of periodic
  --task inference|training  objective latency (inference) or UE+IAB energy (training)
  --model NAME            a zoo model (data/zoo: resnet18_88, vgg11_88, resnet18_224, rcnn,
                          ...) or a profile file (classes it lacks are derived, data/devices);
                          default resnet18_88, the paper's ResNet-18 (88 px, 60 layers)
  --coherence-ms MS       link coherence time (block length), default: the scenario's
  --offset-s S            start position on the UE trajectory (seconds of travel), default 0
  --predictive F          add HiveMind predictive (Sec. IV-F) with forecaster oracle|last|ewma
  --sigma X               relative error of the oracle forecaster, default 0
  --no-gating             let --predictive forecast below the coherence time too (default:
                          gated, Sec. IV-F: a node forecasts only when its Delta t >= it)
  --sci-processing-ms MS  SCI processing time per node (0 .. 1e4 ms), default: the
                          scenario's sci.processing_ms (3 ms when it has none)
  --migration-weight W    training: weight of Eq. 9's parameter migration eta in the plan's
                          objective (0 .. 1e9), default 1 (as printed: one iteration pays the
                          whole move); 1/N amortises a move over N iterations
  --out DIR               write tasks.csv and links.csv into DIR (created)
  --bench                 print simulated seconds per wall-clock second
  --all-links             report every link's UE bandwidth, not only the links used
)";

std::string resolve_scenario(const std::string& arg) {
  if (arg.find('/') != std::string::npos ||
      (arg.size() > 5 && arg.substr(arg.size() - 5) == ".json"))
    return arg;
  return data_dir() + "/scenarios/" + arg + ".json";
}
}  // namespace

int run_simulate(const Argv& argv) {
  Args args(argv,
            {"--load", "--seed", "--duration", "--period-ms", "--task", "--model", "--coherence-ms",
             "--offset-s", "--predictive", "--sigma", "--out", "--sci-processing-ms",
             "--migration-weight"},
            {"--poisson", "--bench", "--all-links", "--no-gating"});
  if (args.help()) {
    std::cout << kHelp << resource_options_help();
    return 0;
  }
  args.expect_positional(1, "SCENARIO");
  sim::Scenario scenario = sim::load_scenario(resolve_scenario(args.positional()[0]));
  const bool sci_override = args.value("--sci-processing-ms").has_value();
  if (sci_override)  // the scenario field's range (sci.processing_ms)
    scenario.sci_processing_s =
        args.number_or("--sci-processing-ms", 0.0, 0.0, sim::kMaxDelayMs) * 1e-3;
  sim::RunConfig config;
  config.forecast_gating = !args.flag("--no-gating");
  config.budget = args.budget();
  config.load = sim::parse_load(args.value_or("--load", "mid"));
  config.seed = static_cast<std::uint64_t>(args.integer_or("--seed", 1, 0, 1LL << 62));
  config.duration_s = args.number_or("--duration", 10.0, 1e-3, 1e6);
  config.period_s = args.number_or("--period-ms", 100.0, 0.01, 1e6) * 1e-3;
  config.poisson = args.flag("--poisson");
  config.all_link_stats = args.flag("--all-links");
  const std::string task = args.value_or("--task", "inference");
  if (task != "inference" && task != "training")
    throw InputError("--task: \"" + task + "\" is not inference or training");
  config.task = task == "training" ? sim::TaskKind::kTraining : sim::TaskKind::kInference;
  // 0 = the scenario's own coherence time; given explicitly, at least one TTI (1 ms).
  config.coherence_s = args.number_or("--coherence-ms", 0.0, 1.0, 1e9) * 1e-3;
  config.start_offset_s = args.number_or("--offset-s", 0.0, 0.0, 1e9);
  if (auto f = args.value("--predictive")) {
    sim::MethodSpec m{"HiveMind predictive", split::Method::kSci};
    if (*f == "oracle")
      m.forecaster = sim::Forecaster::kOracle;
    else if (*f == "last")
      m.forecaster = sim::Forecaster::kLastValue;
    else if (*f == "ewma")
      m.forecaster = sim::Forecaster::kEwma;
    else
      throw InputError("--predictive: \"" + *f + "\" is not oracle, last or ewma");
    m.sigma = args.number_or("--sigma", 0.0, 0.0, 10.0);
    config.methods.push_back(m);
  }
  const double migration_weight = args.number_or("--migration-weight", 1.0, 0.0, 1e9);
  for (sim::MethodSpec& m : config.methods) m.migration_weight = migration_weight;
  const std::string model_name = args.value_or("--model", "resnet18_88");
  const sim::ModelCosts model =
      sim::load_model_costs(scenario, data_dir(), model_name, config.budget);
  if (!model.derivation.empty())
    std::fprintf(stderr, "hivemind: %s\n", one_line(model.derivation).c_str());

  // A bad --out fails before the run. Both files or neither: they are staged and moved in
  // together at the end.
  std::optional<StagedDir> dir;
  if (auto out = args.value("--out")) dir.emplace(*out, "--out");
  // tasks.csv names each task's route and plan; the plan shapes are counted from them.
  config.keep_plans = true;

  const auto t0 = std::chrono::steady_clock::now();
  const sim::RunResult result = sim::run_simulation(scenario, model, config);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (dir) {
    dir->write("tasks.csv",
               sim::tasks_csv_header("") + sim::tasks_csv_rows("", result, config, scenario));
    std::string links = "link,capacity_mbps,ue_mean_mbps,ue_std_mbps,background_ues\n";
    for (const auto& l : result.links)
      links += l.name + "," + sim::num(l.capacity_bps / 1e6) + "," + sim::num(l.mean_bps / 1e6) +
               "," + sim::num(l.std_bps / 1e6) + "," + std::to_string(l.background_ues) + "\n";
    dir->write("links.csv", links);
    dir->commit();
  }

  char line[256];
  std::string text;
  std::snprintf(line, sizeof line,
                "scenario %s, model %s, %s load, seed %llu, %s, %zu tasks, %d handover(s)\n",
                one_line(scenario.name).c_str(), one_line(model.model).c_str(),
                std::string(sim::to_string(config.load)).c_str(),
                static_cast<unsigned long long>(config.seed), task.c_str(),
                result.records.size() / config.methods.size(), result.handovers);
  text += line;
  // Settings away from the defaults (issue 25), on a line of their own only when given.
  std::string settings;
  if (sci_override)
    settings += "SCI processing " + sim::num(scenario.sci_processing_s * 1e3) +
                " ms per node (--sci-processing-ms)";
  if (!config.forecast_gating)
    settings += std::string(settings.empty() ? "" : ", ") +
                "forecasts not gated by the coherence time (--no-gating)";
  if (migration_weight != 1.0)
    settings += std::string(settings.empty() ? "" : ", ") + "migration eta weighed " +
                sim::num(migration_weight) + " (--migration-weight)";
  if (!settings.empty()) text += "settings: " + settings + "\n";
  std::snprintf(line, sizeof line, "mean SCI update %.2f ms\n\n", result.mean_sci_update_s * 1e3);
  text += line;
  std::snprintf(line, sizeof line, "%-22s %10s %10s %10s %10s %12s\n", "method", "mean ms",
                "median ms", "p95 ms", "max ms", "energy J");
  text += line;
  for (std::size_t m = 0; m < config.methods.size(); ++m) {
    const auto lat = sim::method_values(result, static_cast<int>(m), false);
    const auto en = sim::method_values(result, static_cast<int>(m), true);
    std::snprintf(line, sizeof line, "%-22s %10.2f %10.2f %10.2f %10.2f %12.4f\n",
                  config.methods[m].label.c_str(), sim::mean_of(lat) * 1e3,
                  sim::percentile(lat, 50) * 1e3, sim::percentile(lat, 95) * 1e3,
                  sim::percentile(lat, 100) * 1e3, sim::mean_of(en));
    text += line;
  }
  // Plan shapes (issue 25): does a multi-node split actually split?
  text +=
      "\nplan shapes (a node computes when it runs >= 1 layer; the UE counts): % of the planned\n"
      "tasks computing on 1 / 2 / 3+ nodes, tasks with no plan, mean layers per planned task on\n"
      "the UE, gNB (IAB MEC), MEC (core) and cloud nodes\n";
  std::snprintf(line, sizeof line, "%-22s %8s %8s %8s %8s %7s %7s %7s %7s\n", "method", "1 node",
                "2 nodes", "3+ nodes", "no plan", sim::PlanShape::kRoleLabels[0],
                sim::PlanShape::kRoleLabels[1], sim::PlanShape::kRoleLabels[2],
                sim::PlanShape::kRoleLabels[3]);
  text += line;
  for (std::size_t m = 0; m < config.methods.size(); ++m) {
    const sim::PlanShape s = sim::plan_shape(result.records, static_cast<int>(m), scenario);
    std::snprintf(line, sizeof line, "%-22s %8.1f %8.1f %8.1f %8ld %7.1f %7.1f %7.1f %7.1f\n",
                  config.methods[m].label.c_str(), s.share_on(1) * 100, s.share_on(2) * 100,
                  s.share_on(3) * 100, s.no_plan, s.mean_layers(sim::NodeRole::kUe),
                  s.mean_layers(sim::NodeRole::kGnb), s.mean_layers(sim::NodeRole::kMec),
                  s.mean_layers(sim::NodeRole::kCloud));
    text += line;
  }
  text += "\nlink          capacity   UE mean    UE std  (Mbit/s)  bg UEs\n";
  for (const auto& l : result.links) {
    std::snprintf(line, sizeof line, "%-12s %9.1f %9.2f %9.2f %17d\n", l.name.c_str(),
                  l.capacity_bps / 1e6, l.mean_bps / 1e6, l.std_bps / 1e6, l.background_ues);
    text += line;
  }
  if (args.flag("--bench")) {
    std::snprintf(line, sizeof line,
                  "\nsimulated %.1f s in %.3f s wall: %.0f x real time (one core)\n",
                  result.simulated_s, wall, result.simulated_s / wall);
    text += line;
  }
  if (dir)
    text += "\nwrote " + one_line(dir->path()) + "/tasks.csv and " + one_line(dir->path()) +
            "/links.csv\n";
  std::cout << text;
  return 0;
}

}  // namespace hivemind::cli
