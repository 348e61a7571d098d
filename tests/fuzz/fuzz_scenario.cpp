// Fuzz entry point of the simulator's scenario reader. Any input parses into a valid scenario
// or is refused with InputError; anything else is a bug. See fuzz_problem.cpp for how it is
// built and run.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hivemind/error.hpp"
#include "hivemind/sim/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    hivemind::sim::parse_scenario(std::string_view(reinterpret_cast<const char*>(data), size),
                                  "fuzz");
  } catch (const hivemind::InputError&) {
  }
  return 0;
}
