#include "hivemind/model/profiler_cli.hpp"

#include <cstdlib>
#include <exception>
#include <iostream>
#include <new>

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
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const InputError& e) {
    std::cout.flush();
    std::cerr << "hivemind: profile: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    std::cerr << "hivemind: profile: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "hivemind: profile: internal error: " << e.what() << "\n";
    return 1;
  } catch (...) {
    std::cerr << "hivemind: profile: internal error\n";
    return 1;
  }
}

}  // namespace hivemind::model
