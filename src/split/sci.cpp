#include "hivemind/split/sci.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "sci_chain.hpp"

namespace hivemind::split {

using namespace detail;  // incoming_at, downstream_at, size_output, kInf

namespace {

// True when every value is a cost: >= 0 or +inf (NaN and negative fail the comparison).
// Branch-free, so the check costs a few cycles per value next to the solve itself.
inline bool all_costs(std::span<const double> values) {
  bool ok = true;
  for (const double v : values) ok &= v >= 0.0;
  return ok;
}

// Cold path: finds the first bad value and throws its one-line InputError.
[[noreturn]] void refuse_value(const char* who, const SciNodeInput& in) {
  auto scan = [&](std::span<const double> values, const char* field) {
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (values[k] >= 0.0) continue;
      throw InputError(std::string(who) + ": " + field + "[" + std::to_string(k) +
                       "] = " + exact_number(values[k]) + " is not a cost (must be >= 0 or +inf)");
    }
  };
  scan(in.compute, "compute");
  scan(in.incoming, "incoming");
  scan(in.downstream_zeta, "downstream_zeta");
  throw InputError(std::string(who) + ": finish = " + exact_number(in.finish) +
                   " is not a cost (must be >= 0 or +inf)");
}

}  // namespace

// Sizes first, O(1); sci_node checks the values inside its own loop (no extra pass), the other
// per-node functions with check_values.
void detail::check_sizes(const char* who, const SciNodeInput& in) {
  const std::size_t L = in.compute.size();
  if (!in.incoming.empty() && in.incoming.size() != L + 1)
    throw InputError(std::string(who) + ": incoming has " + std::to_string(in.incoming.size()) +
                     " values, expected L + 1 = " + std::to_string(L + 1) + " (one per cut, L = " +
                     std::to_string(L) + " compute costs) or none at the source");
  if (!in.downstream_zeta.empty() && in.downstream_zeta.size() != L + 2)
    throw InputError(std::string(who) + ": downstream_zeta has " +
                     std::to_string(in.downstream_zeta.size()) +
                     " values, expected L + 2 = " + std::to_string(L + 2) +
                     " (L = " + std::to_string(L) + " compute costs) or none at the sink");
}

void detail::check_values(const char* who, const SciNodeInput& in) {
  if (!(all_costs(in.compute) && all_costs(in.incoming) && all_costs(in.downstream_zeta) &&
        in.finish >= 0.0))
    refuse_value(who, in);
}

void sci_node(const SciNodeInput& in, SciNodeOutput& out) {
  check_sizes("sci_node", in);
  const int L = static_cast<int>(in.compute.size());
  size_output(L, out);
  // Every input value must be a cost (>= 0 or +inf; NaN fails too). Checked as the loops below
  // read them, branch-free; a bad value throws after the loops (cold path, `out` unspecified).
  bool ok = (in.finish >= 0.0) & (in.downstream_zeta.empty() || in.downstream_zeta[0] >= 0.0);

  // Split point set L+1: every layer is done upstream; node p can only relay.
  const double in_last = incoming_at(in, L + 1), down_last = downstream_at(in, L + 1, L);
  ok &= (in_last >= 0.0) & (down_last >= 0.0);
  out.zeta[L + 1] = in_last + down_last;
  out.stop[L + 1] = L;

  // T_j = sum of the finite tau_1..tau_j. A layer with tau = +inf (forbidden on this node, e.g.
  // pinned elsewhere) is a barrier: no block may contain it, so the suffix minimum restarts
  // there and T_j - T_{i-1} is only taken inside one barrier-free stretch, where it is exact.
  // We walk i downwards from T_L, so no buffer is needed.
  double total = 0.0;
  for (int l = 1; l <= L; ++l) {
    const double t = in.compute[l - 1];
    ok &= t >= 0.0;
    if (std::isfinite(t)) total += t;
  }

  double best = kInf;  // min over j in [i, barrier) of g_j = T_j + zeta'_{j+1} (+ finish at L)
  int best_j = L;
  double prefix_j = total;  // T_i while processing i (starts at T_L)
  for (int i = L; i >= 1; --i) {
    const double tau = in.compute[i - 1];
    const double prefix_before = std::isfinite(tau) ? prefix_j - tau : prefix_j;  // T_{i-1}
    if (!std::isfinite(tau)) {
      best = kInf;  // node p cannot run layer i: no block starting at or before i reaches past it
      best_j = i - 1;
    } else {
      double g = prefix_j + downstream_at(in, i + 1, L);
      if (i == L) g += in.finish;
      if (g < best) {  // strict: on ties keep the larger j (documented tie-break)
        best = g;
        best_j = i;
      }
    }
    const double in_i = incoming_at(in, i);
    const double down_i = downstream_at(in, i, L);
    ok &= (in_i >= 0.0) & (down_i >= 0.0);
    // Algorithm 1, lines 6-9, with min over j >= i as the suffix minimum:
    // theta^i_j = (T_j - T_{i-1}) + in_i + zeta'_{j+1}.
    const double run = best - prefix_before + in_i;
    const double relay = in_i + down_i;  // j = i-1: run nothing, relay
    if (run <= relay) {
      out.zeta[i] = run;
      out.stop[i] = best_j;
    } else {
      out.zeta[i] = relay;
      out.stop[i] = i - 1;
    }
    prefix_j = prefix_before;
  }
  if (!ok) refuse_value("sci_node", in);
  // Split point set 0: the dummy input layer costs nothing and its output is the input.
  out.zeta[0] = out.zeta[1];
  out.stop[0] = out.stop[1];
}

