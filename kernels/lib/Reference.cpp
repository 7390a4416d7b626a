// CPU reference implementations of the shipped kernels' contracts.
//
// Build note: this file must be compiled with -ffp-contract=off (see
// kernels/reference.cmake). The contracts fix every fp32 operation and its
// rounding; a fused multiply-add would round once where the GPU rounds twice.

#include "tessel/kernels/Reference.h"

#include "tessel/support/Error.h"
#include "tessel/support/Float8.h"

#include <array>
#include <bit>
#include <string>

namespace tessel::kernels {
namespace {

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

void checkSizes(const char *kernel, std::int64_t rows, std::int64_t cols,
                int blockSize) {
  if (rows < 0 || cols < 0)
    throw Error(std::string(kernel) + ": sizes must be non-negative, got " +
                std::to_string(rows) + " x " + std::to_string(cols));
  if (blockSize < 1)
    throw Error(std::string(kernel) + ": block size must be positive, got " +
                std::to_string(blockSize));
}

void checkPointer(const char *kernel, const char *argument, const void *pointer,
                  std::int64_t elements) {
  if (elements > 0 && pointer == nullptr)
    throw Error(std::string(kernel) + ": argument '" + argument +
                "' is a null pointer");
}

/// |value| by clearing the sign bit, so that NaN stays NaN and -0 becomes +0
/// without relying on the library's fabs.
float magnitude(float value) {
  return std::bit_cast<float>(std::bit_cast<std::uint32_t>(value) &
                              0x7FFFFFFFu);
}

/// Reads element i of an input array of one of the accepted dtypes as fp32;
/// bf16 and f16 widen exactly.
template <DType Type> struct ElementReader;
template <> struct ElementReader<DType::BF16> {
  const std::uint16_t *data;
  float operator()(std::int64_t i) const { return bf16ToF32(data[i]); }
};
template <> struct ElementReader<DType::F16> {
  const std::uint16_t *data;
  float operator()(std::int64_t i) const { return f16ToF32(data[i]); }
};
template <> struct ElementReader<DType::F32> {
  const float *data;
  float operator()(std::int64_t i) const { return data[i]; }
};

/// Quantizes the block rows [row0, row1) x columns [col0, col1) of a row-major
/// matrix with `cols` columns and returns its scale.
template <typename Reader>
float quantizeBlock(const Reader &read, std::int64_t cols, std::int64_t row0,
                    std::int64_t row1, std::int64_t col0, std::int64_t col1,
                    bool ue8m0Scales, std::uint8_t *out) {
  // The maximum skips NaN (a comparison with NaN is false), as PTX max.f32
  // and Triton's tl.max do; the order of the scan does not matter.
  float amax = 0.0f;
  for (std::int64_t r = row0; r < row1; ++r)
    for (std::int64_t c = col0; c < col1; ++c) {
      const float a = magnitude(read(r * cols + c));
      if (a > amax)
        amax = a;
    }
  const float scale = blockScale(amax, ue8m0Scales);
  for (std::int64_t r = row0; r < row1; ++r)
    for (std::int64_t c = col0; c < col1; ++c) {
      const std::int64_t i = r * cols + c;
      // IEEE 754 division, correctly rounded (PTX div.rn.f32), then
      // cvt.rn.satfinite.e4m3x2.f32.
      out[i] = f32ToE4M3Sat(read(i) / scale);
    }
  return scale;
}

template <typename Reader>
void actQuantImpl(const Reader &read, std::int64_t rows, std::int64_t k,
                  std::uint8_t *y, float *s, int blockSize, bool ue8m0Scales) {
  const std::int64_t blocksPerRow = ceilDiv(k, blockSize);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t b = 0; b < blocksPerRow; ++b) {
      const std::int64_t col0 = b * blockSize;
      const std::int64_t col1 = col0 + blockSize < k ? col0 + blockSize : k;
      s[r * blocksPerRow + b] =
          quantizeBlock(read, k, r, r + 1, col0, col1, ue8m0Scales, y);
    }
}

/// E4M3FN codes as doubles; NaN codes decode to NaN.
const std::array<double, 256> &e4m3Table() {
  static const std::array<double, 256> table = [] {
    std::array<double, 256> values{};
    for (int code = 0; code < 256; ++code)
      values[code] = e4m3ToF32(static_cast<std::uint8_t>(code));
    return values;
  }();
  return table;
}

} // namespace

float blockScale(float amax, bool ue8m0Scales) {
  // max(amax, 1e-4) as PTX max.f32: a NaN amax gives the floor.
  const float floored = amax > kScaleFloor ? amax : kScaleFloor;
  // A multiplication by the fp32 constant fl(1/448), not a division by 448.
  const float scale = floored * kInvE4M3Max;
  return ue8m0Scales ? ue8m0RoundUp(scale) : scale;
}

void actQuantReference(const std::uint16_t *xBf16, std::int64_t rows,
                       std::int64_t k, std::uint8_t *y, float *s,
                       int blockSize, bool ue8m0Scales) {
  actQuantReference(DType::BF16, xBf16, rows, k, y, s, blockSize, ue8m0Scales);
}

