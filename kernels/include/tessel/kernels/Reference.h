// CPU reference implementations of the shipped kernels' numerics contracts
// (DESIGN.md, "Shipped kernels and their contracts"). They define, on host
// arrays, the bits the GPU kernels must produce: act_quant, weight_quant and
// weight_dequant bit for bit, fp8_gemm in double precision as the yardstick
// for a relative-error check.
//
// Layouts are dense and row-major. bf16/f16 values travel as their uint16_t
// bit patterns and fp8 values as uint8_t E4M3FN codes (tessel/support/Float8.h).
// Bad arguments (negative sizes, a block size < 1, a null pointer for a
// non-empty array, an unsupported dtype) throw tessel::Error.
#pragma once

#include "tessel/support/DType.h"

#include <cstdint>

namespace tessel::kernels {

/// The scale floor: a block's amax below it is raised to it, so that an
/// all-zero block gets the finite scale kScaleFloor * fl(1/448).
inline constexpr float kScaleFloor = 1e-4f;
/// fl(1/448): the scale is amax times this fp32 constant, not amax / 448
/// (DESIGN.md: what the DeepSeek-V3 Triton kernel computes on the GPU).
inline constexpr float kInvE4M3Max = 1.0f / 448.0f;

/// The scale of one block from its amax: max(amax, 1e-4) * fl(1/448) in fp32,
/// then rounded up to a power of two on the bits when ue8m0Scales is set.
float blockScale(float amax, bool ue8m0Scales = false);

/// act_quant: x[rows, k] -> y e4m3[rows, k], s f32[rows, ceil(k / blockSize)].
/// Per 1 x blockSize block of a row, in fp32:
///   amax = max |x| (NaN elements do not take part, as with PTX max.f32),
///   s    = blockScale(amax, ue8m0Scales),
///   y    = f32ToE4M3Sat(x / s) with IEEE round-to-nearest division.
/// k need not be a multiple of blockSize: the last block of a row covers the
/// remaining columns.
void actQuantReference(const std::uint16_t *xBf16, std::int64_t rows,
                       std::int64_t k, std::uint8_t *y, float *s,
                       int blockSize = 128, bool ue8m0Scales = false);
/// act_quant on x of dtype xType: BF16 or F16 (uint16_t bit patterns) or F32.
void actQuantReference(DType xType, const void *x, std::int64_t rows,
                       std::int64_t k, std::uint8_t *y, float *s,
                       int blockSize = 128, bool ue8m0Scales = false);

/// weight_quant: w bf16[n, k] -> q e4m3[n, k],
/// s f32[ceil(n / blockSize), ceil(k / blockSize)]. The same rules as
/// act_quant over blockSize x blockSize blocks, with partial blocks at the
/// bottom and right edges.
void weightQuantReference(const std::uint16_t *wBf16, std::int64_t n,
                          std::int64_t k, std::uint8_t *q, float *s,
                          int blockSize = 128, bool ue8m0Scales = false);

/// weight_dequant: q e4m3[n, k], s f32[ceil(n / blockSize),
/// ceil(k / blockSize)] -> bf16[n, k], out = f32ToBf16(e4m3ToF32(q) * s): one
/// fp32 multiplication, then round to nearest even to bf16.
void weightDequantReference(const std::uint8_t *q, const float *s,
                            std::int64_t n, std::int64_t k,
                            std::uint16_t *outBf16, int blockSize = 128);

/// fp8_gemm in double precision: a e4m3[m, k], aScale f32[m, ceil(k / bs)],
/// b e4m3[n, k] (c = a * b^T), bScale f32[ceil(n / bs), ceil(k / bs)] ->
///   c[i][j] = sum over k-blocks kb of
///             (sum_{l in kb} a[i][l] * b[j][l]) * aScale[i][kb]
///                                               * bScale[j / bs][kb]
/// with bs = blockSize. Every product of two e4m3 values and every block sum
/// is exact in double; only the scaled accumulation rounds, far below fp32's
/// precision, so this is the value the fp32 kernel approximates.
void fp8GemmReference(const std::uint8_t *a, const float *aScale,
                      const std::uint8_t *b, const float *bScale,
                      std::int64_t m, std::int64_t n, std::int64_t k,
                      double *c, int blockSize = 128);

} // namespace tessel::kernels
