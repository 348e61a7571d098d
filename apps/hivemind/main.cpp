// hivemind: the command-line front end. Thin: parses, calls the library, prints.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "hivemind/error.hpp"

namespace {

struct Command {
  const char* name;
  int (*run)(const hivemind::cli::Argv&);
  const char* summary;
};

const Command kCommands[] = {
    {"solve", hivemind::cli::run_solve, "find the optimal multi-split plan of a problem file"},
    {"bench", hivemind::cli::run_bench, "time every solver on synthetic problems"},
    {"demo", hivemind::cli::run_demo, "the main job on built-in defaults"},
    {"profile", hivemind::cli::run_profile, "profile a model layer by layer (LibTorch)"},
    {"simulate", hivemind::cli::run_simulate, "run one 5G scenario and write traces"},
    {"reproduce", hivemind::cli::run_reproduce, "regenerate the paper's evaluation figures"},
    {"run", hivemind::cli::run_run, "split inference across local node daemons (gRPC, LibTorch)"},
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: hivemind COMMAND [OPTIONS]\n\n"
               "HiveMind splits a machine-learning model across a chain of nodes (UE, MEC "
               "servers, cloud)\nwith the Split Cost Information algorithm (JSAC 2022).\n\n"
               "commands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "\nRun `hivemind COMMAND --help` for a command's options.\n%s",
               hivemind::cli::resource_options_help());
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return hivemind::run_guarded("hivemind", [&]() -> int {
    if (args.empty()) {
      std::cerr
          << "hivemind: missing command (usage: hivemind COMMAND [OPTIONS]; see hivemind --help)\n";
      return hivemind::kExitBadInput;
    }
    const std::string& name = args.front();
    if (name == "--help" || name == "-h" || name == "help") {
      usage(stdout);
      return 0;
    }
    for (const auto& c : kCommands)
      if (name == c.name) return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
    std::cerr << hivemind::one_line("hivemind: unknown command \"" + name +
                                    "\" (see hivemind --help)")
              << "\n";
    return hivemind::kExitBadInput;
  });
}
