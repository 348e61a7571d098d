// Node daemons of one chain as real processes on loopback, for the runtime tests: started sink
// first (each needs the addresses after it), stopped by PID (SIGTERM, then reaped; SIGKILL
// after a bound) whatever the test does.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hivemind/io.hpp"
#include "hivemind/process.hpp"

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

// The port a daemon printed on its first stdout line ("port N"), waiting at most `wait_s`.
inline int port_of(const std::string& out, double wait_s = 30.0) {
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(static_cast<long long>(wait_s * 1e3));
  while (std::chrono::steady_clock::now() < end) {
    if (fs::exists(out)) {
      const std::string text = read_text_file(out);
      if (text.rfind("port ", 0) == 0 && text.find('\n') != std::string::npos)
        return std::stoi(text.substr(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("node did not report its port: " +
                           (fs::exists(out) ? read_text_file(out) : out));
}

inline std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& item : items) s += (s.empty() ? "" : ",") + item;
  return s;
}

class Chain {
 public:
  explicit Chain(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }
  ~Chain() {
    for (const auto& [position, pid] : pids_) ::kill(pid, SIGTERM);
    for (const auto& [position, pid] : pids_) wait_for(pid, 10.0);
  }
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;

  // Starts nodes P-1 .. 1 of the problem file with `extra` flags each (node p's own flags
  // from `per_node`, if it has an entry); returns the addresses of nodes 1 .. P-1.
  std::vector<std::string> start(const std::string& problem_file, int nodes,
                                 const std::vector<std::string>& extra = {},
                                 const std::map<int, std::vector<std::string>>& per_node = {}) {
    problem_ = problem_file;
    extra_ = extra;
    per_node_ = per_node;
    addresses_.assign(static_cast<std::size_t>(nodes), "");
    for (int p = nodes - 1; p >= 1; --p) launch(p, "127.0.0.1:0");
    return std::vector<std::string>(addresses_.begin() + 1, addresses_.end());
  }

  // kill -9 of node p (a crash: no goodbye to anyone).
  void crash(int p) {
    ::kill(pids_.at(p), SIGKILL);
    wait_for(pids_.at(p), 10.0);
    pids_.erase(p);
  }

  // Starts node p again on the address it had.
  void restart(int p) { launch(p, addresses_.at(static_cast<std::size_t>(p))); }

  const std::vector<std::string>& addresses() const { return addresses_; }  // [0] is empty

 private:
  void launch(int p, const std::string& listen) {
    const std::string out = (dir_ / ("node" + std::to_string(p) + "." +
                                     std::to_string(starts_++) + ".out"))
                                .string();
    std::vector<std::string> argv = {HIVEMIND_NODE_EXE,
                                     "--problem",
                                     problem_,
                                     "--position",
                                     std::to_string(p),
                                     "--listen",
                                     listen,
                                     "--max-seconds",
                                     "300",
                                     "--die-with-parent"};
    const std::vector<std::string> after(addresses_.begin() + p + 1, addresses_.end());
    if (!after.empty()) argv.insert(argv.end(), {"--downstream", join(after)});
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    if (auto it = per_node_.find(p); it != per_node_.end())
      argv.insert(argv.end(), it->second.begin(), it->second.end());
    pids_[p] = spawn({argv, "", out});
    addresses_[static_cast<std::size_t>(p)] = "127.0.0.1:" + std::to_string(port_of(out));
  }

  fs::path dir_;
  std::string problem_;
  std::vector<std::string> extra_;
  std::map<int, std::vector<std::string>> per_node_;
  std::vector<std::string> addresses_;
  std::map<int, pid_t> pids_;
  int starts_ = 0;
};

}  // namespace hivemind::runtime::testing
