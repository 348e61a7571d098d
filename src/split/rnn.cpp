#include "hivemind/split/rnn.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "hivemind/error.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/training.hpp"

namespace hivemind::split {

namespace {
// Keeps a hostile file from asking for a billion-layer linear problem.
constexpr long long kMaxLinearLayers = 1'000'000;
}  // namespace

double step_output_bytes(const Problem& module, const RnnSpec& spec) {
  return spec.step_output_bytes < 0 ? module.cut_bytes(module.layers) : spec.step_output_bytes;
}

void validate(const RnnSpec& spec) {
  if (spec.steps < 1)
    throw InputError("rnn.steps: " + std::to_string(spec.steps) + " must be >= 1");
  require_non_negative(spec.hidden_bytes, "rnn.hidden_bytes");
  if (!std::isfinite(spec.step_output_bytes))
    throw InputError("rnn.step_output_bytes: " + exact_number(spec.step_output_bytes) +
                     " is not finite");
}

Problem linearize_rnn(const Problem& module, const RnnSpec& spec) {
  validate(spec);
  const int L = module.layers;
  const int R = spec.steps;
  if (static_cast<long long>(L) * R > kMaxLinearLayers)
    throw InputError("rnn.steps: " + std::to_string(R) + " steps of " + std::to_string(L) +
                     " layers exceed " + std::to_string(kMaxLinearLayers) + " linear layers");
  const double X = module.input_bytes, H = spec.hidden_bytes, Y = step_output_bytes(module, spec);
  Problem out;
  out.layers = L * R;
  out.input_bytes = R * X;  // every step's input waits at the source
  out.output_bytes.reserve(static_cast<std::size_t>(L) * R);
  for (int r = 1; r <= R; ++r)
    for (int l = 1; l <= L; ++l)
      out.output_bytes.push_back(module.cut_bytes(l) + H + (R - r) * X + (r - 1) * Y);
  for (const auto& node : module.nodes) {
    Node n{node.name, {}};
    n.compute_s.reserve(out.output_bytes.size());
    for (int r = 0; r < R; ++r)
      n.compute_s.insert(n.compute_s.end(), node.compute_s.begin(), node.compute_s.end());
    out.nodes.push_back(std::move(n));
  }
  out.links = module.links;
  out.deliver = module.deliver;
  return out;
}

Problem rnn_step_problem(const Problem& module, const RnnSpec& spec) {
  Problem step = module;
  for (auto& s : step.output_bytes) s += spec.hidden_bytes;
  return step;
}

RnnStandard rnn_standard_cost(const Problem& module, const RnnSpec& spec, const Boundaries& plan) {
  RnnStandard s;
  s.module_plan = plan;
  s.step_cost = evaluate(compile(rnn_step_problem(module, spec)), plan).total;
  const int first = node_of_layer(plan, 1), last = node_of_layer(plan, module.layers);
  s.hidden_return = migration_cost_s(module, spec.hidden_bytes, last, first);  // down links
  s.total = spec.steps * s.step_cost + (spec.steps - 1) * s.hidden_return;
  return s;
}

RnnStandard rnn_standard(const Problem& module, const RnnSpec& spec) {
  validate(spec);
  SciChainSolver solver;
  Boundaries plan;
  solver.solve(compile(rnn_step_problem(module, spec)), plan);
  if (plan.empty()) throw InputError("rnn standard: no plan has finite cost");
  return rnn_standard_cost(module, spec, plan);
}

}  // namespace hivemind::split
