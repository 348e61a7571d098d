// Statistics several figures compute over their jobs (context.hpp): pooled values, latency
// spikes by what the plan knew (Sec. IV-F), look-ahead Delta t, forecasts made.

#include <cmath>

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

}  // namespace hivemind::experiments::detail
