// The subcommands of `hivemind`. Each takes the arguments after its name, prints to stdout,
// throws InputError on bad input (main turns it into one stderr line and exit code 2) and
// returns the exit code.
#pragma once

#include <string>
#include <vector>

namespace hivemind::cli {

using Argv = std::vector<std::string>;

int run_solve(const Argv& args);
int run_bench(const Argv& args);
int run_demo(const Argv& args);
int run_profile(const Argv& args);    // cmd_profile.cpp (model module)
int run_simulate(const Argv& args);   // cmd_simulate.cpp (simulator)
int run_reproduce(const Argv& args);  // cmd_reproduce.cpp (simulator)
int run_run(const Argv& args);        // cmd_run.cpp: execs hivemind-run (runtime)

// Folder of the data shipped with HiveMind (profiles, scenarios): $HIVEMIND_DATA if set, else
// the source tree's data/ recorded at build time.
std::string data_dir();

}  // namespace hivemind::cli
