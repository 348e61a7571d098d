// libFuzzer target for the problem parser: any input either parses into a valid problem or
// is refused with InputError; every other outcome (crash, other exception, sanitizer report)
// is a bug. Build: cmake -DHIVEMIND_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ ; run:
// mkdir -p /tmp/corpus && ./fuzz_problem -max_total_time=60 /tmp/corpus examples/
// (libFuzzer writes new inputs into the first folder, so keep examples/ second).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hivemind/error.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/problem_io.hpp"
#include "hivemind/split/solve.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto problem = hivemind::split::parse_problem(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    if (problem.layers <= 64 && problem.node_count() <= 16)
      hivemind::split::solve(hivemind::split::compile(problem), hivemind::split::Method::kSci);
  } catch (const hivemind::InputError&) {
  }
  return 0;
}
