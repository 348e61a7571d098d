// Internal to split: what every per-node SCI variant shares (sci.cpp: sci_node, algorithm1_node;
// constraints.cpp: the windowed and bottleneck nodes), and the one chain driver that runs a
// per-node function from sink to source and then takes the decisions downstream.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/sci.hpp"

namespace hivemind::split::detail {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

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

inline void size_output(int L, SciNodeOutput& out) {
  out.zeta.resize(static_cast<std::size_t>(L) + 2);
  out.stop.resize(static_cast<std::size_t>(L) + 2);
}

// The per-node functions' input checks, kept in Release builds (a node's downstream message and
// link costs may come from another machine): sizes, then every value a cost (>= 0 or +inf).
// Throws InputError naming `who`, the field, the index and the value.
void check_sizes(const char* who, const SciNodeInput& in);
void check_values(const char* who, const SciNodeInput& in);

// The chain driver (Algorithm 1 run on every node, Sec. IV-C3 for the decisions): node_fn(p, in,
// out) fills node p's message and split table from node p's own rows and its downstream
// neighbour's message, sink to source; then, source to sink, each node runs to its stop for the
// upstream stop x. Returns the cost (+inf, `boundaries` empty, when no plan is finite).
template <class NodeFn>
double run_chain(const ChainCosts& costs, std::vector<SciNodeOutput>& nodes, NodeFn&& node_fn,
                 std::vector<int>& boundaries) {
  const int P = costs.node_count();
  nodes.resize(static_cast<std::size_t>(P));
  for (int p = P - 1; p >= 0; --p) {
    SciNodeInput in;
    in.compute = costs.compute[p];
    if (p > 0) in.incoming = costs.transfer[p - 1];
    in.finish = costs.finish[p];
    if (p + 1 < P) in.downstream_zeta = nodes[p + 1].zeta;
    node_fn(p, in, nodes[p]);
  }
  const double cost = nodes[0].zeta[1];
  boundaries.clear();
  if (!std::isfinite(cost)) return kInf;
  int x = 0;
  for (int p = 0; p < P; ++p) {
    x = sci_decide(nodes[p], x);
    boundaries.push_back(x);
  }
  return cost;
}

}  // namespace hivemind::split::detail
