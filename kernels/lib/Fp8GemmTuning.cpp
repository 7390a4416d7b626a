// tuneFp8Gemm: the sweep of fp8_gemm's space on one problem, on random
// inputs, recorded into the tuning database.
#include "Fp8GemmLaunch.h"
#include "TuningAccess.h"
#include "tessel/autotune/DeviceTiming.h"
#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/kernels/Spaces.h"
#include "tessel/kernels/Tuning.h"
#include "tessel/runtime/Tensor.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>

namespace tessel::kernels {
namespace {

constexpr int64_t kScaleBlock = 128;

/// Fills `bytes` with a fast pseudo-random sequence (xorshift64): the data
/// only has to look like real operands to the tensor cores, and generating
/// 100 MiB of weights must not dominate a sweep of a few seconds.
void fillPseudoRandom(std::vector<uint8_t> &bytes, uint64_t seed, uint8_t mask) {
  uint64_t state = seed | 1;
  for (size_t i = 0; i < bytes.size(); i += 8) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    uint64_t word = state;
    size_t count = std::min<size_t>(8, bytes.size() - i);
    std::memcpy(&bytes[i], &word, count);
    for (size_t j = 0; j < count; ++j)
      bytes[i + j] &= mask;
  }
}

/// e4m3 codes of magnitude at most 0x5F (30.0): sign, bit 6 and bits 0-4,
/// so never the NaN codes 0x7F / 0xFF.
constexpr uint8_t kFiniteE4M3Mask = 0xDF;

Expected<runtime::Tensor> randomFp8(std::vector<int64_t> shape, uint64_t seed) {
  Expected<runtime::Tensor> tensor = runtime::Tensor::empty(DType::F8E4M3, std::move(shape));
  if (!tensor)
    return tensor;
  std::vector<uint8_t> host(size_t(tensor->view().numel()));
  fillPseudoRandom(host, seed, kFiniteE4M3Mask);
  if (Status ok = tensor->copyFromHost(host); !ok)
    return ok.error();
  return tensor;
}

Expected<runtime::Tensor> scales(std::vector<int64_t> shape, float value) {
  Expected<runtime::Tensor> tensor = runtime::Tensor::empty(DType::F32, std::move(shape));
  if (!tensor)
    return tensor;
  std::vector<float> host(size_t(tensor->view().numel()), value);
  if (Status ok = tensor->copyFromHost(host); !ok)
    return ok.error();
  return tensor;
}

/// The operands of one problem.
struct Operands {
  runtime::Tensor a, aScale, b, bScale, c;
};

Expected<Operands> makeOperands(int64_t m, int64_t n, int64_t k) {
  int64_t scaleBlocksK = (k + kScaleBlock - 1) / kScaleBlock;
  Expected<runtime::Tensor> a = randomFp8({m, k}, 1);
  if (!a)
    return a.error();
  Expected<runtime::Tensor> aScale = scales({m, scaleBlocksK}, 1.0f / 64);
  if (!aScale)
    return aScale.error();
  Expected<runtime::Tensor> b = randomFp8({n, k}, 2);
  if (!b)
    return b.error();
  Expected<runtime::Tensor> bScale = scales({(n + kScaleBlock - 1) / kScaleBlock, scaleBlocksK},
                                            1.0f / 128);
  if (!bScale)
    return bScale.error();
  Expected<runtime::Tensor> c = runtime::Tensor::empty(DType::BF16, {m, n});
  if (!c)
    return c.error();
  return Operands{std::move(*a), std::move(*aScale), std::move(*b), std::move(*bScale),
                  std::move(*c)};
}

/// Compiles the candidates' kernels (and the default's) on `threads` threads
/// at once, so that the sweep's first launch of each only loads it. A config
/// that fails to compile keeps its error: its launch reports it untimed.
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
  for (size_t i = 0; i < candidates.size(); ++i)
    if (requestOf[i] != SIZE_MAX && !loaded[requestOf[i]])
      candidates[i].launch = [error = loaded[requestOf[i]].error()]() -> Status { return error; };
}

} // namespace

Expected<TuneReport> tuneFp8Gemm(int64_t m, int64_t n, int64_t k, const TuneOptions &options) {
  if (m < 1 || n < 1 || k < 1)
    return Error(fmt::format("fp8_gemm: tuning needs m, n and k of at least 1, got {}, {}, {}",
                             m, n, k));
  Expected<autotune::TuningEntryKey> key = fp8GemmEntryKey(m, n, k);
  if (!key)
    return key.error();
  const runtime::Device *device = (*dsl::Jit::global())->device();

  TuneReport report;
  report.problem = key->problem;
  report.defaultConfig = defaultFp8GemmConfig(m, n, k);
  autotune::ConfigTimes measured;
  if (Status ok = detail::withTuningDatabase(options.database,
                                             [&](autotune::TuningDatabase &database) {
                                               if (database.readOnly())
                                                 return Status(Error(fmt::format(
                                                     "the tuning database {} is read-only",
                                                     database.path().string())));
                                               measured = database.measurements(*key);
                                               return Status::success();
                                             });
      !ok)
    return ok.error();

  Expected<Operands> operands = makeOperands(m, n, k);
  if (!operands)
    return operands.error();
  auto launchIn = [&](const autotune::Config &config) {
    return [&operands, launch = kernelConfigOf(config)] {
      return fp8Gemm(operands->a.view(), operands->aScale.view(), operands->b.view(),
                     operands->bScale.view(), operands->c.view(), launch);
    };
  };
  std::vector<autotune::SweepCandidate> candidates;
  for (const autotune::Config &config : fp8GemmSpace().enumerate().valid) {
    if (!options.retune && measured.contains(config.text())) {
      ++report.reused;
      continue;
    }
    candidates.push_back({config, launchIn(config)});
  }
  precompile(candidates, report.defaultConfig, *operands, options.compileThreads);
  autotune::SweepTimer timer = autotune::coldL2Timer(size_t(device->l2CacheBytes()));
  report.results = autotune::sweep(candidates, timer, options.sweep, options.progress);

  // The default's time, from the sweep or measured now, for the comparison.
  for (const autotune::SweepResult &result : report.results)
    if (result.config == report.defaultConfig && result.milliseconds && !result.abandoned)
      report.defaultMilliseconds = result.milliseconds;
  if (!report.defaultMilliseconds) {
    Expected<double> ms = timer(launchIn(report.defaultConfig), options.sweep.repeats);
    if (ms)
      report.defaultMilliseconds = *ms;
  }

  if (Status ok = detail::withTuningDatabase(
          options.database,
          [&](autotune::TuningDatabase &database) {
            for (const autotune::SweepResult &result : report.results)
              if (result.milliseconds)
                if (Status recorded = database.record(*key, result.config, *result.milliseconds);
                    !recorded)
                  return recorded;
            if (Status saved = database.save(); !saved)
              return saved;
            report.best = database.lookup(*key);
            return Status::success();
          });
      !ok)
    return ok.error();
  return report;
}

} // namespace tessel::kernels
