// Independent oracles for the extension tests: every plan is enumerated and costed term by term
// straight from the problem and the extension specs (never through ChainCosts or compile), so
// that the compilers and the per-node algorithms are both checked.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "hivemind/split/extensions.hpp"

namespace hivemind::split::testing_ext {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

// Every plan b_0 <= ... <= b_{P-1} = L.
inline void for_each_plan(int L, int P, const std::function<void(const Boundaries&)>& fn) {
  Boundaries b(P, 0);
  std::function<void(int, int)> rec = [&](int p, int lo) {
    if (p == P - 1) {
      b[p] = L;
      fn(b);
      return;
    }
    for (int v = lo; v <= L; ++v) {
      b[p] = v;
      rec(p + 1, v);
    }
  };
  rec(0, 0);
}

inline int first_layer(const Boundaries& b, int p) { return p == 0 ? 1 : b[p - 1] + 1; }
inline int finishing_node(const Boundaries& b, int L) {
  for (std::size_t p = 0; p < b.size(); ++p)
    if (b[p] == L) return static_cast<int>(p);
  return -1;
}
inline int owner(const Boundaries& b, int l) {
  for (std::size_t p = 0; p < b.size(); ++p)
    if (l <= b[p]) return static_cast<int>(p);
  return -1;
}

// Per-stage costs of a plan under one metric given as raw functions: compute(p, l),
// link(p, bytes) up, link_down(p, bytes); bytes(x) of cut x; deliver mode.
struct Stages {
  std::vector<double> node;  // compute block per node
  std::vector<double> link;  // per link
  double finish = 0.0;       // omega (the return to the source is in the links' stages)
  double sum() const {
    double s = finish;
    for (double x : node) s += x;
    for (double x : link) s += x;
    return s;
  }
  double max() const {
    double m = finish;
    for (double x : node) m = std::max(m, x);
    for (double x : link) m = std::max(m, x);
    return m;
  }
};

template <class Compute, class Up, class Down, class Bytes>
Stages stages(int L, int P, Deliver deliver, const Boundaries& b, Compute compute, Up up, Down down,
              Bytes bytes) {
  Stages s;
  s.node.assign(P, 0.0);
  s.link.assign(P - 1, 0.0);
  for (int p = 0; p < P; ++p)
    for (int l = first_layer(b, p); l <= b[p]; ++l) s.node[p] += compute(p, l);
  for (int p = 0; p + 1 < P; ++p) {
    const int x = b[p];
    s.link[p] = (x == L && deliver != Deliver::kSink) ? 0.0 : up(p, bytes(x));
    // Deliver::kSource: the result comes back to the UE over the down direction of every link
    // between the UE and the finishing node, i.e. every link that carried a cut before L; it
    // belongs to that link's stage (the local cost model of cost_model.hpp).
    if (deliver == Deliver::kSource && x < L) s.link[p] += down(p, bytes(L));
  }
  return s;
}

// The base problem's own cost model (Eq. 1, 7, 10 with the deliver mode).
inline Stages inference_stages(const Problem& pr, const Boundaries& b) {
  return stages(
      pr.layers, pr.node_count(), pr.deliver, b,
      [&](int p, int l) { return pr.nodes[p].compute_s[l - 1]; },
      [&](int p, double x) {
        return x / pr.links[p].up.bandwidth_bytes_per_s + pr.links[p].up.overhead_s;
      },
      [&](int p, double x) {
        return x / pr.links[p].down.bandwidth_bytes_per_s + pr.links[p].down.overhead_s;
      },
      [&](int x) { return x == 0 ? pr.input_bytes : pr.output_bytes[x - 1]; });
}

// Constraints, checked literally.
inline bool plan_allowed(const NodeConstraints& c, const Boundaries& b) {
  const int P = static_cast<int>(b.size());
  for (int p = 0; p < P; ++p) {
    const int first = first_layer(b, p);
    double params = 0.0, peak = 0.0;
    for (int l = first; l <= b[p]; ++l) {
      if (!c.pinned_node.empty() && c.pinned_node[l - 1] >= 0 && c.pinned_node[l - 1] != p)
        return false;
      if (!c.parameter_bytes.empty()) params += c.parameter_bytes[l - 1];
      if (!c.activation_bytes.empty()) peak = std::max(peak, c.activation_bytes[l - 1]);
    }
    if (c.has_memory() && b[p] >= first && params + peak > c.memory_budget_bytes[p]) return false;
  }
  return true;
}

// Split training (Eq. 8-9) + migration + omega, term by term.
inline double training_cost(const ExtendedProblem& ext, const Boundaries& b) {
  const Problem& pr = ext.problem;
  const int L = pr.layers;
  const int P = pr.node_count();
  Stages s = inference_stages(pr, b);
  double total = s.sum();
  const TrainingSpec* t = ext.training ? &*ext.training : nullptr;
  if (t) {
    for (int p = 0; p < P; ++p)
      for (int l = first_layer(b, p); l <= b[p]; ++l) total += t->backward_compute_s[p][l - 1];
    for (int p = 0; p + 1 < P; ++p) {
      const int x = b[p];
      if (x >= 1 && x <= L - 1) {
        const double g =
            t->gradient_bytes.empty() ? pr.output_bytes[x - 1] : t->gradient_bytes[x - 1];
        total += g / pr.links[p].down.bandwidth_bytes_per_s + pr.links[p].down.overhead_s;
      }
    }
    if (!t->current_plan.empty())
      for (int l = 1; l <= L; ++l) {
        int from = owner(t->current_plan, l), to = owner(b, l);
        const double bytes = t->parameter_bytes[l - 1];
        // Hop by hop along the chain.
        while (from < to) {
          total += t->migration_weight *
                   (bytes / pr.links[from].up.bandwidth_bytes_per_s + pr.links[from].up.overhead_s);
          ++from;
        }
        while (from > to) {
          total += t->migration_weight * (bytes / pr.links[from - 1].down.bandwidth_bytes_per_s +
                                          pr.links[from - 1].down.overhead_s);
          --from;
        }
      }
  }
  if (ext.omega) total += (*ext.omega)[finishing_node(b, L)];
  return total;
}

// One metric of a multi-objective problem, per stage.
inline Stages metric_stages(const Problem& pr, const Metric& m, const Boundaries& b) {
  if (m.from_problem) return inference_stages(pr, b);
  return stages(
      pr.layers, pr.node_count(), pr.deliver, b, [&](int p, int l) { return m.compute[p][l - 1]; },
      [&](int p, double x) { return m.links[p].per_byte * x + m.links[p].fixed; },
      [&](int p, double x) {
        const auto& k = m.links[p];
        return (k.down_per_byte >= 0 ? k.down_per_byte : k.per_byte) * x +
               (k.down_fixed >= 0 ? k.down_fixed : k.fixed);
      },
      [&](int x) { return x == 0 ? pr.input_bytes : pr.output_bytes[x - 1]; });
}

// Eq. 12 edge by edge: node p's edge is its incoming transfer (with the result's return over
// that link, deliver source), its block and (finishing node) its finish cost.
inline std::vector<double> edges(const Problem& pr, const Metric& m, const Boundaries& b) {
  const Stages s = metric_stages(pr, m, b);
  std::vector<double> e(b.size(), 0.0);
  const int fin = finishing_node(b, pr.layers);
  for (std::size_t p = 0; p < b.size(); ++p) {
    e[p] = s.node[p] + (p > 0 ? s.link[p - 1] : 0.0);
    if (static_cast<int>(p) == fin) e[p] += s.finish;
  }
  return e;
}

// Dyadic random helpers: multiples of 1/8 (exact sums in double).
struct Rng {
  std::mt19937_64 gen;
  explicit Rng(std::uint64_t seed) : gen(seed) {}
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); }
  double dyadic(double hi) { return uniform(0, static_cast<int>(hi * 8)) / 8.0; }
  double bandwidth() { return std::ldexp(1.0, uniform(-2, 3)); }
};

