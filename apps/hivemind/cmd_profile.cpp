#include <iostream>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"

namespace hivemind::cli {

// Placeholder until the module lands: says so plainly.
int run_profile(const Argv& argv) {
  Args args(argv, {}, {});
  if (args.help()) {
    std::cout << "usage: hivemind profile ... (not built yet)\n";
    return 0;
  }
  throw InputError("profile: not available in this build yet");
}

}  // namespace hivemind::cli
