#include "solver_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/solve.hpp"

namespace hivemind::bench {

split::Problem synthetic_problem(int layers, int nodes, unsigned seed) {
  std::mt19937_64 rng(seed * 1000003ULL + layers * 131ULL + nodes);
  std::uniform_real_distribution<double> load(1e-4, 4e-3);  // seconds on the UE
  std::uniform_real_distribution<double> bytes(1e4, 4e6);   // activation bytes
  split::Problem p;
  p.layers = layers;
  p.input_bytes = 602112;  // a 224x224x3 float32 image
  std::vector<double> loads(layers);
  for (auto& l : loads) l = load(rng);
  for (int l = 0; l < layers; ++l) p.output_bytes.push_back(bytes(rng));
  for (int n = 0; n < nodes; ++n) {
    split::Node node;
    node.name = n == 0 ? "ue" : (n + 1 == nodes ? "cloud" : "mec" + std::to_string(n));
    const double speed = std::pow(2.0, n);  // capacity doubles hop by hop
    for (double l : loads) node.compute_s.push_back(l / speed);
    p.nodes.push_back(std::move(node));
  }
  for (int n = 0; n + 1 < nodes; ++n) {
    split::Link link;
    link.up.bandwidth_bytes_per_s = 125e6 / (1 + n);  // 1 Gb/s, then slower
    link.up.overhead_s = 1e-3;
    link.down = link.up;
    p.links.push_back(link);
  }
  return p;
}

split::ExtendedProblem synthetic_multi(int layers, int nodes, unsigned seed) {
  split::ExtendedProblem ext;
  ext.problem = synthetic_problem(layers, nodes, seed);
  split::Metric energy{"energy", false, {}, {}};
  for (int n = 0; n < nodes; ++n) {
    const double power_w = 2.0 * std::pow(3.0, n);  // faster nodes draw more power
    energy.compute.emplace_back();
    for (double t : ext.problem.nodes[n].compute_s) energy.compute.back().push_back(power_w * t);
  }
  for (int n = 0; n + 1 < nodes; ++n) energy.links.push_back({n == 0 ? 1e-7 : 2e-8, 1e-3, -1, -1});
  split::MultiObjective multi;
  multi.metrics = {split::Metric{"latency", true, {}, {}}, energy};
  multi.objective.minimize = {{"energy", 1.0}};
  ext.multi = multi;
  const split::CompiledObjective obj = split::compile_objective(ext.problem, multi);
  split::Boundaries fastest, greenest;
  split::SciChainSolver solver;
  const double least_latency = solver.solve(obj.metric[0], fastest);
  solver.solve(obj.metric[1], greenest);
  const double green_latency = split::evaluate(obj.metric[0], greenest).total;
  ext.multi->objective.limits = {{"latency", 0.5 * (least_latency + green_latency)}};
  return ext;
}

namespace {

using Clock = std::chrono::steady_clock;

// Median ns per call of `solve_once`.
template <typename F>
BenchRow time_it(F&& solve_once, const BenchOptions& opt) {
  BenchRow row;
  solve_once();  // warm-up (caches, allocations)
  auto t0 = Clock::now();
  solve_once();
  const double one_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const long long reps =
      std::max<long long>(1, static_cast<long long>(opt.min_sample_s / std::max(one_s, 1e-9)));
  std::vector<double> ns;
  for (int s = 0; s < opt.samples; ++s) {
    auto start = Clock::now();
    for (long long r = 0; r < reps; ++r) solve_once();
    ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count() / reps);
  }
  std::sort(ns.begin(), ns.end());
  row.ns_per_solve = ns[ns.size() / 2];
  row.samples = opt.samples;
  row.solves_per_sample = reps;
  return row;
}

// Rough single-solve time estimate used to skip hopeless cases (seconds).
double estimate_s(const std::string& method, int L, int P) {
  if (method == "dijkstra")
    return 6e-8 * static_cast<double>(split::dijkstra_graph_size(L, P).edges);
  if (method == "brute") return 2e-8 * static_cast<double>(split::plan_count(L, P)) * (L / P + 1);
  if (method == "algorithm1") return 2e-9 * static_cast<double>(L) * L * P;
  if (method == "exact") return 2e-7 * static_cast<double>(L) * L * P;  // fronts grow with L
  return 1e-8 * L * P;
}

}  // namespace

std::vector<BenchRow> run_solver_bench(const BenchOptions& opt,
                                       const std::function<void(const BenchRow&)>& progress) {
  std::vector<BenchRow> rows;
  volatile double sink = 0;  // keeps results alive so nothing is optimised away
  for (int L : opt.layers)
    for (int P : opt.nodes) {
      const split::ChainCosts costs = split::compile(synthetic_problem(L, P, opt.seed));
      for (const auto& method : opt.methods) {
        if (estimate_s(method, L, P) * (opt.samples + 2) > opt.max_method_s) continue;
        BenchRow row;
        if (method == "exact") {
          const split::ExtendedProblem ext = synthetic_multi(L, P, opt.seed);
          const split::CompiledObjective obj = split::compile_objective(ext.problem, *ext.multi);
          split::ExactResult result;
          row = time_it(
              [&] {
                result = split::solve_exact(obj, {});
                sink = sink + result.best_effort;
              },
              opt);
          row.method = method;
          row.layers = L;
          row.nodes = P;
          row.sci_message_bytes = result.stats.max_message_bytes;  // largest per-node message
          rows.push_back(row);
          if (progress) progress(row);
          continue;
        }
        if (method == "sci-warm") {  // the one warm row: buffers kept across solves
          split::SciChainSolver solver(split::SciChainSolver::Variant::kLinear);
          std::vector<int> b;
          row = time_it([&] { sink = sink + solver.solve(costs, b); }, opt);
          row.reuses_buffers = true;
        } else {  // cold, as every caller of the plain API: each solve allocates its own
          const split::Method m = split::parse_method(method).method;
          row = time_it([&] { sink = sink + split::solve(costs, m).cost; }, opt);
        }
        row.method = method;
        row.layers = L;
        row.nodes = P;
        row.sci_message_bytes = split::sci_message_bytes(L);
        rows.push_back(row);
        if (progress) progress(row);
      }
    }
  return rows;
}

}  // namespace hivemind::bench
