// The Context every figure runs in (context.hpp): scenario and model caches per pass, trials
// spread over threads, CSV and the staged output folder, claims per pass; and the paper-stated
// pass's inputs (data/scenarios/paper-stated.json) and the scenarios they give.

#include "context.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "hivemind/error.hpp"
#include "hivemind/process.hpp"
#include "hivemind/sim/report.hpp"

namespace hivemind::experiments {

namespace jf = hivemind::json_field;

PaperStated parse_paper_stated(std::string_view json_text, std::string_view source) {
  return with_source(source, [&] {
    const nlohmann::json doc = parse_json(json_text, source);
    jf::object(doc, "paper-stated");
    jf::only_keys(doc, "",
                  {"format", "description", "ue_resnet18_ms", "sci_processing_ms", "sources"});
    const std::string format = jf::string(jf::require(doc, "format", "format"), "format");
    if (format != "hivemind.paper-stated/v1")
      throw InputError("format: \"" + format + "\" is not \"hivemind.paper-stated/v1\"");
    // Both in (0 or [0), kMaxDelayMs] ms, the scenarios' range for a delay.
    auto ms = [&](const char* key, bool positive) {
      const nlohmann::json& v = jf::require(doc, key, key);
      const double x = positive ? jf::positive_number(v, key) : jf::number(v, key, true);
      if (x > sim::kMaxDelayMs)
        throw InputError(std::string(key) + ": " + jf::show(v) + " is out of range [0, " +
                         exact_number(sim::kMaxDelayMs) + "]");
      return x * 1e-3;
    };
    PaperStated p;
    p.ue_resnet18_s = ms("ue_resnet18_ms", true);
    p.sci_processing_s = ms("sci_processing_ms", false);
    const nlohmann::json& src = jf::object(jf::require(doc, "sources", "sources"), "sources");
    jf::only_keys(src, "sources", {"ue_resnet18_ms", "sci_processing_ms"});
    p.ue_resnet18_source = jf::string(jf::require(src, "ue_resnet18_ms", "sources.ue_resnet18_ms"),
                                      "sources.ue_resnet18_ms");
    p.sci_processing_source =
        jf::string(jf::require(src, "sci_processing_ms", "sources.sci_processing_ms"),
                   "sources.sci_processing_ms");
    return p;
  });
}

PaperStated load_paper_stated(const std::string& path) {
  return parse_paper_stated(read_text_file(path), path);
}

sim::Scenario paper_stated_scenario(const sim::Scenario& scenario, const PaperStated& paper,
                                    const std::string& data_dir, const std::string& model,
                                    const Budget& budget, double* factor) {
  sim::Scenario s = scenario;
  s.sci_processing_s = paper.sci_processing_s;
  const std::string& ue = s.nodes.at(static_cast<std::size_t>(s.ue_node())).device;
  const sim::ModelCosts costs = sim::load_model_costs(scenario, data_dir, model, budget);
  double ue_only_s = 0.0;
  for (double t : costs.devices.at(ue).forward_s) ue_only_s += t;
  if (!(ue_only_s > 0.0))
    throw InputError(s.name + ": " + model + " has no UE compute time to scale");
  const double f = paper.ue_resnet18_s / ue_only_s;
  double& scale = s.devices.at(ue).latency_scale;
  if (!(scale * f >= 1e-4 && scale * f <= 1e4))
    throw InputError("ue_resnet18_ms: " + exact_number(paper.ue_resnet18_s * 1e3) + " gives " +
                     s.name + "'s UE a latency_scale of " + exact_number(scale * f) +
                     ", out of range [0.0001, 10000]");
  scale *= f;
  if (factor) *factor = f;
  return s;
}

}  // namespace hivemind::experiments

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
  const std::string key = pass().name + "/" + name;
  auto it = scenarios_.find(key);
  if (it == scenarios_.end()) {
    Scenario s = load_scenario(o_.data_dir + "/scenarios/" + name + ".json");
    if (const auto& paper = pass().paper) {
      double factor = 1.0;
      s = paper_stated_scenario(s, *paper, o_.data_dir, resnet(), o_.budget, &factor);
      passes_.back().ue_scales[name] = {factor, paper->ue_resnet18_s / factor};
    }
    if (o_.sci_processing_s) s.sci_processing_s = *o_.sci_processing_s;  // --sci-processing-ms
    it = scenarios_.emplace(key, std::move(s)).first;
  }
  return it->second;
}

const ModelCosts& Context::model(const std::string& scen, const std::string& name) {
  const std::string key = pass().name + "/" + scen + "/" + name;
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
      [&](std::size_t k) {
        // Last job first: the figures list their trials by rising load, and the high-load ones
        // take longest, so starting them first leaves less of a tail on one thread. Results stay
        // in job order.
        const std::size_t i = jobs.size() - 1 - k;
        jobs[i].result = run_simulation(*jobs[i].scenario, *jobs[i].model, jobs[i].config);
      },
      o_.progress ? label + (pass().label.empty() ? "" : " (" + pass().label + ")")
                  : std::string());
  for (const auto& j : jobs) {
    passes_.back().sci_update_sum_s += j.result.mean_sci_update_s;
    ++passes_.back().runs;
  }
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
    passes_.back().plan_rows.push_back(row + " |\n");
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
  passes_.back().claims.push_back({fig, text, tolerance, ours, verdict, reason});
}

void Context::begin_pass(const Pass& pass) {
  passes_.emplace_back();
  passes_.back().pass = pass;
  suffix_ = pass.suffix;
}

}  // namespace hivemind::experiments::detail
