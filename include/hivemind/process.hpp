// Child processes without a shell (issue 10): an argument vector is executed as it is, so no
// file name or option from a user is ever parsed by sh. The simulator's plot step runs
// gnuplot through it; the runtime's launcher starts node daemons with it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hivemind {

// The executable `name` would run as, searched on $PATH the way execvp does (a name with a
// '/' is taken as a path). nullopt when there is none.
std::optional<std::string> find_executable(std::string_view name);

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0]: the program (a path, or a name found on $PATH)
  std::string working_dir;        // empty: the caller's
  // Where the child's stdout and stderr go: empty = /dev/null; else a file created (or
  // truncated) there. Its stdin is always /dev/null.
  std::string output_file;
};

// Starts the child and returns its PID. Throws std::runtime_error when it cannot start (no
// such program, no working directory, ...).
pid_t spawn(const SpawnOptions& options);

struct ExitStatus {
  bool timed_out = false;  // killed (SIGKILL) when the timeout passed
  int code = -1;           // exit code when it exited
  int signal = 0;          // the signal that ended it, else 0
  bool ok() const { return !timed_out && signal == 0 && code == 0; }
};

// Waits for child `pid` at most `timeout_s` seconds; on timeout kills it with SIGKILL and
// reaps it, so no child outlives the call.
ExitStatus wait_for(pid_t pid, double timeout_s);

// spawn + wait_for. A program that cannot start reports code 127, like a shell would.
ExitStatus run_process(const SpawnOptions& options, double timeout_s);

}  // namespace hivemind
