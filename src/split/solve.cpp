#include "hivemind/split/solve.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/split/sci.hpp"

namespace hivemind::split {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

// Brute and dijkstra name their size and the method to use instead.
std::string work_subject(Method method, int L, int P) {
  const std::string size = "L = " + std::to_string(L) + ", P = " + std::to_string(P);
  switch (method) {
    case Method::kBrute:
      return "method brute: " + std::to_string(plan_count(L, P)) + " plans for " + size +
             " (use sci or dijkstra)";
    case Method::kDijkstra:
      return "method dijkstra: the graph for " + size + " has " +
             std::to_string(dijkstra_graph_size(L, P).edges) + " edges (use sci)";
    default:
      return "method " + std::string(to_string(method)) + " (" + size + ")";
  }
}

std::uint64_t plan_count(int layers, int nodes) {
  // C(L + P - 1, P - 1): non-decreasing b_0..b_{P-2} in [0, L].
  const std::uint64_t n = static_cast<std::uint64_t>(layers) + nodes - 1;
  std::uint64_t k = static_cast<std::uint64_t>(nodes - 1);
  if (k > n - k) k = n - k;
  unsigned __int128 c = 1;
  for (std::uint64_t i = 1; i <= k; ++i) {
    c = c * (n - k + i) / i;  // exact: c * (n-k+i) is divisible by i at every step
    if (c > std::numeric_limits<std::uint64_t>::max())
      return std::numeric_limits<std::uint64_t>::max();
  }
  return static_cast<std::uint64_t>(c);
}

// ---------------------------------------------------------------------------------------------
// Brute force: every plan, summed term by term. Plans are visited in decreasing lexicographic
// order and only a strictly cheaper plan replaces the incumbent, so ties go to the
// lexicographically largest boundaries (the documented tie-break).
Boundaries solve_brute(const ChainCosts& costs, const Budget& budget) {
  const int L = costs.layers;
  const int P = costs.node_count();
  check_work(budget, estimate_work(L, P, Method::kBrute), work_subject(Method::kBrute, L, P));
  Boundaries current(P), best;
  double best_cost = kInf;
  // Node p starts at layer `first`; `acc` is the cost of nodes 0..p-1 and links 0..p-1.
  std::function<void(int, int, double, bool)> visit = [&](int p, int first, double acc,
                                                          bool finished) {
    const int lo = (p == P - 1) ? L : first - 1;
    for (int b = L; b >= lo; --b) {
      double cost = acc;
      for (int l = first; l <= b; ++l) cost += costs.compute[p][l - 1];
      const bool finishes_here = !finished && b == L;
      if (finishes_here) cost += costs.finish[p];
      current[p] = b;
      if (p == P - 1) {
        if (cost < best_cost) {
          best_cost = cost;
          best = current;
        }
      } else {
        visit(p + 1, b + 1, cost + costs.transfer[p][b], finished || finishes_here);
      }
    }
  };
  visit(0, 1, 0.0, false);
  if (!std::isfinite(best_cost)) best.clear();
  return best;
}

// ---------------------------------------------------------------------------------------------
// Dijkstra on the explicit graph of Eq. 5-7. Vertex v^p_{m,n}: node p runs layers m..n
// (n = m-1: it runs nothing and relays, the paper's relay vertex for a skipped node). The
// source has only m = 1. Edge v^p_{m,n} -> v^{p+1}_{n+1,y} costs epsilon^p_n plus the compute of
// layers n+1..y on node p+1 (Eq. 7), plus node p+1's finish cost if it runs layer L. A virtual
// start joins v^0_{1,n} and every v^{P-1}_{m,L} joins a virtual end.
namespace {

struct Graph {
  int L = 0, P = 0;
  std::int64_t per_node = 0;           // vertices of a non-source node: (L+1)(L+2)/2
  std::vector<std::int64_t> m_offset;  // index of (m, m-1) within a node, m = 1..L+1

