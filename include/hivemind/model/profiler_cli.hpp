// What the two profiler executables (hivemind-profile for TorchScript, hivemind-profile-onnx
// for ONNX) share: parsing an input shape from --input, writing the profile, the main()
// wrapper that turns errors into one stderr line and exit code 2, and the watchdog that bounds
// a run's time and memory. Kept in hivemind_model so neither heavy target depends on the other.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hivemind::model {

// "1,3,224,224" -> {1, 3, 224, 224}. `part` is the whole --input item, quoted in errors.
// Throws InputError naming the bad dimension.
std::vector<long long> parse_input_dims(const std::string& dims, const std::string& part);

// Writes the profile JSON atomically to `out`, or to stdout when there is none.
void emit_profile(const std::optional<std::string>& out, const std::string& json);

// Runs `run` on argv[1..]; InputError -> "hivemind: profile: MESSAGE" and exit code 2, any
// other exception -> "internal error" and exit code 1. No exception escapes.
int profiler_main(int argc, char** argv, int (*run)(const std::vector<std::string>&));

// The bounds of one profiler run (--max-seconds, --max-memory-mib; issue 23). A TorchScript
// file is code: its forward may loop for ever or allocate without end, inside LibTorch where
// nothing can interrupt it, so the bounds are enforced on the whole process.
struct ProfileLimits {
  double max_seconds = 600.0;   // wall-clock seconds from the watchdog's start (load, warm-up,
                                // every timed forward and backward)
  double max_memory_mib = 0.0;  // peak resident memory of the process (VmHWM: LibTorch's
                                // own pages included) in MiB; <= 0 = default_profile_memory_mib()
};

// The default --max-memory-mib, in MiB: 3/4 of the memory the process may use (MemTotal, or
// the cgroup's memory.max where lower), or 9/10 of MemAvailable at the call where that is less,
// so that the watchdog stops a growing run with its message before the kernel's OOM killer
// would kill it without one. At least 256 (LibTorch alone takes ~170 MiB); 8192 when
// /proc/meminfo cannot be read.
double default_profile_memory_mib();

// A thread that stops the process when its run exceeds `limits`: it writes one line,
// "PREFIX: profiling stopped: ...", naming the exceeded flag and its value, to stderr, removes
// the files given to remove_on_stop, and calls _exit(2) (no destructor runs: the main thread
// may be inside LibTorch). Polls every 20 ms; peak memory is the kernel's high-water mark, so a
// peak between two polls is still seen. Not a sandbox: it bounds time and memory, not what the
// model's code does. Destroying it (or stop()) ends the watch; call stop() before writing the
// result so that a stop never leaves half a file.
class ProfileWatchdog {
 public:
  ProfileWatchdog(const ProfileLimits& limits, std::string prefix);
  ~ProfileWatchdog();
  ProfileWatchdog(const ProfileWatchdog&) = delete;
  ProfileWatchdog& operator=(const ProfileWatchdog&) = delete;

  // `path` is removed if the watchdog stops the process (a temporary file of the run).
  void remove_on_stop(const std::string& path);
  void stop();
  const ProfileLimits& limits() const { return limits_; }

 private:
  void watch();

  ProfileLimits limits_;
  std::string prefix_;
  std::vector<std::string> remove_;  // guarded by mutex_
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace hivemind::model
