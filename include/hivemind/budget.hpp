// How much work and memory one call may ask for before it refuses (issue 10). A valid but
// huge input (L = 1e6 for an O(L^2) method, a simulation of 1e6 s, ...) is refused up front,
// from an estimate made of the input's sizes before the heavy work starts, with one line that
// names the flag raising the budget — instead of running for minutes or out of memory.
#pragma once

#include <string_view>

namespace hivemind {

struct Budget {
  // Elementary steps: one cost read-and-add in a solver, one user of one TTI in the scheduler,
  // ... About 1e9 steps a second on one core of the 2-core reference VM, so the default keeps
  // every accepted call within a few seconds. CLI flag: --max-steps.
  double steps = 3e9;
  // Bytes of the tables a call allocates for its input (cost tables, traces, records).
  // CLI flag: --max-memory-mib.
  double bytes = 1024.0 * 1024.0 * 1024.0;
};

// Throws InputError "WHAT: needs 1.2e+11 steps, above the budget of 3e+09 (raise it with
// --max-steps)" when `steps` (an estimate; may be +inf or NaN, both refused) exceeds the budget.
void check_steps(const Budget& budget, double steps, std::string_view what);
// The same for memory: "WHAT: needs 15258.8 MiB, above the budget of 1024 MiB (raise it with
// --max-memory-mib)". Numbers get 3 (steps) or 6 (MiB) significant digits, more where that
// would print the need and the budget alike.
void check_bytes(const Budget& budget, double bytes, std::string_view what);

}  // namespace hivemind
