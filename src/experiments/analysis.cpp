// Statistics several figures compute over their jobs (context.hpp): pooled values, latency
// spikes by what the plan knew (Sec. IV-F), look-ahead Delta t, forecasts made.

#include <algorithm>
#include <cmath>
#include <map>

#include "context.hpp"
#include "hivemind/sim/report.hpp"

namespace hivemind::experiments::detail {

std::vector<double> pooled(const std::vector<const Job*>& jobs, int m, bool energy) {
  std::vector<double> v;
  for (const Job* j : jobs) {
    const auto x = method_values(j->result, m, energy);
    v.insert(v.end(), x.begin(), x.end());
  }
  return v;
}

Spikes spikes_of(const std::vector<const Job*>& jobs, int m, double threshold_s) {
  Spikes n;
  for (const Job* j : jobs)
    for (const auto& r : j->result.records) {
      if (r.method != m) continue;
      ++n.tasks;
      if (!(r.latency_s > threshold_s)) continue;
      ++n.spikes;
      if (r.planned > threshold_s)
        ++n.slow_at_t1;
      else
        ++n.stale;
      n.blocked += r.blocked;
    }
  return n;
}

std::string describe(const Spikes& s, double threshold_s) {
  return std::to_string(s.spikes) + " of " + std::to_string(s.tasks) + " tasks > " +
         fmt("%.0f ms", threshold_s * 1e3) + " (" + fmt("%.1f%%", s.share() * 100) +
         "): " + std::to_string(s.stale) + " went stale between t1 and t2, " +
         std::to_string(s.slow_at_t1) + " already planned slower at t1; " +
         std::to_string(s.blocked) + " overlap a blockage";
}

std::string lookahead(const std::vector<const Job*>& jobs, int m) {
  std::vector<double> first, most;
  for (const Job* j : jobs)
    for (const auto& r : j->result.records)
      if (r.method == m && std::isfinite(r.first_gap_s)) {
        first.push_back(r.first_gap_s);
        most.push_back(r.max_gap_s);
      }
  if (first.empty()) return "no task crossed a link";
  return "Delta t median " + fmt("%.1f", percentile(first, 50) * 1e3) + " ms (p95 " +
         fmt("%.1f", percentile(first, 95) * 1e3) + ") on the first link, " +
         fmt("%.1f", percentile(most, 50) * 1e3) + " ms (p95 " +
         fmt("%.1f", percentile(most, 95) * 1e3) + ") on the deepest";
}

long forecasts_made(const std::vector<const Job*>& jobs, int m) {
  long n = 0;
  for (const Job* j : jobs) n += j->result.forecasts[m];
  return n;
}

std::string join_notes(const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& n : notes)
    if (!n.empty()) out += (out.empty() ? "" : "; ") + n;
  return out;
}

double mean_sci_update_s(const std::vector<const Job*>& jobs) {
  std::vector<double> v;
  for (const Job* j : jobs) v.push_back(j->result.mean_sci_update_s);
  return mean_of(v);
}

std::string lookahead_per_node(const std::vector<const Job*>& jobs, int m) {
  if (jobs.empty()) return "";
  const Scenario& s = *jobs.front()->scenario;
  std::vector<double> sum(s.nodes.size(), 0.0);
  std::vector<long> n(s.nodes.size(), 0);
  for (const Job* j : jobs)
    if (static_cast<std::size_t>(m) < j->result.gap_sum_s.size())
      for (std::size_t k = 0; k < s.nodes.size(); ++k) {
        sum[k] += j->result.gap_sum_s[m][k];
        n[k] += j->result.gap_count[m][k];
      }
  std::string out;
  for (std::size_t k = 0; k < s.nodes.size(); ++k)
    if (n[k] > 0)
      out += (out.empty() ? "" : ", ") + s.nodes[k].name + " " +
             fmt("%.1f ms", sum[k] / n[k] * 1e3) + " (" + std::to_string(n[k]) + ")";
  return out.empty() ? "no node received data"
                     : "mean look-ahead Delta t per node that received data (tasks): " + out;
}

std::string eq10_second_node(const std::vector<const Job*>& jobs, int m) {
  if (jobs.empty()) return "";
  // The route most of method m's tasks took.
  std::map<std::vector<int>, int> routes;
  for (const Job* j : jobs)
    for (const auto& r : j->result.records)
      if (r.method == m && !r.route.empty()) ++routes[r.route];
  if (routes.empty()) return "";
  const auto common = std::max_element(routes.begin(), routes.end(), [](auto& a, auto& b) {
                        return a.second < b.second;
                      })->first;
  const Scenario& s = *jobs.front()->scenario;
  const ModelCosts& mc = *jobs.front()->model;
  auto whole_model_s = [&](int node) {
    const DeviceCosts& d = mc.devices.at(s.nodes[node].device);
    double t = 0.0;
    for (double x : d.forward_s) t += x;
    return d.relay ? -1.0 : t;
  };
  std::string names;
  for (int n : common) names += (names.empty() ? "" : " > ") + s.nodes[n].name;
  // The first node after the UE that computes (sub6's gNB only relays).
  std::size_t f = 1;
  while (f < common.size() && whole_model_s(common[f]) < 0) ++f;
  if (f + 1 >= common.size()) return "";
  const double first_s = whole_model_s(common[f]);
  std::string md = "The route most tasks took: " + names + ". The first MEC that computes (" +
                   s.nodes[common[f]].name + ", " + s.nodes[common[f]].device + ") runs " +
                   mc.model + " in " + fmt("%.2f ms", first_s * 1e3) +
                   ". A later node q can take layers j+1..L from it only if they run faster "
                   "there by more than what moving the cut costs, Eq. 10's s_j / c + psi per "
                   "hop: sum over l > j of (tau_l^first - tau_l^q) > sum over the hops of "
                   "(s_j / c + psi). The left side is at most the whole model's difference, the "
                   "right side at least the hops' psi:\n\n"
                   "| node q | device | whole model (ms) | hops after the first MEC | sum of "
                   "psi (ms) | at most saved (ms) | Eq. 10 |\n|---|---|---|---|---|---|---|\n";
  double psi_s = 0.0;
  for (std::size_t q = f + 1; q < common.size(); ++q) {
    for (const ScenarioLink& l : s.links)
      if (l.from == common[q - 1] && l.to == common[q]) psi_s += l.overhead_s;
    const double t = whole_model_s(common[q]);
    const ScenarioNode& n = s.nodes[common[q]];
    if (t < 0) {
      md += "| " + n.name + " | relay | - | " + std::to_string(q - f) + " | " +
            fmt("%.2f", psi_s * 1e3) + " | - | runs no layer |\n";
      continue;
    }
    const double saved = first_s - t;
    md += "| " + n.name + " | " + n.device + " | " + fmt("%.2f", t * 1e3) + " | " +
          std::to_string(q - f) + " | " + fmt("%.2f", psi_s * 1e3) + " | " +
          fmt("%.2f", saved * 1e3) + " | " +
          (saved <= psi_s
               ? "psi alone exceeds the most it can save: never"
               : "can pay when s_j / c is below " + fmt("%.2f ms", (saved - psi_s) * 1e3)) +
          " |\n";
  }
  return md;
}

}  // namespace hivemind::experiments::detail
