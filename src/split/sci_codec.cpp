// Wire codec of the SCI messages (Sec. IV-C, Fig. 4: node p sends zeta^p, Algorithm 1's
// output, to node p-1) and of the exact method's Pareto-front messages. Layout: docs/formats.md.
#include "hivemind/split/sci_codec.hpp"

#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>

#include "hivemind/error.hpp"
#include "hivemind/split/problem.hpp"

namespace hivemind::split {

static_assert(std::numeric_limits<float>::is_iec559 && sizeof(float) == 4,
              "the wire carries IEEE-754 binary32 values");
static_assert(std::numeric_limits<double>::is_iec559 && sizeof(double) == 8);

namespace {

// Header layout (docs/formats.md): every offset in bytes, every integer little endian.
constexpr std::size_t kMagicAt = 0;    // 4 ASCII bytes: kind of message
constexpr std::size_t kVersionAt = 4;  // uint16 format version
constexpr std::size_t kValuesAt = 6;   // uint16 float32 values per label (SCI: 1)
constexpr std::size_t kLayersAt = 8;   // uint32 L
constexpr std::size_t kSenderAt = 12;  // uint32 sender's position p
constexpr std::size_t kArchAt = 16;    // uint64 architecture hash
constexpr std::size_t kEpochAt = 24;   // uint64 epoch / sequence number
static_assert(kEpochAt + 8 == kSciHeaderBytes);

constexpr std::uint8_t kSciMagic[4] = {'H', 'M', 'S', 'C'};
constexpr std::uint8_t kParetoMagic[4] = {'H', 'M', 'P', 'F'};
constexpr double kFloatMax = std::numeric_limits<float>::max();

// ---- little-endian bytes, assembled explicitly (no memcpy of host integers) ----

void put_u16(std::uint8_t* at, std::uint16_t v) {
  at[0] = static_cast<std::uint8_t>(v);
  at[1] = static_cast<std::uint8_t>(v >> 8);
}
void put_u32(std::uint8_t* at, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) at[k] = static_cast<std::uint8_t>(v >> (8 * k));
}
void put_u64(std::uint8_t* at, std::uint64_t v) {
  for (int k = 0; k < 8; ++k) at[k] = static_cast<std::uint8_t>(v >> (8 * k));
}
std::uint16_t get_u16(const std::uint8_t* at) {
  return static_cast<std::uint16_t>(at[0] | (at[1] << 8));
}
std::uint32_t get_u32(const std::uint8_t* at) {
  std::uint32_t v = 0;
  for (int k = 0; k < 4; ++k) v |= static_cast<std::uint32_t>(at[k]) << (8 * k);
  return v;
}
std::uint64_t get_u64(const std::uint8_t* at) {
  std::uint64_t v = 0;
  for (int k = 0; k < 8; ++k) v |= static_cast<std::uint64_t>(at[k]) << (8 * k);
  return v;
}
// A float32 on the wire is its IEEE-754 bit pattern as a little-endian uint32.
void put_f32(std::uint8_t* at, double v) {
  put_u32(at, std::bit_cast<std::uint32_t>(static_cast<float>(v)));
}
double get_f32(const std::uint8_t* at) {
  return static_cast<double>(std::bit_cast<float>(get_u32(at)));
}

std::string text(double x) {  // a float32 value in an error: every digit it has
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}
std::string hex(std::uint64_t x) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, x);
  return buf;
}

// ---- header ----

void put_header(std::uint8_t* at, const std::uint8_t (&magic)[4], int values_per_label, int L,
                const MessageHeader& h) {
  for (int k = 0; k < 4; ++k) at[kMagicAt + k] = magic[k];
  put_u16(at + kVersionAt, kSciWireVersion);
  put_u16(at + kValuesAt, static_cast<std::uint16_t>(values_per_label));
  put_u32(at + kLayersAt, static_cast<std::uint32_t>(L));
  put_u32(at + kSenderAt, h.sender);
  put_u64(at + kArchAt, h.architecture);
  put_u64(at + kEpochAt, h.epoch);
}

void check_encode_layers(const char* what, std::size_t entries) {
  if (entries < 3 || entries - 2 > kMaxWireLayers)
    throw InputError(std::string(what) + ": " + std::to_string(entries) +
                     " split point sets, expected L + 2 with L in 1.." +
                     std::to_string(kMaxWireLayers));
}

