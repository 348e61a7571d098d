// Fuzz entry point of the model module's readers: route, device catalogue, model profile and
// latency models, plus the derivation of a parsed profile's missing classes.
// The first byte picks the reader, the rest is the file. Any input parses or is refused with
// InputError; anything else is a bug. See fuzz_problem.cpp for how it is built and run.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hivemind/error.hpp"
#include "hivemind/model/devices.hpp"
#include "hivemind/model/latency_model.hpp"
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
    hivemind::model::parse_latency_models(text, "fuzz");
  } catch (const hivemind::InputError&) {
  }
  try {
    // A profile that parses is also derived onto every class of a small fixed catalogue (one
    // measurement is enough, latency_model.hpp).
    hivemind::model::ModelProfile p = hivemind::model::parse_model_profile(text, "fuzz");
    if (p.layers.size() <= 10'000) {
      static const auto models = [] {
        std::vector<hivemind::model::LatencyModel> m(2);
        m[0].device_class = "cpu1";
        m[1].device_class = "cuda";
        for (int g = 0; g < hivemind::model::kLayerGroups; ++g) {
          m[0].groups[g] = {50e-6, 1e11, 10};
          m[1].groups[g] = {20e-6, 1e13, 10};
        }
        return m;
      }();
      hivemind::model::derive_missing_classes(p, models);
    }
  } catch (const hivemind::InputError&) {
  }
  return 0;
}
