#include "hivemind/budget.hpp"

#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "hivemind/error.hpp"

namespace hivemind {

namespace {

std::string g(double x, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, x);
  return buf;
}

// "needs" and "budget" with `digits_from` significant digits, more where 3 would print them equal
// (an estimate just above the budget must not read "needs 3e+09, above the budget of 3e+09").
std::pair<std::string, std::string> two_numbers(double needs, double budget, int digits_from = 3) {
  for (int digits = digits_from; digits < 17; ++digits) {
    std::string a = g(needs, digits), b = g(budget, digits);
    if (a != b) return {a, b};
  }
  return {g(needs, 17), g(budget, 17)};
}

}  // namespace

void check_steps(const Budget& budget, double steps, std::string_view what) {
  if (steps <= budget.steps) return;  // false for NaN: refused
  const auto [needs, limit] = two_numbers(steps, budget.steps);
  throw InputError(std::string(what) + ": needs " + needs + " steps, above the budget of " + limit +
                   " (raise it with --max-steps)");
}

void check_bytes(const Budget& budget, double bytes, std::string_view what) {
  if (bytes <= budget.bytes) return;
  // In MiB, the flag's unit.
  const double mib = 1024.0 * 1024.0;
  const auto [needs, limit] = two_numbers(bytes / mib, budget.bytes / mib, 6);
  throw InputError(std::string(what) + ": needs " + needs + " MiB, above the budget of " + limit +
                   " MiB (raise it with --max-memory-mib)");
}

}  // namespace hivemind