// Reads and checks the header: the framing (size, magic, version, values per label, L range),
// then the receiver's expectations (L, architecture, sender). Returns L.
int read_header(const char* what, std::span<const std::uint8_t> bytes,
                const std::uint8_t (&magic)[4], int values_per_label,
                const MessageExpectation& expected, MessageHeader& header) {
  const std::string who(what);
  if (bytes.size() < kSciHeaderBytes)
    throw InputError(who + ": " + std::to_string(bytes.size()) +
                     " bytes, shorter than the 32-byte header");
  const std::uint8_t* b = bytes.data();
  bool magic_ok = true, sci = true, pareto = true;
  for (int k = 0; k < 4; ++k) {
    magic_ok &= b[kMagicAt + k] == magic[k];
    sci &= b[kMagicAt + k] == kSciMagic[k];
    pareto &= b[kMagicAt + k] == kParetoMagic[k];
  }
  if (!magic_ok) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "starts with %02x %02x %02x %02x, not \"%c%c%c%c\"", b[0], b[1],
                  b[2], b[3], magic[0], magic[1], magic[2], magic[3]);
    throw InputError(who + ": " + buf +
                     (sci      ? " (an SCI message)"
                      : pareto ? " (a Pareto-front message)"
                               : " (not a HiveMind message)"));
  }
  const std::uint16_t version = get_u16(b + kVersionAt);
  if (version != kSciWireVersion)
    throw InputError(who + ": format version " + std::to_string(version) +
                     ", this build reads version " + std::to_string(kSciWireVersion));
  const std::uint16_t values = get_u16(b + kValuesAt);
  if (values != values_per_label)
    throw InputError(who + ": " + std::to_string(values) + " values per label, expected " +
                     std::to_string(values_per_label));
  const std::uint32_t L = get_u32(b + kLayersAt);
  if (L < 1 || L > kMaxWireLayers)
    throw InputError(who + ": L = " + std::to_string(L) + " is outside 1.." +
                     std::to_string(kMaxWireLayers));
  if (static_cast<std::int64_t>(L) != expected.layers)
    throw InputError(who + ": L = " + std::to_string(L) +
                     ", this node plans L = " + std::to_string(expected.layers));
  header.sender = get_u32(b + kSenderAt);
  header.architecture = get_u64(b + kArchAt);
  header.epoch = get_u64(b + kEpochAt);
  if (header.architecture != expected.architecture)
    throw InputError(who + ": planned for a different model (architecture hash " +
                     hex(header.architecture) + ", this node's " + hex(expected.architecture) +
                     ")");
  if (expected.sender && header.sender != *expected.sender)
    throw InputError(who + ": from node " + std::to_string(header.sender) +
                     ", this node expects node " + std::to_string(*expected.sender));
  return static_cast<int>(L);
}

// ---- architecture hash: FNV-1a 64 over a canonical byte string, then a finaliser ----

