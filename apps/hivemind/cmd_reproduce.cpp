#include <iostream>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"

namespace hivemind::cli {

// Placeholder until the module lands: says so plainly.
int run_reproduce(const Argv& argv) {
  Args args(argv, {}, {});
  if (args.help()) {
    std::cout << "usage: hivemind reproduce ... (not built yet)\n";
    return 0;
  }
  throw InputError("reproduce: not available in this build yet");
}

}  // namespace hivemind::cli
