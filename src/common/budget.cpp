#include "hivemind/budget.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "hivemind/error.hpp"

namespace hivemind {

namespace {
std::string g(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}
}  // namespace

void check_steps(const Budget& budget, double steps, std::string_view what) {
  if (steps <= budget.steps) return;  // false for NaN: refused
  throw InputError(std::string(what) + ": needs " + g(steps) + " steps, above the budget of " +
                   g(budget.steps) + " (raise it with --max-steps)");
}

void check_bytes(const Budget& budget, double bytes, std::string_view what) {
  if (bytes <= budget.bytes) return;
  const double gib = 1024.0 * 1024.0 * 1024.0;
  throw InputError(std::string(what) + ": needs " + g(bytes / gib) + " GiB, above the budget of " +
                   g(budget.bytes / gib) + " GiB (raise it with --max-memory-mib)");
}

}  // namespace hivemind
