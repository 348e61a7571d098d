#include <iostream>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"

namespace hivemind::cli {

// Placeholder until the module lands: says so plainly.
int run_simulate(const Argv& argv) {
  Args args(argv, {}, {});
  if (args.help()) {
    std::cout << "usage: hivemind simulate ... (not built yet)\n";
    return 0;
  }
  throw InputError("simulate: not available in this build yet");
}

}  // namespace hivemind::cli