class Fnv1a {
 public:
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t k = 0; k < n; ++k) h_ = (h_ ^ p[k]) * 0x100000001b3ULL;
  }
  void u64(std::uint64_t v) {
    std::uint8_t b[8];
    put_u64(b, v);
    bytes(b, 8);
  }
  void f64(double v) { u64(std::bit_cast<std::uint64_t>(v == 0.0 ? 0.0 : v)); }  // -0 is 0
  // splitmix64's finaliser: FNV's last bytes only reach the low bits, this spreads them.
  std::uint64_t digest() const {
    std::uint64_t z = h_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace

std::uint64_t architecture_hash(int layers, std::span<const double> cut_bytes,
                                std::span<const double> param_bytes,
                                std::span<const std::string> names) {
  const std::string L = std::to_string(layers);
  if (layers < 1)
    throw InputError("architecture_hash: L = " + L + ", a model has at least one layer");
  const std::size_t n = static_cast<std::size_t>(layers);
  if (cut_bytes.size() != n + 1)
    throw InputError("architecture_hash: " + std::to_string(cut_bytes.size()) +
                     " cut sizes for L = " + L + ", expected L + 1 (s_0..s_L)");
  if (!param_bytes.empty() && param_bytes.size() != n)
    throw InputError("architecture_hash: " + std::to_string(param_bytes.size()) +
                     " parameter sizes for L = " + L + ", expected L or none");
  if (!names.empty() && names.size() != n)
    throw InputError("architecture_hash: " + std::to_string(names.size()) +
                     " layer names for L = " + L + ", expected L or none");
  Fnv1a h;
  h.bytes("hivemind.arch/v1", 16);
  h.u64(n);
  h.u64(cut_bytes.size());
  for (const double s : cut_bytes) h.f64(s);
  h.u64(param_bytes.size());
  for (const double s : param_bytes) h.f64(s);
  h.u64(names.size());
  for (const std::string& name : names) {
    h.u64(name.size());
    h.bytes(name.data(), name.size());
  }
  return h.digest();
}

std::uint64_t architecture_hash(const Problem& problem) {
  std::vector<double> cuts;
  cuts.reserve(problem.output_bytes.size() + 1);
  cuts.push_back(problem.input_bytes);
  cuts.insert(cuts.end(), problem.output_bytes.begin(), problem.output_bytes.end());
  return architecture_hash(problem.layers, cuts);
}

// ---- SCI message ----

void encode_sci(const MessageHeader& header, std::span<const double> zeta,
                std::vector<std::uint8_t>& out) {
  check_encode_layers("encode_sci", zeta.size());
  const int L = static_cast<int>(zeta.size()) - 2;
  for (std::size_t i = 0; i < zeta.size(); ++i) {
    const double z = zeta[i];
    if (!(z >= 0.0) || (z > kFloatMax && z != HUGE_VAL))
      throw InputError("encode_sci: zeta[" + std::to_string(i) + "] = " + exact_number(z) +
                       (z >= 0.0 ? " is above the float32 range" : " is not a cost") +
                       " (must be >= 0 or +inf)");
  }
  out.resize(sci_message_bytes(L));
  put_header(out.data(), kSciMagic, 1, L, header);
  std::uint8_t* at = out.data() + kSciHeaderBytes;
  for (const double z : zeta) {
    put_f32(at, z);  // rounded to nearest: relative error <= 2^-24 (docs/formats.md)
    at += 4;
  }
}

std::vector<std::uint8_t> encode_sci(const MessageHeader& header, std::span<const double> zeta) {
  std::vector<std::uint8_t> out;
  encode_sci(header, zeta, out);
  return out;
}

void decode_sci(std::span<const std::uint8_t> bytes, const MessageExpectation& expected,
                SciMessage& out) {
  const int L = read_header("SCI message", bytes, kSciMagic, 1, expected, out.header);
  const std::size_t want = sci_message_bytes(L);
  if (bytes.size() != want)
    throw InputError("SCI message: " + std::to_string(bytes.size()) +
                     " bytes, L = " + std::to_string(L) + " needs exactly " + std::to_string(want) +
                     " (32-byte header + " + std::to_string(L + 2) + " float32)");
  out.zeta.resize(static_cast<std::size_t>(L) + 2);
  const std::uint8_t* at = bytes.data() + kSciHeaderBytes;
  bool ok = true;
  for (double& z : out.zeta) {
    z = get_f32(at);
    ok &= z >= 0.0;  // NaN and negative fail; +inf passes ("no finite plan from here")
    at += 4;
  }
  if (ok) return;
  for (std::size_t i = 0; i < out.zeta.size(); ++i)
    if (!(out.zeta[i] >= 0.0))
      throw InputError("SCI message: zeta[" + std::to_string(i) + "] = " + text(out.zeta[i]) +
                       " is not a cost (must be >= 0 or +inf)");
}

SciMessage decode_sci(std::span<const std::uint8_t> bytes, const MessageExpectation& expected) {
  SciMessage out;
  decode_sci(bytes, expected, out);
  return out;
}

// ---- Pareto-front message ----

std::vector<std::uint8_t> encode_pareto(const ParetoMessage& message) {
  const int D = message.values_per_label;
  if (D < 1 || D > kMaxParetoValuesPerLabel)
    throw InputError("encode_pareto: " + std::to_string(D) + " values per label, expected 1.." +
                     std::to_string(kMaxParetoValuesPerLabel));
  check_encode_layers("encode_pareto", message.fronts.size());
  const int L = static_cast<int>(message.fronts.size()) - 2;
  std::size_t labels = 0;
  for (std::size_t i = 0; i < message.fronts.size(); ++i) {
    const auto& front = message.fronts[i];
    if (front.size() > std::numeric_limits<std::uint32_t>::max())
      throw InputError("encode_pareto: front " + std::to_string(i) + " has " +
                       std::to_string(front.size()) + " labels, more than a uint32 counts");
    for (std::size_t k = 0; k < front.size(); ++k) {
      const std::string where =
          "encode_pareto: front " + std::to_string(i) + ", label " + std::to_string(k);
      if (front[k].size() != static_cast<std::size_t>(D))
        throw InputError(where + " has " + std::to_string(front[k].size()) + " values, expected " +
                         std::to_string(D));
      for (int d = 0; d < D; ++d) {
        const double v = front[k][d];
        if (!(v >= 0.0 && v <= kFloatMax))
          throw InputError(where + ", value " + std::to_string(d) + " = " + exact_number(v) +
                           " is not a finite float32 cost (must be >= 0)");
      }
    }
    labels += front.size();
  }
  std::vector<std::uint8_t> out(pareto_message_bytes(L, D, labels));
  put_header(out.data(), kParetoMagic, D, L, message.header);
  std::uint8_t* at = out.data() + kSciHeaderBytes;
  for (const auto& front : message.fronts) {
    put_u32(at, static_cast<std::uint32_t>(front.size()));
    at += 4;
    for (const auto& label : front)
      for (const double v : label) {
        put_f32(at, v);
        at += 4;
      }
  }
  return out;
}

ParetoMessage decode_pareto(std::span<const std::uint8_t> bytes, const MessageExpectation& expected,
                            int values_per_label) {
  ParetoMessage m;
  if (values_per_label < 1 || values_per_label > kMaxParetoValuesPerLabel)
    throw InputError("decode_pareto: " + std::to_string(values_per_label) +
                     " values per label asked for, expected 1.." +
                     std::to_string(kMaxParetoValuesPerLabel));
  m.values_per_label = values_per_label;
  const int L =
      read_header("Pareto message", bytes, kParetoMagic, values_per_label, expected, m.header);
  const std::size_t D = static_cast<std::size_t>(values_per_label);
  const std::size_t sets = static_cast<std::size_t>(L) + 2;
  // Every count needs 4 bytes: check the minimum size before reading any.
  if (bytes.size() < kSciHeaderBytes + 4 * sets)
    throw InputError("Pareto message: " + std::to_string(bytes.size()) +
                     " bytes, L = " + std::to_string(L) + " needs at least " +
                     std::to_string(kSciHeaderBytes + 4 * sets) + " (32-byte header + " +
                     std::to_string(sets) + " label counts)");
  m.fronts.resize(sets);
  std::size_t at = kSciHeaderBytes;
  for (std::size_t i = 0; i < sets; ++i) {
    const std::uint64_t count = get_u32(bytes.data() + at);
    at += 4;
    // Bytes this front's labels need, against what is left once the later counts are kept
    // (64-bit: at most 2^32 * 5 * 4): a corrupt count never makes us allocate.
    const std::uint64_t need = count * D * 4;
    const std::uint64_t left = bytes.size() - at - 4 * (sets - 1 - i);
    if (need > left)
      throw InputError("Pareto message: front " + std::to_string(i) + " claims " +
                       std::to_string(count) + " labels (" + std::to_string(need) +
                       " bytes), only " + std::to_string(left) + " bytes left for it");
    auto& front = m.fronts[i];
    front.resize(count);
    for (std::size_t k = 0; k < count; ++k) {
      front[k].resize(D);
      for (std::size_t d = 0; d < D; ++d) {
        const double v = get_f32(bytes.data() + at);
        at += 4;
        if (!(v >= 0.0 && v <= kFloatMax))
          throw InputError("Pareto message: front " + std::to_string(i) + ", label " +
                           std::to_string(k) + ", value " + std::to_string(d) + " = " + text(v) +
                           " is not a finite cost (must be >= 0)");
        front[k][d] = v;
      }
    }
  }
  if (at != bytes.size())
    throw InputError("Pareto message: " + std::to_string(bytes.size() - at) +
                     " bytes after the last front (the fronts end at byte " + std::to_string(at) +
                     ")");
  return m;
}

}  // namespace hivemind::split
