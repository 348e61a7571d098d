// Random problems for the property tests.
#pragma once

#include <cmath>
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

}  // namespace hivemind::split::testing
