// `hivemind profile`: runs the profiler executables built beside `hivemind`, so LibTorch,
// protobuf and ONNX stay out of the main CLI (docs/profiling.md):
//   hivemind-profile       TorchScript models (LibTorch): profile_torch_main.cpp, src/model/torch/
//   hivemind-profile-onnx  ONNX models (onnx + protobuf): profile_onnx_main.cpp, src/model/onnx/
// The arguments pass through unchanged; the child's output and exit code are the command's.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "hivemind/error.hpp"

namespace hivemind::cli {

namespace {

// Folder of the running executable (/proc/self/exe), with a trailing '/'.
std::string own_folder() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, static_cast<std::size_t>(n));
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

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
  const std::string exe = own_folder() + (onnx ? "hivemind-profile-onnx" : "hivemind-profile");
  if (::access(exe.c_str(), X_OK) != 0) {
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
  std::vector<std::string> args;
  args.push_back(exe);
  args.insert(args.end(), argv.begin(), argv.end());
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::cout.flush();
  ::execv(exe.c_str(), cargs.data());
  throw InputError("profile: cannot run " + exe + ": " + std::strerror(errno));
}

}  // namespace hivemind::cli
