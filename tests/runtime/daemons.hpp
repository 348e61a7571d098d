// Transitional: testing::Chain, the runtime's LocalChain on the test's hivemind-node.
#pragma once

#include "hivemind/runtime/local_chain.hpp"
#include "runtime_testing.hpp"

namespace hivemind::runtime::testing {

struct Chain : LocalChain {
  explicit Chain(fs::path dir) : LocalChain(HIVEMIND_NODE_EXE, std::move(dir)) {}
};

}  // namespace hivemind::runtime::testing
