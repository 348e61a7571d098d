// Tensor wire (runtime/tensor_wire.hpp): round trips of every value a cut may hold, kinds as
// pickle_load gives them, every hostile message refused with one line, and the time against
// torch.save's pickle format (printed, not asserted).
#include "hivemind/runtime/tensor_wire.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "hivemind/error.hpp"

namespace hivemind::runtime {
namespace {

const std::string kWhat = "task 7";

// ---- helpers ----

// Same dtype, shape and bytes (bit-exact: NaNs and signed zeros included), decoded on the CPU.
void expect_same_tensor(const at::Tensor& got, const at::Tensor& want) {
  ASSERT_TRUE(got.defined());
  EXPECT_EQ(got.scalar_type(), want.scalar_type());
  EXPECT_EQ(got.sizes(), want.sizes());
  EXPECT_TRUE(got.device().is_cpu());
  EXPECT_TRUE(got.is_contiguous());
  if (got.scalar_type() != want.scalar_type() || got.sizes() != want.sizes()) return;
  const at::Tensor w = want.contiguous();
  const auto bytes = static_cast<std::size_t>(w.numel()) * w.element_size();
  if (bytes > 0) {
    EXPECT_EQ(std::memcmp(got.data_ptr(), w.data_ptr(), bytes), 0);
  }
}

void expect_same_value(const c10::IValue& got, const c10::IValue& want) {
  if (want.isTensor()) {
    ASSERT_TRUE(got.isTensor());
    expect_same_tensor(got.toTensor(), want.toTensor());
    return;
  }
  ASSERT_EQ(got.isTuple(), want.isTuple());
  ASSERT_EQ(got.isList(), want.isList());
  const std::vector<c10::IValue> g =
      got.isTuple() ? got.toTupleRef().elements().vec() : got.toListRef().vec();
  const std::vector<c10::IValue> w =
      want.isTuple() ? want.toTupleRef().elements().vec() : want.toListRef().vec();
  ASSERT_EQ(g.size(), w.size());
  for (std::size_t i = 0; i < g.size(); ++i) expect_same_value(g[i], w[i]);
}

std::vector<c10::IValue> round_trip(const std::vector<c10::IValue>& values) {
  std::string bytes;
  encode_values(values, bytes);
  return decode_values(bytes, kWhat);
}

// The kind tree of a value, e.g. "tuple(tensor,tensorlist(tensor,tensor))": what the executor's
// checks and the layers see (isTensor / isTuple / isTensorList / other list).
std::string kinds(const c10::IValue& v) {
  if (v.isTensor()) return "tensor";
  std::string s;
  std::vector<c10::IValue> elements;
  if (v.isTuple()) {
    s = "tuple(";
    elements = v.toTupleRef().elements().vec();
  } else if (v.isList()) {
    s = v.isTensorList() ? "tensorlist(" : "list<" + v.toList().elementType()->str() + ">(";
    elements = v.toListRef().vec();
  } else {
    return v.tagKind();
  }
  for (std::size_t i = 0; i < elements.size(); ++i) s += (i ? "," : "") + kinds(elements[i]);
  return s + ")";
}

std::string kinds(const std::vector<c10::IValue>& values) {
  return kinds(c10::IValue(c10::ivalue::Tuple::create(values)));
}

// The node's path before this codec (src/runtime/node.cpp, pickle/unpickle).
std::vector<c10::IValue> pickle_round_trip(const std::vector<c10::IValue>& values) {
  const std::vector<char> bytes = torch::pickle_save(c10::ivalue::Tuple::create(values));
  return torch::pickle_load(bytes).toTupleRef().elements().vec();
}

// decode_values(bytes) must throw InputError with one line starting "task 7: "; returns it.
std::string refusal(std::string_view bytes) {
  try {
    decode_values(bytes, kWhat);
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(kWhat + ": ", 0), 0u) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    return m;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an InputError: " << e.what();
    return "";
  }
  ADD_FAILURE() << "accepted " << bytes.size() << " bytes";
  return "";
}

std::string encode_refusal(const std::vector<c10::IValue>& values) {
  std::string out;
  try {
    encode_values(values, out);
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    return m;
  }
  ADD_FAILURE() << "encoded";
  return "";
}

// refusal(bytes) / encode_refusal(values) contains `want`.
void expect_refused(std::string_view bytes, const std::string& want) {
  const std::string m = refusal(bytes);
  EXPECT_NE(m.find(want), std::string::npos) << "refused with: " << m << "\nwanted: " << want;
}

void expect_refused_with_budget(std::string_view bytes, std::size_t max_values,
                                const std::string& want) {
  try {
    decode_values(bytes, kWhat, max_values);
    ADD_FAILURE() << "accepted with a budget of " << max_values;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
  }
}

void expect_encode_refused(const std::vector<c10::IValue>& values, const std::string& want) {
  const std::string m = encode_refusal(values);
  EXPECT_NE(m.find(want), std::string::npos) << "refused with: " << m << "\nwanted: " << want;
}

// Hand-made messages, field by field (little-endian like the host).
struct Message {
  std::string bytes;
  template <class T>
  Message& put(T x) {
    char b[sizeof(T)];
    std::memcpy(b, &x, sizeof(T));
    bytes.append(b, sizeof(T));
    return *this;
  }
  Message& u8(std::uint8_t x) { return put(x); }
  Message& u16(std::uint16_t x) { return put(x); }
  Message& u32(std::uint32_t x) { return put(x); }
  Message& i64(std::int64_t x) { return put(x); }
  Message& u64(std::uint64_t x) { return put(x); }
  Message& raw(const std::string& s) {
    bytes += s;
    return *this;
  }
  // "HMTV", version 1, `count` values.
  static Message header(std::uint32_t count) {
    Message m;
    m.raw("HMTV").u16(1).u32(count);
    return m;
  }
};

at::Tensor random_of(at::ScalarType type, at::IntArrayRef sizes) {
  if (type == at::kBool) return torch::randint(0, 2, sizes).to(at::kBool);
  if (at::isFloatingType(type)) return torch::randn(sizes).to(type);
  return torch::randint(-100, 100, sizes).to(type);
}

// A small message of every kind: tuple(float32 [2,2], list of (int64 [3])), bool 0-dim.
std::vector<c10::IValue> small_values() {
  torch::manual_seed(1);
  c10::List<at::Tensor> list;
  list.push_back(torch::arange(3, torch::kLong));
  return {c10::ivalue::Tuple::create({torch::randn({2, 2}), list}),
          torch::tensor(true, torch::kBool).reshape({})};
}

// ---- round trips ----

TEST(TensorWire, EveryDtypeRoundTripsBitExact) {
  torch::manual_seed(0);
  const std::vector<at::ScalarType> types = {at::kFloat, at::kDouble, at::kHalf,  at::kBFloat16,
                                             at::kChar,  at::kByte,   at::kShort, at::kInt,
                                             at::kLong,  at::kBool};
  for (const at::ScalarType type : types) {
    SCOPED_TRACE(c10::toString(type));
    at::Tensor t = random_of(type, {3, 5});
    if (at::isFloatingType(type)) {
      // Bits a value comparison would miss: NaN, infinities, -0.
      t[0][0] = std::numeric_limits<double>::quiet_NaN();
      t[0][1] = std::numeric_limits<double>::infinity();
      t[0][2] = -0.0;
    }
    const std::vector<c10::IValue> back = round_trip({t});
    ASSERT_EQ(back.size(), 1u);
    expect_same_tensor(back[0].toTensor(), t);
  }
}

TEST(TensorWire, ScalarsAndZeroSizeDimensionsRoundTrip) {
  const std::vector<c10::IValue> values = {
      torch::tensor(3.5, torch::kDouble).reshape({}),  // 0-dim: numel 1, 8 bytes
      torch::tensor(-7, torch::kLong).reshape({}),    torch::empty({0}),
      torch::empty({3, 0, 5}, torch::kHalf),          torch::empty({0, 0}, torch::kBool),
  };
  const std::vector<c10::IValue> back = round_trip(values);
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) expect_same_value(back[i], values[i]);
  EXPECT_EQ(back[0].toTensor().dim(), 0);
  EXPECT_EQ(back[0].toTensor().item<double>(), 3.5);
  EXPECT_EQ(back[1].toTensor().item<std::int64_t>(), -7);
}

