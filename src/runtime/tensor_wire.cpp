// Tensor wire (include/hivemind/runtime/tensor_wire.hpp): the byte layout is documented there.
#include "hivemind/runtime/tensor_wire.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sstream>
#include <utility>

#include "hivemind/error.hpp"

namespace hivemind::runtime {

// The data are the host's raw tensor bytes, so the host's byte order is the wire's.
static_assert(std::endian::native == std::endian::little,
              "tensor_wire writes raw little-endian tensor data: big-endian hosts unsupported");

namespace {

enum Kind : std::uint8_t { kTensor = 0, kTuple = 1, kList = 2 };

struct Dtype {
  std::uint8_t code;    // on the wire
  at::ScalarType type;  // in LibTorch
  std::size_t bytes;    // element size (bytes)
  const char* name;     // for messages
};

// The stable code table of the header comment; 0 and 11..255 are not dtypes.
constexpr std::array<Dtype, 10> kDtypes = {{
    {1, at::kFloat, 4, "float32"},
    {2, at::kDouble, 8, "float64"},
    {3, at::kHalf, 2, "float16"},
    {4, at::kBFloat16, 2, "bfloat16"},
    {5, at::kChar, 1, "int8"},
    {6, at::kByte, 1, "uint8"},
    {7, at::kShort, 2, "int16"},
    {8, at::kInt, 4, "int32"},
    {9, at::kLong, 8, "int64"},
    {10, at::kBool, 1, "bool"},
}};

const Dtype* dtype_of_code(std::uint8_t code) {
  for (const Dtype& d : kDtypes)
    if (d.code == code) return &d;
  return nullptr;
}

const Dtype* dtype_of_type(at::ScalarType type) {
  for (const Dtype& d : kDtypes)
    if (d.type == type) return &d;
  return nullptr;
}

constexpr std::size_t kHeaderBytes = 4 + 2 + 4;  // magic, version, count
constexpr std::size_t kMinValueBytes = 5;        // a tuple or list: kind + count
// A tensor's fixed part: kind, dtype, ndim, data byte count (its sizes come on top).
constexpr std::size_t kTensorFixedBytes = 1 + 1 + 1 + 8;

// "value 2: element 0: " for the value at `path` (its index at the top, then in each container).
std::string path_prefix(const std::vector<std::size_t>& path) {
  std::string s;
  for (std::size_t k = 0; k < path.size(); ++k)
    s += (k == 0 ? "value " : "element ") + std::to_string(path[k]) + ": ";
  return s;
}

// The first dimension at which the product of the sizes, zero sizes counted as 1, times the
// element size overflows an int64, or -1: the bound on every stride and on numel × element size,
// so that neither we nor LibTorch overflow. Sizes are >= 0.
int overflowing_dimension(at::IntArrayRef sizes, std::size_t element_bytes) {
  auto span_bytes = static_cast<std::int64_t>(element_bytes);
  for (std::size_t d = 0; d < sizes.size(); ++d) {
    if (__builtin_mul_overflow(span_bytes, std::max<std::int64_t>(sizes[d], 1), &span_bytes)) {
      return static_cast<int>(d);
    }
  }
  return -1;
}

// ---- encoding ----

class Encoder {
 public:
  // Checks `values`, makes each tensor contiguous and CPU-resident, and sums the bytes.
  void prepare(const std::vector<c10::IValue>& values) {
    if (values.size() > UINT32_MAX) fail("more than 2^32 - 1 values");
    bytes_ = kHeaderBytes;
    values_ = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      path_ = {i};
      prepare(values[i], /*depth=*/0);
    }
  }

  WireSize size() const { return {bytes_, values_}; }

  void write(const std::vector<c10::IValue>& values, std::string& out) {
    out.clear();
    out.reserve(bytes_);
    out.append(kTensorWireMagic);
    put<std::uint16_t>(out, kTensorWireVersion);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(values.size()));
    next_tensor_ = 0;
    for (const c10::IValue& v : values) write(v, out);
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw InputError(one_line(path_prefix(path_) + problem));
  }

