// Typed host functions of the shipped kernels. Each checks its arguments
// (dtypes, shapes, contiguity, null pointers) and returns an Error naming the
// argument before anything is launched; the launch itself is asynchronous on
// `stream` (the default stream when null).
//
// Contracts: DESIGN.md, "Shipped kernels and their contracts"; the CPU
// references in tessel/kernels/Reference.h define the bits.
#pragma once

#include "tessel/dsl/Kernel.h"
#include "tessel/runtime/Tensor.h"
#include "tessel/support/Error.h"

#include <optional>

namespace tessel::runtime {
class Stream;
}

namespace tessel::kernels {

/// A launch configuration: the kernel's constants (absent ones take the
/// library's choice) and warps per program (0: the library's choice). What an
/// autotuner varies.
struct KernelConfig {
  dsl::Constants constants;
  unsigned numWarps = 0;
};

struct QuantizeOptions {
  /// Round every scale up to a power of two (UE8M0), as DeepGEMM expects.
  bool ue8m0Scales = false;
  KernelConfig config;
};

/// An fp8 tensor and its block scales.
struct Quantized {
  runtime::Tensor values;
  runtime::Tensor scales;
};

/// act_quant: x (bf16, f16 or f32) [..., k], contiguous -> y f8e4m3 [..., k]
/// and s f32 [..., ceil(k / 128)], both contiguous. One scale per 1 x 128
/// block of a row; k need not be a multiple of 128.
Status actQuant(const runtime::TensorView &x, const runtime::TensorView &y,
                const runtime::TensorView &s, const QuantizeOptions &options = {},
                const runtime::Stream *stream = nullptr);
Expected<Quantized> actQuant(const runtime::TensorView &x, const QuantizeOptions &options = {},
                             const runtime::Stream *stream = nullptr);

/// weight_quant: w bf16 [n, k] -> q f8e4m3 [n, k], s f32 [ceil(n/128),
/// ceil(k/128)], all contiguous; one scale per 128 x 128 block.
Status weightQuant(const runtime::TensorView &w, const runtime::TensorView &q,
                   const runtime::TensorView &s, const QuantizeOptions &options = {},
                   const runtime::Stream *stream = nullptr);
Expected<Quantized> weightQuant(const runtime::TensorView &w, const QuantizeOptions &options = {},
                                const runtime::Stream *stream = nullptr);

/// weight_dequant: q f8e4m3 [n, k], s f32 [ceil(n/128), ceil(k/128)] ->
/// out bf16 [n, k], all contiguous: out = bf16(f32(q) * s).
Status weightDequant(const runtime::TensorView &q, const runtime::TensorView &s,
                     const runtime::TensorView &out, const KernelConfig &config = {},
                     const runtime::Stream *stream = nullptr);
Expected<runtime::Tensor> weightDequant(const runtime::TensorView &q,
                                        const runtime::TensorView &s,
                                        const KernelConfig &config = {},
                                        const runtime::Stream *stream = nullptr);

/// fp8_gemm: a f8e4m3 [..., k] (m rows: the product of the leading
/// dimensions), a_s f32 [..., ceil(k/128)], b f8e4m3 [n, k], b_s f32
/// [ceil(n/128), ceil(k/128)] -> c bf16 [..., n], all contiguous:
///   c[i][j] = bf16(sum over 128-wide k blocks kb of
///                  (a[i, kb] . b[j, kb]) * a_s[i][kb] * b_s[j / 128][kb]),
/// accumulated in fp32. Any m >= 0, n >= 1, k >= 1. Config: BLOCK_M, BLOCK_N
/// (powers of two >= 16), BLOCK_K (32, 64 or 128), NUM_STAGES (1 to 8).
Status fp8Gemm(const runtime::TensorView &a, const runtime::TensorView &aScale,
               const runtime::TensorView &b, const runtime::TensorView &bScale,
               const runtime::TensorView &c, const KernelConfig &config = {},
               const runtime::Stream *stream = nullptr);
Expected<runtime::Tensor> fp8Gemm(const runtime::TensorView &a, const runtime::TensorView &aScale,
                                  const runtime::TensorView &b, const runtime::TensorView &bScale,
                                  const KernelConfig &config = {},
                                  const runtime::Stream *stream = nullptr);

} // namespace tessel::kernels
