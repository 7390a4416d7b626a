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

/// x / scale, bit for bit, with one division per scale instead of one per
/// element: `inverse` is 1 / scale (a correctly rounded division), spread
/// like `scale` over x. The quotient x * inverse is corrected once with the
/// exact residual of an fma (Markstein's theorem: with a correctly rounded
/// reciprocal and no underflow, q + (x - q * s) * inverse rounds to x / s).
///
/// This holds for the scales blockScale gives: finite ones lie in
/// [1e-4 / 448, FLT_MAX / 448], so the inverse is normal, and where the
/// residual can underflow (|x| below about 2^-100) the quotient is far below
/// the smallest e4m3 subnormal either way. The residual is formed as
/// q * s - x and subtracted (as a product with -inverse), which keeps the
/// sign of a zero quotient.
///
/// A block holding an inf has scale inf and inverse 0. There x * 0 is
/// already x / inf (±0 with the sign of x, NaN for inf and NaN), but the
/// residual q * inf would be NaN. Such blocks correct with a scale of 0
/// instead: the residual is then -x, and q + (-x) * -0 is q again for every
/// x (the product is a zero of q's sign). So no element needs a select, and
/// the per-scale values (-inverse, the corrected scale) are computed once.
inline dsl::Value divideByScale(const dsl::Value &x, const dsl::Value &scale,
                                const dsl::Value &inverse) {
  using namespace dsl;
  Value correctingScale = where(inverse == 0, 0.0, scale);
  Value quotient = x * inverse;
  Value residual = fma(quotient, correctingScale, -x);
  return fma(residual, -inverse, quotient);
}

} // namespace tessel::kernels::detail
