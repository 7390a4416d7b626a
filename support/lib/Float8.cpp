// Narrow float conversions on the bits. See Float8.h for the rules; the
// comments here say how the implementation meets them.

#include "tessel/support/Float8.h"

#include <bit>

namespace tessel {
namespace {

constexpr std::uint32_t kF32SignMask = 0x80000000u;
constexpr std::uint32_t kF32AbsMask = 0x7FFFFFFFu;
constexpr std::uint32_t kF32InfBits = 0x7F800000u;
constexpr std::uint32_t kF32MantissaMask = 0x007FFFFFu;
constexpr std::uint32_t kF32QuietBit = 0x00400000u;
constexpr int kF32MantissaBits = 23;
constexpr int kF32Bias = 127;

std::uint32_t bitsOf(float value) { return std::bit_cast<std::uint32_t>(value); }
float floatOf(std::uint32_t bits) { return std::bit_cast<float>(bits); }

/// Describes a binary floating-point format narrower than f32: `mantissaBits`
/// stored fraction bits and exponent bias `bias` (so the smallest normal
/// exponent is 1 - bias).
struct NarrowFormat {
  int mantissaBits;
  int bias;
};

constexpr NarrowFormat kBf16{7, 127};
constexpr NarrowFormat kF16{10, 15};
constexpr NarrowFormat kE4M3{3, 7};
constexpr NarrowFormat kE5M2{2, 15};

/// Rounds a finite non-negative f32, given by its bits, to `format` with
/// round-to-nearest-even and returns the magnitude's encoding
/// (biased exponent << mantissaBits | mantissa) without any range check: a
/// value past the format's largest finite number yields a larger code, which
/// the caller turns into Inf or saturates.
///
/// The f32 significand (implicit bit included) is shifted right by the number
/// of bits the narrow format cannot hold; in the narrow format's subnormal
/// range that number grows by how far the exponent lies below the smallest
/// normal exponent, so subnormal results are rounded once, at the right bit
/// (IEEE 754-2019 sec. 4.3.1, roundTiesToEven).
std::uint32_t roundMagnitude(std::uint32_t absBits, NarrowFormat format) {
  const int biasedExponent = static_cast<int>(absBits >> kF32MantissaBits);
  std::uint32_t significand = absBits & kF32MantissaMask;
  int exponent; // value = significand * 2^(exponent - 23)
  if (biasedExponent == 0) {
    exponent = 1 - kF32Bias; // f32 subnormal: no implicit bit
  } else {
    significand |= 1u << kF32MantissaBits;
    exponent = biasedExponent - kF32Bias;
  }

  const int minNormalExponent = 1 - format.bias;
  int dropped = kF32MantissaBits - format.mantissaBits;
  if (exponent < minNormalExponent)
    dropped += minNormalExponent - exponent;
  // significand < 2^24, so with 25 or more dropped bits it lies below half of
  // the smallest subnormal and rounds to zero.
  if (dropped >= 25)
    return 0;

  std::uint32_t kept = significand >> dropped;
  const std::uint32_t rest = significand & ((1u << dropped) - 1u);
  const std::uint32_t half = 1u << (dropped - 1);
  if (rest > half || (rest == half && (kept & 1u)))
    ++kept;

  // For a normal result `kept` still holds the implicit bit (kept in
  // [2^m, 2^(m+1)]), which adds one to the exponent field; a carry out of the
  // mantissa therefore moves to the next binade by itself. A subnormal result
  // has exponent field 0 and `kept` < 2^m, or == 2^m when it rounded up to the
  // smallest normal number, which is again the right code.
  if (exponent < minNormalExponent)
    return kept;
  const auto exponentField =
      static_cast<std::uint32_t>(exponent + format.bias - 1);
  return (exponentField << format.mantissaBits) + kept;
}

/// The f32 bits of a finite narrow-format magnitude code (no Inf/NaN codes).
/// Every such value is a normal f32, so the result is exact.
std::uint32_t widenMagnitude(std::uint32_t code, NarrowFormat format) {
  const std::uint32_t mantissaMask = (1u << format.mantissaBits) - 1u;
  const auto exponentField = static_cast<int>(code >> format.mantissaBits);
  std::uint32_t mantissa = code & mantissaMask;
  int exponent;
  if (exponentField != 0) {
    exponent = exponentField - format.bias;
  } else {
    if (mantissa == 0)
      return 0;
    // Subnormal: normalize so that the leading one becomes the implicit bit.
    exponent = 1 - format.bias;
    while (!(mantissa & (mantissaMask + 1u))) {
      mantissa <<= 1;
      --exponent;
    }
    mantissa &= mantissaMask;
  }
  return (static_cast<std::uint32_t>(exponent + kF32Bias) << kF32MantissaBits) |
         (mantissa << (kF32MantissaBits - format.mantissaBits));
}

/// Shared body of the two `cvt.rn.satfinite` conversions. `maxFinite` is the
/// code of the largest finite magnitude; every code above it (E4M3FN's NaN
/// 0x7F, E5M2's Inf 0x7C and beyond, or past the exponent range) saturates.
std::uint8_t f32ToFloat8SatFinite(float value, NarrowFormat format,
                                  std::uint32_t maxFinite) {
  const std::uint32_t bits = bitsOf(value);
  const std::uint32_t sign = (bits >> 24) & 0x80u;
  const std::uint32_t absBits = bits & kF32AbsMask;
  // PTX ISA, cvt: with .satfinite a NaN input gives NaN. The hardware writes
  // 0x7F for both formats regardless of the input's sign and payload (checked
  // exhaustively on sm_90); it is also E4M3FN's only positive NaN.
  if (absBits > kF32InfBits)
    return kFloat8CanonicalNaN;
  // .satfinite: +-Inf and every magnitude that rounds above MAX_NORM become
  // +-MAX_NORM, never Inf (E5M2) or NaN (E4M3FN).
  if (absBits == kF32InfBits)
    return static_cast<std::uint8_t>(sign | maxFinite);
  std::uint32_t code = roundMagnitude(absBits, format);
  if (code > maxFinite)
    code = maxFinite;
  return static_cast<std::uint8_t>(sign | code);
}

} // namespace

std::uint16_t f32ToBf16(float value) {
  const std::uint32_t bits = bitsOf(value);
  const std::uint32_t absBits = bits & kF32AbsMask;
  // NaN: truncating keeps sign and upper payload; setting the quiet bit keeps
  // it a NaN even when all surviving payload bits are zero.
  if (absBits > kF32InfBits)
    return static_cast<std::uint16_t>((bits >> 16) | (kF32QuietBit >> 16));
  const std::uint32_t sign = (bits >> 16) & 0x8000u;
  // bf16 shares f32's exponent range, so only the mantissa is rounded; a carry
  // out of the largest finite binade yields exactly the Inf code 0x7F80, and
  // Inf maps to itself.
  return static_cast<std::uint16_t>(sign | roundMagnitude(absBits, kBf16));
}

float bf16ToF32(std::uint16_t bits) {
  return floatOf(static_cast<std::uint32_t>(bits) << 16);
}

std::uint16_t f32ToF16(float value) {
  const std::uint32_t bits = bitsOf(value);
  const std::uint32_t sign = (bits >> 16) & 0x8000u;
  const std::uint32_t absBits = bits & kF32AbsMask;
  constexpr std::uint32_t kF16Inf = 0x7C00u;
  if (absBits > kF32InfBits)
    return static_cast<std::uint16_t>(sign | kF16Inf | 0x0200u |
                                      ((absBits & kF32MantissaMask) >> 13));
  if (absBits == kF32InfBits)
    return static_cast<std::uint16_t>(sign | kF16Inf);
  // IEEE overflow under roundTiesToEven: a magnitude that rounds past the
  // largest finite binade is Inf (codes at or above 0x7C00).
  std::uint32_t code = roundMagnitude(absBits, kF16);
  if (code > kF16Inf)
    code = kF16Inf;
  return static_cast<std::uint16_t>(sign | code);
}

float f16ToF32(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t code = bits & 0x7FFFu;
  if ((code & 0x7C00u) == 0x7C00u) {
    const std::uint32_t mantissa = code & 0x03FFu;
    if (mantissa == 0)
      return floatOf(sign | kF32InfBits);
    return floatOf(sign | kF32InfBits | kF32QuietBit | (mantissa << 13));
  }
  return floatOf(sign | widenMagnitude(code, kF16));
}

std::uint8_t f32ToE4M3Sat(float value) {
  return f32ToFloat8SatFinite(value, kE4M3, 0x7Eu);
}

std::uint8_t f32ToE5M2Sat(float value) {
  return f32ToFloat8SatFinite(value, kE5M2, 0x7Bu);
}

float e4m3ToF32(std::uint8_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x80u) << 24;
  const std::uint32_t code = bits & 0x7Fu;
  // OCP OFP8 sec. 5.3.1: E4M3FN uses exponent 1111 for normal numbers, except
  // S.1111.111, its only NaN encoding; there is no Inf.
  if (code == 0x7Fu)
    return floatOf(sign | kF32InfBits | kF32QuietBit);
  return floatOf(sign | widenMagnitude(code, kE4M3));
}

