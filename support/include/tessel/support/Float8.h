// Bit-exact conversions between f32 and the narrow float formats Tessel's
// kernels store: bf16, f16, and the two OCP 8-bit formats E4M3FN and E5M2.
//
// These are the host-side definition of what the GPU computes. Every function
// works on the integer bit patterns; the only floating-point operations used
// are exact ones, so the results do not depend on the host FPU's rounding mode,
// flush-to-zero setting or on compiler contraction.
//
// Formats (OCP 8-bit Floating Point Specification (OFP8), rev. 1.0, sec. 5):
//   E4M3FN: 1 sign, 4 exponent (bias 7), 3 mantissa bits. No infinities; the
//           only NaNs are S.1111.111 (0x7F, 0xFF). Max finite 448 (0x7E),
//           min normal 2^-6, min subnormal 2^-9.
//   E5M2:   1 sign, 5 exponent (bias 15), 2 mantissa bits, IEEE-like: exponent
//           all ones is Inf (mantissa 0) or NaN. Max finite 57344 (0x7B),
//           min normal 2^-14, min subnormal 2^-16.
#pragma once

#include <cstdint>

namespace tessel {

/// Largest finite E4M3FN magnitude (0x7E): 1.75 * 2^8.
inline constexpr float kE4M3Max = 448.0f;
/// Largest finite E5M2 magnitude (0x7B): 1.75 * 2^15.
inline constexpr float kE5M2Max = 57344.0f;
/// The NaN that f32ToE4M3Sat and f32ToE5M2Sat produce for every NaN input.
inline constexpr std::uint8_t kFloat8CanonicalNaN = 0x7F;

//===----------------------------------------------------------------------===//
// bf16 and f16
//===----------------------------------------------------------------------===//

/// f32 -> bf16, round to nearest, ties to even (PTX `cvt.rn.bf16.f32`).
/// Finite values above the bf16 range round to +-Inf as IEEE 754 prescribes.
/// NaN -> quiet NaN with the same sign and the upper payload bits kept.
std::uint16_t f32ToBf16(float value);
/// bf16 -> f32, exact (bf16 is the upper half of an f32).
float bf16ToF32(std::uint16_t bits);

/// f32 -> IEEE binary16, round to nearest, ties to even (PTX
/// `cvt.rn.f16.f32`): magnitudes that round above 65504 become +-Inf,
/// subnormal results (down to 2^-24) are rounded correctly, not flushed.
/// NaN -> quiet NaN with the same sign and the upper payload bits kept.
std::uint16_t f32ToF16(float value);
/// binary16 -> f32, exact, subnormals included. NaN payloads are kept (and the
/// NaN is quieted, as an IEEE widening conversion does).
float f16ToF32(std::uint16_t bits);

//===----------------------------------------------------------------------===//
// 8-bit floats
//===----------------------------------------------------------------------===//

/// f32 -> E4M3FN with the semantics of PTX `cvt.rn.satfinite.e4m3x2.f32`
/// (PTX ISA, "Data Movement and Conversion Instructions: cvt"):
///  - round to nearest, ties to even on the 3-bit mantissa, subnormal results
///    included (a tie between 0 and 2^-9 gives 0);
///  - a result whose rounded magnitude would exceed 448, and +-Inf, saturate to
///    +-448 (.satfinite);
///  - the sign of zero is kept (-0.0 and negative values that round to zero
///    give 0x80);
///  - NaN -> 0x7F, whatever the sign and payload of the input.
std::uint8_t f32ToE4M3Sat(float value);

/// f32 -> E5M2 with the semantics of PTX `cvt.rn.satfinite.e5m2x2.f32`: the
/// same rules as f32ToE4M3Sat with max finite 57344 (a value at or above the
/// tie point 61440 would round to Inf and saturates instead) and min subnormal
/// 2^-16. NaN -> 0x7F (a quiet NaN: exponent all ones, mantissa 11).
std::uint8_t f32ToE5M2Sat(float value);

/// E4M3FN -> f32, exact. 0x7F and 0xFF are NaN (returned as a quiet f32 NaN
/// carrying the input's sign); the format has no infinities.
float e4m3ToF32(std::uint8_t bits);
/// E5M2 -> f32, exact. 0x7C/0xFC are +-Inf; 0x7D..0x7F and 0xFD..0xFF are NaN.
float e5m2ToF32(std::uint8_t bits);

//===----------------------------------------------------------------------===//
// Power-of-two (UE8M0) scales
//===----------------------------------------------------------------------===//

/// Rounds a scale up to a power of two on its bits, the way DeepGEMM does:
/// biased exponent + (mantissa != 0), mantissa cleared. For positive normal
/// finite s this is the smallest power of two >= s; log2/ceil/exp2 in floating
/// point can land one binade off, which is why it is done on the bits.
/// The same formula defines the other cases, sign kept:
///  - +-0 -> +-0;
///  - subnormal s -> 2^-126 (the exponent field 0 becomes 1): a power of two
///    >= s, though not the smallest one. Kernels never meet this case: their
///    scales are floored at 1e-4/448 (about 2.2e-7);
///  - |s| > 2^127 -> +-Inf (no finite power of two is large enough);
///  - +-Inf -> +-Inf; NaN -> the same NaN.
float ue8m0RoundUp(float s);

} // namespace tessel
