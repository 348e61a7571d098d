#include "solve_input.hpp"

#include <cstdio>

#include "commands.hpp"
#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/model/devices.hpp"
#include "hivemind/model/route.hpp"
#include "hivemind/model/zoo.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/problem_io.hpp"
#include "report.hpp"

namespace hivemind::cli {

namespace {

model::DeviceCatalog catalog_from(const Args& args) {
  return model::load_device_catalog(
      args.value_or("--devices", data_dir() + "/devices/devices.json"));
}

// `note`: print the one-line note on classes derived from the profile's measurement (once per
// run: --chain-sizes builds the problem twice).
split::Problem problem_from_model(const Args& args, model::CutSizes sizes, const Budget& budget,
                                  bool note = false) {
  const auto model_name = args.value("--model");
  const auto route_path = args.value("--route");
  if (!route_path) throw InputError("--route: required with --model");
  std::vector<model::Derivation> derived;
  const model::ModelProfile profile = model::load_model(*model_name, data_dir(), &derived);
  if (note && !derived.empty())
    std::fprintf(stderr, "hivemind: %s\n", one_line(model::describe(derived, *model_name)).c_str());
  const model::Route route = model::load_route(*route_path);
  return model::problem_from_route(profile, route, catalog_from(args), sizes, budget);
}

std::string plan_text(const split::Boundaries& b) {
  std::string s = "[";
  for (std::size_t i = 0; i < b.size(); ++i) s += (i ? ", " : "") + std::to_string(b[i]);
  return s + "]";
}

}  // namespace

const std::set<std::string>& problem_source_options() {
  static const std::set<std::string> options = {"--model", "--route", "--devices",
                                                "--emit-problem"};
  return options;
}

const std::set<std::string>& problem_source_flags() {
  static const std::set<std::string> flags = {"--chain-sizes"};
  return flags;
}

const char* problem_source_help() {
  return R"(
problem from a model and a route (instead of PROBLEM.json; docs/models.md):
  --model NAME|FILE    a zoo model (resnet18, resnet18_32, resnet50, resnet152, vgg11,
                       vgg16, rcnn, gru_tagger, qmix) or a profile file (hivemind.profile/v1)
  --route FILE         the chain (hivemind.route/v1): nodes with device_class and optional
                       speed_scale, links with bandwidth_mbps (Mbit/s) and overhead_ms
  --devices FILE       device classes (default: data/devices/devices.json)
  --chain-sizes        cut = the layer's own output bytes (the paper's chain model) instead
                       of every live tensor; also shows what that plan really costs
  --emit-problem FILE  also write the problem that is solved (hivemind.problem/v1)
)";
}

split::ExtendedProblem acquire_extended_problem(const Args& args, const Budget& budget) {
  const bool from_model = args.value("--model").has_value();
  split::ExtendedProblem ext;
  if (from_model) {
    if (!args.positional().empty())
      throw InputError("give either PROBLEM.json or --model with --route, not both (got \"" +
                       args.positional()[0] + "\")");
    ext.problem = problem_from_model(
        args, args.flag("--chain-sizes") ? model::CutSizes::kChain : model::CutSizes::kDag, budget,
        /*note=*/true);
  } else {
    for (const char* option : {"--route", "--devices"})
      if (args.value(option)) throw InputError(std::string(option) + ": needs --model");
    if (args.flag("--chain-sizes")) throw InputError("--chain-sizes: needs --model");
    args.expect_positional(1, "PROBLEM.json");
    ext = split::load_extended_problem(args.positional()[0]);
  }
  // --deliver applies to the extended problem too (its metrics are compiled with it).
  if (auto d = args.value("--deliver")) ext.problem.deliver = split::parse_deliver(*d, "--deliver");
  return ext;
}

void emit_problem(const Args& args, const split::Problem& problem) {
  if (auto path = args.value("--emit-problem"))
    write_text_file_atomic(*path, split::to_json(problem), "--emit-problem");
}

std::string problem_source_report(const Args& args, const split::Plan& solution, bool json,
                                  const Budget& budget) {
  const split::Problem& problem = solution.problem;
  if (!args.flag("--chain-sizes") || json) return "";
  split::Problem dag = problem_from_model(args, model::CutSizes::kDag, budget);
  dag.deliver = problem.deliver;
  const split::ChainCosts dag_costs = split::compile(dag);
  const split::PlanCost chain_true = split::evaluate(dag_costs, solution.boundaries);
  // The optimum with true cut bytes (a baseline method's plan is compared with it too).
  const split::Solution best = split::solve(
      dag_costs,
      split::is_optimal(solution.method.method) ? solution.method.method : split::Method::kSci,
      budget);
  std::string out =
      "\n--chain-sizes: the plan above assumes a cut carries only the layer's "
      "own output.\nWith the true cut bytes (every live tensor, skip "
      "connections included):\n";
  char line[256];
  std::snprintf(line, sizeof line, "  chain-model plan  %-24s chain-model cost %s, true cost %s\n",
                plan_text(solution.boundaries).c_str(), fmt(solution.cost).c_str(),
                fmt(chain_true.total).c_str());
  out += line;
  std::snprintf(line, sizeof line, "  DAG-aware plan    %-24s true cost %s (%s)\n",
                plan_text(best.boundaries).c_str(), fmt(best.cost).c_str(),
                std::string(split::to_string(best.method)).c_str());
  out += line;
  const double extra = best.cost > 0 ? (chain_true.total / best.cost - 1) * 100 : 0;
  std::snprintf(line, sizeof line,
                "  the chain-model plan really costs %.1f%% more than the optimum\n", extra);
  out += line;
  return out;
}

}  // namespace hivemind::cli
