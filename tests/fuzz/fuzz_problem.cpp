// Fuzz entry point of the problem parser (base part and every extension section): any input
// either parses into a valid problem or is refused with InputError; every other outcome
// (crash, other exception, sanitizer report) is a bug. Small problems are also solved with
// every applicable method, under a small work budget.
// Built two ways (tests/fuzz/CMakeLists.txt): always with replay_main.cpp as
// fuzz_replay_problem, which ctest runs over the corpus; with HIVEMIND_FUZZ=ON and clang as a
// libFuzzer target: mkdir -p /tmp/corpus && ./fuzz_problem -max_total_time=60 /tmp/corpus examples/
// (libFuzzer writes new inputs into the first folder, so keep examples/ second).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hivemind/budget.hpp"
#include "hivemind/error.hpp"
#include "hivemind/split/extensions.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto ext = hivemind::split::parse_extended_problem(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    if (ext.problem.layers <= 64 && ext.problem.node_count() <= 16) {
      hivemind::Budget budget;
      budget.steps = 1e7;
      budget.bytes = 64.0 * 1024 * 1024;
      for (const auto& method : hivemind::split::applicable_methods(ext)) {
        try {
          hivemind::split::solve(ext, method, budget);
        } catch (const hivemind::InputError&) {  // over budget, or no feasible plan
        }
      }
    }
  } catch (const hivemind::InputError&) {
  }
  return 0;
}
