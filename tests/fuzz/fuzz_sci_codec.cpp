// Fuzz entry point of the SCI wire codec (issue 11; Sec. IV-C's messages between nodes): any
// bytes either decode into a message or are refused with InputError; every other outcome
// (crash, other exception, sanitizer report) is a bug. Beyond "no crash" it checks:
//  - a message that decodes re-encodes to the very same bytes (nothing is read loosely);
//  - whatever decode_sci accepts, sci_node accepts as its downstream message;
//  - a valid message built from the input with one byte changed is decoded or refused, never
//    more (so the replay over a text corpus exercises the whole decoder, not only the magic).
// Built like the parsers' entry points (tests/fuzz/CMakeLists.txt): fuzz_replay_sci_codec under
// ctest; with HIVEMIND_FUZZ=ON and clang, mkdir -p /tmp/corpus && ./fuzz_sci_codec /tmp/corpus
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "hivemind/error.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/sci_codec.hpp"

namespace {

using namespace hivemind::split;

std::uint64_t le(std::span<const std::uint8_t> b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int k = 0; k < n; ++k) v |= static_cast<std::uint64_t>(b[at + k]) << (8 * k);
  return v;
}

void check(bool ok) {
  if (!ok) std::abort();
}

void decode_all(std::span<const std::uint8_t> bytes, const MessageExpectation& expected) {
  try {
    const SciMessage m = decode_sci(bytes, expected);
    check(encode_sci(m.header, m.zeta) == std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
    const std::vector<double> compute(m.zeta.size() - 2, 1.0);
    SciNodeOutput out;
    sci_node({compute, {}, 0.0, m.zeta}, out);  // must not throw: decode checked the values
  } catch (const hivemind::InputError&) {
  }
  for (int D = 1; D <= kMaxParetoValuesPerLabel; ++D) {
    try {
      const ParetoMessage m = decode_pareto(bytes, expected, D);
      check(encode_pareto(m) == std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
    } catch (const hivemind::InputError&) {
    }
  }
}

// Decodes against a fixed receiver (L = 52) and against one that expects what the header says
// (so the fuzzer gets past the L / architecture / sender checks to the values).
void decode_both_ways(std::span<const std::uint8_t> bytes) {
  decode_all(bytes, {52, 0x0123456789abcdefULL, std::nullopt});
  if (bytes.size() >= kSciHeaderBytes) {
    const auto L = std::min<std::uint64_t>(le(bytes, 8, 4), kMaxWireLayers + 1);
    decode_all(bytes, {static_cast<int>(L), le(bytes, 16, 8),
                       static_cast<std::uint32_t>(le(bytes, 12, 4))});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  decode_both_ways(bytes);
  if (size < 3) return 0;
  // A valid SCI message and a Pareto message made of the input: L from the first byte, values
  // from the following bytes (k/8, 255 = +inf in SCI), then byte data[1] of it xor data[2].
  const int L = 1 + data[0] % 64;
  MessageHeader header{0x5eed, size, data[1]};
  std::vector<double> zeta(static_cast<std::size_t>(L) + 2);
  for (std::size_t i = 0; i < zeta.size(); ++i) {
    const std::uint8_t b = data[(3 + i) % size];
    zeta[i] = b == 255 ? HUGE_VAL : b / 8.0;
  }
  ParetoMessage pareto{header, 2, {}};
  pareto.fronts.resize(zeta.size());
  for (std::size_t i = 0; i < zeta.size(); ++i)
    for (int k = 0; k < data[(5 + i) % size] % 4; ++k)
      pareto.fronts[i].push_back({data[(7 + i + k) % size] / 4.0, data[(9 + i) % size] / 2.0});
  for (std::vector<std::uint8_t> message : {encode_sci(header, zeta), encode_pareto(pareto)}) {
    message[data[1] % message.size()] ^= data[2];
    decode_both_ways(message);
  }
  return 0;
}
