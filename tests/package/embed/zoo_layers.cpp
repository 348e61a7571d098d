// Reads a zoo model from the installed data/ (hivemind_DATA_DIR of the CMake package) and
// prints its layer count and input size: hivemind::model links and finds its data.
#include <cstdio>

#include "hivemind/error.hpp"
#include "hivemind/model/zoo.hpp"

int main() {
  return hivemind::run_guarded("zoo_layers", [] {
    const auto profile = hivemind::model::load_model("resnet18", HIVEMIND_DATA);
    std::printf("%s: %zu layers, input %.0f bytes, from %s\n", profile.model.c_str(),
                profile.layers.size(), profile.input_bytes, HIVEMIND_DATA);
    return 0;
  });
}
