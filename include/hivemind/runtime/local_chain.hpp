// A chain's node daemons as local processes on loopback (issue 13): `hivemind run`, the
// runtime tests and benchmarks start `hivemind-node` for nodes P-1 .. 1 of a problem file (sink
// first: each needs the addresses after it), each on a port it picks, and stop them by PID
// (SIGTERM, then reaped; SIGKILL after a bound) whatever happens. Daemons get
// --die-with-parent, so none outlives its parent either.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace hivemind::runtime {

// Joins addresses with commas (the --downstream list).
std::string join_addresses(const std::vector<std::string>& addresses);

class LocalChain {
 public:
  // `node_exe`: the hivemind-node executable; `dir`: where each daemon's output goes
  // (nodeP.N.out: its "port N" line, then its log).
  LocalChain(std::string node_exe, std::filesystem::path dir);
  ~LocalChain();  // stops every daemon still running
  LocalChain(const LocalChain&) = delete;
  LocalChain& operator=(const LocalChain&) = delete;

  // Starts nodes P-1 .. 1 of the problem file with `extra` flags each (and node p's own from
  // `per_node`); returns the addresses of nodes 1 .. P-1. Throws InputError naming the node
  // and the last line of its output when one exits or reports no port within `wait_s`.
  std::vector<std::string> start(const std::string& problem_file, int nodes,
                                 const std::vector<std::string>& extra = {},
                                 const std::map<int, std::vector<std::string>>& per_node = {},
                                 double wait_s = 60.0);

  void crash(int p);    // kill -9 of node p (no goodbye to anyone), reaped
  void restart(int p);  // node p again, on the address it had
  void stop();          // SIGTERM to every daemon, reaped (SIGKILL after 10 s)

  const std::vector<std::string>& addresses() const { return addresses_; }  // [0] is empty
  pid_t pid(int p) const { return pids_.at(p); }

 private:
  void launch(int p, const std::string& listen, double wait_s);

  std::string node_exe_;
  std::filesystem::path dir_;
  std::string problem_;
  std::vector<std::string> extra_;
  std::map<int, std::vector<std::string>> per_node_;
  std::vector<std::string> addresses_;
  std::map<int, pid_t> pids_;
  int starts_ = 0;
};

}  // namespace hivemind::runtime
