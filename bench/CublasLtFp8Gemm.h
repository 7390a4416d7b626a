// cuBLASLt's FP8 GEMM with DeepSeek-V3's fine-grained scales: what a user
// would call instead of fp8_gemm, timed in the same process and the same
// way. cuBLASLt is loaded with dlopen, like the driver, so the benchmark
// builds and starts without it and says why the column is missing.
#pragma once

#include "tessel/support/Error.h"

#include <cstdint>
#include <memory>

namespace tessel::bench {

/// c (bf16 [m, n], row-major) = (a · a_s) (b · b_s)ᵀ for a (e4m3 [m, k]) with
/// one f32 scale per row and 128 columns, and b (e4m3 [n, k]) with one per
/// 128 × 128 block: fp8_gemm's contract, through cuBLASLt's VEC128_32F and
/// BLK128x128_32F scale modes. cuBLASLt wants the activation scales M-major
/// ([ceil(k / 128)][m]); b's are fp8_gemm's own ([ceil(n / 128)][ceil(k / 128)]).
class CublasLtFp8Gemm {
public:
  struct Operands {
    std::uint64_t a, aScalesMMajor, b, bScales, c;
  };

  /// Loads libcublasLt (TESSEL_CUBLASLT names the file; else libcublasLt.so.13
  /// or .12 on the loader's path or in /usr/local/cuda/lib64), and asks its
  /// heuristic for the algorithm it would run on this problem, with a 32 MiB
  /// workspace: an Error that says which step failed.
  static Expected<CublasLtFp8Gemm> plan(std::int64_t m, std::int64_t n, std::int64_t k,
                                        const Operands &operands);

  CublasLtFp8Gemm(CublasLtFp8Gemm &&) noexcept;
  CublasLtFp8Gemm &operator=(CublasLtFp8Gemm &&) noexcept;
  ~CublasLtFp8Gemm();

  /// Enqueues the product on the default stream.
  Status run() const;

private:
  struct State;
  explicit CublasLtFp8Gemm(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

} // namespace tessel::bench
