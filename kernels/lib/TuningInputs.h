// Random operands for tuning sweeps: the data only has to look like real
// operands to the hardware, and making 100 MiB of weights must not dominate
// a sweep of a few seconds.
#pragma once

#include "tessel/runtime/Tensor.h"

#include <cstdint>
#include <vector>

namespace tessel::kernels::detail {

/// A tensor of pseudo-random finite values: e4m3 codes of magnitude at most
/// 30, or bf16 values of magnitude below 2 (F8E4M3 and BF16 only).
Expected<runtime::Tensor> randomTensor(DType dtype, std::vector<int64_t> shape, uint64_t seed);

/// An f32 tensor with every element `value`: block scales.
Expected<runtime::Tensor> filledScales(std::vector<int64_t> shape, float value);

} // namespace tessel::kernels::detail