TEST(TensorWire, NonContiguousInputsArriveContiguous) {
  torch::manual_seed(2);
  const at::Tensor base = torch::randn({4, 6});
  const std::vector<c10::IValue> values = {
      base.t(),                             // transposed: strides (1, 6)
      base.slice(/*dim=*/0, 1, 3),          // storage offset 6
      base.slice(/*dim=*/1, 0, 6, 2),       // every other column
      torch::randn({1, 5}).expand({3, 5}),  // stride 0
  };
  for (const auto& v : values) {
    ASSERT_TRUE(!v.toTensor().is_contiguous() || v.toTensor().storage_offset() != 0);
  }
  const std::vector<c10::IValue> back = round_trip(values);
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    expect_same_value(back[i], values[i]);
    EXPECT_TRUE(torch::equal(back[i].toTensor(), values[i].toTensor()));
  }
}

TEST(TensorWire, NestedTupleOfTensorAndTensorListRoundTrips) {
  torch::manual_seed(3);
  c10::List<at::Tensor> list;
  list.push_back(torch::randn({2, 3}));
  list.push_back(torch::randint(0, 9, {4}, torch::kInt));
  const std::vector<c10::IValue> values = {
      c10::ivalue::Tuple::create({torch::randn({1, 8}), list}),
      torch::randn({5}),
  };
  const std::vector<c10::IValue> back = round_trip(values);
  ASSERT_EQ(back.size(), 2u);
  expect_same_value(back[0], values[0]);
  expect_same_value(back[1], values[1]);
  EXPECT_EQ(kinds(back), "tuple(tuple(tensor,tensorlist(tensor,tensor)),tensor)");
}

