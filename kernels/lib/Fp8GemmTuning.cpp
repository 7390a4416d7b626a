// tuneFp8Gemm: the sweep of fp8_gemm's space on one problem, on random
// inputs, recorded into the tuning database.
#include "Fp8GemmLaunch.h"
#include "TuningInputs.h"
#include "TuningAccess.h"
#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/kernels/Spaces.h"
#include "tessel/kernels/Tuning.h"
#include "tessel/runtime/Tensor.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <optional>

namespace tessel::kernels {
namespace {

constexpr int64_t kScaleBlock = 128;

/// The operands of one problem.
struct Operands {
  runtime::Tensor a, aScale, b, bScale, c;
};

Expected<Operands> makeOperands(int64_t m, int64_t n, int64_t k) {
  int64_t scaleBlocksK = (k + kScaleBlock - 1) / kScaleBlock;
  Expected<runtime::Tensor> a = detail::randomTensor(DType::F8E4M3, {m, k}, 1);
  if (!a)
    return a.error();
  Expected<runtime::Tensor> aScale = detail::filledScales({m, scaleBlocksK}, 1.0f / 64);
  if (!aScale)
    return aScale.error();
  Expected<runtime::Tensor> b = detail::randomTensor(DType::F8E4M3, {n, k}, 2);
  if (!b)
    return b.error();
  Expected<runtime::Tensor> bScale = detail::filledScales({(n + kScaleBlock - 1) / kScaleBlock, scaleBlocksK},
                                            1.0f / 128);
  if (!bScale)
    return bScale.error();
  Expected<runtime::Tensor> c = runtime::Tensor::empty(DType::BF16, {m, n});
  if (!c)
    return c.error();
  return Operands{std::move(*a), std::move(*aScale), std::move(*b), std::move(*bScale),
                  std::move(*c)};
}

/// A config whose kernel spills registers to local memory is slower than
/// one that does not by construction, and is dropped: the Error says how
/// much it spills.
std::optional<Error> spillsOf(const runtime::Function &function) {
  Expected<int> local = function.localBytes();
  if (!local || *local == 0)
    return std::nullopt;
  Expected<int> registers = function.numRegisters();
  return Error(fmt::format("spills: {} bytes of local memory per thread at {} registers", *local,
                           registers ? *registers : -1));
}

/// Compiles the candidates' kernels (and the default's) on `threads` threads
/// at once, so that the sweep's first launch of each only loads it. A config
/// that fails to compile, or spills, keeps the reason: its launch reports it
/// untimed.
void precompile(std::vector<autotune::SweepCandidate> &candidates,
                const autotune::Config &defaultConfig, Operands &operands, unsigned threads) {
  std::vector<dsl::LoadRequest> requests;
  std::vector<size_t> requestOf(candidates.size() + 1, SIZE_MAX);
  auto request = [&](const autotune::Config &config, size_t index) {
    Expected<detail::Fp8GemmLaunch> launch =
        detail::prepareFp8Gemm(operands.a.view(), operands.aScale.view(), operands.b.view(),
                               operands.bScale.view(), operands.c.view(), kernelConfigOf(config));
    if (!launch)
      return; // the sweep's launch reports the same error
    requestOf[index] = requests.size();
    requests.push_back({&fp8GemmKernel(), launch->spec.constants,
                        dsl::Jit::specialize(launch->args), launch->spec.numWarps});
  };
  for (size_t i = 0; i < candidates.size(); ++i)
    request(candidates[i].config, i);
  request(defaultConfig, candidates.size());
  std::vector<Expected<dsl::LoadedKernel>> loaded =
      (*dsl::Jit::global())->precompile(requests, threads);
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (requestOf[i] == SIZE_MAX)
      continue;
    Expected<dsl::LoadedKernel> &kernel = loaded[requestOf[i]];
    std::optional<Error> dropped;
    if (!kernel)
      dropped = kernel.error();
    else
      dropped = spillsOf(kernel->function);
    if (dropped)
      candidates[i].launch = [error = *dropped]() -> Status { return error; };
  }
}

} // namespace

Expected<TuneReport> tuneFp8Gemm(int64_t m, int64_t n, int64_t k, const TuneOptions &options) {
  if (m < 1 || n < 1 || k < 1)
    return Error(fmt::format("fp8_gemm: tuning needs m, n and k of at least 1, got {}, {}, {}",
                             m, n, k));
  Expected<Operands> operands = makeOperands(m, n, k);
  if (!operands)
    return operands.error();
  detail::TuneTarget target;
  target.kernel = "fp8_gemm";
  target.space = &fp8GemmSpace();
  target.problem = fp8GemmTuningKey({m, n, k});
  target.defaultConfig = defaultFp8GemmConfig(m, n, k);
  target.launch = [&](const KernelConfig &config) {
    return fp8Gemm(operands->a.view(), operands->aScale.view(), operands->b.view(),
                   operands->bScale.view(), operands->c.view(), config);
  };
  target.precompile = [&](std::vector<autotune::SweepCandidate> &candidates,
                          const TuneOptions &tuneOptions) {
    precompile(candidates, target.defaultConfig, *operands, tuneOptions.compileThreads);
  };
  return detail::runTuning(target, options);
}

} // namespace tessel::kernels