  std::int64_t start() const { return 0; }
  std::int64_t end() const { return 1; }
  std::int64_t base(int p) const { return p == 0 ? 2 : 2 + (L + 1) + (p - 1) * per_node; }
  std::int64_t vertex(int p, int m, int n) const {
    return base(p) + (p == 0 ? n : m_offset[m] + (n - (m - 1)));
  }
  std::int64_t vertex_count() const { return 2 + (L + 1) + (P - 1) * per_node; }
};

Graph make_graph(int L, int P) {
  Graph g;
  g.L = L;
  g.P = P;
  g.per_node = static_cast<std::int64_t>(L + 1) * (L + 2) / 2;
  g.m_offset.assign(L + 2, 0);
  for (int m = 2; m <= L + 1; ++m) g.m_offset[m] = g.m_offset[m - 1] + (L - (m - 1) + 2);
  return g;
}

// Costs of the edges from any vertex of node p-1 that stopped at n into node p, for y = n..L
// (index y - n). p = 0 with n = 0 gives the edges out of the virtual start (no transfer).
void edge_costs(const ChainCosts& costs, int p, int n, double transfer, std::vector<double>& out) {
  const int L = costs.layers;
  out.assign(L - n + 1, 0.0);
  double block = 0.0;
  out[0] = transfer;  // y = n: relay
  for (int y = n + 1; y <= L; ++y) {
    block += costs.compute[p][y - 1];
    out[y - n] = transfer + block + (y == L ? costs.finish[p] : 0.0);
  }
}

}  // namespace

namespace {
// |V| and |E| of the Eq. 5-7 graph as real numbers (no overflow for any L, P). Vertices: start,
// end, node 0's L+1 (m = 1), (L+1)(L+2)/2 per other node. Edges: start -> source (L+1); from
// node 0 stopping at n, L-n+1 edges each, (L+1)(L+2)/2 in all; from a middle node, its n+1
// vertices that stop at n have L-n+1 edges each: sum over n of (n+1)(L-n+1) =
// (L+1)(L+2)(L+3)/6; into the virtual end, v^{P-1}_{m,L}: L+1 (P >= 2).
void graph_size(int layers, int nodes, double& vertices, double& edges) {
  const double L = layers, P = nodes;
  vertices = 2 + (L + 1) + (P - 1) * (L + 1) * (L + 2) / 2;
  edges = 2 * (L + 1) + (L + 1) * (L + 2) / 2 + (P - 2) * (L + 1) * (L + 2) * (L + 3) / 6;
}
}  // namespace

GraphStats dijkstra_graph_size(int L, int P) {
  double v = 0, e = 0;
  graph_size(L, P, v, e);
  constexpr double kMax = 9.2e18;  // saturate below INT64_MAX: such a graph is refused anyway
  return {static_cast<std::int64_t>(std::min(v, kMax)),
          static_cast<std::int64_t>(std::min(e, kMax))};
}

Boundaries solve_dijkstra(const ChainCosts& costs, GraphStats* stats, const Budget& budget) {
  const int L = costs.layers;
  const int P = costs.node_count();
  check_work(budget, estimate_work(L, P, Method::kDijkstra), work_subject(Method::kDijkstra, L, P));
  const Graph g = make_graph(L, P);
  const std::int64_t V = g.vertex_count();

  // The explicit graph, stored reversed (incoming edges, CSR), so that one Dijkstra from the
  // virtual end gives every vertex its cost-to-go h(v), the centralised twin of zeta.
  std::vector<std::int64_t> in_start(V + 1, 0);
  auto for_each_edge = [&](auto&& emit) {
    std::vector<double> c;
    edge_costs(costs, 0, 0, 0.0, c);
    for (int y = 0; y <= L; ++y) emit(g.start(), g.vertex(0, 1, y), c[y]);
    for (int p = 0; p + 1 < P; ++p)
      for (int n = 0; n <= L; ++n) {
        edge_costs(costs, p + 1, n, costs.transfer[p][n], c);
        const int m_max = (p == 0) ? 1 : n + 1;
        for (int m = 1; m <= m_max; ++m)
          for (int y = n; y <= L; ++y) emit(g.vertex(p, m, n), g.vertex(p + 1, n + 1, y), c[y - n]);
      }
    for (int m = 1; m <= L + 1; ++m) emit(g.vertex(P - 1, m, L), g.end(), 0.0);
  };
  for_each_edge([&](std::int64_t, std::int64_t v, double) { ++in_start[v + 1]; });
  for (std::int64_t v = 0; v < V; ++v) in_start[v + 1] += in_start[v];
  std::vector<std::int64_t> fill(in_start.begin(), in_start.end() - 1);
  std::vector<std::int64_t> in_from(in_start[V]);
  std::vector<double> in_cost(in_start[V]);
  for_each_edge([&](std::int64_t u, std::int64_t v, double c) {
    in_from[fill[v]] = u;
    in_cost[fill[v]++] = c;
  });
  if (stats) *stats = {V, in_start[V]};

  std::vector<double> h(V, kInf);
  using Item = std::pair<double, std::int64_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
  h[g.end()] = 0.0;
  queue.push({0.0, g.end()});
  while (!queue.empty()) {
    auto [d, v] = queue.top();
    queue.pop();
    if (d > h[v]) continue;
    for (std::int64_t e = in_start[v]; e < in_start[v + 1]; ++e) {
      const std::int64_t u = in_from[e];
      const double nd = in_cost[e] + d;
      if (nd < h[u]) {
        h[u] = nd;
        queue.push({nd, u});
      }
    }
  }
  if (!std::isfinite(h[g.start()])) return {};

  // Walk forward along tight edges (c(u,v) + h(v) == h(u), bit-exact: h(u) was computed from
  // the same expression), taking the largest stop at each node: the documented tie-break.
  Boundaries b;
  std::vector<double> c;
  double h_u = h[g.start()];
  int n = 0;
  for (int p = 0; p < P; ++p) {
    edge_costs(costs, p, n, p == 0 ? 0.0 : costs.transfer[p - 1][n], c);
    const int m = (p == 0) ? 1 : n + 1;
    int chosen = -1;
    for (int y = L; y >= n; --y) {
      if (p == P - 1 && y != L) break;
      const std::int64_t v = g.vertex(p, m, y);
      if (c[y - n] + h[v] == h_u) {
        chosen = y;
        break;
      }
    }
    if (chosen < 0) return {};  // cannot happen when h is consistent
    h_u = h[g.vertex(p, m, chosen)];
    b.push_back(chosen);
    n = chosen;
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
void fixed_plan(Method method, int layers, int nodes, Boundaries& b) {
  if (method == Method::kUeOnly) {
    b.assign(static_cast<std::size_t>(nodes), layers);
  } else if (method == Method::kCloudOnly) {
    b.assign(static_cast<std::size_t>(nodes), 0);
    b.back() = layers;
  } else {
    throw InputError("method: " + std::string(to_string(method)) + " has no fixed plan");
  }
}

Boundaries solve_baseline(const ChainCosts& costs, Method method) {
  const int L = costs.layers;
  const int P = costs.node_count();
  switch (method) {
    case Method::kUeOnly:
    case Method::kCloudOnly: {
      Boundaries b;
      fixed_plan(method, L, P, b);
      return b;
    }
    case Method::kSingleSplit: {
      Boundaries b = best_single_split(costs);
      // Every cut costs +inf: the plan of the largest cut, as the other baselines return their
      // plan whatever it costs (the caller reports its infinite cost).
      if (b.empty()) b.assign(P, L);
      return b;
    }
    default:
      break;
  }
  throw InputError("method: " + std::string(to_string(method)) + " is not a baseline");
}

void best_single_split(const ChainCosts& costs, std::vector<double>& scratch, Boundaries& b) {
  const int L = costs.layers;
  const int P = costs.node_count();
  // cost(k) = sum_{l<=k} tau^0_l + sum_p transfer[p][k] + sum_{l>k} tau^{P-1}_l + finish.
  // Layer L on the UE (k = L) finishes at node 0; otherwise at the cloud.
  std::vector<double>& cloud_suffix = scratch;  // sum_{l>k} tau^{P-1}_l
  cloud_suffix.resize(static_cast<std::size_t>(L) + 1);
  cloud_suffix[L] = 0.0;
  for (int k = L - 1; k >= 0; --k) cloud_suffix[k] = cloud_suffix[k + 1] + costs.compute[P - 1][k];
  double ue = 0.0;
  double best = kInf;
  int best_k = -1;
  for (int k = 0; k <= L; ++k) {
    if (k > 0) ue += costs.compute[0][k - 1];
    double t = ue + cloud_suffix[k];
    for (int p = 0; p + 1 < P; ++p) t += costs.transfer[p][k];
    t += k == L ? costs.finish[0] : costs.finish[P - 1];
    if (best_k < 0 || t <= best) {  // <= while k grows: ties go to the largest k
      best = t;
      best_k = k;
    }
  }
  b.clear();
  if (!(best < kInf)) return;
  b.assign(P, best_k);
  b.back() = L;
}

Boundaries best_single_split(const ChainCosts& costs) {
  std::vector<double> scratch;
  Boundaries b;
  best_single_split(costs, scratch, b);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Work estimates (issue 10). One step is one cost read and added or compared in a method's
// innermost loop (about 1 ns on the 2-core reference VM).
double table_bytes(int layers, int nodes, double count) {
  return count * 8.0 * static_cast<double>(nodes) * (static_cast<double>(layers) + 1.0);
}

WorkEstimate estimate_work(int layers, int nodes, Method method) {
  const double L = layers, P = nodes;
  const double T = table_bytes(layers, nodes);
  const double input = 2 * T;  // the ChainCosts the method reads: compute and transfer tables
  // Per node and split point set i = 0..L+1: one zeta (double) and one stop (int).
  const double sci_tables = P * (L + 2) * (sizeof(double) + sizeof(int));
  switch (method) {
    case Method::kSci:
      // sci_node: one theta candidate per split point set (suffix minimum), O(L) per node.
      return {P * (L + 2), input + sci_tables};
    case Method::kAlgorithm1:
      // Lines 5-7 evaluate theta^i_j for every j >= i: (L+1)(L+2)/2 per node when the skip
      // step never applies (its worst case).
      return {P * (L + 1) * (L + 2) / 2, input + sci_tables};
    case Method::kDijkstra: {
      double V = 0, E = 0;
      graph_size(layers, nodes, V, E);
      // Per edge: generated twice (count, then fill the CSR arrays), its CSR slot written at a
      // scattered place and h[u] read at a scattered place when it is relaxed (two cache
      // misses, ~10 steps each), and a heap push and pop of log2(V) levels each: measured
      // ~60 ns per edge on the reference VM (L = 460, P = 3). Memory: per edge its source and
      // cost (16 B); per vertex in_start, fill and h (24 B) and a heap entry (16 B; lazy
      // deletion pushes a vertex again only when its cost improves, rare on this layered graph).
      return {E * (22 + 2 * std::log2(std::max(2.0, V))), input + 16 * E + 40 * V};
    }
    case Method::kBrute: {
      // Every plan, evaluated from scratch: L compute adds and P transfers (an upper bound: the
      // enumeration shares the plans' prefixes).
      const double plans = static_cast<double>(plan_count(layers, nodes));
      return {plans * (L + P), input};
    }
    case Method::kUeOnly:
    case Method::kCloudOnly:
    case Method::kSingleSplit:
      // One pass over the UE's and the cloud's layers and every link's cut (single split), or
      // one evaluation of the plan; single split keeps one suffix sum of L+1 values.
      return {P * (L + 2), input + 8 * (L + 1)};
    default:  // not a table method: solve refuses it
      break;
  }
  return {P * (L + 2), input};
}

void check_work(const Budget& budget, const WorkEstimate& work, std::string_view what) {
  check_steps(budget, work.steps, what);
  check_bytes(budget, work.bytes, what);
}

Solution solve(const ChainCosts& costs, Method method, const Budget& budget) {
  const int L = costs.layers;
  const int P = costs.node_count();
  if (!method_info(method).on_tables)
    throw InputError("method " + std::string(to_string(method)) +
                     ": needs the problem's sections, not cost tables alone (solve the problem)");
  check_work(budget, estimate_work(L, P, method), work_subject(method, L, P));
  Solution s;
  s.method = method;
  switch (method) {
    case Method::kSci:
    case Method::kAlgorithm1: {
      SciChainSolver solver(method == Method::kSci ? SciChainSolver::Variant::kLinear
                                                   : SciChainSolver::Variant::kAlgorithm1);
      solver.solve(costs, s.boundaries);
      break;
    }
    case Method::kDijkstra:
      s.boundaries = solve_dijkstra(costs, &s.graph, budget);
      break;
    case Method::kBrute:
      s.boundaries = solve_brute(costs, budget);
      break;
    default:
      s.boundaries = solve_baseline(costs, method);
      break;
  }
  if (s.boundaries.empty())
    throw InputError("no plan has finite cost (every placement is forbidden or infinite)");
  s.breakdown = evaluate(costs, s.boundaries);
  s.cost = s.breakdown.total;
  return s;
}

}  // namespace hivemind::split