TEST(TensorWire, A1x64x56x56TensorRoundTripsBitExact) {
  torch::manual_seed(4);
  const at::Tensor t = torch::randn({1, 64, 56, 56});
  std::string bytes;
  encode_values({t}, bytes);
  // 10 header + (1 kind + 1 dtype + 1 ndim + 4 x 8 sizes + 8 count) + 64*56*56*4 data.
  EXPECT_EQ(bytes.size(), 10u + 43u + 64u * 56u * 56u * 4u);
  const std::vector<c10::IValue> back = decode_values(bytes, kWhat);
  ASSERT_EQ(back.size(), 1u);
  expect_same_tensor(back[0].toTensor(), t);
}

TEST(TensorWire, TheMessageLayoutIsTheDocumentedOne) {
  // One int16 [2] tensor {1, -2}, then an empty tuple.
  const std::vector<c10::IValue> values = {torch::tensor({1, -2}, torch::kShort),
                                           c10::ivalue::Tuple::create({})};
  std::string bytes;
  encode_values(values, bytes);
  const std::string want = Message::header(2)
                               .u8(0)   // tensor
                               .u8(7)   // int16
                               .u8(1)   // ndim
                               .i64(2)  // size
                               .u64(4)  // data bytes: 2 x 2
                               .u16(1)
                               .u16(static_cast<std::uint16_t>(-2))
                               .u8(1)   // tuple
                               .u32(0)  // of nothing
                               .bytes;
  EXPECT_EQ(bytes, want);
  // `out` is overwritten, not appended to.
  encode_values({}, bytes);
  EXPECT_EQ(bytes, Message::header(0).bytes);
  EXPECT_TRUE(decode_values(bytes, kWhat).empty());
}

TEST(TensorWire, DecodedKindsAreThoseOfPickleLoad) {
  torch::manual_seed(5);
  c10::List<at::Tensor> tensors;  // TorchScript's List[Tensor]
  tensors.push_back(torch::randn({2}));
  tensors.push_back(torch::randn({3}));
  c10::impl::GenericList tuples(
      c10::TupleType::create({c10::TensorType::get(), c10::TensorType::get()}));
  tuples.push_back(c10::ivalue::Tuple::create({torch::randn({1}), torch::randn({1})}));
  tuples.push_back(c10::ivalue::Tuple::create({torch::randn({2}), torch::randn({2})}));
  c10::impl::GenericList mixed(c10::AnyType::get());  // List[Any]
  mixed.push_back(torch::randn({1}));
  mixed.push_back(c10::ivalue::Tuple::create({torch::randn({1})}));
  c10::impl::GenericList lists(c10::ListType::ofTensors());  // List[List[Tensor]]
  lists.push_back(tensors);
  lists.push_back(c10::List<at::Tensor>());
  const std::vector<std::vector<c10::IValue>> cases = {
      {torch::randn({1, 3})},
      {torch::randn({1, 3}), torch::randn({2})},
      {c10::ivalue::Tuple::create({torch::randn({2}), tensors})},
      {tensors},
      {mixed},
      {lists},
      {tuples},
      {c10::List<at::Tensor>()},
      {c10::ivalue::Tuple::create({})},
  };
  for (const auto& values : cases) {
    const std::string want = kinds(pickle_round_trip(values));
    SCOPED_TRACE(want);
    const std::vector<c10::IValue> back = round_trip(values);
    EXPECT_EQ(kinds(back), want);
    for (std::size_t i = 0; i < values.size(); ++i) expect_same_value(back[i], values[i]);
  }
}

