// mmWave blockage of a wireless link: a two-state (clear / blocked) continuous-time Markov
// process. Blockage events arrive at `rate_per_s` while the link is clear (exponential clear
// intervals: Gapeyenko et al., IEEE TVT 2017, show that mobile human blockers give an
// alternating renewal process with exponential non-blocked intervals); a blockage lasts an
// exponential time of mean `mean_duration_s` (the two-state Markov model fitted to 73 GHz
// pedestrian-crowd measurements by MacCartney, Rappaport, Rangan, GLOBECOM 2017, mean fade
// durations 260-299 ms). While blocked the link's SNR drops by `attenuation_db` (3GPP TR 38.901
// Sec. 7.6.4: an additional blocking loss on the LOS path; 30 dB in the self-blocking region of
// blockage model A). Values used by the shipped scenarios and their sources:
// data/scenarios/PROVENANCE.md.
//
// Long run, the link is blocked a fraction  rate * mean / (1 + rate * mean)  of the time
// (mean blocked time over mean cycle time 1/rate + mean).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hivemind/sim/random.hpp"

namespace hivemind::sim {

struct BlockageParams {
  double rate_per_s = 0.0;       // blockage events per second of clear link; 0 = never blocked
  double mean_duration_s = 0.0;  // mean blocked duration (s), > 0 when rate_per_s > 0
  double attenuation_db = 0.0;   // SNR loss while blocked (dB, >= 0)
  // SNR (dB) of the clear link, for links whose rate is not computed from a radio model (a
  // scenario `links[]` entry): the blocked rate is then capacity * blocked_rate_factor().
  // Unused (NaN) for access links, whose SNR comes from distance and fading.
  double clear_snr_db = 0.0;
  bool enabled() const { return rate_per_s > 0.0; }
};

// rate * mean / (1 + rate * mean): the long-run fraction of time the link is blocked.
double stationary_blocked_fraction(const BlockageParams& p);

// Rate of a blocked link relative to the clear one when the clear link runs at `clear_snr_db`:
// SE(CQI(clear - attenuation)) / SE(CQI(clear)) (TS 38.214 CQI table `cqi_table`); 0 if the
// blocked SNR is below CQI 1 (outage). Requires SE(CQI(clear_snr_db)) > 0.
double blocked_rate_factor(double clear_snr_db, double attenuation_db, int cqi_table = 1);

// One realisation of the process, from its own random stream, generated lazily: its state at
// any time depends only on (params, seed), not on the order of the queries. It starts in the
// stationary distribution (blocked at t = 0 with probability stationary_blocked_fraction()).
class BlockageProcess {
 public:
  BlockageProcess() = default;  // never blocked
  BlockageProcess(const BlockageParams& params, std::uint64_t seed);

  bool enabled() const { return params_.enabled(); }
  // Whether the link is blocked at time t (s, >= 0).
  bool blocked_at(double t);
  // Whether it is blocked at some moment of [t0, t1].
  bool blocked_during(double t0, double t1);
  // Time (s) spent blocked in [t0, t1].
  double blocked_time(double t0, double t1);
  // Number of blockage events that start in (0, t].
  int onsets_before(double t);

  // Sequential cursor for the TTI loop: the state at time t, t non-decreasing between calls
  // (O(1) amortised; independent of blocked_at(), which may be called in any order).
  bool state_at_sequential(double t);

  // The queries generate the process up to the time they ask about (finite times only: a
  // non-finite t generates nothing more), so its memory grows with the latest time asked;
  // Network clamps every time to its horizon and meters this.
  std::size_t generated() const { return changes_.size(); }
  double memory_bytes() const { return static_cast<double>(changes_.capacity()) * sizeof(double); }

 private:
  void generate_until(double t);
  // Number of state changes at times <= t (the state is initial_blocked_ XOR the parity).
  std::size_t changes_until(double t);

  BlockageParams params_;
  Rng rng_{1};
  bool initial_blocked_ = false;
  std::vector<double> changes_;  // increasing times (s) of state changes, generated so far
  std::size_t cursor_ = 0;       // of state_at_sequential()
};

}  // namespace hivemind::sim