  // `depth`: the containers around `v` (0 at the top level).
  void prepare(const c10::IValue& v, int depth) {
    ++values_;
    if (v.isTensor()) {
      prepare_tensor(v.toTensor());
      return;
    }
    if (!v.isTuple() && !v.isList()) {
      fail(std::string(v.tagKind()) +
           " is not supported (only tensors and tuples or lists of them)");
    }
    if (depth + 1 > kTensorWireMaxDepth) {
      fail("tuples and lists nested deeper than " + std::to_string(kTensorWireMaxDepth));
    }
    const c10::ArrayRef<c10::IValue> elements =
        v.isTuple() ? c10::ArrayRef<c10::IValue>(v.toTupleRef().elements()) : v.toListRef();
    if (elements.size() > UINT32_MAX) fail("more than 2^32 - 1 elements");
    bytes_ += kMinValueBytes;
    for (std::size_t i = 0; i < elements.size(); ++i) {
      path_.push_back(i);
      prepare(elements[i], depth + 1);
      path_.pop_back();
    }
  }

  void prepare_tensor(const at::Tensor& given) {
    if (!given.defined()) fail("an undefined tensor is not supported");
    if (given.layout() != at::kStrided) {
      std::ostringstream s;
      s << "a tensor of layout " << given.layout() << " is not supported (only dense strided)";
      fail(s.str());
    }
    const Dtype* dtype = dtype_of_type(given.scalar_type());
    if (dtype == nullptr) {
      fail(std::string("dtype ") + c10::toString(given.scalar_type()) + " is not supported");
    }
    if (given.dim() > kTensorWireMaxDims) {
      fail(std::to_string(given.dim()) + " dimensions (at most " +
           std::to_string(kTensorWireMaxDims) + ")");
    }
    if (overflowing_dimension(given.sizes(), dtype->bytes) >= 0) {
      fail("the sizes' product overflows 2^63 bytes");  // only with zero sizes: LibTorch's bound
    }
    if (given.is_meta()) fail("a meta tensor has no data");
    at::Tensor t;
    try {
      // No copy for a contiguous CPU tensor without a pending negation (each returns self).
      t = given.cpu().resolve_neg().contiguous();
    } catch (const c10::Error& e) {
      fail("cannot copy the tensor to the CPU (" + one_line(e.what_without_backtrace()) + ")");
    }
    bytes_ += kTensorFixedBytes + 8 * static_cast<std::size_t>(t.dim()) +
              static_cast<std::size_t>(t.numel()) * dtype->bytes;
    tensors_.push_back({std::move(t), dtype});
  }

  template <class T>
  static void put(std::string& out, T x) {
    char b[sizeof(T)];
    std::memcpy(b, &x, sizeof(T));
    out.append(b, sizeof(T));
  }

  // Walks the values in prepare's order, taking their tensors from tensors_.
  void write(const c10::IValue& v, std::string& out) {
    if (v.isTensor()) {
      const auto& [t, dtype] = tensors_[next_tensor_++];
      put<std::uint8_t>(out, kTensor);
      put<std::uint8_t>(out, dtype->code);
      put<std::uint8_t>(out, static_cast<std::uint8_t>(t.dim()));
      for (const std::int64_t size : t.sizes()) put<std::int64_t>(out, size);
      const std::uint64_t data_bytes = static_cast<std::uint64_t>(t.numel()) * dtype->bytes;
      put<std::uint64_t>(out, data_bytes);
      if (data_bytes > 0) out.append(static_cast<const char*>(t.data_ptr()), data_bytes);
      return;
    }
    const c10::ArrayRef<c10::IValue> elements =
        v.isTuple() ? c10::ArrayRef<c10::IValue>(v.toTupleRef().elements()) : v.toListRef();
    put<std::uint8_t>(out, v.isTuple() ? kTuple : kList);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(elements.size()));
    for (const c10::IValue& e : elements) write(e, out);
  }

  struct Prepared {
    at::Tensor tensor;  // contiguous, on the CPU
    const Dtype* dtype;
  };
  std::vector<Prepared> tensors_;  // in the order write() meets them
  std::size_t next_tensor_ = 0;
  std::size_t bytes_ = 0;   // the message's size
  std::size_t values_ = 0;  // tensors, tuples and lists in it
  std::vector<std::size_t> path_;
};

