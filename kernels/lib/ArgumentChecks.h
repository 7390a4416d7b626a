// Argument checks shared by the host functions: each returns an Error that
// names the kernel, the argument and what is wrong with it.
#pragma once

#include "tessel/runtime/Tensor.h"
#include "tessel/support/Error.h"

#include <fmt/format.h>

#include <initializer_list>
#include <limits>
#include <optional>

namespace tessel::kernels::detail {

inline std::string shapeText(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

/// The number of elements of a shape of non-negative sizes, or nullopt when
/// it exceeds 2^32 (and might not fit int64).
inline std::optional<int64_t> boundedElementCount(const std::vector<int64_t> &shape) {
  constexpr int64_t kBound = int64_t(1) << 32;
  for (int64_t size : shape)
    if (size == 0)
      return 0;
  int64_t count = 1;
  for (int64_t size : shape) {
    if (size > kBound / count)
      return std::nullopt;
    count *= size;
  }
  return count;
}

/// Checks dtype, rank, contiguity, null pointer and size of one tensor.
inline Status checkTensor(std::string_view kernel, std::string_view argument,
                          const runtime::TensorView &tensor, std::initializer_list<DType> dtypes,
                          size_t minRank, size_t maxRank) {
  auto fail = [&](const std::string &what) {
    return Status(Error(fmt::format("{}: argument {} ({}): {}", kernel, argument,
                                    tensor.describe(), what)));
  };
  bool dtypeOk = false;
  std::vector<std::string_view> names;
  for (DType dtype : dtypes) {
    dtypeOk |= tensor.dtype == dtype;
    names.push_back(name(dtype));
  }
  if (!dtypeOk)
    return fail(fmt::format("dtype must be {}", fmt::join(names, " or ")));
  if (tensor.rank() < minRank || tensor.rank() > maxRank)
    return fail(minRank == maxRank ? fmt::format("must have rank {}", minRank)
                                   : fmt::format("must have rank {} to {}", minRank, maxRank));
  if (Status valid = tensor.validate(); !valid)
    return fail(valid.error().message());
  // Offsets inside the kernels are 32-bit. Checked before numel() and
  // isContiguous() multiply the sizes, which a huge shape can wrap around
  // int64 to a small count.
  std::optional<int64_t> count = boundedElementCount(tensor.shape);
  if (!count || *count > std::numeric_limits<int32_t>::max())
    return fail(fmt::format("has {} elements; at most 2^31 - 1 are supported",
                            count ? fmt::format("{}", *count) : "more than 2^32"));
  if (!tensor.isContiguous())
    return fail("must be contiguous (row-major strides)");
  if (tensor.numel() > 0 && tensor.devicePtr == 0)
    return fail("device pointer is null");
  return Status::success();
}

inline Status checkShape(std::string_view kernel, std::string_view argument,
                         const runtime::TensorView &tensor, const std::vector<int64_t> &expected) {
  if (tensor.shape != expected)
    return Error(fmt::format("{}: argument {} has shape {}, expected {}", kernel, argument,
                             shapeText(tensor.shape), shapeText(expected)));
  return Status::success();
}

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

} // namespace tessel::kernels::detail
