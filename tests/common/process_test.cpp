// Child processes without a shell (issue 10).
#include "hivemind/process.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

TEST(FindExecutable, SearchesPathLikeExecvp) {
  const auto sh = hivemind::find_executable("sh");
  ASSERT_TRUE(sh.has_value());
  EXPECT_EQ(sh->front(), '/');
  EXPECT_FALSE(hivemind::find_executable("no-such-program-hivemind").has_value());
  EXPECT_FALSE(hivemind::find_executable("").has_value());
  EXPECT_EQ(hivemind::find_executable("/bin/sh"), std::optional<std::string>("/bin/sh"));
}

TEST(RunProcess, PassesArgumentsVerbatimWithoutAShell) {
  const fs::path dir = fs::temp_directory_path() / ("hivemind_proc_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // A file name a shell would execute: with an argument vector it is just a name.
  const std::string evil = "a'; touch PWNED; echo '";
  hivemind::SpawnOptions o;
  o.argv = {"touch", evil};
  o.working_dir = dir.string();
  EXPECT_TRUE(hivemind::run_process(o, 10).ok());
  EXPECT_TRUE(fs::exists(dir / evil));
  EXPECT_FALSE(fs::exists(dir / "PWNED"));
  // Output goes to the named file; exit codes come back.
  o.argv = {"sh", "-c", "echo hello; exit 3"};
  o.output_file = (dir / "log").string();
  const auto s = hivemind::run_process(o, 10);
  EXPECT_EQ(s.code, 3);
  EXPECT_FALSE(s.ok());
  std::ifstream log(dir / "log");
  std::string line;
  std::getline(log, line);
  EXPECT_EQ(line, "hello");
  fs::remove_all(dir);
}

TEST(RunProcess, KillsAtTheTimeoutAndReportsMissingPrograms) {
  hivemind::SpawnOptions o;
  o.argv = {"sleep", "30"};
  const auto t0 = std::chrono::steady_clock::now();
  const auto s = hivemind::run_process(o, 0.2);
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(s.timed_out);
  EXPECT_LT(waited, 10.0);  // a hang guard, not a benchmark: the child was killed, not awaited
  o.argv = {"no-such-program-hivemind"};
  EXPECT_EQ(hivemind::run_process(o, 1).code, 127);
}

// Issue 23: the child's output file is never written through a symlink planted at its name,
// and a FIFO there is refused at once (it blocked the start before) and stays a FIFO.
TEST(Spawn, RefusesAPlantedSymlinkOrFifoAsTheOutputFile) {
  const fs::path dir =
      fs::temp_directory_path() / ("hivemind_proc_out_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path victim = dir / "victim", link = dir / "node1.0.out", fifo = dir / "node2.0.out";
  std::ofstream(victim) << "keep\n";
  fs::create_symlink(victim, link);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const fs::path& out : {link, fifo}) {
    hivemind::SpawnOptions o;
    o.argv = {"sh", "-c", "echo overwritten"};
    o.output_file = out.string();
    EXPECT_THROW(hivemind::spawn(o), std::runtime_error) << out;
  }
  std::ifstream in(victim);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "keep");
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
  fs::remove_all(dir);
}
