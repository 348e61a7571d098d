// Fuzz entry point of the runtime's tensor wire format (include/hivemind/runtime/tensor_wire.hpp:
// the live values a node sends downstream in a split task): any bytes either decode into
// values or are refused with InputError; every other outcome (crash, other exception,
// sanitizer report) is a bug. Beyond "no crash" it checks:
//  - values that decode re-encode to the very same bytes (the format is canonical);
//  - a valid message built from the input (a tuple of a uint8 tensor holding its bytes and a
//    float tensor) with one byte changed is decoded or refused, never more, so the replay over
//    a text corpus exercises the whole decoder, not only the magic.
// Built like the other entry points (tests/fuzz/CMakeLists.txt), when the runtime is built.
#include <torch/torch.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "hivemind/error.hpp"
#include "hivemind/runtime/tensor_wire.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void decode_all(std::string_view bytes) {
  try {
    const std::vector<c10::IValue> values = hivemind::runtime::decode_values(bytes, "fuzz");
    std::string again;
    hivemind::runtime::encode_values(values, again);
    check(again == bytes);
  } catch (const hivemind::InputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  decode_all(input);
  // A valid message from the input, then one byte of it changed as the input says.
  const auto n = static_cast<std::int64_t>(std::min<std::size_t>(size, 64));
  at::Tensor bytes = torch::empty({n}, torch::kUInt8);
  if (n > 0) std::memcpy(bytes.data_ptr(), data, static_cast<std::size_t>(n));
  const std::vector<c10::IValue> values = {
      c10::ivalue::Tuple::create({c10::IValue(bytes), c10::IValue(torch::ones({2, 3}))})};
  std::string message;
  hivemind::runtime::encode_values(values, message);
  decode_all(message);
  if (size >= 2) {
    message[data[0] % message.size()] = static_cast<char>(data[1]);
    decode_all(message);
  }
  return 0;
}