// ---- decoding ----

// The type TorchScript gives a decoded value, tensors unspecialised: Tensor, (Tensor, Tensor),
// List[Tensor].
c10::TypePtr static_type(const c10::IValue& v) {
  if (v.isTensor()) return c10::TensorType::get();
  if (v.isTuple()) {
    std::vector<c10::TypePtr> types;
    for (const c10::IValue& e : v.toTupleRef().elements()) types.push_back(static_type(e));
    return c10::TupleType::create(std::move(types));
  }
  return c10::ListType::create(v.toList().elementType());
}

class Decoder {
 public:
  Decoder(std::string_view bytes, const std::string& what, std::size_t max_values)
      : b_(bytes), what_(what), max_values_(max_values) {}

  std::vector<c10::IValue> run() {
    const std::string_view magic = take_bytes(kTensorWireMagic.size(), "the magic");
    if (magic != kTensorWireMagic) fail("not a tensor-wire message (it does not start \"HMTV\")");
    const auto version = take<std::uint16_t>("the version");
    if (version != kTensorWireVersion) {
      fail("version " + std::to_string(version) + " (this build reads version " +
           std::to_string(kTensorWireVersion) + ")");
    }
    const std::size_t count = take_count("values");
    std::vector<c10::IValue> values;
    values.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      path_ = {i};
      values.push_back(value(/*depth=*/0));
    }
    path_.clear();
    if (left() > 0) fail(std::to_string(left()) + " bytes after the last value");
    return values;
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw InputError(one_line(what_ + ": " + path_prefix(path_) + problem));
  }

  std::size_t left() const { return b_.size() - pos_; }

  // Fails unless `n` bytes are left for `field`.
  void need(std::size_t n, const std::string& field) const {
    if (left() < n) {
      fail("truncated at byte " + std::to_string(pos_) + ": " + field + " needs " +
           std::to_string(n) + " bytes, " + std::to_string(left()) + " left");
    }
  }

  std::string_view take_bytes(std::size_t n, const std::string& field) {
    need(n, field);
    const std::string_view s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }

  // memcpy, not a cast: the fields are not aligned.
  template <class T>
  T take(const char* field) {
    need(sizeof(T), field);
    T x;
    std::memcpy(&x, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return x;
  }

  // A u32 count of values, each of which needs at least kMinValueBytes, so a count the bytes
  // left cannot hold, or one past the decoder's value budget, is refused before anything is
  // reserved for it.
  std::size_t take_count(const char* of) {
    const std::size_t count = take<std::uint32_t>("the count");
    if (count > left() / kMinValueBytes) {
      fail(std::to_string(count) + " " + of + " need at least " +
           std::to_string(count * kMinValueBytes) + " bytes, " + std::to_string(left()) + " left");
    }
    if (count > max_values_ - values_) too_many(values_ + count);
    return count;
  }

  [[noreturn]] void too_many(std::size_t values) const {
    fail(std::to_string(values) + " values or more (at most " + std::to_string(max_values_) +
         " here)");
  }

  // `depth`: the containers around this value (0 at the top level).
  c10::IValue value(int depth) {
    if (++values_ > max_values_) too_many(values_);
    const auto kind = take<std::uint8_t>("the kind");
    if (kind == kTensor) return tensor();
    if (kind != kTuple && kind != kList) {
      fail("unknown kind " + std::to_string(kind) + " (0 tensor, 1 tuple, 2 list)");
    }
    if (depth + 1 > kTensorWireMaxDepth) {
      fail("tuples and lists nested deeper than " + std::to_string(kTensorWireMaxDepth));
    }
    const std::size_t count = take_count("elements");
    std::vector<c10::IValue> elements;
    elements.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      path_.push_back(i);
      elements.push_back(value(depth + 1));
      path_.pop_back();
    }
    if (kind == kTuple) return c10::ivalue::Tuple::create(std::move(elements));
    // The list's element type as TorchScript typed it (pickle_load restores it too): List[Tensor]
    // must be a c10::List<at::Tensor> for ops that take Tensor[] (aten::cat asserts it).
    c10::TypePtr type = c10::TensorType::get();  // also for an empty list
    for (std::size_t i = 0; i < elements.size(); ++i) {
      c10::TypePtr t = static_type(elements[i]);
      if (i == 0) {
        type = std::move(t);
      } else if (*t != *type) {
        type = c10::AnyType::get();  // mixed: no TorchScript list, but a list still
        break;
      }
    }
    if (type->kind() == c10::TypeKind::TensorType) {
      c10::List<at::Tensor> list;
      list.reserve(count);
      for (c10::IValue& e : elements) list.push_back(std::move(e).toTensor());
      return list;
    }
    c10::impl::GenericList list(type);
    list.reserve(count);
    for (c10::IValue& e : elements) list.push_back(std::move(e));
    return list;
  }

  c10::IValue tensor() {
    const auto code = take<std::uint8_t>("the dtype");
    const Dtype* dtype = dtype_of_code(code);
    if (dtype == nullptr) fail("unknown dtype code " + std::to_string(code));
    const auto ndim = take<std::uint8_t>("the number of dimensions");
    if (ndim > kTensorWireMaxDims) {
      fail(std::to_string(ndim) + " dimensions (at most " + std::to_string(kTensorWireMaxDims) +
           ")");
    }
    need(8 * std::size_t{ndim}, "the sizes");
    std::array<std::int64_t, kTensorWireMaxDims> sizes{};
    for (std::size_t d = 0; d < ndim; ++d) {
      sizes[d] = take<std::int64_t>("a size");
      if (sizes[d] < 0) fail("dimension " + std::to_string(d) + " is " + std::to_string(sizes[d]));
    }
    const at::IntArrayRef shape(sizes.data(), ndim);
    const int bad = overflowing_dimension(shape, dtype->bytes);
    if (bad >= 0) {
      fail("dimension " + std::to_string(bad) + " (" + std::to_string(sizes[bad]) +
           "): the sizes' product overflows 2^63 bytes");
    }
    std::int64_t numel = 1;
    for (const std::int64_t size : shape) numel *= size;  // no overflow: checked above
    const std::uint64_t expected = static_cast<std::uint64_t>(numel) * dtype->bytes;
    const auto data_bytes = take<std::uint64_t>("the data byte count");
    if (data_bytes != expected) {
      fail("data byte count " + std::to_string(data_bytes) + ", but " + std::to_string(numel) +
           " elements of " + dtype->name + " are " + std::to_string(expected) + " bytes");
    }
    const std::string_view data = take_bytes(data_bytes, "the tensor data");
    if (dtype->type == at::kBool) {
      // A bool other than 0 or 1 is undefined behaviour in every kernel that reads it.
      for (std::size_t k = 0; k < data.size(); ++k) {
        const auto byte = static_cast<unsigned char>(data[k]);
        if (byte > 1) {
          fail("bool element " + std::to_string(k) + " is byte " + std::to_string(byte) +
               " (not 0 or 1)");
        }
      }
    }
    at::Tensor t = at::empty(shape, at::dtype(dtype->type));
    if (!data.empty()) std::memcpy(t.data_ptr(), data.data(), data.size());
    return t;
  }

  std::string_view b_;
  std::size_t pos_ = 0;
  const std::string& what_;
  std::size_t max_values_;
  std::size_t values_ = 0;         // values taken so far (containers and elements)
  std::vector<std::size_t> path_;  // value index, then element indices
};

}  // namespace

void encode_values(const std::vector<c10::IValue>& values, std::string& out) {
  Encoder e;
  e.prepare(values);
  e.write(values, out);
}

WireSize wire_size(const std::vector<c10::IValue>& values) {
  Encoder e;
  e.prepare(values);
  return e.size();
}

std::vector<c10::IValue> decode_values(std::string_view bytes, const std::string& what,
                                       std::size_t max_values) {
  return Decoder(bytes, what, max_values).run();
}

bool is_tensor_wire(std::string_view bytes) { return bytes.starts_with(kTensorWireMagic); }

}  // namespace hivemind::runtime
