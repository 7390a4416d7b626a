// The block-scale rule shared by the quantization kernels (DESIGN.md,
// "Shipped kernels and their contracts"), in the DSL.
#pragma once

#include "tessel/dsl/DSL.h"
#include "tessel/kernels/Reference.h"

namespace tessel::kernels::detail {

/// s = max(amax, 1e-4) * fl(1/448): a multiplication by the fp32 constant,
/// which is what DeepSeek-V3's kernel computes for amax / 448. With ue8m0,
/// s is rounded up to a power of two on its bits (exponent + (mantissa != 0)),
/// as DeepGEMM does; exp2(ceil(log2(s))) can miss by a binade.
inline dsl::Value blockScale(const dsl::Value &amax, bool ue8m0) {
  using namespace dsl;
  Value scale = maximum(amax, kScaleFloor) * kInvE4M3Max;
  if (!ue8m0)
    return scale;
  // The scale is positive and normal (>= 1e-4 / 448), so the sign bit is 0.
  Value bits = scale.bitcast(DType::I32);
  Value exponent = bits >> 23;
  Value roundsUp = ((bits & 0x7FFFFF) != 0).to(DType::I32);
  return ((exponent + roundsUp) << 23).bitcast(DType::F32);
}

} // namespace tessel::kernels::detail