TEST(TensorWire, ALooselyTypedOrEmptyListComesBackTypedByItsElements) {
  // Where kinds differ from pickle_load's (the header comment): no TorchScript layer makes a
  // List[Any] of tensors, and ops taking Tensor[] need the typed list; an empty list carries
  // no type on the wire.
  c10::impl::GenericList generic(c10::AnyType::get());
  generic.push_back(torch::randn({2}));
  EXPECT_EQ(kinds(pickle_round_trip({generic})), "tuple(list<Any>(tensor))");
  EXPECT_EQ(kinds(round_trip({generic})), "tuple(tensorlist(tensor))");
  const c10::impl::GenericList empty(
      c10::TupleType::create({c10::TensorType::get(), c10::TensorType::get()}));
  EXPECT_EQ(kinds(pickle_round_trip({empty})), "tuple(list<(Tensor, Tensor)>())");
  EXPECT_EQ(kinds(round_trip({empty})), "tuple(tensorlist())");
}

TEST(TensorWire, IsTensorWireSeesTheMagicOnly) {
  std::string bytes;
  encode_values(small_values(), bytes);
  EXPECT_TRUE(is_tensor_wire(bytes));
  EXPECT_TRUE(is_tensor_wire("HMTV"));
  EXPECT_FALSE(is_tensor_wire("HMT"));
  const std::vector<char> pickled =
      torch::pickle_save(c10::ivalue::Tuple::create({torch::randn({2})}));
  EXPECT_FALSE(is_tensor_wire(std::string_view(pickled.data(), pickled.size())));
}

// ---- what encode refuses ----

TEST(TensorWire, EncodeRefusesWhatItCannotCarryNamingTheType) {
  expect_encode_refused({c10::IValue()}, "value 0: None is not supported");
  expect_encode_refused({torch::randn({1}), c10::IValue(3)}, "value 1: Int");
  expect_encode_refused({c10::ivalue::Tuple::create({torch::randn({1}), c10::IValue("x")})},
                        "value 0: element 1: String");
  c10::Dict<std::string, at::Tensor> dict;
  expect_encode_refused({dict}, "GenericDict");
  c10::List<std::int64_t> ints({1, 2});
  expect_encode_refused({ints}, "value 0: element 0: Int");
  expect_encode_refused({at::Tensor()}, "undefined tensor");
  expect_encode_refused({torch::randn({2}, torch::kComplexFloat)}, "dtype ComplexFloat");
  expect_encode_refused({torch::eye(2).to_sparse()}, "layout");
  const std::vector<std::int64_t> dims17(17, 1);
  expect_encode_refused({torch::zeros(dims17)}, "17 dimensions (at most 16)");
  EXPECT_NE(
      encode_refusal({torch::empty({2}, torch::TensorOptions().device(torch::kMeta))}).find("meta"),
      std::string::npos);
}

// Tuples around a tensor, `depth` deep.
c10::IValue nested(int depth) {
  c10::IValue v = torch::ones({1});
  for (int k = 0; k < depth; ++k) v = c10::ivalue::Tuple::create({v});
  return v;
}

TEST(TensorWire, NestingBeyondFourIsRefusedBothWays) {
  const std::vector<c10::IValue> four = round_trip({nested(4)});
  EXPECT_EQ(kinds(four), "tuple(tuple(tuple(tuple(tuple(tensor)))))");
  expect_encode_refused({nested(5)}, "nested deeper than 4");
  // Five tuples by hand: header, 5 x (kind 1, count 1), then a tensor.
  Message m = Message::header(1);
  for (int k = 0; k < 5; ++k) m.u8(1).u32(1);
  m.u8(0).u8(1).u8(0).u64(4).u32(0);
  expect_refused(m.bytes,
                 "task 7: value 0: element 0: element 0: element 0: element 0: tuples and lists "
                 "nested deeper than 4");
}

