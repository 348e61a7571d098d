// Fuzz entry point of the model module's readers: route, device catalogue and model profile.
// The first byte picks the reader, the rest is the file. Any input parses or is refused with
// InputError; anything else is a bug. See fuzz_problem.cpp for how it is built and run.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hivemind/error.hpp"
#include "hivemind/model/devices.hpp"
#include "hivemind/model/profile.hpp"
#include "hivemind/model/route.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Every reader sees every input: the corpus holds files of all formats.
  try {
    hivemind::model::parse_route(text, "fuzz");
  } catch (const hivemind::InputError&) {
  }
  try {
    hivemind::model::parse_device_catalog(text, "fuzz");
  } catch (const hivemind::InputError&) {
  }
  try {
    hivemind::model::parse_model_profile(text, "fuzz");
  } catch (const hivemind::InputError&) {
  }
  return 0;
}
