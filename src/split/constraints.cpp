#include "hivemind/split/constraints.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "hivemind/error.hpp"
#include "sci_chain.hpp"

namespace hivemind::split {

using namespace detail;  // incoming_at, downstream_at, size_output, kInf, run_chain

namespace {

// Effective last stop for split point set i (1..L+1): the user window, closed before the first
// layer >= i with infinite compute, and made non-decreasing in i. `T` receives the prefix sums
// of compute (finite layers only; a block never contains an infinite one).
void prepare(const SciNodeInput& in, std::span<const int> max_stop, std::vector<int>& last,
             std::vector<double>& T) {
  const int L = static_cast<int>(in.compute.size());
  assert(max_stop.empty() || max_stop.size() == static_cast<std::size_t>(L) + 2);
  T.assign(static_cast<std::size_t>(L) + 1, 0.0);
  for (int l = 1; l <= L; ++l) {
    const double t = in.compute[l - 1];
    T[l] = T[l - 1] + (std::isfinite(t) ? t : 0.0);
  }
  last.assign(static_cast<std::size_t>(L) + 2, L);
  int next_barrier = L + 1;  // smallest l >= i with infinite compute
  for (int i = L + 1; i >= 1; --i) {
    if (i <= L && !std::isfinite(in.compute[i - 1])) next_barrier = i;
    int r = std::min(L, next_barrier - 1);
    if (!max_stop.empty()) r = std::min(r, max_stop[i]);
    if (i <= L) r = std::min(r, last[i + 1]);  // non-decreasing in i
    last[i] = std::max(r, i - 1);
  }
  last[0] = last[1];
}

}  // namespace

bool NodeConstraints::has_pins() const {
  return std::any_of(pinned_node.begin(), pinned_node.end(), [](int p) { return p >= 0; });
}

double block_memory_bytes(const NodeConstraints& c, int first, int last) {
  if (last < first) return 0.0;
  double params = 0.0, peak = 0.0;
  for (int l = first; l <= last; ++l) {
    if (!c.parameter_bytes.empty()) params += c.parameter_bytes[l - 1];
    if (!c.activation_bytes.empty()) peak = std::max(peak, c.activation_bytes[l - 1]);
  }
  return params + peak;
}

std::vector<std::vector<int>> memory_windows(const NodeConstraints& c, int L, int P) {
  std::vector<std::vector<int>> windows;
  if (!c.has_memory()) return windows;
  windows.assign(P, std::vector<int>(static_cast<std::size_t>(L) + 2, L));
  auto param = [&](int l) { return c.parameter_bytes.empty() ? 0.0 : c.parameter_bytes[l - 1]; };
  auto act = [&](int l) { return c.activation_bytes.empty() ? 0.0 : c.activation_bytes[l - 1]; };
  std::vector<int> peak(static_cast<std::size_t>(L) + 1);  // monotone deque of layers, by act
  for (int p = 0; p < P; ++p) {
    const double budget = c.memory_budget_bytes[p];
    auto& w = windows[p];
    if (std::isinf(budget)) {
      w[L + 1] = L;
      continue;
    }
    // Two pointers: block i..j is the longest that fits; j never decreases as i grows because
    // removing layer i can only lower both the parameter sum and the peak activation.
    int j = 0, head = 0, tail = 0;
    double params = 0.0;
    for (int i = 1; i <= L; ++i) {
      if (j < i - 1) j = i - 1;
      while (head < tail && peak[head] < i) ++head;  // layer i-1 left the block
      auto fits_with = [&](int l) {
        const double top = head < tail ? act(peak[head]) : 0.0;
        return params + param(l) + std::max(top, act(l)) <= budget;
      };
      while (j < L && fits_with(j + 1)) {
        ++j;
        params += param(j);
        while (head < tail && act(peak[tail - 1]) <= act(j)) --tail;
        peak[tail++] = j;
      }
      w[i] = j;
      if (j >= i)
        params -= param(i);  // layer i leaves before the next i
      else
        params = 0.0;
    }
    w[L + 1] = L;
    w[0] = w[1];
  }
  return windows;
}

void apply_pins(const NodeConstraints& c, ChainCosts& costs) {
  for (std::size_t l = 0; l < c.pinned_node.size(); ++l) {
    const int owner = c.pinned_node[l];
    if (owner < 0) continue;
    for (int p = 0; p < costs.node_count(); ++p)
      if (p != owner) costs.compute[p][l] = kInf;
  }
}

void validate(const NodeConstraints& c, int L, int P) {
  auto check_layers = [&](const std::vector<double>& v, const char* field) {
    if (v.empty()) return;
    if (v.size() != static_cast<std::size_t>(L))
      throw InputError(std::string(field) + ": expected " + std::to_string(L) + " entries, got " +
                       std::to_string(v.size()));
    for (std::size_t l = 0; l < v.size(); ++l)
      if (!std::isfinite(v[l]) || v[l] < 0)
        throw InputError(std::string(field) + "[" + std::to_string(l) + "]: " + exact_number(v[l]) +
                         " must be a finite number >= 0");
  };
  check_layers(c.parameter_bytes, "parameter_bytes");
  check_layers(c.activation_bytes, "constraints.activation_bytes");
  if (!c.memory_budget_bytes.empty()) {
    if (c.memory_budget_bytes.size() != static_cast<std::size_t>(P))
      throw InputError("constraints.memory_bytes: expected " + std::to_string(P) +
                       " entries (one per node), got " +
                       std::to_string(c.memory_budget_bytes.size()));
    for (std::size_t p = 0; p < c.memory_budget_bytes.size(); ++p)
      if (std::isnan(c.memory_budget_bytes[p]) || c.memory_budget_bytes[p] < 0)
        throw InputError("constraints.memory_bytes[" + std::to_string(p) +
                         "]: " + exact_number(c.memory_budget_bytes[p]) + " must be >= 0");
  }
  if (!c.pinned_node.empty()) {
    if (c.pinned_node.size() != static_cast<std::size_t>(L))
      throw InputError("constraints.pinned: expected " + std::to_string(L) + " entries, got " +
                       std::to_string(c.pinned_node.size()));
    for (std::size_t l = 0; l < c.pinned_node.size(); ++l)
      if (c.pinned_node[l] < -1 || c.pinned_node[l] >= P)
        throw InputError("constraints.pinned: layer " + std::to_string(l + 1) + " pinned to node " +
                         std::to_string(c.pinned_node[l]) + ", not in 0.." + std::to_string(P - 1));
  }
}

// The windowed and bottleneck nodes check their inputs as sci_node does, in every build type,
// plus the window's size.
static void check_window_node(const char* who, const SciNodeInput& in,
                              std::span<const int> max_stop) {
  check_sizes(who, in);
  check_values(who, in);
  const std::size_t L = in.compute.size();
  if (!max_stop.empty() && max_stop.size() != L + 2)
    throw InputError(std::string(who) + ": max_stop has " + std::to_string(max_stop.size()) +
                     " values, expected L + 2 = " + std::to_string(L + 2) + " or none");
}

void sci_node_window(const SciNodeInput& in, std::span<const int> max_stop, SciNodeOutput& out) {
  check_window_node("sci_node_window", in, max_stop);
  const int L = static_cast<int>(in.compute.size());
  size_output(L, out);
  thread_local std::vector<int> last, dq;
  thread_local std::vector<double> T, g;
  prepare(in, max_stop, last, T);
  g.assign(static_cast<std::size_t>(L) + 1, kInf);
  dq.assign(static_cast<std::size_t>(L) + 1, 0);

  out.zeta[L + 1] = incoming_at(in, L + 1) + downstream_at(in, L + 1, L);
  out.stop[L + 1] = L;
  // Deque of candidate stops j, indices increasing from front to back, g_j non-increasing: the
  // back is the minimum, and among equal minima the largest j (the documented tie-break).
  // Stops leave at the back when they fall out of the window (larger j first, as i falls).
  int front = L + 1, back = L;  // dq[front..back], empty when front > back
  for (int i = L; i >= 1; --i) {
    if (std::isfinite(in.compute[i - 1])) {
      g[i] = T[i] + downstream_at(in, i + 1, L) + (i == L ? in.finish : 0.0);
      while (front <= back && g[dq[front]] > g[i]) ++front;  // dominated: i outlives them
      dq[--front] = i;
    }
    while (front <= back && dq[back] > last[i]) --back;
    const double in_i = incoming_at(in, i);
    const double relay = in_i + downstream_at(in, i, L);
    if (front <= back) {
      const int j = dq[back];
      // Algorithm 1, lines 6-9: theta^i_j = (T_j - T_{i-1}) + in_i + zeta'_{j+1}.
      const double run = g[j] - T[i - 1] + in_i;
      if (run <= relay) {
        out.zeta[i] = run;
        out.stop[i] = j;
        continue;
      }
    }
    out.zeta[i] = relay;
    out.stop[i] = i - 1;
  }
  out.zeta[0] = out.zeta[1];
  out.stop[0] = out.stop[1];
}

void sci_node_bottleneck(const SciNodeInput& in, std::span<const int> max_stop,
                         SciNodeOutput& out) {
  check_window_node("sci_node_bottleneck", in, max_stop);
  const int L = static_cast<int>(in.compute.size());
  size_output(L, out);
  thread_local std::vector<int> last, st;
  thread_local std::vector<double> T, z;
  prepare(in, max_stop, last, T);
  z.assign(static_cast<std::size_t>(L) + 1, kInf);
  st.assign(static_cast<std::size_t>(L) + 1, 0);

  out.zeta[L + 1] = std::max(incoming_at(in, L + 1), downstream_at(in, L + 1, L));
  out.stop[L + 1] = L;
  // st[head..tail-1]: candidate stops, pushed at the tail as i falls, so j decreases and T_j
  // does not increase along the stack. Pushing i removes tail entries with z >= z_i (i has a
  // smaller block and no larger rest, and stays in the window longer), so z strictly increases
  // along the stack and T_j - T_{i-1} - z_j strictly decreases: "the block is the larger term"
  // holds on a prefix st[head..k]. The best stop is st[k] (value T - T_{i-1}) or st[k+1]
  // (value z). As i falls, T_{i-1} falls, so the prefix only grows: k moves forward only,
  // except when entries it covered are removed.
  int head = 0, tail = 0, k = -1;
  for (int i = L; i >= 1; --i) {
    if (std::isfinite(in.compute[i - 1])) {
      z[i] = std::max(downstream_at(in, i + 1, L), i == L ? in.finish : 0.0);
      while (tail > head && z[st[tail - 1]] >= z[i]) --tail;
      if (k >= tail) k = tail - 1;  // before the push: the new entry is not yet known "true"
      st[tail++] = i;
    }
    while (tail > head && st[head] > last[i]) ++head;
    if (k < head - 1) k = head - 1;
    const double c = T[i - 1];
    while (k + 1 < tail && T[st[k + 1]] - c >= z[st[k + 1]]) ++k;
    const double in_i = incoming_at(in, i);
    double run = kInf;
    int best_j = i - 1;
    if (k >= head) {
      run = T[st[k]] - c;
      best_j = st[k];
    }
    if (k + 1 < tail && z[st[k + 1]] < run) {
      run = z[st[k + 1]];
      best_j = st[k + 1];
    }
    const double relay = downstream_at(in, i, L);
    if (best_j >= i && run <= relay) {
      out.zeta[i] = std::max(in_i, run);
      out.stop[i] = best_j;
    } else {
      out.zeta[i] = std::max(in_i, relay);
      out.stop[i] = i - 1;
    }
  }
  out.zeta[0] = out.zeta[1];
  out.stop[0] = out.stop[1];
}

double solve_chain(const ChainCosts& costs, const std::vector<std::vector<int>>& windows,
                   Combine combine, Boundaries& boundaries, std::vector<SciNodeOutput>* nodes_out) {
  thread_local std::vector<SciNodeOutput> local;
  return run_chain(
      costs, nodes_out ? *nodes_out : local,
      [&](int p, const SciNodeInput& in, SciNodeOutput& out) {
        std::span<const int> window;
        if (!windows.empty()) window = windows[p];
        if (combine == Combine::kSum)
          sci_node_window(in, window, out);
        else
          sci_node_bottleneck(in, window, out);
      },
      boundaries);
}

double evaluate_bottleneck(const ChainCosts& costs, const Boundaries& b) {
  const PlanCost pc = evaluate(costs, b);
  double worst = pc.finish;
  for (double c : pc.node_compute) worst = std::max(worst, c);
  for (double c : pc.link_transfer) worst = std::max(worst, c);
  return worst;
}

bool plan_fits_windows(const std::vector<std::vector<int>>& windows, const Boundaries& b) {
  if (windows.empty()) return true;
  int prev = 0;
  for (std::size_t p = 0; p < b.size(); ++p) {
    if (b[p] > prev && b[p] > windows[p][prev + 1]) return false;
    prev = b[p];
  }
  return true;
}

}  // namespace hivemind::split
