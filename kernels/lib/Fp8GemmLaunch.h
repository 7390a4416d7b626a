// The launch fp8Gemm makes, prepared without launching: the sweep of
// tuneFp8Gemm compiles every config's launch at once before timing them.
#pragma once

#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Kernels.h"

#include <vector>

namespace tessel::kernels::detail {

struct Fp8GemmLaunch {
  dsl::LaunchSpec spec;
  std::vector<dsl::LaunchArg> args;
  /// m or n is zero: nothing to launch (the arguments were still checked).
  bool empty = false;
};

/// Checks fp8Gemm's arguments and chooses its config (the caller's, else the
/// tuned one, else the heuristic) exactly as fp8Gemm does.
Expected<Fp8GemmLaunch> prepareFp8Gemm(const runtime::TensorView &a,
                                       const runtime::TensorView &aScale,
                                       const runtime::TensorView &b,
                                       const runtime::TensorView &bScale,
                                       const runtime::TensorView &c, const KernelConfig &config);

} // namespace tessel::kernels::detail