// ---- hostile messages ----

TEST(TensorWire, EveryTruncationIsRefused) {
  std::string bytes;
  encode_values(small_values(), bytes);
  // 10 header + tuple 5 + float32 [2,2] (11 + 16 + 16) + list 5 + int64 [3] (11 + 8 + 24)
  // + bool 0-dim (11 + 1).
  ASSERT_EQ(bytes.size(), 10u + 5u + 43u + 5u + 43u + 12u);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const std::string m = refusal(std::string_view(bytes).substr(0, n));
    EXPECT_TRUE(m.find("truncated") != std::string::npos ||
                m.find("need at least") != std::string::npos ||
                m.find("not a tensor-wire") != std::string::npos)
        << n << ": " << m;
  }
  EXPECT_EQ(round_trip(small_values()).size(), 2u);
}

TEST(TensorWire, EverySingleByteCorruptionIsRefusedOrReencodesToItself) {
  std::string bytes;
  encode_values(small_values(), bytes);
  // Every byte of the message (header, structure and data), every other value it can take: a
  // message is either refused with one line, or decodes to values that encode to exactly it
  // (the format has one encoding per value, so nothing is misread silently).
  int refused = 0, accepted = 0;
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    for (int x = 1; x < 256; ++x) {
      std::string bad = bytes;
      bad[at] = static_cast<char>(bad[at] ^ x);
      std::vector<c10::IValue> back;
      try {
        back = decode_values(bad, kWhat);
      } catch (const InputError& e) {
        const std::string m = e.what();
        ASSERT_EQ(m.rfind(kWhat + ": ", 0), 0u) << m;
        ASSERT_EQ(m.find('\n'), std::string::npos) << m;
        ++refused;
        continue;
      }
      // The count too: one more value is not there, one fewer leaves trailing bytes.
      ASSERT_GE(at, 10u) << "a corrupt header (magic, version, count) is refused";
      std::string again;
      encode_values(back, again);
      ASSERT_EQ(again, bad) << "byte " << at << " ^ " << x;
      ++accepted;
    }
  }
  std::printf("[ tensor_wire ] %zu bytes x 255 corruptions: %d refused, %d accepted\n",
              bytes.size(), refused, accepted);
  EXPECT_GT(refused, 0);
}

TEST(TensorWire, HugeDeclaredSizesAreRefusedBeforeAllocating) {
  const std::int64_t k2p62 = std::int64_t{1} << 62;
  // float32 [2^62, 2^62]: 4 x 2^62 bytes overflow at the first dimension already.
  expect_refused(Message::header(1).u8(0).u8(1).u8(2).i64(k2p62).i64(k2p62).u64(0).bytes,
                 "value 0: dimension 0 (4611686018427387904): the sizes' product overflows");
  // float32 [2^62]: 2^64 bytes overflow int64 even though numel fits.
  expect_refused(Message::header(1).u8(0).u8(1).u8(1).i64(k2p62).u64(0).bytes,
                 "dimension 0 (4611686018427387904): the sizes' product overflows");
  // [0, 2^62, 2^62]: numel 0, but the strides would overflow.
  expect_refused(Message::header(1).u8(0).u8(5).u8(3).i64(0).i64(k2p62).i64(k2p62).u64(0).bytes,
                 "dimension 2");
  // int8 [2^60] with the right byte count, but the data are not there.
  expect_refused(Message::header(1)
                     .u8(0)
                     .u8(5)
                     .u8(1)
                     .i64(std::int64_t{1} << 60)
                     .u64(std::uint64_t{1} << 60)
                     .bytes,
                 "truncated at byte 29: the tensor data needs 1152921504606846976 bytes, 0 "
                 "left");
  // Counts of values the message cannot hold (each takes at least 5 bytes).
  expect_refused(Message::header(0xFFFFFFFFu).bytes,
                 "4294967295 values need at least 21474836475 bytes, 0 left");
  expect_refused(Message::header(1).u8(2).u32(0xFFFFFFFFu).raw(std::string(100, '\0')).bytes,
                 "value 0: 4294967295 elements need at least");
  // 3 values in the 4 bytes after the header: 3 x 5 > 4, refused before reserving.
  EXPECT_NE(
      refusal(Message::header(3).u32(0).bytes).find("3 values need at least 15 bytes, 4 left"),
      std::string::npos);
  // Negative sizes and too many dimensions.
  expect_refused(Message::header(3)
                     .u8(0)
                     .u8(1)
                     .u8(0)
                     .u64(4)
                     .u32(0)  // value 0: float32 0-dim
                     .u8(0)
                     .u8(1)
                     .u8(0)
                     .u64(4)
                     .u32(0)  // value 1
                     .u8(0)
                     .u8(1)
                     .u8(2)
                     .i64(2)
                     .i64(-3)
                     .u64(0)
                     .bytes,
                 "task 7: value 2: dimension 1 is -3");
  expect_refused(Message::header(1).u8(0).u8(1).u8(17).raw(std::string(17 * 8 + 8, '\0')).bytes,
                 "17 dimensions (at most 16)");
  expect_refused(Message::header(1).u8(0).u8(1).u8(255).raw(std::string(300, '\0')).bytes,
                 "255 dimensions");
}

