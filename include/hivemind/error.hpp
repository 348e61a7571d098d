// Errors shared by every HiveMind module.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hivemind {

// `text` made safe to print as one terminal line: control characters (newline, ESC, DEL, NUL,
// ...) and UTF-8 C1 controls become visible escapes (\n, \t, \x1b, \x00, \u009b), and text
// beyond 2,000 bytes is cut ("..."). InputError and run_guarded pass every message through it,
// and the CLI every file name or flag value it prints, so input echoed into an error or a
// report (a file name, a string from a file) can never add a line or drive the terminal.
std::string one_line(std::string_view text);

// Bad input from a user: a malformed file, flag or message. The message is one line that
// names the field and the value ("nodes[1].compute[2]: -1 is negative"). The CLI prints it
// on stderr and exits with code 2; library callers catch it like any std::runtime_error.
// The message is stored through one_line: what() is a C string, so a NUL byte echoed from
// input (a path read from a file) would otherwise cut the line before its reason, and a
// newline would split it.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(one_line(what)) {}
};

// Exit code of every HiveMind command on bad input or bad usage.
inline constexpr int kExitBadInput = 2;

// The body of every HiveMind executable's main(): runs `body` and turns any exception into
// one stderr line "PREFIX: message" (through one_line) — InputError -> exit code 2 (kExitBadInput),
// anything else -> "PREFIX: internal error: ..." and 1. No exception escapes.
int run_guarded(const std::string& prefix, const std::function<int()>& body);

// A number as it goes into an error message: every digit needed to read it back ("%.17g").
std::string exact_number(double x);

// Throws InputError "FIELD: VALUE is not finite" / "FIELD: VALUE is negative": the one check
// of every cost, size and byte count a user gives.
void require_non_negative(double x, const std::string& field);

}  // namespace hivemind
