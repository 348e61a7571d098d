#include "hivemind/model/profiler_cli.hpp"

#include <cstdlib>
#include <iostream>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"

namespace hivemind::model {

std::vector<long long> parse_input_dims(const std::string& dims, const std::string& part) {
  std::vector<long long> shape;
  std::size_t p = 0;
  while (p <= dims.size()) {
    std::size_t q = dims.find(',', p);
    if (q == std::string::npos) q = dims.size();
    const std::string d = dims.substr(p, q - p);
    char* stop = nullptr;
    const long long v = std::strtoll(d.c_str(), &stop, 10);
    if (d.empty() || *stop != '\0' || v < 1 || v > (1LL << 31))
      throw InputError("--input: dimension \"" + d + "\" in \"" + part +
                       "\" is not a positive integer");
    shape.push_back(v);
    p = q + 1;
  }
  return shape;
}

void emit_profile(const std::optional<std::string>& out, const std::string& json) {
  if (out)
    write_text_file_atomic(*out, json);
  else
    std::cout << json << std::flush;
}

int profiler_main(int argc, char** argv, int (*run)(const std::vector<std::string>&)) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return run_guarded("hivemind: profile", [&] { return run(args); });
}

}  // namespace hivemind::model
