// apps/hivemind/solve_input.cpp in-process: what `solve --chain-sizes` reports after the plan.
#include "solve_input.hpp"

#include <gtest/gtest.h>

#include "args.hpp"
#include "hivemind/split/chain_costs.hpp"

namespace hivemind::cli {
namespace {

const std::string kData = HIVEMIND_DATA_DIR;

Args parse(const std::vector<std::string>& argv) {
  std::set<std::string> options = {"--method", "--deliver", "--format"};
  options.insert(problem_source_options().begin(), problem_source_options().end());
  return Args(argv, options, problem_source_flags());
}

TEST(SolveInput, ChainSizesReportsTrueCostOfTheChainPlan) {
  const Args args =
      parse({"--model", "resnet18", "--route", kData + "/routes/four_roles.json", "--chain-sizes"});
  const split::ExtendedProblem chain = acquire_extended_problem(args);
  const split::Plan planned = split::solve(chain, split::Method::kSci);
  const std::string report = problem_source_report(args, planned, /*json=*/false);
  EXPECT_NE(report.find("chain-model plan"), std::string::npos) << report;
  EXPECT_NE(report.find("DAG-aware plan"), std::string::npos) << report;
  EXPECT_EQ(problem_source_report(args, planned, /*json=*/true), "");
  // Without --chain-sizes nothing is added.
  const Args plain = parse({"--model", "resnet18", "--route", kData + "/routes/four_roles.json"});
  EXPECT_EQ(problem_source_report(plain, planned, false), "");
}

}  // namespace
}  // namespace hivemind::cli
