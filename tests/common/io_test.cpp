// Input and output under hostile conditions (issue 10): inputs are bounded regular files, JSON
// nesting is limited, messages stay on one line, outputs are all-or-nothing.
#include "hivemind/io.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "expect_refusal.hpp"
#include "hivemind/error.hpp"

namespace fs = std::filesystem;
using hivemind::InputError;
using hivemind::testing::input_error_of;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "hivemind_io_test.XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }
  std::set<std::string> names() const {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(path_))
      out.insert(fs::relative(e.path(), path_).string());
    return out;
  }

 private:
  fs::path path_;
};

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(ReadTextFile, RefusesFifoWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  // Nobody writes to the FIFO: opening it for reading would block forever.
  EXPECT_NE(input_error_of([&] {
              hivemind::read_text_file(dir / "fifo");
            }).find("is a FIFO, not a regular file"),
            std::string::npos);
}

TEST(ReadTextFile, RefusesDevicesAndDirectories) {
  TempDir dir;
  EXPECT_NE(input_error_of([] { hivemind::read_text_file("/dev/zero"); }).find("character device"),
            std::string::npos);
  EXPECT_NE(
      input_error_of([&] { hivemind::read_text_file(dir.path().string()); }).find("is a directory"),
      std::string::npos);
  EXPECT_NE(input_error_of([&] { hivemind::read_text_file(dir / "missing"); }).find("No such file"),
            std::string::npos);
}

TEST(ReadTextFile, RefusesFilesAboveTheCapAndNamesTheFlag) {
  TempDir dir;
  write(dir / "f", std::string(1000, 'x'));
  const auto saved = hivemind::max_input_bytes();
  hivemind::set_max_input_bytes(999);
  const std::string e = input_error_of([&] { hivemind::read_text_file(dir / "f"); });
  hivemind::set_max_input_bytes(1000);
  EXPECT_EQ(hivemind::read_text_file(dir / "f").size(), 1000u);  // exactly at the cap: read
  hivemind::set_max_input_bytes(saved);
  EXPECT_NE(e.find("--max-input-mib"), std::string::npos) << e;
}

TEST(WriteTextFileAtomic, DoesNotFollowASymlinkPlantedAtTheOldTemporaryName) {
  // Earlier versions wrote "<path>.tmp.<pid>", predictable and followed: a symlink planted
  // there overwrote its target.
  TempDir dir;
  write(dir / "victim", "keep");
  fs::create_symlink(dir / "victim", dir / ("out.json.tmp." + std::to_string(::getpid())));
  hivemind::write_text_file_atomic(dir / "out.json", "new");
  EXPECT_EQ(read(dir / "victim"), "keep");
  EXPECT_EQ(read(dir / "out.json"), "new");
}

