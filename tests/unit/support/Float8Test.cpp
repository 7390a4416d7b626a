// Tests of the bit-exact narrow float conversions (tessel/support/Float8.h).
//
// Each encoder is compared with a slow reference written from the formats'
// definitions alone: the list of every finite value of the format, computed
// with ldexp, and a nearest-value search with ties to the even code. The
// inputs are every bf16 pattern widened to f32, a structured sweep that puts
// a rounding tie (and its neighbours) at every bit position of every
// interesting binade, and millions of random f32 bit patterns.

#include "tessel/support/Float8.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace tessel {
namespace {

std::uint32_t bitsOf(float v) { return std::bit_cast<std::uint32_t>(v); }
float floatOf(std::uint32_t b) { return std::bit_cast<float>(b); }

float pow2(int e) { return std::ldexp(1.0f, e); }

//===----------------------------------------------------------------------===//
// Slow reference rounding from the format definitions
//===----------------------------------------------------------------------===//

/// A binary format described by its parameters, with every non-negative
/// finite value listed in code order (code = exponent field << m | mantissa).
struct SlowFormat {
  int mantissaBits;
  int bias;
  std::uint32_t maxFiniteCode;
  std::uint32_t signBit;
  bool saturate;          // overflow -> max finite (satfinite) instead of Inf
  std::uint32_t infCode;  // used when !saturate
  std::vector<double> values;
  double overflowValue;   // the value code maxFiniteCode + 1 would have with an
                          // unbounded exponent range

  double valueOf(std::uint32_t code) const {
    const std::uint32_t field = code >> mantissaBits;
    const std::uint32_t mantissa = code & ((1u << mantissaBits) - 1u);
    if (field == 0)
      return std::ldexp(double(mantissa), 1 - bias - mantissaBits);
    return std::ldexp(double((1u << mantissaBits) + mantissa),
                      int(field) - bias - mantissaBits);
  }

  SlowFormat(int m, int b, std::uint32_t maxCode, std::uint32_t sign, bool sat,
             std::uint32_t inf)
      : mantissaBits(m), bias(b), maxFiniteCode(maxCode), signBit(sign),
        saturate(sat), infCode(inf) {
    for (std::uint32_t code = 0; code <= maxCode; ++code)
      values.push_back(valueOf(code));
    overflowValue = valueOf(maxCode + 1);
  }

