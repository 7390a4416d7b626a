// The shipped kernels' tuning spaces and tuning keys, declared once: the
// host functions' defaults, `tessel tune`, the tests and the ptxas sweep of
// tests/ptx/check-ptxas.sh read the same declaration. This header and its
// library (TesselKernelSpaces) need only the autotuner's core, so a tool can
// list a space without linking the compiler.
#pragma once

#include "tessel/autotune/ConfigSpace.h"
#include "tessel/support/DType.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace tessel::kernels {

/// The parameter of every space that is KernelConfig::numWarps rather than
/// one of the kernel's constants.
inline constexpr std::string_view kNumWarpsParameter = "num_warps";

/// fp8_gemm: BLOCK_M {16, 32, 64, 128} x BLOCK_N {64, 128} x BLOCK_K {64,
/// 128} x NUM_STAGES {1, 2, 4} x num_warps {4, 8}, with the host's config
/// rules (Fp8GemmHost.cpp, checkConfig) as predicates. EVEN_M is no tuning
/// parameter: the host derives it from m.
const autotune::ConfigSpace &fp8GemmSpace();
/// act_quant: ROWS {4, ..., 64} x num_warps {1, 2, 4, 8}.
const autotune::ConfigSpace &actQuantSpace();
/// weight_quant: CHUNK {16, 32, 64, 128} x num_warps {4, 8, 16}.
const autotune::ConfigSpace &weightQuantSpace();
/// weight_dequant: BLOCK_M {8, ..., 128} x num_warps {2, 4, 8}.
const autotune::ConfigSpace &weightDequantSpace();
/// The space of the shipped kernel `kernel`; null for a kernel without one.
const autotune::ConfigSpace *tuningSpace(std::string_view kernel);

/// m is bucketed, not exact, because it is the number of tokens and changes
/// from call to call: a bucket is the smallest power of two >= m, and every
/// m above this one shares one bucket.
inline constexpr int64_t kLargestRowBucket = 4096;
/// "m<=B" for B the bucket of `rows`, or "m>4096" above the largest.
std::string rowBucketText(int64_t rows);

/// The operands of an fp8_gemm problem; the dtypes are the only ones the
/// host accepts today, and part of the key so that a new one does not reuse
/// their configs.
struct Fp8GemmProblem {
  int64_t m = 0, n = 0, k = 0;
  DType a = DType::F8E4M3, b = DType::F8E4M3, c = DType::BF16;
};
/// "m<=128 n=7168 k=16384 a=f8e4m3 b=f8e4m3 c=bf16": n and k exactly (they
/// are the weights' shape) and m by bucket.
std::string fp8GemmTuningKey(const Fp8GemmProblem &problem);

/// act_quant of x [m, k]: "x=bf16 m<=4096 k=7168 ue8m0=0". UE8M0 changes the
/// kernel's code, so it is part of the key.
std::string actQuantTuningKey(DType x, int64_t m, int64_t k, bool ue8m0Scales);
/// weight_quant of w [n, k]: "n=7168 k=2048 ue8m0=0".
std::string weightQuantTuningKey(int64_t n, int64_t k, bool ue8m0Scales);
/// weight_dequant of q [n, k]: "n=7168 k=2048".
std::string weightDequantTuningKey(int64_t n, int64_t k);

} // namespace tessel::kernels
