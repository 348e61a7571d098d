// A small, strict command-line parser: every unknown option or missing value is an InputError
// that names it, so the CLI exits 2 with one line.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hivemind/budget.hpp"

namespace hivemind::cli {

// Options every command takes (they bound what one run may use; issue 10):
//   --max-input-mib N   largest input file read (default 256 MiB); applied on construction
//   --max-steps N       work budget of solvers and the simulator (Budget::steps)
//   --max-memory-mib N  memory budget of the tables a run allocates (Budget::bytes)
const char* resource_options_help();

// A flag's list value split at `sep`, empty items kept so that the caller names them in its
// error: "a,,b" -> {"a", "", "b"}; "" -> {""}.
std::vector<std::string> split_list(const std::string& text, char sep);

class Args {
 public:
  // `valued`: options that take a value (--name VALUE or --name=VALUE); `flags`: switches.
  // "--help"/"-h" is always a switch, and the resource options above are always accepted
  // (--max-input-mib is applied at once with set_max_input_bytes). Throws InputError on
  // unknown options or missing values.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& valued,
       const std::set<std::string>& flags);

  bool help() const { return flag("--help"); }
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::string value_or(const std::string& name, const std::string& fallback) const;
  // A finite number / integer in range, or an InputError naming the option and the value.
  double number_or(const std::string& name, double fallback, double min_value,
                   double max_value) const;
  long long integer_or(const std::string& name, long long fallback, long long min_value,
                       long long max_value) const;
  // --threads N (1..256), default: every core of the machine.
  int threads() const;
  // --max-steps / --max-memory-mib over Budget's defaults.
  Budget budget() const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Requires exactly `count` positional arguments; `what` names them in the error.
  void expect_positional(std::size_t count, const std::string& what) const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

}  // namespace hivemind::cli
