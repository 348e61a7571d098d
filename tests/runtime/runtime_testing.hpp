// Shared by the runtime tests: a fresh folder per test (daemons: runtime/local_chain.hpp).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace hivemind::runtime::testing {

namespace fs = std::filesystem;

// The test process's folder under the system's temp dir (its PID in the name).
inline fs::path process_dir() {
  return fs::temp_directory_path() / ("hivemind_runtime_" + std::to_string(::getpid()));
}

// A fresh folder for one test in it; the whole folder goes when the test program ends.
inline fs::path temp_dir(const std::string& name) {
  const fs::path dir = process_dir() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

class RemoveProcessDir : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(process_dir(), ignored);
  }
};

inline ::testing::Environment* const kRemoveProcessDir =
    ::testing::AddGlobalTestEnvironment(new RemoveProcessDir);

}  // namespace hivemind::runtime::testing