TEST(WriteTextFileAtomic, LeavesNoTemporaryFileAndUsesTheUsualMode) {
  TempDir dir;
  hivemind::write_text_file_atomic(dir / "a.txt", "x");
  EXPECT_EQ(dir.names(), (std::set<std::string>{"a.txt"}));
  struct stat st {};
  ASSERT_EQ(::stat((dir / "a.txt").c_str(), &st), 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
  // A folder that does not exist: an error, and nothing created.
  EXPECT_NE(input_error_of([&] { hivemind::write_text_file_atomic(dir / "no/b.txt", "x"); }), "");
  EXPECT_EQ(dir.names(), (std::set<std::string>{"a.txt"}));
}

TEST(StagedDir, CommitMovesFilesInAndKeepsOthers) {
  TempDir dir;
  fs::create_directory(dir / "out");
  write(dir / "out/old.txt", "old");
  write(dir / "out/a.csv", "previous a");
  {
    hivemind::StagedDir out(dir / "out", "--out");
    out.write("a.csv", "new a");
    out.write("b.csv", "new b");
    EXPECT_EQ(read(dir / "out/a.csv"), "previous a");  // nothing visible before commit
    out.commit();
  }
  EXPECT_EQ(read(dir / "out/a.csv"), "new a");
  EXPECT_EQ(read(dir / "out/b.csv"), "new b");
  EXPECT_EQ(read(dir / "out/old.txt"), "old");
  EXPECT_EQ(dir.names(), (std::set<std::string>{"out", "out/a.csv", "out/b.csv", "out/old.txt"}));
}

TEST(StagedDir, WithoutCommitNothingIsLeftAndMissingFoldersAreNotCreated) {
  TempDir dir;
  {
    hivemind::StagedDir out(dir / "x/y/out", "--out");
    out.write("a.csv", "a");
  }  // an exception would leave the scope like this
  EXPECT_TRUE(dir.names().empty());
  {
    hivemind::StagedDir out(dir / "x/y/out", "--out");
    out.write("a.csv", "a");
    out.commit();
  }
  EXPECT_EQ(read(dir / "x/y/out/a.csv"), "a");
}

TEST(StagedDir, AFailedCommitMovesNothing) {
  TempDir dir;
  fs::create_directories(dir / "out/b.csv");  // a folder where a file must go
  {
    hivemind::StagedDir out(dir / "out", "--out");
    out.write("a.csv", "a");
    out.write("b.csv", "b");
    EXPECT_NE(input_error_of([&] { out.commit(); }).find("a folder of that name exists"),
              std::string::npos);
  }
  EXPECT_EQ(dir.names(), (std::set<std::string>{"out", "out/b.csv"}));
}

TEST(StagedDir, RefusesAFileAsTheFolder) {
  TempDir dir;
  write(dir / "f", "x");
  EXPECT_NE(input_error_of([&] { hivemind::StagedDir out(dir / "f", "--out"); }).find("--out: "),
            std::string::npos);
  EXPECT_NE(input_error_of([&] {
              hivemind::StagedDir out(dir / "f/sub", "--out");
            }).find("is not a folder"),
            std::string::npos);
  EXPECT_EQ(dir.names(), (std::set<std::string>{"f"}));
}

TEST(ParseJson, RefusesDeepNestingAndAcceptsModerateNesting) {
  const std::string deep = std::string(70000, '[') + std::string(70000, ']');
  EXPECT_NE(input_error_of([&] {
              hivemind::parse_json(deep, "f");
            }).find("nested deeper than 256 levels"),
            std::string::npos);
  const std::string ok = std::string(256, '[') + std::string(256, ']');
  EXPECT_NO_THROW(hivemind::parse_json(ok, "f"));
  // Brackets inside strings do not count.
  EXPECT_NO_THROW(hivemind::parse_json("{\"a\": \"" + std::string(1000, '[') + "\\\"\"}", "f"));
}

TEST(JsonShow, IsShortEscapedAndBoundedForHugeValues) {
  nlohmann::json big = nlohmann::json::array();
  for (int i = 0; i < 100000; ++i) big.push_back(i);
  EXPECT_LE(hivemind::json_field::show(big).size(), 60u);
  const std::string s = hivemind::json_field::show(nlohmann::json("a\nb\x1b[2J"));
  EXPECT_EQ(s.find('\n'), std::string::npos);
  EXPECT_EQ(s.find('\x1b'), std::string::npos);
  EXPECT_EQ(hivemind::json_field::show(nlohmann::json::parse("{\"k\": [1, 2.5, null]}")),
            "{\"k\":[1,2.5,null]}");
}

TEST(OneLine, EscapesControlsAndC1AndCutsLongText) {
  EXPECT_EQ(hivemind::one_line("a\nb\tc\x1b[1m\x7f"), "a\\nb\\tc\\x1b[1m\\x7f");
  EXPECT_EQ(hivemind::one_line("x\xc2\x9b"
                               "31m \xc3\xa9"),
            "x\\u009b31m \xc3\xa9");  // é stays
  EXPECT_LE(hivemind::one_line(std::string(10000, 'x')).size(), 2003u);
}
