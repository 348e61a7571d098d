// Wire codec of the SCI messages (Sec. IV-C, Fig. 4, Algorithm 1): what node p sends node p-1.
//
// Two messages share one 32-byte header (docs/formats.md, "SCI message (wire encoding)", gives
// the layout byte by byte):
//  - the SCI message: zeta^p_0 .. zeta^p_{L+1} (Algorithm 1, line 9), L+2 float32 values;
//  - the Pareto-front message of the `exact` method (docs/extensions.md): per split point set
//    i = 0..L+1 a uint32 label count, then per label (1 + C) float32 values.
// Every field is written byte by byte in little endian, whatever the host. Decoding checks
// everything (length, magic, version, L against the receiver's L and a bound, the model's
// architecture hash, the sender, every value) and refuses with one hivemind::InputError line
// naming what is wrong and the values; the receiver never sees a half-checked message.
//
// Values are costs: >= 0. In an SCI message +inf is allowed and means "no finite plan from this
// split point set" (a layer forbidden downstream, a pinned layer, the sink's unreachable sets);
// in a Pareto front a label is one concrete way to run the rest, so it is finite (no way at all
// is an empty front). NaN and negative values are always refused; -0 reads as 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hivemind/split/sci.hpp"

namespace hivemind::split {

struct Problem;

// Wire format version this build writes and the only one it reads.
inline constexpr std::uint16_t kSciWireVersion = 1;
// Largest L a message may carry (the problem file's bound, docs/formats.md).
inline constexpr std::uint32_t kMaxWireLayers = 1'000'000;
// Values per label of a Pareto-front message: 1 (best effort) + at most 4 limited metrics
// (kMaxExactLimits of objectives.hpp).
inline constexpr int kMaxParetoValuesPerLabel = 5;

// Hash of a model's architecture: what every node of a chain must agree on to plan the same
// model — L, the bytes of every cut s_0..s_L, the parameter bytes of every layer, the layer
// names — and nothing a node measures alone (latencies differ per node, so they are not in it).
// `cut_bytes`: L+1 values (s_0 = the input, s_l after layer l); `param_bytes` and `names`: L
// values, or empty when the caller has none (an empty list hashes differently from zeros, so
// every node must pass the same fields). Not a cryptographic hash: it catches nodes configured
// with different models, not an attacker (docs/formats.md gives the algorithm: FNV-1a 64 over a
// canonical byte string, then a 64-bit finaliser). Throws InputError on wrong sizes.
std::uint64_t architecture_hash(int layers, std::span<const double> cut_bytes,
                                std::span<const double> param_bytes = {},
                                std::span<const std::string> names = {});
// The same for a problem file: L and its cut bytes (it has no names or parameter bytes).
std::uint64_t architecture_hash(const Problem& problem);

// The header fields a sender chooses (the rest — magic, version, L, values per label — follows
// from the message kind and its values).
struct MessageHeader {
  std::uint64_t architecture = 0;  // architecture_hash of the model planned
  std::uint64_t epoch = 0;         // epoch / sequence number: which round of planning
  std::uint32_t sender = 0;        // the sender's position p in the chain (0 = source)
};

// What the receiver knows and checks a message against.
struct MessageExpectation {
  int layers = 0;                       // its own L
  std::uint64_t architecture = 0;       // its own architecture_hash
  std::optional<std::uint32_t> sender;  // if set, the only position accepted (p+1 at node p)
};

// A decoded SCI message: the float32 values widened to double (exactly), ready to be a
// SciNodeInput::downstream_zeta.
struct SciMessage {
  MessageHeader header;
  std::vector<double> zeta;  // L+2 values
};

// Encodes zeta (L+2 values, L in 1..kMaxWireLayers) into sci_message_bytes(L) bytes. Each value
// is rounded to the nearest float32. Throws InputError if a value is NaN, negative or finite but
// above the float32 range (~3.4e38), or on a wrong size. The second form reuses `out`
// (no allocation once it has the capacity).
std::vector<std::uint8_t> encode_sci(const MessageHeader& header, std::span<const double> zeta);
void encode_sci(const MessageHeader& header, std::span<const double> zeta,
                std::vector<std::uint8_t>& out);

// Decodes and validates; throws InputError with one line ("SCI message: ...") on anything wrong.
// The second form reuses `out.zeta`.
SciMessage decode_sci(std::span<const std::uint8_t> bytes, const MessageExpectation& expected);
void decode_sci(std::span<const std::uint8_t> bytes, const MessageExpectation& expected,
                SciMessage& out);

// The Pareto-front message of the `exact` method, as a plain structure: src/split/exact.cpp
// keeps its fronts internal, so this codec encodes the documented wire form and the method's
// labels have to be copied into it (order kept: upstream names a label by its index, "cut x,
// label k"). A label's stop and downstream index stay with the sender; they are not sent.
struct ParetoMessage {
  MessageHeader header;
  int values_per_label = 2;  // D = 1 + C: best effort, then the C limited metrics
  // fronts[i], i = 0..L+1: the labels of split point set i, each a vector of D values.
  std::vector<std::vector<std::vector<double>>> fronts;
};

// Bytes of a Pareto-front message: the header, a uint32 count per split point set, D float32
// per label.
inline std::size_t pareto_message_bytes(int layers, int values_per_label, std::size_t labels) {
  return kSciHeaderBytes + static_cast<std::size_t>(layers + 2) * sizeof(std::uint32_t) +
         labels * static_cast<std::size_t>(values_per_label) * sizeof(std::uint32_t);
}

// Encodes (L = fronts.size() - 2, at least 1). Throws InputError on a label of the wrong size,
// a D outside 1..kMaxParetoValuesPerLabel, or a value that is not a finite float32 cost.
std::vector<std::uint8_t> encode_pareto(const ParetoMessage& message);

// Decodes and validates as decode_sci, plus D against `values_per_label` and every count
// against the bytes left; throws InputError with one line ("Pareto message: ...").
ParetoMessage decode_pareto(std::span<const std::uint8_t> bytes, const MessageExpectation& expected,
                            int values_per_label);

}  // namespace hivemind::split
