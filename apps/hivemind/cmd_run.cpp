// `hivemind run`: split inference across local node daemons. It runs the launcher built beside
// `hivemind` (hivemind-run: run_main.cpp, which links LibTorch and gRPC), so neither enters the
// main CLI. The arguments pass through unchanged; the launcher's output and exit code are the
// command's.
#include <iostream>

#include "commands.hpp"
#include "hivemind/error.hpp"
#include "sibling.hpp"

namespace hivemind::cli {

int run_run(const Argv& argv) {
  const std::string exe = sibling_path("hivemind-run");
  if (!is_executable(exe)) {
    const std::string why =
        "run: this build has no runtime (hivemind-run needs HIVEMIND_WITH_GRPC: install "
        "libgrpc++-dev protobuf-compiler-grpc libtorch-dev and rebuild)";
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
      std::cout << "usage: hivemind run [--route ROUTE.json] [--model MODEL.pt] [options]\n"
                << why << "\n";
      return 0;
    }
    throw InputError(why);
  }
  exec_sibling(exe, argv, "run");
}

}  // namespace hivemind::cli
