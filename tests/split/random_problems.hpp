// Random problems for the property tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

#include "hivemind/split/problem.hpp"

namespace hivemind::split::testing {

struct RandomSpec {
  int min_nodes = 2, max_nodes = 12;
  int min_layers = 1, max_layers = 200;
  // Dyadic values (multiples of 1/8, power-of-two bandwidths): every sum is exact in double,
  // so ties are real ties and every optimal method must return the very same plan.
  bool dyadic = false;
  bool equal_nodes = false;  // every node has the same compute costs (many ties)
  bool free_links = false;   // zero bytes and zero overhead on some cuts/links
};

inline Problem random_problem(std::mt19937_64& rng, const RandomSpec& spec) {
  auto uniform_int = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  auto value = [&](double hi) {
    if (spec.dyadic) return uniform_int(0, static_cast<int>(hi * 8)) / 8.0;
    return std::uniform_real_distribution<double>(0.0, hi)(rng);
  };
  Problem p;
  p.layers = uniform_int(spec.min_layers, spec.max_layers);
  const int P = uniform_int(spec.min_nodes, spec.max_nodes);
  p.input_bytes = value(8);
  for (int l = 0; l < p.layers; ++l) {
    // One cut in four is empty when free links are asked for (zero-size cuts).
    p.output_bytes.push_back(spec.free_links && uniform_int(0, 3) == 0 ? 0.0 : value(8));
  }
  std::vector<double> base(p.layers);
  for (auto& b : base) b = value(4);
  for (int n = 0; n < P; ++n) {
    Node node{"n" + std::to_string(n), {}};
    for (int l = 0; l < p.layers; ++l)
      node.compute_s.push_back(spec.equal_nodes ? base[l] : value(4));
    p.nodes.push_back(std::move(node));
  }
  for (int n = 0; n + 1 < P; ++n) {
    Link link;
    const bool free = spec.free_links && uniform_int(0, 2) == 0;
    auto direction = [&] {
      LinkDirection d;
      d.bandwidth_bytes_per_s = spec.dyadic ? std::ldexp(1.0, uniform_int(-2, 3))
                                            : std::uniform_real_distribution<double>(0.1, 10)(rng);
      d.overhead_s = free ? 0.0 : value(1);
      if (free) d.bandwidth_bytes_per_s = std::ldexp(1.0, 20);  // dyadic and all but free
      return d;
    };
    link.up = direction();
    link.down = direction();
    p.links.push_back(link);
  }
  p.deliver = static_cast<Deliver>(uniform_int(0, 2));
  return p;
}

// The property tests' suites of random problems (tests/split/property_test.cpp): a seed, a
// number of trials and the spec of trial t. Other tests replay the very same problems by
// drawing from a suite the same way (sci_codec_test.cpp).
struct PropertySuite {
  const char* name;
  std::uint64_t seed;
  int trials;
  RandomSpec (*spec)(int t);
  Problem draw(std::mt19937_64& rng, int t) const { return random_problem(rng, spec(t)); }
};

// Tiny chains (P <= 4, L <= 6), checked against an exhaustive enumeration.
inline constexpr PropertySuite kTinySuite{"tiny", 7, 300, [](int) {
                                            RandomSpec spec;
                                            spec.max_nodes = 4;
                                            spec.max_layers = 6;
                                            return spec;
                                          }};
// Small enough for brute force: P up to 12, fewer layers the more nodes.
inline constexpr PropertySuite kSmallSuite{
    "small", 2022, 3000, [](int t) {
      RandomSpec spec;
      spec.max_nodes = 2 + t % 11;
      spec.max_layers = (spec.max_nodes <= 3) ? 200 : (spec.max_nodes <= 5) ? 25 : 8;
      spec.free_links = t % 3 == 0;
      return spec;
    }};
// Exact arithmetic, equal nodes and free links: many exact ties.
inline constexpr PropertySuite kTiesSuite{"ties", 99, 3000, [](int t) {
                                            RandomSpec spec;
                                            spec.dyadic = true;
                                            spec.equal_nodes = t % 2 == 0;
                                            spec.free_links = t % 3 != 0;
                                            spec.max_nodes = 2 + t % 7;
                                            spec.max_layers = spec.max_nodes <= 3 ? 60 : 10;
                                            return spec;
                                          }};
// Large problems: P up to 12, L from 50 to 200.
inline constexpr PropertySuite kLargeSuite{"large", 515, 400, [](int t) {
                                             RandomSpec spec;
                                             spec.min_layers = 50;
                                             spec.max_layers = 200;
                                             spec.free_links = t % 4 == 0;
                                             return spec;
                                           }};
// Dyadic values, L up to 80: the per-node functions must agree value by value.
inline constexpr PropertySuite kDyadicSuite{"dyadic", 11, 2000, [](int t) {
                                              RandomSpec spec;
                                              spec.dyadic = true;
                                              spec.max_layers = 80;
                                              spec.equal_nodes = t % 2 == 0;
                                              return spec;
                                            }};
inline constexpr PropertySuite kPropertySuites[] = {kTinySuite, kSmallSuite, kTiesSuite,
                                                    kLargeSuite, kDyadicSuite};

}  // namespace hivemind::split::testing
