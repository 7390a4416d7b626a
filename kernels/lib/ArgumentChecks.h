// Argument checks shared by the host functions: each returns an Error that
// names the kernel, the argument and what is wrong with it.
#pragma once

#include "tessel/runtime/Tensor.h"
#include "tessel/support/Error.h"

#include <fmt/format.h>

#include <initializer_list>
#include <limits>

namespace tessel::kernels::detail {

inline std::string shapeText(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
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
  if (!tensor.isContiguous())
    return fail("must be contiguous (row-major strides)");
  // Offsets inside the kernels are 32-bit.
  if (tensor.numel() > std::numeric_limits<int32_t>::max())
    return fail(fmt::format("has {} elements; at most 2^31 - 1 are supported", tensor.numel()));
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