void algorithm1_node(const SciNodeInput& in, SciNodeOutput& out) {
  check_sizes("algorithm1_node", in);
  check_values("algorithm1_node", in);
  const int L = static_cast<int>(in.compute.size());
  size_output(L, out);
  int i = 1;
  while (i <= L + 1) {
    const double in_i = incoming_at(in, i);
    // Lines 5-7: theta^i_j for every vertex j of split point set i (j = i-1 relays).
    double best = in_i + downstream_at(in, i, L);
    int best_j = i - 1;
    double block = 0.0;  // sum_{l=i}^{j} tau_l
    for (int j = i; j <= L; ++j) {
      block += in.compute[j - 1];
      double theta = block + in_i + downstream_at(in, j + 1, L);
      if (j == L) theta += in.finish;
      if (theta <= best) {  // ties to the larger j, as in sci_node
        best = theta;
        best_j = j;
      }
    }
    out.zeta[i] = best;    // line 9
    out.stop[i] = best_j;  // line 8
    // Lines 10-15, the skip: for z = i+1..n_i, theta^z_j = theta^i_j - sum_{l=i}^{z-1} tau_l
    // - in_i + in_z, a constant shift over j, so n_z = n_i.
    if (best_j > i + 1 && std::isfinite(best)) {
      double skipped = 0.0;
      for (int z = i + 1; z <= best_j; ++z) {
        skipped += in.compute[z - 2];
        out.stop[z] = best_j;
        out.zeta[z] = best - skipped - in_i + incoming_at(in, z);
      }
      i = best_j + 1;
    } else {
      ++i;
    }
  }
  out.zeta[0] = out.zeta[1];
  out.stop[0] = out.stop[1];
}

void refuse_upstream_stop(const SciNodeOutput& node, int upstream_stop) {
  if (node.stop.size() < 2)
    throw InputError("sci_decide: upstream stop " + std::to_string(upstream_stop) +
                     " on a node without a split table (run sci_node first)");
  throw InputError("sci_decide: upstream stop " + std::to_string(upstream_stop) +
                   " is outside 0.." + std::to_string(node.stop.size() - 2) +
                   " (L = " + std::to_string(node.stop.size() - 2) + ")");
}

double SciChainSolver::solve(const ChainCosts& costs, std::vector<int>& boundaries) {
  const bool linear = variant_ == Variant::kLinear;
  return detail::run_chain(
      costs, nodes_,
      [linear](int, const SciNodeInput& in, SciNodeOutput& out) {
        linear ? sci_node(in, out) : algorithm1_node(in, out);
      },
      boundaries);
}

}  // namespace hivemind::split
