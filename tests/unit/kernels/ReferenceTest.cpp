// Tests of the CPU reference implementations of the kernel contracts
// (tessel/kernels/Reference.h).

#include "tessel/kernels/Reference.h"

#include "tessel/support/Error.h"
#include "tessel/support/Float8.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace tessel::kernels {
namespace {

std::uint32_t bitsOf(float v) { return std::bit_cast<std::uint32_t>(v); }

/// Random bf16 values x * 2^e with x normal(0, 1) and the exponent drawn per
/// block of `blockSize`, so that blocks have very different magnitudes.
std::vector<std::uint16_t> randomBf16(std::int64_t count, std::uint32_t seed,
                                      int minExp = -20, int maxExp = 20,
                                      int blockSize = 128) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(minExp, maxExp);
  std::vector<std::uint16_t> out(count);
  int e = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    if (i % blockSize == 0)
      e = exponent(rng);
    out[i] = f32ToBf16(std::ldexp(normal(rng), e));
  }
  return out;
}

/// The contract written out once more, element by element, for one block of
/// fp32 values: amax, the floored scale times fl(1/448), then x / s.
float expectedScale(const std::vector<float> &block, bool ue8m0) {
  float amax = 0.0f;
  for (float v : block)
    if (!std::isnan(v))
      amax = std::max(amax, std::fabs(v));
  const float s = std::max(amax, 1e-4f) * (1.0f / 448.0f);
  return ue8m0 ? ue8m0RoundUp(s) : s;
}

//===----------------------------------------------------------------------===//
// act_quant
//===----------------------------------------------------------------------===//

TEST(ActQuantReference, AllZeroBlockGivesZerosAndFloorScale) {
  const std::int64_t rows = 3, k = 256;
  std::vector<std::uint16_t> x(rows * k, 0);
  x[k + 5] = 0x8000; // -0.0 keeps its sign
  std::vector<std::uint8_t> y(rows * k, 0xAA);
  std::vector<float> s(rows * 2, -1.0f);
  actQuantReference(x.data(), rows, k, y.data(), s.data());
  for (std::int64_t i = 0; i < rows * k; ++i)
    EXPECT_EQ(y[i], i == k + 5 ? 0x80 : 0x00) << i;
  for (float scale : s)
    EXPECT_EQ(bitsOf(scale), bitsOf(1e-4f * (1.0f / 448.0f)));
}

TEST(ActQuantReference, ScaleIsMultiplicationByReciprocal) {
  // Find bf16 amax values for which amax * fl(1/448) and amax / 448 differ
  // in fp32; the reference must give the product.
  int differing = 0;
  for (std::uint32_t b = 0x3F80; b < 0x4080 && differing < 20; ++b) {
    const float amax = bf16ToF32(static_cast<std::uint16_t>(b));
    const float product = amax * (1.0f / 448.0f);
    const float quotient = amax / 448.0f;
    if (bitsOf(product) == bitsOf(quotient))
      continue;
    ++differing;
    std::vector<std::uint16_t> x(128, 0);
    x[17] = static_cast<std::uint16_t>(b | 0x8000u); // -amax
    std::vector<std::uint8_t> y(128);
    float s = 0.0f;
    actQuantReference(x.data(), 1, 128, y.data(), &s);
    EXPECT_EQ(bitsOf(s), bitsOf(product)) << amax;
    EXPECT_NE(bitsOf(s), bitsOf(quotient)) << amax;
    EXPECT_EQ(bitsOf(blockScale(amax)), bitsOf(product));
  }
  EXPECT_EQ(differing, 20);
}

TEST(ActQuantReference, BlockAmaxLandsOnMaxFinite) {
  const std::int64_t rows = 64, k = 1024;
  const auto x = randomBf16(rows * k, 1, -8, 20);
  std::vector<std::uint8_t> y(rows * k);
  std::vector<float> s(rows * k / 128);
  actQuantReference(x.data(), rows, k, y.data(), s.data());
  for (std::int64_t block = 0; block < rows * k / 128; ++block) {
    std::int64_t argmax = block * 128;
    for (std::int64_t i = block * 128; i < (block + 1) * 128; ++i)
      if (std::fabs(bf16ToF32(x[i])) > std::fabs(bf16ToF32(x[argmax])))
        argmax = i;
    ASSERT_GT(std::fabs(bf16ToF32(x[argmax])), 1e-4f);
    EXPECT_EQ(y[argmax], bf16ToF32(x[argmax]) < 0 ? 0xFE : 0x7E) << block;
  }
}

