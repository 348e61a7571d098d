#include "hivemind/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

namespace hivemind {

std::string one_line(std::string_view text) {
  constexpr std::size_t kMaxBytes = 2000;
  std::string out;
  out.reserve(std::min(text.size(), kMaxBytes) + 8);
  char buf[8];
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= kMaxBytes) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      // U+0080..U+009F (C1 controls, e.g. CSI) as UTF-8: some terminals act on them.
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(text[++i]));
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

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
    std::cerr << one_line(prefix + ": " + e.what()) << "\n";
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    std::cerr << prefix << ": out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << one_line(prefix + ": internal error: " + e.what()) << "\n";
    return 1;
  } catch (...) {
    std::cerr << prefix << ": internal error\n";
    return 1;
  }
}

}  // namespace hivemind
