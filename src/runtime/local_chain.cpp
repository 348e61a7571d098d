#include "hivemind/runtime/local_chain.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/process.hpp"

namespace hivemind::runtime {

namespace fs = std::filesystem;

std::string join_addresses(const std::vector<std::string>& addresses) {
  std::string s;
  for (const auto& a : addresses) s += (s.empty() ? "" : ",") + a;
  return s;
}

namespace {

std::string last_line(const std::string& path) {
  if (!fs::exists(path)) return "no output";
  std::string text = read_text_file(path);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const auto nl = text.rfind('\n');
  return text.empty() ? "no output" : text.substr(nl == std::string::npos ? 0 : nl + 1);
}

}  // namespace

LocalChain::LocalChain(std::string node_exe, fs::path dir)
    : node_exe_(std::move(node_exe)), dir_(std::move(dir)) {
  fs::create_directories(dir_);
}

LocalChain::~LocalChain() { stop(); }

void LocalChain::stop() {
  for (const auto& [p, pid] : pids_) ::kill(pid, SIGTERM);
  for (const auto& [p, pid] : pids_) wait_for(pid, 10.0);
  pids_.clear();
}

std::vector<std::string> LocalChain::start(const std::string& problem_file, int nodes,
                                           const std::vector<std::string>& extra,
                                           const std::map<int, std::vector<std::string>>& per_node,
                                           double wait_s) {
  problem_ = problem_file;
  extra_ = extra;
  per_node_ = per_node;
  addresses_.assign(static_cast<std::size_t>(nodes), "");
  for (int p = nodes - 1; p >= 1; --p) launch(p, "127.0.0.1:0", wait_s);
  return std::vector<std::string>(addresses_.begin() + 1, addresses_.end());
}

void LocalChain::crash(int p) {
  ::kill(pids_.at(p), SIGKILL);
  wait_for(pids_.at(p), 10.0);
  pids_.erase(p);
}

void LocalChain::restart(int p) { launch(p, addresses_.at(static_cast<std::size_t>(p)), 60.0); }

void LocalChain::launch(int p, const std::string& listen, double wait_s) {
  const std::string out =
      (dir_ / ("node" + std::to_string(p) + "." + std::to_string(starts_++) + ".out")).string();
  std::vector<std::string> argv = {node_exe_,         "--problem", problem_, "--position",
                                   std::to_string(p), "--listen",  listen,   "--die-with-parent"};
  const std::vector<std::string> after(addresses_.begin() + p + 1, addresses_.end());
  if (!after.empty()) argv.insert(argv.end(), {"--downstream", join_addresses(after)});
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  if (auto it = per_node_.find(p); it != per_node_.end())
    argv.insert(argv.end(), it->second.begin(), it->second.end());
  pid_t pid = 0;
  try {
    pid = spawn({argv, "", out});
  } catch (const std::exception& e) {
    throw InputError("node " + std::to_string(p) + ": cannot start " + node_exe_ + " (" +
                     one_line(e.what()) + ")");
  }
  pids_[p] = pid;
  // Its first stdout line is "port N" once it listens; bounded wait, and a daemon that exits
  // (bad flags, bad files) is reported with its last output line.
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(static_cast<long long>(wait_s * 1e3));
  while (std::chrono::steady_clock::now() < end) {
    if (fs::exists(out)) {
      const std::string text = read_text_file(out);
      if (text.rfind("port ", 0) == 0 && text.find('\n') != std::string::npos) {
        addresses_[static_cast<std::size_t>(p)] =
            "127.0.0.1:" + std::to_string(std::stoi(text.substr(5)));
        return;
      }
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pids_.erase(p);
      throw InputError("node " + std::to_string(p) + " exited: " + last_line(out));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw InputError("node " + std::to_string(p) + " reported no port within " +
                   std::to_string(static_cast<int>(wait_s)) + " s: " + last_line(out));
}

}  // namespace hivemind::runtime