TEST(ActQuantReference, MatchesElementwiseContract) {
  // k = 300 is not a multiple of 128: the third block of each row covers 44
  // columns. Magnitudes span 2^-30 (under the floor) to 2^30.
  const std::int64_t rows = 37, k = 300, blocks = 3;
  for (bool ue8m0 : {false, true}) {
    const auto x = randomBf16(rows * k, 2, -30, 30, 50);
    std::vector<std::uint8_t> y(rows * k);
    std::vector<float> s(rows * blocks);
    actQuantReference(x.data(), rows, k, y.data(), s.data(), 128, ue8m0);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t b = 0; b < blocks; ++b) {
        const std::int64_t c0 = b * 128, c1 = std::min<std::int64_t>(k, c0 + 128);
        std::vector<float> block;
        for (std::int64_t c = c0; c < c1; ++c)
          block.push_back(bf16ToF32(x[r * k + c]));
        const float scale = expectedScale(block, ue8m0);
        ASSERT_EQ(bitsOf(s[r * blocks + b]), bitsOf(scale)) << r << "," << b;
        for (std::int64_t c = c0; c < c1; ++c)
          ASSERT_EQ(y[r * k + c], f32ToE4M3Sat(block[c - c0] / scale))
              << r << "," << c;
      }
  }
}

TEST(ActQuantReference, TailBlockIsIndependent) {
  const std::int64_t k = 300;
  std::vector<std::uint16_t> x(k, f32ToBf16(1.0f));
  x[299] = f32ToBf16(1000.0f); // only in the 44-column tail block
  std::vector<std::uint8_t> y(k);
  std::vector<float> s(3);
  actQuantReference(x.data(), 1, k, y.data(), s.data());
  EXPECT_EQ(s[0], 1.0f * (1.0f / 448.0f));
  EXPECT_EQ(s[1], 1.0f * (1.0f / 448.0f));
  EXPECT_EQ(s[2], 1000.0f * (1.0f / 448.0f));
  EXPECT_EQ(y[0], 0x7E);
  EXPECT_EQ(y[299], 0x7E);
  EXPECT_EQ(y[298], f32ToE4M3Sat(1.0f / s[2]));
}

TEST(ActQuantReference, Ue8m0ScalesArePowersOfTwoAndNeverSaturate) {
  const std::int64_t rows = 16, k = 512;
  const auto x = randomBf16(rows * k, 3, -8, 20);
  std::vector<std::uint8_t> yPlain(rows * k), y(rows * k);
  std::vector<float> sPlain(rows * 4), s(rows * 4);
  actQuantReference(x.data(), rows, k, yPlain.data(), sPlain.data());
  actQuantReference(x.data(), rows, k, y.data(), s.data(), 128, true);
  for (std::size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(bitsOf(s[i]) & 0x007FFFFFu, 0u) << s[i];
    EXPECT_GE(s[i], sPlain[i]);
    EXPECT_LT(s[i], 2.0f * sPlain[i]);
  }
  for (std::int64_t block = 0; block < rows * 4; ++block) {
    float amaxQ = 0.0f, amaxX = 0.0f;
    for (std::int64_t i = block * 128; i < (block + 1) * 128; ++i) {
      amaxQ = std::max(amaxQ, std::fabs(e4m3ToF32(y[i])));
      amaxX = std::max(amaxX, std::fabs(bf16ToF32(x[i])));
    }
    // amax / s lies in (224, 448]: the largest element uses the top binade
    // without being clipped.
    EXPECT_LE(amaxX / s[block], 448.0f);
    EXPECT_GE(amaxQ, 224.0f);
    EXPECT_LE(amaxQ, 448.0f);
  }
}

TEST(ActQuantReference, NaNQuantizesToNaNAndIsIgnoredByAmax) {
  std::vector<std::uint16_t> x(128, f32ToBf16(2.0f));
  x[3] = 0x7FC0;  // NaN
  x[4] = 0xFFC1;  // -NaN
  std::vector<std::uint8_t> y(128);
  float s = 0.0f;
  actQuantReference(x.data(), 1, 128, y.data(), &s);
  EXPECT_EQ(s, 2.0f * (1.0f / 448.0f));
  EXPECT_EQ(y[3], 0x7F);
  EXPECT_EQ(y[4], 0x7F);
  EXPECT_EQ(y[0], 0x7E);
}

