// Shared by the runtime tests: a fresh folder per test (daemons: runtime/local_chain.hpp).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace hivemind::runtime::testing {

namespace fs = std::filesystem;

// A fresh folder for one test under the system's temp dir (the test process's PID in it).
inline fs::path temp_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("hivemind_runtime_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace hivemind::runtime::testing
