// What the two profiler executables (hivemind-profile for TorchScript, hivemind-profile-onnx
// for ONNX) share: parsing an input shape from --input, writing the profile, and the main()
// wrapper that turns errors into one stderr line and exit code 2. Kept in hivemind_model so
// neither heavy target depends on the other.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hivemind::model {

// "1,3,224,224" -> {1, 3, 224, 224}. `part` is the whole --input item, quoted in errors.
// Throws InputError naming the bad dimension.
std::vector<long long> parse_input_dims(const std::string& dims, const std::string& part);

// Writes the profile JSON atomically to `out`, or to stdout when there is none.
void emit_profile(const std::optional<std::string>& out, const std::string& json);

// Runs `run` on argv[1..]; InputError -> "hivemind: profile: MESSAGE" and exit code 2, any
// other exception -> "internal error" and exit code 1. No exception escapes.
int profiler_main(int argc, char** argv, int (*run)(const std::vector<std::string>&));

}  // namespace hivemind::model