TEST(ActQuantReference, DTypeOverloadsAgree) {
  // Values exact in bf16, f16 and f32: 8 significant bits, magnitudes within
  // f16's normal range.
  const std::int64_t rows = 8, k = 384;
  const auto bf16 = randomBf16(rows * k, 4, -10, 10);
  std::vector<std::uint16_t> f16(bf16.size());
  std::vector<float> f32(bf16.size());
  for (std::size_t i = 0; i < bf16.size(); ++i) {
    f32[i] = bf16ToF32(bf16[i]);
    if (std::fabs(f32[i]) < std::ldexp(1.0f, -14))
      f32[i] = 0.0f;
    f16[i] = f32ToF16(f32[i]);
    ASSERT_EQ(f16ToF32(f16[i]), f32[i]);
  }
  std::vector<std::uint8_t> y32(rows * k), y16(rows * k);
  std::vector<float> s32(rows * 3), s16(rows * 3);
  actQuantReference(DType::F32, f32.data(), rows, k, y32.data(), s32.data());
  actQuantReference(DType::F16, f16.data(), rows, k, y16.data(), s16.data());
  EXPECT_EQ(y32, y16);
  EXPECT_EQ(s32, s16);
}

TEST(ActQuantReference, F32InputIsNotRoundedToBf16) {
  std::vector<float> x(128, 1.0f);
  x[0] = 1.0f + std::ldexp(1.0f, -20); // not a bf16 value
  std::vector<std::uint8_t> y(128);
  float s = 0.0f;
  actQuantReference(DType::F32, x.data(), 1, 128, y.data(), &s);
  EXPECT_EQ(bitsOf(s), bitsOf(x[0] * (1.0f / 448.0f)));
}

TEST(ActQuantReference, RejectsBadArguments) {
  std::vector<std::uint16_t> x(128);
  std::vector<std::uint8_t> y(128);
  float s = 0.0f;
  EXPECT_THROW(actQuantReference(DType::I8, x.data(), 1, 128, y.data(), &s),
               Error);
  EXPECT_THROW(actQuantReference(nullptr, 1, 128, y.data(), &s), Error);
  EXPECT_THROW(actQuantReference(x.data(), 1, 128, y.data(), nullptr), Error);
  EXPECT_THROW(actQuantReference(x.data(), -1, 128, y.data(), &s), Error);
  EXPECT_THROW(actQuantReference(x.data(), 1, 128, y.data(), &s, 0), Error);
  try {
    actQuantReference(DType::F8E4M3, x.data(), 1, 128, y.data(), &s);
    FAIL() << "no error";
  } catch (const Error &error) {
    EXPECT_NE(error.message().find("f8e4m3"), std::string::npos)
        << error.message();
  }
  // Empty inputs are fine, with or without pointers.
  actQuantReference(nullptr, 0, 128, nullptr, nullptr);
}

//===----------------------------------------------------------------------===//
// weight_quant / weight_dequant
//===----------------------------------------------------------------------===//

TEST(WeightQuantReference, TailsInBothDimensions) {
  const std::int64_t n = 200, k = 300, nb = 2, kb = 3;
  const auto w = randomBf16(n * k, 5, -12, 12, 97);
  std::vector<std::uint8_t> q(n * k);
  std::vector<float> s(nb * kb);
  weightQuantReference(w.data(), n, k, q.data(), s.data());
  for (std::int64_t rb = 0; rb < nb; ++rb)
    for (std::int64_t cb = 0; cb < kb; ++cb) {
      const std::int64_t r0 = rb * 128, r1 = std::min<std::int64_t>(n, r0 + 128);
      const std::int64_t c0 = cb * 128, c1 = std::min<std::int64_t>(k, c0 + 128);
      std::vector<float> block;
      for (std::int64_t r = r0; r < r1; ++r)
        for (std::int64_t c = c0; c < c1; ++c)
          block.push_back(bf16ToF32(w[r * k + c]));
      EXPECT_EQ(block.size(), std::size_t((r1 - r0) * (c1 - c0)));
      const float scale = expectedScale(block, false);
      ASSERT_EQ(bitsOf(s[rb * kb + cb]), bitsOf(scale)) << rb << "," << cb;
      for (std::int64_t r = r0; r < r1; ++r)
        for (std::int64_t c = c0; c < c1; ++c)
          ASSERT_EQ(q[r * k + c], f32ToE4M3Sat(bf16ToF32(w[r * k + c]) / scale));
    }
}