// wire_size says what encode_values would write: small_values() holds a tuple of a tensor
// and a list of one tensor, then a bool scalar: 1 + 1 + 1 + 1 + 1 = 5 values.
TEST(TensorWire, WireSizeIsTheEncodedSizeAndValueCount) {
  const std::vector<c10::IValue> values = small_values();
  std::string out;
  encode_values(values, out);
  const WireSize size = wire_size(values);
  EXPECT_EQ(size.bytes, out.size());
  EXPECT_EQ(size.values, 5u);
  EXPECT_EQ(decode_values(out, kWhat, /*max_values=*/5).size(), 2u);
}

// Issue 23, finding 3: 0-dim tensors cost 12 bytes on the wire and a few hundred in memory,
// so a decoder takes at most max_values of them (containers and elements counted); a count
// that would pass it is refused from the header, before anything is reserved.
TEST(TensorWire, MoreValuesThanTheBudgetAreRefusedBeforeDecoding) {
  std::string out;
  encode_values(small_values(), out);
  expect_refused_with_budget(out, 4, "at most 4 here");
  std::vector<c10::IValue> many;
  for (int k = 0; k < 100; ++k) many.push_back(torch::tensor(k, torch::kByte).reshape({}));
  encode_values(many, out);
  EXPECT_EQ(out.size(), 10u + 100 * 12);
  expect_refused_with_budget(out, 99, "100 values or more (at most 99 here)");
  EXPECT_EQ(decode_values(out, kWhat, 100).size(), 100u);
  // The default budget: 65,536 values.
  many.assign(kTensorWireMaxValues + 1, torch::tensor(1, torch::kByte).reshape({}));
  encode_values(many, out);
  expect_refused(out, "at most 65536 here");
}

TEST(TensorWire, ADataByteCountOtherThanNumelTimesElementSizeIsRefused) {
  // float32 [2, 3]: 6 x 4 = 24 bytes.
  for (const std::uint64_t count : {std::uint64_t{0}, std::uint64_t{23}, std::uint64_t{25},
                                    std::uint64_t{6}, ~std::uint64_t{0}}) {
    const std::string m = refusal(Message::header(1)
                                      .u8(0)
                                      .u8(1)
                                      .u8(2)
                                      .i64(2)
                                      .i64(3)
                                      .u64(count)
                                      .raw(std::string(32, '\0'))
                                      .bytes);
    EXPECT_NE(m.find("data byte count " + std::to_string(count) +
                     ", but 6 elements of float32 are 24 bytes"),
              std::string::npos)
        << m;
  }
}

TEST(TensorWire, UnknownDtypesAndKindsAreRefused) {
  for (const int code : {0, 11, 12, 100, 255}) {
    EXPECT_NE(
        refusal(
            Message::header(1).u8(0).u8(static_cast<std::uint8_t>(code)).u8(0).u64(4).u32(0).bytes)
            .find("value 0: unknown dtype code " + std::to_string(code)),
        std::string::npos);
  }
  for (const int kind : {3, 4, 127, 255}) {
    EXPECT_NE(
        refusal(Message::header(1).u8(1).u32(1).u8(static_cast<std::uint8_t>(kind)).u32(0).bytes)
            .find("value 0: element 0: unknown kind " + std::to_string(kind)),
        std::string::npos);
  }
}

