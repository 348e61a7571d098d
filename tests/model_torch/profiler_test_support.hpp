// What the TorchScript and ONNX profiler tests share: a fresh folder per test, running a
// command line with its output captured, and the check every bad-input case must pass.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "hivemind/io.hpp"

namespace hivemind::model {

struct TempDir {
  std::filesystem::path path;
  // `prefix` keeps the TorchScript and ONNX tests apart when ctest runs them in parallel.
  explicit TempDir(const std::string& prefix) {
    path = std::filesystem::temp_directory_path() /
           (prefix + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
};

struct ProcessResult {
  int rc = -1;
  std::string out, err;
};

// Runs a command line through the shell, capturing stdout and stderr.
inline ProcessResult run(const std::string& cmd, const TempDir& dir) {
  const std::string out = dir.file("stdout.txt"), err = dir.file("stderr.txt");
  const int status = std::system((cmd + " >" + out + " 2>" + err).c_str());
  ProcessResult r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text_file(out);
  r.err = read_text_file(err);
  return r;
}

// `hivemind profile ARGS --out FILE` on bad input: exit 2, one line on stderr containing
// `needle`, nothing on stdout, no FILE left behind.
inline void expect_bad_profile(const std::string& hivemind, const std::string& args,
                               const std::string& needle, const TempDir& dir) {
  const std::string out = dir.file("never.json");
  const ProcessResult r = run(hivemind + " profile " + args + " --out " + out, dir);
  EXPECT_EQ(r.rc, 2) << args << "\n" << r.err;
  EXPECT_EQ(r.out, "") << args;
  EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
  EXPECT_FALSE(std::filesystem::exists(out)) << args;
}

}  // namespace hivemind::model