TEST(WeightQuantReference, BlockScaleComesFromItsOwnBlock) {
  const std::int64_t n = 200, k = 300;
  std::vector<std::uint16_t> w(n * k, f32ToBf16(0.5f));
  w[199 * k + 299] = f32ToBf16(-64.0f); // bottom-right tail block only
  std::vector<std::uint8_t> q(n * k);
  std::vector<float> s(6);
  weightQuantReference(w.data(), n, k, q.data(), s.data());
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(s[i], 0.5f * (1.0f / 448.0f)) << i;
  EXPECT_EQ(s[5], 64.0f * (1.0f / 448.0f));
  EXPECT_EQ(q[199 * k + 299], 0xFE);
  EXPECT_EQ(q[0], 0x7E);
}

TEST(WeightDequantReference, MultipliesInFp32ThenRoundsToBf16) {
  // The product is rounded to fp32 first and only then to bf16. Look for
  // codes q and scales s whose exact product lies just off a bf16 tie but
  // rounds onto it in fp32: rounding the exact product once would go to the
  // near side, the contract's two roundings go to the even side.
  struct Tie {
    float value;        // halfway between two bf16 numbers
    std::uint16_t even; // where ties-to-even sends it
  };
  const Tie ties[] = {{1.0f + std::ldexp(1.0f, -8), 0x3F80},
                      {1.0f + 3 * std::ldexp(1.0f, -8), 0x3F82}};
  int found = 0;
  for (const Tie &tie : ties)
    for (int code = 0x08; code < 0x7F; ++code) {
      const auto q = static_cast<std::uint8_t>(code);
      const float qValue = e4m3ToF32(q);
      float s = tie.value / qValue;
      for (int step = 0; step < 4; ++step)
        s = std::nextafter(s, 0.0f);
      for (int step = 0; step < 8; ++step, s = std::nextafter(s, 1e30f)) {
        const double exact = double(qValue) * double(s);
        if (qValue * s != tie.value || exact == double(tie.value))
          continue;
        ++found;
        std::uint16_t out = 0;
        weightDequantReference(&q, &s, 1, 1, &out);
        EXPECT_EQ(out, tie.even) << "q " << qValue << " s " << s;
      }
    }
  EXPECT_GE(found, 10);

  const std::uint8_t q[2] = {0x7E, 0xB9}; // 448, -1.125
  const float two = 2.0f;
  std::uint16_t out[2];
  weightDequantReference(q, &two, 1, 2, out);
  EXPECT_EQ(bf16ToF32(out[0]), 896.0f);
  EXPECT_EQ(bf16ToF32(out[1]), -2.25f);
}

TEST(WeightDequantReference, UsesTheBlockScaleWithTails) {
  const std::int64_t n = 130, k = 129;
  std::vector<std::uint8_t> q(n * k, 0x38); // 1.0
  const float s[4] = {1.0f, 2.0f, 4.0f, 8.0f};
  std::vector<std::uint16_t> out(n * k);
  weightDequantReference(q.data(), s, n, k, out.data());
  EXPECT_EQ(bf16ToF32(out[0]), 1.0f);
  EXPECT_EQ(bf16ToF32(out[128]), 2.0f);
  EXPECT_EQ(bf16ToF32(out[128 * k]), 4.0f);
  EXPECT_EQ(bf16ToF32(out[129 * k + 128]), 8.0f);
}

TEST(WeightDequantReference, InvertsQuantWithinE4M3Precision) {
  // E4M3 keeps 3 mantissa bits: round to nearest is within 2^-4 relative for
  // normal results and within 2^-10 * s absolute in the subnormal range;
  // bf16 adds 2^-9 relative.
  const std::int64_t n = 200, k = 300;
  const auto w = randomBf16(n * k, 6, -8, 8, 61);
  std::vector<std::uint8_t> q(n * k);
  std::vector<float> s(6);
  std::vector<std::uint16_t> back(n * k);
  weightQuantReference(w.data(), n, k, q.data(), s.data());
  weightDequantReference(q.data(), s.data(), n, k, back.data());
  double worstRelative = 0.0;
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t c = 0; c < k; ++c) {
      const double orig = bf16ToF32(w[r * k + c]);
      const double got = bf16ToF32(back[r * k + c]);
      const double scale = s[(r / 128) * 3 + c / 128];
      const double bound =
          (std::ldexp(1.0, -4) + std::ldexp(1.0, -8)) * std::fabs(orig) +
          std::ldexp(1.0, -9) * scale;
      ASSERT_LE(std::fabs(got - orig), bound) << r << "," << c;
      if (std::fabs(orig) > 2e-2 * 448 * scale)
        worstRelative =
            std::max(worstRelative, std::fabs(got - orig) / std::fabs(orig));
    }
  // Not vacuous: e4m3 rounding does show up, near its 2^-4 bound.
  EXPECT_GT(worstRelative, 0.05);
}

