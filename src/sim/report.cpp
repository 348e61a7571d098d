#include "hivemind/sim/report.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace hivemind::sim {

double mean_of(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}

double std_of(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = mean_of(v);
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  const double f = pos - static_cast<double>(lo);
  if (!std::isfinite(v[lo]) || !std::isfinite(v[hi])) return f > 0 ? v[hi] : v[lo];
  return v[lo] + f * (v[hi] - v[lo]);
}

std::string num(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

std::string tasks_csv_header(const std::string& header_prefix) {
  return header_prefix +
         "task_index,method,arrival_ms,sci_update_ms,latency_ms,energy_j,planned_ms,planned_j,"
         "exact,blocked,first_gap_ms,max_gap_ms,serving_gnb,route,plan\n";
}

std::string tasks_csv_rows(const std::string& prefix, const RunResult& result,
                           const RunConfig& config, const Scenario& scenario) {
  std::string out;
  out.reserve(result.records.size() * 128);
  for (const auto& r : result.records) {
    // The planned cost in the objective's unit: latency (ms) for inference planned on latency,
    // energy (J) for training and for the multi-objective planners (Sec. V: energy under a
    // latency threshold).
    const bool latency_objective =
        config.task == TaskKind::kInference && !plans_on_metrics(config.methods[r.method].method);
    out += prefix;
    out += std::to_string(r.task);
    out += ',';
    out += config.methods[r.method].label;
    out += ',' + num(r.arrival_s * 1e3) + ',' + num((r.start_s - r.arrival_s) * 1e3) + ',' +
           num(r.latency_s * 1e3) + ',' + num(r.energy_j) + ',' +
           (latency_objective ? num(r.planned * 1e3) : std::string()) + ',' +
           (latency_objective ? std::string() : num(r.planned)) + ',' + (r.exact ? "1" : "0") +
           ',' + (r.blocked ? "1" : "0") + ',' + num(r.first_gap_s * 1e3) + ',' +
           num(r.max_gap_s * 1e3) + ',' +
           (r.serving_gnb >= 0 ? scenario.nodes[r.serving_gnb].name : std::string("-")) + ',';
    for (std::size_t i = 0; i < r.route.size(); ++i)
      out += (i ? ">" : "") + scenario.nodes[r.route[i]].name;
    out += ',';
    for (std::size_t i = 0; i < r.boundaries.size(); ++i)
      out += (i ? "/" : "") + std::to_string(r.boundaries[i]);
    out += '\n';
  }
  return out;
}

std::vector<double> method_values(const RunResult& result, int method, bool energy) {
  std::vector<double> v;
  for (const auto& r : result.records)
    if (r.method == method) v.push_back(energy ? r.energy_j : r.latency_s);
  return v;
}

double PlanShape::share_on(int nodes) const {
  if (planned() == 0 || nodes < 1) return NAN;
  return static_cast<double>(on_nodes[std::min(nodes, 3) - 1]) / static_cast<double>(planned());
}

double PlanShape::mean_layers(NodeRole role) const {
  if (planned() == 0) return NAN;
  return layers[static_cast<int>(role)] / static_cast<double>(planned());
}

PlanShape& PlanShape::operator+=(const PlanShape& o) {
  tasks += o.tasks;
  no_plan += o.no_plan;
  for (std::size_t k = 0; k < on_nodes.size(); ++k) on_nodes[k] += o.on_nodes[k];
  for (std::size_t r = 0; r < layers.size(); ++r) layers[r] += o.layers[r];
  return *this;
}

PlanShape plan_shape(const std::vector<TaskRecord>& records, int method, const Scenario& scenario) {
  PlanShape s;
  for (const auto& r : records) {
    if (r.method != method) continue;
    const std::string task = "plan_shape: task " + std::to_string(r.task) + ": ";
    if (r.route.empty()) throw std::logic_error(task + "no route (run without keep_plans)");
    ++s.tasks;
    if (r.boundaries.empty()) {
      ++s.no_plan;
      continue;
    }
    if (r.boundaries.size() != r.route.size())
      throw std::logic_error(task + std::to_string(r.boundaries.size()) + " boundaries on a " +
                             std::to_string(r.route.size()) + "-node route");
    int computing = 0, prev = 0;
    for (std::size_t p = 0; p < r.route.size(); ++p) {
      const int node = r.route[p];
      if (node < 0 || node >= static_cast<int>(scenario.nodes.size()))
        throw std::logic_error(task + "route node " + std::to_string(node) +
                               " not in the scenario");
      const int n = r.boundaries[p] - prev;  // layers b_{p-1}+1 .. b_p (Eq. 1)
      prev = r.boundaries[p];
      if (n > 0) ++computing;
      s.layers[static_cast<int>(scenario.nodes[node].role)] += n;
    }
    if (computing == 0) throw std::logic_error(task + "the plan runs no layer");
    ++s.on_nodes[std::min(computing, 3) - 1];
  }
  return s;
}

void run_parallel(std::size_t jobs, int threads, const std::function<void(std::size_t)>& job,
                  const std::string& label) {
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex mu;
  std::exception_ptr error;
  const auto t0 = std::chrono::steady_clock::now();
  auto progress = [&](std::size_t d) {
    if (label.empty()) return;
    const int width = 30;
    const int filled = jobs ? static_cast<int>(width * d / jobs) : width;
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "\r%-28s [%.*s%*s] %zu/%zu %5.1fs", label.c_str(), filled,
                 "##############################", width - filled, "", d, jobs, el);
    if (d == jobs) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  };
  progress(0);
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= jobs) return;
      try {
        job(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
      }
      const std::size_t d = done.fetch_add(1) + 1;
      std::lock_guard<std::mutex> lock(mu);
      progress(d);
    }
  };
  const int n =
      std::max(1, std::min<int>(threads, static_cast<int>(std::max<std::size_t>(jobs, 1))));
  std::vector<std::thread> pool;
  for (int i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace hivemind::sim
