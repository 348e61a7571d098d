#include "hivemind/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hivemind {

std::optional<std::string> find_executable(std::string_view name) {
  if (name.empty()) return std::nullopt;
  auto runnable = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string_view::npos) {
    std::string path(name);
    if (runnable(path)) return path;
    return std::nullopt;
  }
  const char* env = std::getenv("PATH");
  const std::string dirs = env ? env : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (dir.empty()) dir = ".";  // an empty PATH entry means the current folder
    const std::string path = dir + "/" + std::string(name);
    if (runnable(path)) return path;
    start = end + 1;
  }
  return std::nullopt;
}

pid_t spawn(const SpawnOptions& options) {
  if (options.argv.empty()) throw std::runtime_error("spawn: empty argument vector");
  const auto program = find_executable(options.argv[0]);
  if (!program) throw std::runtime_error("spawn: no executable \"" + options.argv[0] + "\"");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  struct Cleanup {
    posix_spawn_file_actions_t* a;
    ~Cleanup() { posix_spawn_file_actions_destroy(a); }
  } cleanup{&actions};
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // The output file is opened here, never through a symlink planted at its name (O_NOFOLLOW)
  // and only as a regular file: a FIFO without a reader is refused at once (O_NONBLOCK gives
  // ENXIO) instead of blocking, a device is refused after the open.
  struct OutputFd {
    int fd = -1;
    ~OutputFd() {
      if (fd >= 0) ::close(fd);
    }
  } out;
  if (options.output_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  } else {
    const std::string& path = options.output_file;
    out.fd = ::open(path.c_str(),
                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    struct stat st {};
    if (out.fd < 0 || ::fstat(out.fd, &st) != 0 || !S_ISREG(st.st_mode))
      throw std::runtime_error("spawn: cannot write the output file \"" + path +
                               "\": " + (out.fd < 0 ? std::strerror(errno) : "not a regular file"));
    ::fcntl(out.fd, F_SETFL, ::fcntl(out.fd, F_GETFL) & ~O_NONBLOCK);
    posix_spawn_file_actions_adddup2(&actions, out.fd, STDOUT_FILENO);
  }
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  if (!options.working_dir.empty())
    posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());

  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, program->c_str(), &actions, nullptr, argv.data(), environ);
  if (rc != 0)
    throw std::runtime_error("spawn: cannot start \"" + *program + "\": " + std::strerror(rc));
  return pid;
}

ExitStatus wait_for(pid_t pid, double timeout_s) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::duration<double>(timeout_s);
  auto pause = std::chrono::microseconds(200);
  int status = 0;
  ExitStatus result;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return result;  // not our child (already reaped)
    if (clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      result.timed_out = true;
      result.signal = SIGKILL;
      return result;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20'000));
  }
  if (WIFEXITED(status)) result.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

ExitStatus run_process(const SpawnOptions& options, double timeout_s) {
  pid_t pid = 0;
  try {
    pid = spawn(options);
  } catch (const std::runtime_error&) {
    ExitStatus s;
    s.code = 127;
    return s;
  }
  return wait_for(pid, timeout_s);
}

}  // namespace hivemind