  /// Round |x| to nearest, ties to even code. Differences are exact in double:
  /// neighbouring values lie within a factor of two of x except next to zero,
  /// where the distance to zero is x itself (Sterbenz lemma), and x has at most
  /// 24 significant bits.
  std::uint32_t round(float x) const {
    const double a = std::fabs(double(x));
    const std::uint32_t sign = std::signbit(x) ? signBit : 0u;
    if (a >= overflowValue)
      return sign | (saturate ? maxFiniteCode : infCode);
    auto it = std::upper_bound(values.begin(), values.end(), a);
    const std::uint32_t lo = std::uint32_t(it - values.begin()) - 1u;
    const std::uint32_t hi = lo + 1u;
    const double loValue = values[lo];
    const double hiValue = hi <= maxFiniteCode ? values[hi] : overflowValue;
    const double dLo = a - loValue;
    const double dHi = hiValue - a;
    std::uint32_t code;
    if (dLo < dHi)
      code = lo;
    else if (dHi < dLo)
      code = hi;
    else
      code = (lo % 2 == 0) ? lo : hi;
    if (code > maxFiniteCode)
      code = saturate ? maxFiniteCode : infCode;
    return sign | code;
  }
};

const SlowFormat &slowE4M3() {
  static const SlowFormat f(3, 7, 0x7E, 0x80, true, 0);
  return f;
}
const SlowFormat &slowE5M2() {
  static const SlowFormat f(2, 15, 0x7B, 0x80, true, 0);
  return f;
}
const SlowFormat &slowF16() {
  static const SlowFormat f(10, 15, 0x7BFF, 0x8000, false, 0x7C00);
  return f;
}
const SlowFormat &slowBf16() {
  static const SlowFormat f(7, 127, 0x7F7F, 0x8000, false, 0x7F80);
  return f;
}

/// The f32 inputs every encoder is checked on (NaN and Inf excluded; they
/// have their own tests).
const std::vector<float> &testInputs() {
  static const std::vector<float> inputs = [] {
    std::vector<float> out;
    // Every bf16 pattern widened to f32.
    for (std::uint32_t b = 0; b < 0x10000u; ++b)
      out.push_back(floatOf(b << 16));
    // Structured sweep: all 2^11 values of the upper 11 mantissa bits, each
    // with tails that make bit 11 or below a tie, just under or over one, for
    // exponents from deep below the fp8 subnormals to past every max finite.
    const std::uint32_t tails[] = {0x000, 0x001, 0x7FF, 0x800,
                                   0x801, 0xFFF, 0x400, 0xC00};
    for (int e = -40; e <= 20; ++e)
      for (std::uint32_t top = 0; top < 0x800u; ++top)
        for (std::uint32_t tail : tails)
          for (std::uint32_t sign : {0u, 0x80000000u}) {
            const std::uint32_t bits =
                sign | (std::uint32_t(e + 127) << 23) | (top << 12) | tail;
            out.push_back(floatOf(bits));
          }
    // Random bit patterns, and random patterns in the range that matters.
    std::mt19937 rng(20240613);
    for (int i = 0; i < 2000000; ++i)
      out.push_back(floatOf(rng()));
    std::uniform_int_distribution<int> exponent(-30, 18);
    for (int i = 0; i < 2000000; ++i) {
      const std::uint32_t bits = (rng() & 0x807FFFFFu) |
                                 (std::uint32_t(exponent(rng) + 127) << 23);
      out.push_back(floatOf(bits));
    }
    // f32 subnormals, zeros, the largest finite values.
    for (std::uint32_t b : {0x00000000u, 0x00000001u, 0x007FFFFFu, 0x00400000u,
                            0x7F7FFFFFu, 0x7F000000u})
      for (std::uint32_t sign : {0u, 0x80000000u})
        out.push_back(floatOf(b | sign));
    std::erase_if(out, [](float f) { return !std::isfinite(f); });
    return out;
  }();
  return inputs;
}

template <typename Encode>
void expectMatchesSlow(const SlowFormat &slow, Encode encode) {
  std::int64_t mismatches = 0;
  for (float x : testInputs()) {
    const std::uint32_t got = encode(x);
    const std::uint32_t want = slow.round(x);
    if (got != want && ++mismatches <= 10)
      ADD_FAILURE() << "input " << x << " (bits 0x" << std::hex << bitsOf(x)
                    << "): got 0x" << got << ", want 0x" << want;
  }
  EXPECT_EQ(mismatches, 0);
}

//===----------------------------------------------------------------------===//
// bf16
//===----------------------------------------------------------------------===//

TEST(Bf16, EveryPatternRoundTrips) {
  for (std::uint32_t b = 0; b < 0x10000u; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    const float f = bf16ToF32(bits);
    EXPECT_EQ(bitsOf(f), b << 16);
    const bool isNaN = (b & 0x7F80u) == 0x7F80u && (b & 0x7Fu) != 0;
    if (isNaN) // a signalling NaN comes back quiet
      EXPECT_EQ(f32ToBf16(f), b | 0x40u) << std::hex << b;
    else
      EXPECT_EQ(f32ToBf16(f), b) << std::hex << b;
  }
}

TEST(Bf16, RoundsToNearestEvenLikeSlowReference) {
  expectMatchesSlow(slowBf16(), [](float x) { return f32ToBf16(x); });
}

TEST(Bf16, TiesOverflowAndSpecials) {
  EXPECT_EQ(f32ToBf16(1.0f), 0x3F80);
  EXPECT_EQ(f32ToBf16(1.0f + pow2(-8)), 0x3F80);      // tie, even stays
  EXPECT_EQ(f32ToBf16(1.0f + 3 * pow2(-8)), 0x3F82);  // tie, odd rounds up
  EXPECT_EQ(f32ToBf16(floatOf(0x3F808001u)), 0x3F81); // just above the tie
  EXPECT_EQ(f32ToBf16(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(f32ToBf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_EQ(f32ToBf16(-0.0f), 0x8000);
  EXPECT_EQ(f32ToBf16(floatOf(0x7F800001u)), 0x7FC0); // sNaN -> quiet
  EXPECT_EQ(f32ToBf16(floatOf(0xFFC12345u)), 0xFFC1); // sign, payload kept
}

//===----------------------------------------------------------------------===//
// f16
//===----------------------------------------------------------------------===//

TEST(F16, EveryPatternDecodesExactlyAndRoundTrips) {
  const SlowFormat &slow = slowF16();
  for (std::uint32_t b = 0; b < 0x10000u; ++b) {
    const auto bits = static_cast<std::uint16_t>(b);
    const float f = f16ToF32(bits);
    const std::uint32_t code = b & 0x7FFFu;
    const bool negative = b & 0x8000u;
    if (code > 0x7C00u) {
      EXPECT_TRUE(std::isnan(f)) << std::hex << b;
      EXPECT_EQ(std::signbit(f), negative);
      EXPECT_EQ(f32ToF16(f), b | 0x0200u) << std::hex << b;
      continue;
    }
    if (code == 0x7C00u) {
      EXPECT_TRUE(std::isinf(f));
    } else {
      EXPECT_EQ(double(f), negative ? -slow.values[code] : slow.values[code])
          << std::hex << b;
    }
    EXPECT_EQ(std::signbit(f), negative);
    EXPECT_EQ(f32ToF16(f), b) << std::hex << b;
#ifdef __FLT16_MANT_DIG__
    // The compiler's own binary16 (libgcc soft-fp on x86) agrees.
    EXPECT_EQ(bitsOf(float(std::bit_cast<_Float16>(bits))), bitsOf(f));
#endif
  }
}

TEST(F16, RoundsToNearestEvenLikeSlowReference) {
  expectMatchesSlow(slowF16(), [](float x) { return f32ToF16(x); });
}

#ifdef __FLT16_MANT_DIG__
TEST(F16, AgreesWithCompilerConversion) {
  std::int64_t mismatches = 0;
  for (float x : testInputs()) {
    const auto want =
        std::bit_cast<std::uint16_t>(static_cast<_Float16>(x));
    if (f32ToF16(x) != want && ++mismatches <= 10)
      ADD_FAILURE() << std::hex << bitsOf(x);
  }
  EXPECT_EQ(mismatches, 0);
}
#endif

TEST(F16, BoundaryValues) {
  EXPECT_EQ(f32ToF16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32ToF16(std::nextafter(65520.0f, 0.0f)), 0x7BFF);
  EXPECT_EQ(f32ToF16(65520.0f), 0x7C00); // tie with the next binade: Inf
  EXPECT_EQ(f32ToF16(-1e10f), 0xFC00);
  EXPECT_EQ(f32ToF16(pow2(-24)), 0x0001);     // min subnormal
  EXPECT_EQ(f32ToF16(pow2(-25)), 0x0000);     // tie with 0: even
  EXPECT_EQ(f32ToF16(-pow2(-25)), 0x8000);    // sign of zero kept
  EXPECT_EQ(f32ToF16(3 * pow2(-25)), 0x0002); // tie: 1 is odd, 2 is even
  EXPECT_EQ(f32ToF16(std::nextafter(pow2(-25), 1.0f)), 0x0001);
  EXPECT_EQ(f32ToF16(pow2(-14)), 0x0400);     // min normal
  EXPECT_EQ(f32ToF16(floatOf(0x7F800001u)), 0x7E00);
}

//===----------------------------------------------------------------------===//
// E4M3FN
//===----------------------------------------------------------------------===//

TEST(E4M3, DecodesEveryCodeExactly) {
  const SlowFormat &slow = slowE4M3();
  for (int b = 0; b < 256; ++b) {
    const float f = e4m3ToF32(static_cast<std::uint8_t>(b));
    const int code = b & 0x7F;
    EXPECT_EQ(std::signbit(f), b >= 0x80) << b;
    if (code == 0x7F) {
      EXPECT_TRUE(std::isnan(f)) << b;
      continue;
    }
    EXPECT_EQ(double(std::fabs(f)), slow.values[code]) << b;
  }
  EXPECT_EQ(e4m3ToF32(0x7E), 448.0f);
  EXPECT_EQ(e4m3ToF32(0xFE), -448.0f);
  EXPECT_EQ(e4m3ToF32(0x01), pow2(-9));
  EXPECT_EQ(e4m3ToF32(0x08), pow2(-6));
  EXPECT_EQ(e4m3ToF32(0x38), 1.0f);
  EXPECT_EQ(e4m3ToF32(0x78), 256.0f); // exponent 1111 is a normal binade
}

TEST(E4M3, EveryNonNaNCodeRoundTrips) {
  for (int b = 0; b < 256; ++b) {
    if ((b & 0x7F) == 0x7F)
      continue;
    const auto code = static_cast<std::uint8_t>(b);
    EXPECT_EQ(f32ToE4M3Sat(e4m3ToF32(code)), code) << b;
  }
}

TEST(E4M3, RoundsLikeSlowReference) {
  expectMatchesSlow(slowE4M3(), [](float x) { return f32ToE4M3Sat(x); });
}

TEST(E4M3, TiesToEven) {
  EXPECT_EQ(f32ToE4M3Sat(1.0625f), 0x38); // between 1 (000) and 1.125 (001)
  EXPECT_EQ(f32ToE4M3Sat(1.1875f), 0x3A); // between 1.125 (001) and 1.25 (010)
  EXPECT_EQ(f32ToE4M3Sat(std::nextafter(1.0625f, 2.0f)), 0x39);
  EXPECT_EQ(f32ToE4M3Sat(std::nextafter(1.1875f, 0.0f)), 0x39);
  EXPECT_EQ(f32ToE4M3Sat(-1.1875f), 0xBA);
  EXPECT_EQ(f32ToE4M3Sat(15.5f), 0x58);  // 15 (0x57, odd) / 16: carry
  EXPECT_EQ(f32ToE4M3Sat(232.0f), 0x76); // 224 (110) / 240 (111)
  EXPECT_EQ(f32ToE4M3Sat(248.0f), 0x78); // 240 (111) / 256 (000): carry
  EXPECT_EQ(f32ToE4M3Sat(272.0f), 0x78);  // between 256 (000) and 288 (001)
}

TEST(E4M3, Saturates) {
  EXPECT_EQ(f32ToE4M3Sat(448.0f), 0x7E);
  EXPECT_EQ(f32ToE4M3Sat(449.0f), 0x7E);
  EXPECT_EQ(f32ToE4M3Sat(464.0f), 0x7E); // tie with 480, which would be NaN
  EXPECT_EQ(f32ToE4M3Sat(std::nextafter(464.0f, 1e9f)), 0x7E);
  EXPECT_EQ(f32ToE4M3Sat(480.0f), 0x7E);
  EXPECT_EQ(f32ToE4M3Sat(1e30f), 0x7E);
  EXPECT_EQ(f32ToE4M3Sat(std::numeric_limits<float>::max()), 0x7E);
  EXPECT_EQ(f32ToE4M3Sat(std::numeric_limits<float>::infinity()), 0x7E);
  EXPECT_EQ(f32ToE4M3Sat(-std::numeric_limits<float>::infinity()), 0xFE);
  EXPECT_EQ(f32ToE4M3Sat(-449.0f), 0xFE);
  EXPECT_EQ(f32ToE4M3Sat(-1e30f), 0xFE);
  EXPECT_EQ(f32ToE4M3Sat(416.0f), 0x7D);
  EXPECT_EQ(f32ToE4M3Sat(432.0f), 0x7E); // tie 416 (101) / 448 (110)
}

TEST(E4M3, SubnormalsAndZeros) {
  EXPECT_EQ(f32ToE4M3Sat(pow2(-9)), 0x01);
  EXPECT_EQ(f32ToE4M3Sat(pow2(-10)), 0x00);                      // tie: 0
  EXPECT_EQ(f32ToE4M3Sat(std::nextafter(pow2(-10), 1.0f)), 0x01); // above
  EXPECT_EQ(f32ToE4M3Sat(3 * pow2(-10)), 0x02);                  // tie: 2
  EXPECT_EQ(f32ToE4M3Sat(5 * pow2(-10)), 0x02);                  // tie: 2
  EXPECT_EQ(f32ToE4M3Sat(7 * pow2(-9)), 0x07); // largest subnormal
  EXPECT_EQ(f32ToE4M3Sat(7.5f * pow2(-9)), 0x08); // tie: up to min normal
  EXPECT_EQ(f32ToE4M3Sat(pow2(-6)), 0x08);
  EXPECT_EQ(f32ToE4M3Sat(0.0f), 0x00);
  EXPECT_EQ(f32ToE4M3Sat(-0.0f), 0x80);
  EXPECT_EQ(f32ToE4M3Sat(-pow2(-10)), 0x80);
  EXPECT_EQ(f32ToE4M3Sat(-pow2(-20)), 0x80);
  EXPECT_EQ(f32ToE4M3Sat(floatOf(0x00000001u)), 0x00); // f32 subnormal
  EXPECT_EQ(f32ToE4M3Sat(-3 * pow2(-10)), 0x82);
}

TEST(E4M3, NaNGivesCanonicalNaN) {
  for (std::uint32_t bits : {0x7FC00000u, 0xFFC00000u, 0x7F800001u,
                             0xFFFFFFFFu, 0x7FBFFFFFu})
    EXPECT_EQ(f32ToE4M3Sat(floatOf(bits)), 0x7F) << std::hex << bits;
}

//===----------------------------------------------------------------------===//
// E5M2
//===----------------------------------------------------------------------===//

TEST(E5M2, DecodesEveryCodeExactly) {
  const SlowFormat &slow = slowE5M2();
  for (int b = 0; b < 256; ++b) {
    const float f = e5m2ToF32(static_cast<std::uint8_t>(b));
    const int code = b & 0x7F;
    EXPECT_EQ(std::signbit(f), b >= 0x80) << b;
    if (code > 0x7C) {
      EXPECT_TRUE(std::isnan(f)) << b;
    } else if (code == 0x7C) {
      EXPECT_TRUE(std::isinf(f)) << b;
    } else {
      EXPECT_EQ(double(std::fabs(f)), slow.values[code]) << b;
    }
  }
  EXPECT_EQ(e5m2ToF32(0x7B), 57344.0f);
  EXPECT_EQ(e5m2ToF32(0x01), pow2(-16));
  EXPECT_EQ(e5m2ToF32(0x04), pow2(-14));
  EXPECT_EQ(e5m2ToF32(0x3C), 1.0f);
}

TEST(E5M2, EveryFiniteCodeRoundTripsAndInfSaturates) {
  for (int b = 0; b < 256; ++b) {
    const int code = b & 0x7F;
    const auto bits = static_cast<std::uint8_t>(b);
    if (code > 0x7C)
      continue;
    const std::uint8_t want =
        code == 0x7C ? static_cast<std::uint8_t>((b & 0x80) | 0x7B) : bits;
    EXPECT_EQ(f32ToE5M2Sat(e5m2ToF32(bits)), want) << b;
  }
}

TEST(E5M2, RoundsLikeSlowReference) {
  expectMatchesSlow(slowE5M2(), [](float x) { return f32ToE5M2Sat(x); });
}

TEST(E5M2, TiesSaturationSubnormals) {
  EXPECT_EQ(f32ToE5M2Sat(1.0f), 0x3C);
  EXPECT_EQ(f32ToE5M2Sat(1.125f), 0x3C); // tie 1 (00) / 1.25 (01)
  EXPECT_EQ(f32ToE5M2Sat(1.375f), 0x3E); // tie 1.25 (01) / 1.5 (10)
  EXPECT_EQ(f32ToE5M2Sat(57344.0f), 0x7B);
  EXPECT_EQ(f32ToE5M2Sat(std::nextafter(61440.0f, 0.0f)), 0x7B);
  // 61440 is the tie between 57344 (odd mantissa 11) and 65536, which would
  // be Inf: ties-to-even picks Inf, and .satfinite turns it into max.
  EXPECT_EQ(f32ToE5M2Sat(61440.0f), 0x7B);
  EXPECT_EQ(f32ToE5M2Sat(65536.0f), 0x7B);
  EXPECT_EQ(f32ToE5M2Sat(1e30f), 0x7B);
  EXPECT_EQ(f32ToE5M2Sat(-std::numeric_limits<float>::infinity()), 0xFB);
  EXPECT_EQ(f32ToE5M2Sat(pow2(-16)), 0x01);
  EXPECT_EQ(f32ToE5M2Sat(pow2(-17)), 0x00);     // tie: 0
  EXPECT_EQ(f32ToE5M2Sat(3 * pow2(-17)), 0x02); // tie: 2
  EXPECT_EQ(f32ToE5M2Sat(3.5f * pow2(-16)), 0x04); // tie up to min normal
  EXPECT_EQ(f32ToE5M2Sat(-0.0f), 0x80);
  EXPECT_EQ(f32ToE5M2Sat(-pow2(-17)), 0x80);
  for (std::uint32_t bits : {0x7FC00000u, 0xFFC00000u, 0x7F800001u})
    EXPECT_EQ(f32ToE5M2Sat(floatOf(bits)), 0x7F) << std::hex << bits;
}

//===----------------------------------------------------------------------===//
// UE8M0 round-up
//===----------------------------------------------------------------------===//

/// The smallest power of two >= s for positive normal s, from frexp (exact).
float slowPowerOfTwoCeil(float s) {
  int e;
  const float m = std::frexp(s, &e); // s = m * 2^e, m in [0.5, 1)
  return m == 0.5f ? s : std::ldexp(1.0f, e);
}

TEST(Ue8m0, PowersOfTwoStay) {
  for (int e = -126; e <= 127; ++e)
    EXPECT_EQ(ue8m0RoundUp(pow2(e)), pow2(e)) << e;
}

TEST(Ue8m0, RoundsUpToNextPowerOfTwo) {
  EXPECT_EQ(ue8m0RoundUp(std::nextafter(1.0f, 2.0f)), 2.0f);
  EXPECT_EQ(ue8m0RoundUp(0.75f), 1.0f);
  EXPECT_EQ(ue8m0RoundUp(3.0f), 4.0f);
  EXPECT_EQ(ue8m0RoundUp(std::nextafter(2.0f, 0.0f)), 2.0f);
  EXPECT_EQ(ue8m0RoundUp(1e-4f / 448.0f), pow2(-22));
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::uint32_t> normal(0x00800000u, 0x7F000000u);
  for (int i = 0; i < 1000000; ++i) {
    const float s = floatOf(normal(rng));
    const float r = ue8m0RoundUp(s);
    ASSERT_EQ(r, slowPowerOfTwoCeil(s)) << s;
    ASSERT_EQ(bitsOf(r) & 0x007FFFFFu, 0u);
    ASSERT_GE(r, s);
    ASSERT_LT(r * 0.5f, s);
  }
}

TEST(Ue8m0, EdgeCases) {
  EXPECT_EQ(bitsOf(ue8m0RoundUp(0.0f)), 0u);
  EXPECT_EQ(bitsOf(ue8m0RoundUp(-0.0f)), 0x80000000u);
  EXPECT_EQ(ue8m0RoundUp(floatOf(0x00000001u)), pow2(-126)); // subnormal
  EXPECT_EQ(ue8m0RoundUp(floatOf(0x007FFFFFu)), pow2(-126));
  EXPECT_EQ(ue8m0RoundUp(pow2(127)), pow2(127));
  EXPECT_TRUE(std::isinf(ue8m0RoundUp(std::nextafter(pow2(127), std::numeric_limits<float>::max()))));
  EXPECT_TRUE(std::isinf(ue8m0RoundUp(std::numeric_limits<float>::max())));
  EXPECT_TRUE(std::isinf(ue8m0RoundUp(std::numeric_limits<float>::infinity())));
  EXPECT_TRUE(std::isnan(ue8m0RoundUp(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(ue8m0RoundUp(-3.0f), -4.0f); // magnitude rounded, sign kept
}

} // namespace
} // namespace tessel
