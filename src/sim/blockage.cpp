#include "hivemind/sim/blockage.hpp"

#include <algorithm>
#include <cmath>

#include "hivemind/sim/radio.hpp"

namespace hivemind::sim {

double stationary_blocked_fraction(const BlockageParams& p) {
  if (!p.enabled()) return 0.0;
  const double x = p.rate_per_s * p.mean_duration_s;
  return x / (1.0 + x);
}

double blocked_rate_factor(double clear_snr_db, double attenuation_db, int cqi_table) {
  const double clear = spectral_efficiency(cqi_from_snr_db(clear_snr_db), cqi_table);
  const double blocked =
      spectral_efficiency(cqi_from_snr_db(clear_snr_db - attenuation_db), cqi_table);
  return clear > 0.0 ? blocked / clear : 0.0;
}

BlockageProcess::BlockageProcess(const BlockageParams& params, std::uint64_t seed)
    : params_(params), rng_(seed) {
  if (enabled()) initial_blocked_ = rng_.uniform() < stationary_blocked_fraction(params_);
}

void BlockageProcess::generate_until(double t) {
  if (!enabled() || !std::isfinite(t)) return;  // an infinite t would never be reached
  double last = changes_.empty() ? 0.0 : changes_.back();
  while (last <= t) {
    // The state after the last change (or the initial one) decides the length of the next
    // interval: exponential clear time of mean 1/rate, exponential blocked time of mean D.
    const bool blocked = initial_blocked_ != (changes_.size() % 2 == 1);
    last += rng_.exponential(blocked ? params_.mean_duration_s : 1.0 / params_.rate_per_s);
    changes_.push_back(last);
  }
}

std::size_t BlockageProcess::changes_until(double t) {
  generate_until(t);
  return static_cast<std::size_t>(std::upper_bound(changes_.begin(), changes_.end(), t) -
                                  changes_.begin());
}

bool BlockageProcess::blocked_at(double t) {
  if (!enabled()) return false;
  return initial_blocked_ != (changes_until(t) % 2 == 1);
}

bool BlockageProcess::blocked_during(double t0, double t1) {
  if (!enabled()) return false;
  return blocked_at(t0) || changes_until(t1) != changes_until(t0);
}

double BlockageProcess::blocked_time(double t0, double t1) {
  if (!enabled() || t1 <= t0) return 0.0;
  const std::size_t first = changes_until(t0);
  changes_until(t1);
  bool blocked = initial_blocked_ != (first % 2 == 1);
  double from = t0, total = 0.0;
  for (std::size_t i = first; i < changes_.size() && changes_[i] <= t1; ++i) {
    if (blocked) total += changes_[i] - from;
    from = changes_[i];
    blocked = !blocked;
  }
  if (blocked) total += t1 - from;
  return total;
}

int BlockageProcess::onsets_before(double t) {
  if (!enabled()) return 0;
  const std::size_t n = changes_until(t);
  // Changes alternate; onsets are the changes into the blocked state.
  return static_cast<int>(initial_blocked_ ? n / 2 : (n + 1) / 2);
}

bool BlockageProcess::state_at_sequential(double t) {
  if (!enabled()) return false;
  generate_until(t);
  while (cursor_ < changes_.size() && changes_[cursor_] <= t) ++cursor_;
  return initial_blocked_ != (cursor_ % 2 == 1);
}

}  // namespace hivemind::sim
