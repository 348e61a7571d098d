// `hivemind profile`: runs the profiler executables built beside `hivemind`, so LibTorch,
// protobuf and ONNX stay out of the main CLI (docs/profiling.md):
//   hivemind-profile       TorchScript models (LibTorch): profile_torch_main.cpp, src/model/torch/
//   hivemind-profile-onnx  ONNX models (onnx + protobuf): profile_onnx_main.cpp, src/model/onnx/
// The arguments pass through unchanged; the child's output and exit code are the command's.
#include <cctype>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "hivemind/error.hpp"
#include "sibling.hpp"

namespace hivemind::cli {

namespace {

bool ends_with_onnx(const std::string& s) {
  if (s.size() < 5) return false;
  std::string tail = s.substr(s.size() - 5);
  for (auto& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == ".onnx";
}

}  // namespace

int run_profile(const Argv& argv) {
  bool onnx = false;
  for (const auto& a : argv)
    if (ends_with_onnx(a)) onnx = true;
  const std::string exe = sibling_path(onnx ? "hivemind-profile-onnx" : "hivemind-profile");
  if (!is_executable(exe)) {
    const bool help = argv.empty() || argv[0] == "--help" || argv[0] == "-h";
    const std::string why =
        onnx ? "profile: this build has no ONNX support (install libonnx-dev libprotobuf-dev "
               "and rebuild)"
             : "profile: this build has no LibTorch (install libtorch-dev and rebuild)";
    if (help) {
      std::cout << "usage: hivemind profile MODEL.pt --input SHAPE [options]\n"
                   "       hivemind profile MODEL.onnx [options]\n"
                << why << "\n";
      return 0;
    }
    throw InputError(why);
  }
  exec_sibling(exe, argv, "profile");
}

}  // namespace hivemind::cli