inline Problem random_base(Rng& r, int max_layers, int max_nodes) {
  Problem p;
  p.layers = r.uniform(1, max_layers);
  const int P = r.uniform(2, max_nodes);
  p.input_bytes = r.dyadic(8);
  for (int l = 0; l < p.layers; ++l)
    p.output_bytes.push_back(r.uniform(0, 3) == 0 ? 0.0 : r.dyadic(8));
  for (int n = 0; n < P; ++n) {
    Node node{"n" + std::to_string(n), {}};
    for (int l = 0; l < p.layers; ++l) node.compute_s.push_back(r.dyadic(4));
    p.nodes.push_back(node);
  }
  for (int n = 0; n + 1 < P; ++n) {
    Link link;
    link.up = {r.bandwidth(), r.dyadic(1)};
    link.down = {r.bandwidth(), r.dyadic(1)};
    p.links.push_back(link);
  }
  p.deliver = static_cast<Deliver>(r.uniform(0, 2));
  return p;
}

// Random memory budgets (some unlimited, some tight) and pins.
inline NodeConstraints random_constraints(Rng& r, const Problem& p, bool memory, bool pins) {
  NodeConstraints c;
  const int L = p.layers, P = p.node_count();
  if (memory) {
    for (int l = 0; l < L; ++l) c.parameter_bytes.push_back(r.dyadic(4));
    for (int l = 0; l < L; ++l) c.activation_bytes.push_back(r.dyadic(4));
    for (int n = 0; n < P; ++n)
      c.memory_budget_bytes.push_back(r.uniform(0, 3) == 0 ? kInf : r.dyadic(10));
  }
  if (pins) {
    c.pinned_node.assign(L, -1);
    const int count = r.uniform(0, 2);
    for (int k = 0; k < count; ++k) c.pinned_node[r.uniform(0, L - 1)] = r.uniform(0, P - 1);
  }
  return c;
}

}  // namespace hivemind::split::testing_ext
