// Executables built beside `hivemind` (hivemind-profile, hivemind-run, hivemind-node): heavy
// libraries (LibTorch, ONNX, gRPC) stay in them, and the main CLI or the launcher runs them
// from the folder it was itself started from.
#pragma once

#include <string>
#include <vector>

namespace hivemind::cli {

// The path `name` has in the folder of the running executable (/proc/self/exe); "" when that
// folder cannot be read.
std::string sibling_path(const std::string& name);

// Whether `path` is an executable file.
bool is_executable(const std::string& path);

// Replaces this process with `exe` run on `args` (argv[0] = exe), after flushing stdout: its
// output and exit code become the command's. Returns only by throwing InputError naming
// `command` and why exec failed.
[[noreturn]] void exec_sibling(const std::string& exe, const std::vector<std::string>& args,
                               const std::string& command);

}  // namespace hivemind::cli
