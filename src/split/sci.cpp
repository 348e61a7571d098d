#include "hivemind/split/sci.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/split/chain_costs.hpp"

namespace hivemind::split {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// in_i of Algorithm 1: the cost of the data that lets node p start at layer i arriving, i.e.
// the transfer of cut i-1 (the dummy layer 0's "output" is the model input, cut 0).
inline double incoming_at(const SciNodeInput& in, int i) {
  if (in.incoming.empty()) return 0.0;  // the source holds the input
  return in.incoming[static_cast<std::size_t>(i == 0 ? 0 : i - 1)];
}

// zeta^{p+1}_k; for the sink there is no downstream node: only "everything done" is free.
inline double downstream_at(const SciNodeInput& in, int k, int L) {
  if (in.downstream_zeta.empty()) return k == L + 1 ? 0.0 : kInf;
  return in.downstream_zeta[static_cast<std::size_t>(k)];
}

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

// The per-node functions' input checks, kept in Release builds: a node's downstream message
// and link costs may come from another machine (Sec. IV-C: each node computes from what it
// receives). Sizes first, O(1); sci_node checks the values inside its own loop (no extra pass),
// algorithm1_node with check_values.
void check_sizes(const char* who, const SciNodeInput& in) {
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

void check_values(const char* who, const SciNodeInput& in) {
  if (!(all_costs(in.compute) && all_costs(in.incoming) && all_costs(in.downstream_zeta) &&
        in.finish >= 0.0))
    refuse_value(who, in);
}

void size_output(int L, SciNodeOutput& out) {
  out.zeta.resize(static_cast<std::size_t>(L) + 2);
  out.stop.resize(static_cast<std::size_t>(L) + 2);
}

}  // namespace

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
  if (node.stop.empty())
    throw InputError("sci_decide: upstream stop " + std::to_string(upstream_stop) +
                     " on a node without a split table (run sci_node first)");
  throw InputError("sci_decide: upstream stop " + std::to_string(upstream_stop) +
                   " is outside 0.." + std::to_string(node.stop.size() - 2) +
                   " (L = " + std::to_string(node.stop.size() - 2) + ")");
}

double SciChainSolver::solve(const ChainCosts& costs, std::vector<int>& boundaries) {
  const int P = costs.node_count();
  nodes_.resize(static_cast<std::size_t>(P));
  // Sink to source: each node needs only its own tables and its downstream neighbour's zeta.
  for (int p = P - 1; p >= 0; --p) {
    SciNodeInput in;
    in.compute = costs.compute[p];
    if (p > 0) in.incoming = costs.transfer[p - 1];
    in.finish = costs.finish[p];
    if (p + 1 < P) in.downstream_zeta = nodes_[p + 1].zeta;
    if (variant_ == Variant::kLinear)
      sci_node(in, nodes_[p]);
    else
      algorithm1_node(in, nodes_[p]);
  }
  const double cost = nodes_[0].zeta[1];
  boundaries.clear();
  if (!std::isfinite(cost)) return kInf;
  // Source to sink: Sec. IV-C3, node p runs to n^p_{x+1} given the upstream stop x.
  int x = 0;
  for (int p = 0; p < P; ++p) {
    x = sci_decide(nodes_[p], x);
    boundaries.push_back(x);
  }
  return cost;
}

}  // namespace hivemind::split