float e5m2ToF32(std::uint8_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x80u) << 24;
  const std::uint32_t code = bits & 0x7Fu;
  // OCP OFP8 sec. 5.3.2: E5M2 follows IEEE 754: exponent 11111 is Inf
  // (mantissa 00) or NaN.
  if ((code & 0x7Cu) == 0x7Cu) {
    const std::uint32_t mantissa = code & 0x03u;
    if (mantissa == 0)
      return floatOf(sign | kF32InfBits);
    return floatOf(sign | kF32InfBits | kF32QuietBit | (mantissa << 21));
  }
  return floatOf(sign | widenMagnitude(code, kE5M2));
}

float ue8m0RoundUp(float s) {
  const std::uint32_t bits = bitsOf(s);
  const std::uint32_t absBits = bits & kF32AbsMask;
  if (absBits > kF32InfBits)
    return s;
  std::uint32_t exponentField = absBits >> kF32MantissaBits;
  // DeepGEMM's ceil-to-UE8M0: exponent + (mantissa != 0). Exponent field 254
  // with a mantissa becomes 255 with mantissa 0, i.e. Inf, and a subnormal
  // becomes 2^-126; zero and Inf map to themselves.
  if (absBits & kF32MantissaMask)
    ++exponentField;
  return floatOf((bits & kF32SignMask) | (exponentField << kF32MantissaBits));
}

} // namespace tessel
