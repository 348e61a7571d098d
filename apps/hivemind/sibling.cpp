#include "sibling.hpp"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <iostream>

#include "hivemind/error.hpp"

namespace hivemind::cli {

std::string sibling_path(const std::string& name) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  const std::string path(buf, static_cast<std::size_t>(n));
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1) + name;
}

bool is_executable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0;
}

void exec_sibling(const std::string& exe, const std::vector<std::string>& args,
                  const std::string& command) {
  std::vector<std::string> argv;
  argv.push_back(exe);
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargs;
  for (auto& a : argv) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::cout.flush();
  ::execv(exe.c_str(), cargs.data());
  throw InputError(command + ": cannot run " + exe + ": " + std::strerror(errno));
}

}  // namespace hivemind::cli