//===----------------------------------------------------------------------===//
// fp8_gemm
//===----------------------------------------------------------------------===//

TEST(Fp8GemmReference, ScalesEachKBlock) {
  // k = 256: two blocks. a = 1.0 everywhere, b = 2.0 everywhere.
  const std::int64_t k = 256;
  std::vector<std::uint8_t> a(k, 0x38), b(k, 0x40);
  const float aScale[2] = {0.5f, 2.0f};
  const float bScale[2] = {3.0f, 1.0f};
  double c = 0.0;
  fp8GemmReference(a.data(), aScale, b.data(), bScale, 1, 1, k, &c);
  EXPECT_EQ(c, 128 * 2.0 * 0.5 * 3.0 + 128 * 2.0 * 2.0 * 1.0);
}

TEST(Fp8GemmReference, MatchesNaiveSumWithTails) {
  const std::int64_t m = 5, n = 200, k = 300, kb = 3;
  std::mt19937 rng(8);
  std::vector<std::uint8_t> a(m * k), b(n * k);
  // Random codes, NaN codes (0x7F, 0xFF) replaced by zero.
  auto randomCode = [&rng] {
    const auto code = static_cast<std::uint8_t>(rng());
    return (code & 0x7F) == 0x7F ? std::uint8_t(0) : code;
  };
  for (auto &v : a)
    v = randomCode();
  for (auto &v : b)
    v = randomCode();
  std::uniform_real_distribution<float> scale(0.001f, 0.01f);
  std::vector<float> aScale(m * kb), bScale(2 * kb);
  for (auto &v : aScale)
    v = scale(rng);
  for (auto &v : bScale)
    v = scale(rng);
  std::vector<double> c(m * n);
  fp8GemmReference(a.data(), aScale.data(), b.data(), bScale.data(), m, n, k,
                   c.data());
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      long double want = 0.0L;
      for (std::int64_t l = 0; l < k; ++l)
        want += static_cast<long double>(e4m3ToF32(a[i * k + l])) *
                e4m3ToF32(b[j * k + l]) * aScale[i * kb + l / 128] *
                bScale[(j / 128) * kb + l / 128];
      EXPECT_NEAR(c[i * n + j], double(want), 1e-12 * (1.0 + std::fabs(double(want))))
          << i << "," << j;
    }
}

TEST(Fp8GemmReference, QuantizedProductApproximatesBf16Product) {
  // End to end: act_quant(x) and weight_quant(w), then the scaled fp8 GEMM,
  // approximates x * w^T in double.
  const std::int64_t m = 4, n = 160, k = 384;
  const auto x = randomBf16(m * k, 9, 0, 0);
  const auto w = randomBf16(n * k, 10, -4, -4);
  std::vector<std::uint8_t> xq(m * k), wq(n * k);
  std::vector<float> xs(m * 3), ws(2 * 3);
  actQuantReference(x.data(), m, k, xq.data(), xs.data());
  weightQuantReference(w.data(), n, k, wq.data(), ws.data());
  std::vector<double> c(m * n);
  fp8GemmReference(xq.data(), xs.data(), wq.data(), ws.data(), m, n, k,
                   c.data());
  double errorSq = 0.0, normSq = 0.0;
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double exact = 0.0;
      for (std::int64_t l = 0; l < k; ++l)
        exact += double(bf16ToF32(x[i * k + l])) * bf16ToF32(w[j * k + l]);
      errorSq += (c[i * n + j] - exact) * (c[i * n + j] - exact);
      normSq += exact * exact;
    }
  // Two e4m3 roundings of about 2^-5 relative each (rms), over random signs.
  EXPECT_LT(std::sqrt(errorSq / normSq), 0.06);
  EXPECT_GT(std::sqrt(errorSq / normSq), 1e-4);
}

TEST(Fp8GemmReference, RejectsBadArguments) {
  std::uint8_t a = 0, b = 0;
  float s = 1.0f;
  double c = 0.0;
  EXPECT_THROW(fp8GemmReference(&a, nullptr, &b, &s, 1, 1, 1, &c), Error);
  EXPECT_THROW(fp8GemmReference(&a, &s, &b, &s, 1, -1, 1, &c), Error);
  EXPECT_THROW(weightQuantReference(nullptr, 1, 1, &a, &s), Error);
  EXPECT_THROW(weightDequantReference(&a, &s, 1, 1, nullptr), Error);
}

} // namespace
} // namespace tessel::kernels
