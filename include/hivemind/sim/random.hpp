// Portable, seedable random numbers for the simulator. We do not use <random>'s distributions:
// their output is implementation-defined, and "same seed -> byte-identical CSV" must hold on
// every standard library.
#pragma once

#include <cmath>
#include <cstdint>

namespace hivemind::sim {

// splitmix64: turns any 64-bit value into a well-mixed seed (used to derive independent streams
// from (seed, purpose, index) so that lazily generated traces do not depend on call order).
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

inline std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index) {
  return splitmix64(splitmix64(splitmix64(seed) ^ purpose) ^ index);
}

// xoshiro256** (Blackman & Vigna): fast, 256-bit state.
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 1) {
    std::uint64_t x = seed;
    for (auto& s : s_) s = x = splitmix64(x);
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Standard normal by the Box-Muller transform (one draw per call, no cached pair, so the
  // stream position is a plain function of the number of calls).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log(1.0 - uniform()); }
  // Log-normal with median `median` and log-space standard deviation `sigma`.
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace hivemind::sim
