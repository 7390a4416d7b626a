// Typed, shaped views of device memory, and tensors that own theirs.
#pragma once

#include "tessel/runtime/Buffer.h"
#include "tessel/support/DType.h"
#include "tessel/support/Error.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace tessel::runtime {

/// A host value that can be copied to the device as raw bytes.
template <typename T>
concept HostElement = std::is_trivially_copyable_v<T>;

/// Row-major strides, in elements, of a dense tensor of `shape`.
std::vector<std::int64_t> contiguousStrides(std::span<const std::int64_t> shape);

/// A non-owning description of a tensor in device memory: what a kernel's
/// argument checks and launches read. Strides are in elements, as in PyTorch.
struct TensorView {
  std::uint64_t devicePtr = 0;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;

  /// A view with row-major strides.
  static TensorView contiguous(std::uint64_t devicePtr, DType dtype,
                               std::vector<std::int64_t> shape);

  std::size_t rank() const { return shape.size(); }
  /// The number of elements; 1 for rank 0.
  std::int64_t numel() const;
  /// Bytes of the elements, numel() * byteSize(dtype); for a strided view
  /// the memory it spans may be larger.
  std::size_t bytes() const;
  /// Whether the elements are dense and row-major. A dimension of size 1 may
  /// have any stride, and a view with no elements is contiguous, as in
  /// PyTorch.
  bool isContiguous() const;
  /// Shape errors (rank mismatch between shape and strides, negative sizes
  /// or strides), or success.
  Status validate() const;
  /// "bf16[4096, 7168] strides [7168, 1]"; used in every argument error.
  std::string describe() const;
};

/// A contiguous tensor that owns its device memory.
class Tensor {
public:
  Tensor() = default;
  /// An uninitialised contiguous tensor; an Error for a negative dimension or
  /// a size that overflows.
  static Expected<Tensor> empty(DType dtype, std::vector<std::int64_t> shape);

  const TensorView &view() const { return view_; }
  const DeviceBuffer &buffer() const { return buffer_; }
  DeviceBuffer &buffer() { return buffer_; }
  std::uint64_t devicePtr() const { return view_.devicePtr; }
  DType dtype() const { return view_.dtype; }
  const std::vector<std::int64_t> &shape() const { return view_.shape; }
  std::int64_t numel() const { return view_.numel(); }
  std::size_t bytes() const { return view_.bytes(); }

  /// Copies the whole tensor from host bytes; their count must be bytes().
  Status copyFromHost(std::span<const std::byte> host);
  /// Copies the whole tensor to host bytes; their count must be bytes().
  Status copyToHost(std::span<std::byte> host) const;
  /// The whole tensor as host bytes.
  Expected<std::vector<std::byte>> toHost() const;

  /// Typed forms for host vectors of the element's storage type (std::uint16_t
  /// for bf16, std::uint8_t for f8e4m3, float for f32, ...): the vector's
  /// byte size must be bytes().
  template <HostElement T> Status copyFromHost(const std::vector<T> &host) {
    return copyFromHost(std::as_bytes(std::span<const T>(host)));
  }
  template <HostElement T> Status copyToHost(std::vector<T> &host) const {
    return copyToHost(std::as_writable_bytes(std::span<T>(host)));
  }

private:
  DeviceBuffer buffer_;
  TensorView view_;
};

} // namespace tessel::runtime