TEST(TensorWire, BadMagicVersionTrailingBytesAndBoolsAreRefused) {
  expect_refused("", "truncated at byte 0: the magic needs 4 bytes, 0 left");
  expect_refused(Message().raw("HMTW").u16(1).u32(0).bytes, "not a tensor-wire message");
  const std::vector<char> pickled =
      torch::pickle_save(c10::ivalue::Tuple::create({torch::randn({2})}));
  expect_refused(std::string(pickled.begin(), pickled.end()), "not a tensor-wire");
  expect_refused(Message().raw("HMTV").u16(2).u32(0).bytes,
                 "version 2 (this build reads version 1)");
  std::string bytes;
  encode_values(small_values(), bytes);
  expect_refused(bytes + '\0', "task 7: 1 bytes after the last value");
  expect_refused(bytes + "trailing", "8 bytes after the last value");
  // bool [3] {1, 0, 2}: 2 is no bool.
  expect_refused(Message::header(1).u8(0).u8(10).u8(1).i64(3).u64(3).u8(1).u8(0).u8(2).bytes,
                 "value 0: bool element 2 is byte 2 (not 0 or 1)");
}

// ---- time against pickle (printed, not asserted) ----

long minor_page_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

struct Timing {
  double median_ms;
  double faults;  // minor page faults per call
};

// Median of 20 calls after 3 untimed ones: the first calls of a process touch fresh pages
// (glibc mmaps large blocks until its threshold adapts), at up to ~20 us a fault on a VM, for
// either codec; a daemon serving requests runs warm.
Timing time_of(const std::function<void()>& f) {
  for (int k = 0; k < 3; ++k) f();
  std::vector<double> ms;
  const long faults0 = minor_page_faults();
  for (int k = 0; k < 20; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  const double faults = static_cast<double>(minor_page_faults() - faults0) / 20.0;
  std::nth_element(ms.begin(), ms.begin() + 10, ms.end());
  return {ms[10], faults};
}

TEST(TensorWire, BenchmarkA1Point6MBCutAgainstPickle) {
  torch::manual_seed(6);
  // Two 1x64x56x56 float32 tensors: 2 x 802,816 bytes, a ResNet cut with a skip.
  const std::vector<c10::IValue> cut = {torch::randn({1, 64, 56, 56}),
                                        torch::randn({1, 64, 56, 56})};
  std::string wire;
  std::vector<c10::IValue> decoded;
  // A fresh string each time, as a node sends each cut in a new message.
  const Timing encode = time_of([&] {
    std::string fresh;
    encode_values(cut, fresh);
    wire = std::move(fresh);
  });
  const Timing decode = time_of([&] { decoded = decode_values(wire, kWhat); });
  // As node.cpp does it: one tuple, pickle_save; pickle_load from the message's bytes.
  std::string pickled;
  std::vector<c10::IValue> unpickled;
  const Timing save = time_of([&] {
    const std::vector<char> b = torch::pickle_save(c10::ivalue::Tuple::create(cut));
    pickled.assign(b.begin(), b.end());
  });
  const Timing load = time_of([&] {
    unpickled = torch::pickle_load(std::vector<char>(pickled.begin(), pickled.end()))
                    .toTupleRef()
                    .elements()
                    .vec();
  });
  std::printf(
      "[ tensor_wire ] 2 x 1x64x56x56 float32 (%zu bytes; pickle %zu), median of 20 (page "
      "faults per call):\n"
      "[ tensor_wire ]   encode %.3f ms (%.0f) + decode %.3f ms (%.0f) = %.3f ms\n"
      "[ tensor_wire ]   pickle_save %.3f ms (%.0f) + pickle_load %.3f ms (%.0f) = %.3f ms\n",
      wire.size(), pickled.size(), encode.median_ms, encode.faults, decode.median_ms, decode.faults,
      encode.median_ms + decode.median_ms, save.median_ms, save.faults, load.median_ms, load.faults,
      save.median_ms + load.median_ms);
  ASSERT_EQ(decoded.size(), 2u);
  expect_same_value(decoded[0], cut[0]);
  expect_same_value(decoded[1], cut[1]);
  expect_same_value(unpickled[1], cut[1]);
}

}  // namespace
}  // namespace hivemind::runtime
