#include "hivemind/error.hpp"

#include <cmath>
#include <cstdio>

namespace hivemind {

std::string exact_number(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

void require_non_negative(double x, const std::string& field) {
  if (!std::isfinite(x)) throw InputError(field + ": " + exact_number(x) + " is not finite");
  if (x < 0) throw InputError(field + ": " + exact_number(x) + " is negative");
}

}  // namespace hivemind
