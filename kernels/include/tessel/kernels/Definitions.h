// The shipped kernels as DSL definitions: what `tessel kernels` lists, what
// `tessel compile` builds and what the typed host functions (Kernels.h)
// launch.
#pragma once

#include "tessel/dsl/Kernel.h"

#include <vector>

namespace tessel::kernels {

/// act_quant(x, y, s, m, k): per 1 x 128 block of the rows of x (bf16, f16 or
/// f32; one definition per dtype), s = max(amax, 1e-4) * fl(1/448) (rounded up
/// to a power of two when UE8M0 = 1) and y = rn_satfinite_e4m3(x / s).
/// Constants: ROWS (1 x 128 blocks per program), BLOCK (= 128), UE8M0.
/// Grid: 1-D, ceil(m * ceil(k / 128) / ROWS) programs, each quantizing ROWS
/// consecutive blocks in row-major order.
const dsl::KernelDefinition &actQuantKernel(DType inputType = DType::BF16);
/// weight_quant(w, q, s, n, k): the act_quant rules over 128 x 128 blocks.
/// Grid: 1-D, one program per block, numbered row-major.
const dsl::KernelDefinition &weightQuantKernel();
/// weight_dequant(q, s, out, n, k): out = bf16(f32(q) * s[block]).
/// Constants: BLOCK_M (rows per program, divides 128), BLOCK (= 128).
/// Grid: 1-D, one program per BLOCK_M x 128 tile, numbered row-major.
const dsl::KernelDefinition &weightDequantKernel();
/// fp8_gemm(a, a_s, b, b_s, c, m, n, k): c = a . b^T with 1 x 128 scales for
/// a and 128 x 128 scales for b, fp32 accumulation, bf16 out.
/// Constants: BLOCK_M, BLOCK_N, BLOCK_K, NUM_STAGES.
const dsl::KernelDefinition &fp8GemmKernel();

/// Every shipped kernel, for listing and ahead-of-time compilation.
const std::vector<const dsl::KernelDefinition *> &shippedKernels();
/// The shipped kernel called `name`, or nullptr.
const dsl::KernelDefinition *findKernel(std::string_view name);

} // namespace tessel::kernels