void actQuantReference(DType xType, const void *x, std::int64_t rows,
                       std::int64_t k, std::uint8_t *y, float *s,
                       int blockSize, bool ue8m0Scales) {
  constexpr const char *kKernel = "actQuantReference";
  checkSizes(kKernel, rows, k, blockSize);
  checkPointer(kKernel, "x", x, rows * k);
  checkPointer(kKernel, "y", y, rows * k);
  checkPointer(kKernel, "s", s, rows * ceilDiv(k, blockSize));
  switch (xType) {
  case DType::BF16:
    return actQuantImpl(
        ElementReader<DType::BF16>{static_cast<const std::uint16_t *>(x)}, rows,
        k, y, s, blockSize, ue8m0Scales);
  case DType::F16:
    return actQuantImpl(
        ElementReader<DType::F16>{static_cast<const std::uint16_t *>(x)}, rows,
        k, y, s, blockSize, ue8m0Scales);
  case DType::F32:
    return actQuantImpl(ElementReader<DType::F32>{static_cast<const float *>(x)},
                        rows, k, y, s, blockSize, ue8m0Scales);
  default:
    throw Error(std::string(kKernel) + ": x must be bf16, f16 or f32, got " +
                std::string(name(xType)));
  }
}

void weightQuantReference(const std::uint16_t *wBf16, std::int64_t n,
                          std::int64_t k, std::uint8_t *q, float *s,
                          int blockSize, bool ue8m0Scales) {
  constexpr const char *kKernel = "weightQuantReference";
  checkSizes(kKernel, n, k, blockSize);
  const std::int64_t rowBlocks = ceilDiv(n, blockSize);
  const std::int64_t colBlocks = ceilDiv(k, blockSize);
  checkPointer(kKernel, "w", wBf16, n * k);
  checkPointer(kKernel, "q", q, n * k);
  checkPointer(kKernel, "s", s, rowBlocks * colBlocks);
  const ElementReader<DType::BF16> read{wBf16};
  for (std::int64_t rb = 0; rb < rowBlocks; ++rb) {
    const std::int64_t row0 = rb * blockSize;
    const std::int64_t row1 = row0 + blockSize < n ? row0 + blockSize : n;
    for (std::int64_t cb = 0; cb < colBlocks; ++cb) {
      const std::int64_t col0 = cb * blockSize;
      const std::int64_t col1 = col0 + blockSize < k ? col0 + blockSize : k;
      s[rb * colBlocks + cb] =
          quantizeBlock(read, k, row0, row1, col0, col1, ue8m0Scales, q);
    }
  }
}

void weightDequantReference(const std::uint8_t *q, const float *s,
                            std::int64_t n, std::int64_t k,
                            std::uint16_t *outBf16, int blockSize) {
  constexpr const char *kKernel = "weightDequantReference";
  checkSizes(kKernel, n, k, blockSize);
  const std::int64_t colBlocks = ceilDiv(k, blockSize);
  checkPointer(kKernel, "q", q, n * k);
  checkPointer(kKernel, "s", s, ceilDiv(n, blockSize) * colBlocks);
  checkPointer(kKernel, "out", outBf16, n * k);
  for (std::int64_t r = 0; r < n; ++r) {
    const float *scaleRow = s + (r / blockSize) * colBlocks;
    for (std::int64_t c = 0; c < k; ++c) {
      const std::int64_t i = r * k + c;
      // One fp32 multiplication (rounded to nearest even), then cvt.rn.bf16.f32.
      const float value = e4m3ToF32(q[i]) * scaleRow[c / blockSize];
      outBf16[i] = f32ToBf16(value);
    }
  }
}

void fp8GemmReference(const std::uint8_t *a, const float *aScale,
                      const std::uint8_t *b, const float *bScale,
                      std::int64_t m, std::int64_t n, std::int64_t k,
                      double *c, int blockSize) {
  constexpr const char *kKernel = "fp8GemmReference";
  checkSizes(kKernel, m, n, blockSize);
  checkSizes(kKernel, n, k, blockSize);
  const std::int64_t kBlocks = ceilDiv(k, blockSize);
  checkPointer(kKernel, "a", a, m * k);
  checkPointer(kKernel, "a_s", aScale, m * kBlocks);
  checkPointer(kKernel, "b", b, n * k);
  checkPointer(kKernel, "b_s", bScale, ceilDiv(n, blockSize) * kBlocks);
  checkPointer(kKernel, "c", c, m * n);
  const std::array<double, 256> &decode = e4m3Table();
  for (std::int64_t i = 0; i < m; ++i) {
    const std::uint8_t *aRow = a + i * k;
    const float *aRowScale = aScale + i * kBlocks;
    for (std::int64_t j = 0; j < n; ++j) {
      const std::uint8_t *bRow = b + j * k;
      const float *bRowScale = bScale + (j / blockSize) * kBlocks;
      double sum = 0.0;
      for (std::int64_t kb = 0; kb < kBlocks; ++kb) {
        const std::int64_t l0 = kb * blockSize;
        const std::int64_t l1 = l0 + blockSize < k ? l0 + blockSize : k;
        // Exact: e4m3 products are multiples of 2^-18 below 2^18, so a block
        // of them sums within double's 53 bits for any block size < 2^17.
        double blockSum = 0.0;
        for (std::int64_t l = l0; l < l1; ++l)
          blockSum += decode[aRow[l]] * decode[bRow[l]];
        sum += blockSum * static_cast<double>(aRowScale[kb]) *
               static_cast<double>(bRowScale[kb]);
      }
      c[i * n + j] = sum;
    }
  }
}

} // namespace tessel::kernels
