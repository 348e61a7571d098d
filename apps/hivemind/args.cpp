#include "args.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <thread>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"

namespace hivemind::cli {

namespace {
const std::set<std::string> kResourceOptions = {"--max-input-mib", "--max-steps",
                                                "--max-memory-mib"};
}  // namespace

std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> items;
  std::size_t start = 0;
  for (std::size_t at; (at = text.find(sep, start)) != std::string::npos; start = at + 1)
    items.push_back(text.substr(start, at - start));
  items.push_back(text.substr(start));
  return items;
}

const char* resource_options_help() {
  return R"(
resource limits (every command; a run that would exceed them exits 2 naming the flag):
  --max-input-mib N    largest input file read, default 256 (MiB)
  --max-steps N        work budget of solvers and the simulator, default 3e9 steps (~ seconds)
  --max-memory-mib N   memory budget of the tables one run allocates, default 1024 (MiB)
)";
}

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& valued_in,
           const std::set<std::string>& flags) {
  std::set<std::string> valued = valued_in;
  valued.insert(kResourceOptions.begin(), kResourceOptions.end());
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-h" || a == "--help") {
      flags_.insert("--help");
      continue;
    }
    if (a.size() > 1 && a[0] == '-' && a != "-") {
      std::string name = a, val;
      bool has_inline = false;
      if (auto eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        val = a.substr(eq + 1);
        has_inline = true;
      }
      if (valued.count(name)) {
        if (!has_inline) {
          if (i + 1 >= argv.size()) throw InputError(name + ": missing value");
          val = argv[++i];
        }
        values_[name] = val;
      } else if (flags.count(name) && !has_inline) {
        flags_.insert(name);
      } else {
        throw InputError(name + ": unknown option (see --help)");
      }
      continue;
    }
    positional_.push_back(a);
  }
  if (value("--max-input-mib"))
    set_max_input_bytes(static_cast<std::uint64_t>(
        number_or("--max-input-mib", 256, 1e-6, 1024.0 * 1024.0) * 1024.0 * 1024.0));
}

Budget Args::budget() const {
  Budget b;
  b.steps = number_or("--max-steps", b.steps, 1, 1e18);
  b.bytes = number_or("--max-memory-mib", b.bytes / (1024.0 * 1024.0), 1, 1e9) * 1024.0 * 1024.0;
  return b;
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::value_or(const std::string& name, const std::string& fallback) const {
  return value(name).value_or(fallback);
}

double Args::number_or(const std::string& name, double fallback, double min_value,
                       double max_value) const {
  auto v = value(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0' || errno == ERANGE || !std::isfinite(x))
    throw InputError(name + ": \"" + *v + "\" is not a number");
  if (x < min_value || x > max_value)
    throw InputError(name + ": " + *v + " is out of range [" + exact_number(min_value) + ", " +
                     exact_number(max_value) + "]");
  return x;
}

long long Args::integer_or(const std::string& name, long long fallback, long long min_value,
                           long long max_value) const {
  auto v = value(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno == ERANGE)
    throw InputError(name + ": \"" + *v + "\" is not an integer");
  if (x < min_value || x > max_value)
    throw InputError(name + ": " + *v + " is out of range [" + std::to_string(min_value) + ", " +
                     std::to_string(max_value) + "]");
  return x;
}

void Args::expect_positional(std::size_t count, const std::string& what) const {
  if (positional_.size() < count) throw InputError("missing argument: " + what + " (see --help)");
  if (positional_.size() > count)
    throw InputError("unexpected argument \"" + positional_[count] + "\" (see --help)");
}

int Args::threads() const {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(integer_or("--threads", cores, 1, 256));
}

}  // namespace hivemind::cli
