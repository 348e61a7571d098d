#include "hivemind/error.hpp"

#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

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

int run_guarded(const std::string& prefix, const std::function<int()>& body) {
  try {
    return body();
  } catch (const InputError& e) {
    std::cout.flush();  // what was printed before the error stays before it
    std::cerr << prefix << ": " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    std::cerr << prefix << ": out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << prefix << ": internal error: " << e.what() << "\n";
    return 1;
  } catch (...) {
    std::cerr << prefix << ": internal error\n";
    return 1;
  }
}

}  // namespace hivemind
