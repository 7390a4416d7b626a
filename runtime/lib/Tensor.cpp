#include "tessel/runtime/Tensor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>

namespace tessel::runtime {

//===----------------------------------------------------------------------===//
// TensorView
//===----------------------------------------------------------------------===//

std::vector<std::int64_t> contiguousStrides(std::span<const std::int64_t> shape) {
  std::vector<std::int64_t> strides(shape.size());
  std::int64_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    // Size-0 dimensions would zero every outer stride; PyTorch keeps them at
    // least 1, and so do we, so that strides stay meaningful for messages.
    stride *= std::max<std::int64_t>(shape[i], 1);
  }
  return strides;
}

TensorView TensorView::contiguous(std::uint64_t devicePtr, DType dtype,
                                  std::vector<std::int64_t> shape) {
  std::vector<std::int64_t> strides = contiguousStrides(shape);
  return TensorView{devicePtr, dtype, std::move(shape), std::move(strides)};
}

std::int64_t TensorView::numel() const {
  std::int64_t count = 1;
  for (std::int64_t size : shape)
    count *= size;
  return count;
}

std::size_t TensorView::bytes() const {
  return static_cast<std::size_t>(numel()) * byteSize(dtype);
}

bool TensorView::isContiguous() const {
  if (strides.size() != shape.size())
    return false;
  if (numel() == 0)
    return true;
  std::int64_t expected = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1)
      continue;
    if (strides[i] != expected)
      return false;
    expected *= shape[i];
  }
  return true;
}

Status TensorView::validate() const {
  if (strides.size() != shape.size())
    return Error(fmt::format("tensor {} has {} dimensions but {} strides", describe(), shape.size(),
                             strides.size()));
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0)
      return Error(fmt::format("tensor {} has a negative size in dimension {}", describe(), i));
    if (strides[i] < 0)
      return Error(fmt::format("tensor {} has a negative stride in dimension {}", describe(), i));
  }
  return Status::success();
}

std::string TensorView::describe() const {
  return fmt::format("{}[{}] strides [{}]", name(dtype), fmt::join(shape, ", "),
                     fmt::join(strides, ", "));
}

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

Expected<Tensor> Tensor::empty(DType dtype, std::vector<std::int64_t> shape) {
  // Checked before multiplying, so that a hostile shape cannot wrap the byte
  // count around to a small allocation.
  std::size_t bytes = byteSize(dtype);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0)
      return Error(fmt::format("cannot create a {}[{}] tensor: dimension {} is negative",
                               name(dtype), fmt::join(shape, ", "), i));
    const auto size = static_cast<std::size_t>(shape[i]);
    if (size != 0 && bytes > std::numeric_limits<std::int64_t>::max() / size)
      return Error(fmt::format("cannot create a {}[{}] tensor: its size overflows", name(dtype),
                               fmt::join(shape, ", ")));
    bytes *= size;
  }

  Expected<DeviceBuffer> buffer = DeviceBuffer::allocate(bytes);
  if (!buffer)
    return Error(fmt::format("cannot create a {}[{}] tensor: {}", name(dtype),
                             fmt::join(shape, ", "), buffer.error().message()));
  Tensor tensor;
  tensor.buffer_ = std::move(buffer).value();
  tensor.view_ = TensorView::contiguous(tensor.buffer_.devicePtr(), dtype, std::move(shape));
  return tensor;
}

Status Tensor::copyFromHost(std::span<const std::byte> host) {
  if (host.size() != bytes())
    return Error(fmt::format("cannot copy {} host bytes into tensor {} of {} bytes", host.size(),
                             view_.describe(), bytes()));
  return buffer_.copyFromHost(host.data(), host.size());
}

Status Tensor::copyToHost(std::span<std::byte> host) const {
  if (host.size() != bytes())
    return Error(fmt::format("cannot copy tensor {} of {} bytes into {} host bytes",
                             view_.describe(), bytes(), host.size()));
  return buffer_.copyToHost(host.data(), host.size());
}

Expected<std::vector<std::byte>> Tensor::toHost() const {
  std::vector<std::byte> host(bytes());
  if (Status s = copyToHost(host); !s)
    return s.error();
  return host;
}

} // namespace tessel::runtime
