// A small, strict command-line parser: every unknown option or missing value is an InputError
// that names it, so the CLI exits 2 with one line.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace hivemind::cli {

class Args {
 public:
  // `valued`: options that take a value (--name VALUE or --name=VALUE); `flags`: switches.
  // "--help"/"-h" is always a switch. Throws InputError on unknown options or missing values.
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
  const std::vector<std::string>& positional() const { return positional_; }
  // Requires exactly `count` positional arguments; `what` names them in the error.
  void expect_positional(std::size_t count, const std::string& what) const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

}  // namespace hivemind::cli
