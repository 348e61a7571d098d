#include <cstdlib>

#include "commands.hpp"

namespace hivemind::cli {

std::string data_dir() {
  if (const char* env = std::getenv("HIVEMIND_DATA"); env && *env) return env;
  return HIVEMIND_DATA_DIR;
}

}  // namespace hivemind::cli
