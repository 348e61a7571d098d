// The Context every figure runs in (context.hpp): scenario and model caches, trials spread over
// threads, CSV and the staged output folder, claims, and the sensitivity pass's swap of workload,
// claims and suffix.

#include "context.hpp"

#include <algorithm>
#include <cstdio>

#include "hivemind/process.hpp"
#include "hivemind/sim/report.hpp"

namespace hivemind::experiments::detail {

bool within_factor(double x, double target, double factor) {
  return x >= target / factor && x <= target * factor;
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

Context::Context(const ReproduceOptions& o) : o_(o) {
  seeds_ = o.quick ? 3 : 8;
  duration_s_ = o.quick ? 20.0 : 60.0;
  // Everything is written into a staging folder and moved into out_dir by commit(), once the
  // summary is written: a failed run leaves out_dir as it was (issue 10).
  if (o.plots) gnuplot_ = find_executable("gnuplot");
}

const Scenario& Context::scenario(const std::string& name) {
  auto it = scenarios_.find(name);
  if (it == scenarios_.end()) {
    Scenario s = load_scenario(o_.data_dir + "/scenarios/" + name + ".json");
    if (o_.sci_processing_s) s.sci_processing_s = *o_.sci_processing_s;  // --sci-processing-ms
    it = scenarios_.emplace(name, std::move(s)).first;
  }
  return it->second;
}

const ModelCosts& Context::model(const std::string& scen, const std::string& name) {
  const std::string key = scen + "/" + name;
  auto it = models_.find(key);
  if (it == models_.end())
    it = models_.emplace(key, load_model_costs(scenario(scen), o_.data_dir, name, o_.budget)).first;
  return it->second;
}

void Context::run(std::vector<Job>& jobs, const std::string& label) {
  // Every record keeps its route and plan: the CSVs name them and summary.md's plan shapes
  // count them (issue 25).
  for (auto& j : jobs) {
    j.config.budget = o_.budget;
    j.config.keep_plans = true;
    j.config.forecast_gating = j.config.forecast_gating && o_.forecast_gating;  // --no-gating
  }
  run_parallel(
      jobs.size(), o_.threads,
      [&](std::size_t i) {
        jobs[i].result = run_simulation(*jobs[i].scenario, *jobs[i].model, jobs[i].config);
      },
      o_.progress ? label + (suffix_.empty() ? "" : " (224 px)") : std::string());
}

Job Context::trial(const std::string& scen, const std::string& model_name, int seed, Load load,
                   double period_s) {
  Job j;
  j.scenario = &scenario(scen);
  j.model = &model(scen, model_name);
  j.config.seed = seed;
  j.config.load = load;
  j.config.duration_s = duration_s_;
  j.config.period_s = period_s;
  j.config.start_offset_s = 17.0 * seed;  // different stretches of the trajectory
  return j;
}

std::vector<Job> Context::load_sweep(const std::string& scen, const std::string& model_name,
                                     TaskKind task, double period, std::vector<Load> loads) {
  std::vector<Job> jobs;
  for (Load load : loads)
    for (int seed = 1; seed <= seeds_; ++seed) {
      Job j = trial(scen, model_name, seed, load, period);
      j.config.task = task;
      j.prefix = scen + "," + model_name + "," +
                 (task == TaskKind::kTraining ? "training" : "inference") + "," +
                 std::string(to_string(load)) + "," + std::to_string(seed) + ",";
      jobs.push_back(std::move(j));
    }
  return jobs;
}

void Context::write_csv(const std::string& name, const std::string& header_prefix,
                        const std::vector<Job>& jobs) {
  std::string text = tasks_csv_header(header_prefix);
  for (const auto& j : jobs) text += tasks_csv_rows(j.prefix, j.result, j.config, *j.scenario);
  write_file(name, text);
  // The file's plan shapes, per model and method over its runs, in order of first appearance.
  std::vector<std::pair<std::string, std::string>> keys;  // (model, method label)
  std::vector<PlanShape> shapes;
  for (const auto& j : jobs)
    for (std::size_t m = 0; m < j.config.methods.size(); ++m) {
      const std::pair<std::string, std::string> key{j.model->model, j.config.methods[m].label};
      const auto at = std::find(keys.begin(), keys.end(), key);
      const std::size_t i = static_cast<std::size_t>(at - keys.begin());
      if (at == keys.end()) {
        keys.push_back(key);
        shapes.emplace_back();
      }
      shapes[i] += plan_shape(j.result.records, static_cast<int>(m), *j.scenario);
    }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const PlanShape& p = shapes[i];
    auto cell = [&](double x, double scale) {
      return p.planned() ? fmt("%.1f", x * scale) : std::string("-");
    };
    std::string row = "| " + suffixed(name) + " | " + keys[i].first + " | " + keys[i].second +
                      " | " + std::to_string(p.tasks);
    for (int n = 1; n <= 3; ++n) row += " | " + cell(p.share_on(n), 100.0);
    row += " | " + std::to_string(p.no_plan);
    for (int r = 0; r < PlanShape::kRoles; ++r)
      row += " | " + cell(p.mean_layers(static_cast<NodeRole>(r)), 1.0);
    plan_rows_.push_back(row + " |\n");
  }
}

std::string Context::suffixed(const std::string& name) const {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name + suffix_
                                  : name.substr(0, dot) + suffix_ + name.substr(dot);
}

void Context::write_file(const std::string& name, const std::string& text) {
  out_.write(suffixed(name), text);
}

void Context::claim(const std::string& fig, const std::string& text, const std::string& tolerance,
                    const std::string& ours, const std::string& verdict,
                    const std::string& reason) {
  claims_.push_back({fig, text, tolerance, ours, verdict, reason});
}

void Context::begin_sensitivity() {
  main_claims_ = std::move(claims_);
  main_tables_ = std::move(fig_tables_);
  main_plan_rows_ = std::move(plan_rows_);
  claims_.clear();
  fig_tables_.clear();
  plan_rows_.clear();
  resnet_ = "resnet18_224", vgg_ = "vgg11_224", rcnn_ = "rcnn_vgg16_224";
  suffix_ = "_224px";
}

void Context::end_sensitivity() {
  sensitivity_claims_ = std::move(claims_);
  sensitivity_tables_ = std::move(fig_tables_);
  claims_ = std::move(main_claims_);
  fig_tables_ = std::move(main_tables_);
  sensitivity_plan_rows_ = std::move(plan_rows_);
  plan_rows_ = std::move(main_plan_rows_);
  resnet_ = "resnet18_88", vgg_ = "vgg11_88", rcnn_ = "rcnn_vgg16_88";
  suffix_.clear();
}

}  // namespace hivemind::experiments::detail
