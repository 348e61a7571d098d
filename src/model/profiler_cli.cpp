#include "hivemind/model/profiler_cli.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"

namespace hivemind::model {

std::vector<long long> parse_input_dims(const std::string& dims, const std::string& part) {
  std::vector<long long> shape;
  std::size_t p = 0;
  while (p <= dims.size()) {
    std::size_t q = dims.find(',', p);
    if (q == std::string::npos) q = dims.size();
    const std::string d = dims.substr(p, q - p);
    char* stop = nullptr;
    const long long v = std::strtoll(d.c_str(), &stop, 10);
    if (d.empty() || *stop != '\0' || v < 1 || v > (1LL << 31))
      throw InputError("--input: dimension \"" + d + "\" in \"" + part +
                       "\" is not a positive integer");
    shape.push_back(v);
    p = q + 1;
  }
  return shape;
}

void emit_profile(const std::optional<std::string>& out, const std::string& json) {
  if (out)
    write_text_file_atomic(*out, json);
  else
    std::cout << json << std::flush;
}

int profiler_main(int argc, char** argv, int (*run)(const std::vector<std::string>&)) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return run_guarded("hivemind: profile", [&] { return run(args); });
}

namespace {

// A limit as the messages print it: "512", "2", "0.5".
std::string number_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// The first number in a small text file (memory.max's "max" gives none), or -1.
double number_in(const std::string& path) {
  std::ifstream in(path);
  double v = -1;
  if (!(in >> v)) return -1;
  return v;
}

// The value in kB of a "Key:   123 kB" line of /proc/self/status or /proc/meminfo, or -1.
double kib_field(const char* text, const char* key) {
  const char* at = std::strstr(text, key);
  if (!at) return -1;
  return std::strtod(at + std::strlen(key), nullptr);
}

}  // namespace

double default_profile_memory_mib() {
  double bytes = -1, available = -1;
  {
    std::ifstream in("/proc/meminfo");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const double total_kib = kib_field(text.c_str(), "MemTotal:");
    if (total_kib > 0) bytes = total_kib * 1024.0;
    const double available_kib = kib_field(text.c_str(), "MemAvailable:");
    if (available_kib > 0) available = available_kib * 1024.0;
  }
  // cgroup v2, then v1 (v1 reports a huge number when unlimited: the min ignores it).
  for (const char* limit :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    const double v = number_in(limit);
    if (v > 0 && (bytes < 0 || v < bytes)) bytes = v;
  }
  if (bytes <= 0) return 8192.0;
  double limit = 0.75 * bytes;
  // Other processes may hold much of it: the OOM killer acts on what is left.
  if (available > 0) limit = std::min(limit, 0.9 * available);
  return std::max(256.0, std::floor(limit / (1024.0 * 1024.0)));
}

ProfileWatchdog::ProfileWatchdog(const ProfileLimits& limits, std::string prefix)
    : limits_(limits), prefix_(std::move(prefix)) {
  if (!(limits_.max_memory_mib > 0)) limits_.max_memory_mib = default_profile_memory_mib();
  thread_ = std::thread([this] { watch(); });
}

ProfileWatchdog::~ProfileWatchdog() { stop(); }

void ProfileWatchdog::remove_on_stop(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  remove_.push_back(path);
}

void ProfileWatchdog::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ProfileWatchdog::watch() {
  using Clock = std::chrono::steady_clock;
  constexpr auto kPoll = std::chrono::milliseconds(20);
  const auto start = Clock::now();
  const int status = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, kPoll, [this] { return stopping_; })) {
    std::string why;
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (seconds > limits_.max_seconds) {
      why = "the run exceeded --max-seconds " + number_text(limits_.max_seconds) +
            " s (raise the limit with --max-seconds)";
    } else if (status >= 0) {
      // VmHWM: the peak resident set of this process since exec, kept by the kernel.
      char text[4096];
      const ssize_t n = ::pread(status, text, sizeof text - 1, 0);
      text[n > 0 ? n : 0] = '\0';
      const double peak_kib = kib_field(text, "VmHWM:");
      if (peak_kib / 1024.0 > limits_.max_memory_mib)
        why = "peak resident memory " + number_text(std::round(peak_kib / 1024.0)) +
              " MiB exceeded --max-memory-mib " + number_text(limits_.max_memory_mib) +
              " (the whole process; raise the limit with --max-memory-mib)";
    }
    if (why.empty()) continue;
    for (const auto& path : remove_) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
    const std::string line = prefix_ + ": profiling stopped: " + why + "\n";
    if (::write(STDERR_FILENO, line.data(), line.size()) < 0) {
      // nothing more to do: the exit code still says it
    }
    ::_exit(2);
  }
  if (status >= 0) ::close(status);
}

}  // namespace hivemind::model
