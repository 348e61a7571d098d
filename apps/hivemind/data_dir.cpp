#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "commands.hpp"

namespace hivemind::cli {

std::string data_dir() {
  if (const char* env = std::getenv("HIVEMIND_DATA"); env && *env) return env;
  // An installed executable (cmake --install, any prefix): <prefix>/bin/../share/hivemind/data.
  char buf[PATH_MAX];
  if (const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1); n > 0) {
    const std::filesystem::path installed =
        std::filesystem::path(std::string(buf, static_cast<std::size_t>(n))).parent_path() /
        HIVEMIND_INSTALL_DATA_REL;
    std::error_code ec;
    if (std::filesystem::is_directory(installed / "zoo", ec)) return installed.lexically_normal();
  }
  return HIVEMIND_DATA_DIR;  // the source tree's data/ (a build that is not installed)
}

}  // namespace hivemind::cli
