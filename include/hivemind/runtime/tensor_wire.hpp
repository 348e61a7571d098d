// Tensor wire: the values alive at a cut (docs/runtime.md, "Split task") as one small binary
// message, in place of torch.save's pickle format. Encoding copies each tensor's bytes once;
// decoding checks every field against the bytes that are there before it allocates anything,
// so a hostile message costs at most about its own size in memory and is refused with one line.
//
// Byte layout (all integers little-endian; no padding, no alignment):
//
//   message  := "HMTV"  version:u16 (= 1)  count:u32  value × count      (nothing after it)
//   value    := kind:u8  body
//     kind 0 (tensor): dtype:u8  ndim:u8 (0..16)  size:i64 × ndim (each >= 0)
//                      data_bytes:u64 (= numel × element size)  data: data_bytes raw bytes,
//                      the tensor row-major (C-contiguous), each element little-endian
//     kind 1 (tuple):  count:u32  value × count
//     kind 2 (list):   count:u32  value × count
//
//   dtype codes (ours, stable; not c10::ScalarType's numbering):
//     1 float32  2 float64  3 float16  4 bfloat16  5 int8  6 uint8  7 int16  8 int32
//     9 int64  10 bool (each byte 0 or 1)
//
// Limits: at most 16 dimensions per tensor; tuples and lists nest at most 4 deep (a top-level
// tuple is depth 1; a tuple in it depth 2; ...); a decoder takes at most `max_values` values,
// containers and their elements counted (default 65,536; a node passes its cut's exact count),
// so that 12-byte 0-dim tensors cannot multiply a message's size in memory (each decoded value
// costs a few hundred bytes of LibTorch objects); the product of the sizes, zero sizes counted
// as 1 (so the strides fit too), times the element size fits in an int64. A header is 10
// bytes, a tensor 11 + 8 × ndim bytes plus its data, a tuple or list 5 bytes plus its elements.
//
// What round-trips: a dense strided tensor of a dtype above (any shape, 0-dim scalars and
// zero-size dimensions included; it comes back contiguous, on the CPU, without autograd
// state), a tuple of values, a list of values. A list carries no element type: decoding gives
// it the type its elements share, as TorchScript typed it and pickle_load restores it — all
// tensors give a c10::List<at::Tensor> (isTensorList(), what ops taking Tensor[] need), all
// (Tensor, Tensor) tuples a List[Tuple[Tensor, Tensor]], mixed elements a List[Any]. Unlike
// pickle, a list typed more loosely than its elements (a List[Any] of tensors) comes back typed
// by them, and an empty list comes back a List[Tensor]; TorchScript's own lists are typed, and
// the executor's checks look at kinds and lengths only. Only little-endian hosts are supported
// (checked at compile time).
#pragma once

#include <ATen/core/ivalue.h>

#include <string>
#include <string_view>
#include <vector>

namespace hivemind::runtime {

// The message's first bytes, "HMTV", and its version.
inline constexpr std::string_view kTensorWireMagic = "HMTV";
inline constexpr unsigned kTensorWireVersion = 1;

// Limits a message must keep (both encode and decode refuse beyond them).
inline constexpr int kTensorWireMaxDims = 16;
inline constexpr int kTensorWireMaxDepth = 4;
// Most values decode_values takes by default (every tensor, tuple and list counts one).
inline constexpr std::size_t kTensorWireMaxValues = 65'536;

// What encode_values(values) would produce, without encoding: the message's size (bytes) and
// its number of values (every tensor, tuple and list, nested ones included). Throws InputError
// as encode_values for a value it cannot carry.
struct WireSize {
  std::size_t bytes = 0;
  std::size_t values = 0;
};
WireSize wire_size(const std::vector<c10::IValue>& values);

// Overwrites `out` with the message holding `values` in order (not wrapped in a tuple). Each
// tensor is made contiguous and copied to the CPU first (a CUDA tensor costs a device copy),
// then its bytes are appended with one memcpy into `out`, reserved once. Throws InputError
// (one line, "value 2: element 0: ...") for a value it cannot carry: None, a number, a string,
// a dict, an undefined, sparse, quantized or complex tensor, more than 16 dimensions, nesting
// deeper than 4, more than 2^32 - 1 elements in a container. `out` is unspecified then.
void encode_values(const std::vector<c10::IValue>& values, std::string& out);

// The values of a message made by encode_values. Throws InputError with one line
// "WHAT: value 2: element 1: dimension 1 is -3" for any message that is not exactly one valid
// message: wrong magic or version, truncation anywhere, an unknown kind or dtype code, a
// negative size, sizes whose product overflows, a data byte count other than numel × element
// size, a bool byte other than 0 or 1, nesting deeper than 4, more than 16 dimensions, bytes
// after the last value, more than `max_values` values (containers and elements counted; a
// count that would pass it is refused before anything is reserved for it). Never reads outside
// `bytes`; allocates only what the bytes present hold (a tensor's storage once its data are
// known to be there), for at most `max_values` values.
std::vector<c10::IValue> decode_values(std::string_view bytes, const std::string& what,
                                       std::size_t max_values = kTensorWireMaxValues);

// Whether `bytes` starts with the magic "HMTV" (a tensor-wire message rather than, e.g., a
// pickle); says nothing about the rest.
bool is_tensor_wire(std::string_view bytes);

}  // namespace hivemind::runtime
