// Host side of fp8_gemm: argument checks, config and grid, launch.
#include "ArgumentChecks.h"
#include "Fp8GemmLaunch.h"
#include "Launching.h"
#include "TuningAccess.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/kernels/Spaces.h"
#include "tessel/kernels/Tuning.h"

#include <string>

#include <utility>

namespace tessel::kernels {
namespace {

constexpr const char *kKernel = "fp8_gemm";
constexpr int64_t kScaleBlock = 128;

using detail::ceilDiv;
using detail::checkShape;
using detail::checkTensor;

/// The sizes of a checked problem.
struct GemmShape {
  int64_t m, n, k;
};

/// Checks the inputs (the allocating form runs this before allocating c).
Expected<GemmShape> checkInputs(const runtime::TensorView &a, const runtime::TensorView &aScale,
                                const runtime::TensorView &b, const runtime::TensorView &bScale) {
  if (Status ok = checkTensor(kKernel, "a", a, {DType::F8E4M3}, 1, 8); !ok)
    return ok.error();
  if (Status ok = checkTensor(kKernel, "a_s", aScale, {DType::F32}, 1, 8); !ok)
    return ok.error();
  if (Status ok = checkTensor(kKernel, "b", b, {DType::F8E4M3}, 2, 2); !ok)
    return ok.error();
  if (Status ok = checkTensor(kKernel, "b_s", bScale, {DType::F32}, 2, 2); !ok)
    return ok.error();
  int64_t k = a.shape.back(), n = b.shape[0];
  if (k == 0 || n == 0)
    return Error(fmt::format("{}: a has shape {} and b {}: n and k must be at least 1", kKernel,
                             detail::shapeText(a.shape), detail::shapeText(b.shape)));
  if (b.shape[1] != k)
    return Error(fmt::format("{}: a has shape {} and b {}: b must be [n, k] with the k of a",
                             kKernel, detail::shapeText(a.shape), detail::shapeText(b.shape)));
  std::vector<int64_t> aScaleShape = a.shape;
  aScaleShape.back() = ceilDiv(k, kScaleBlock);
  if (Status ok = checkShape(kKernel, "a_s", aScale, aScaleShape); !ok)
    return ok.error();
  if (Status ok =
          checkShape(kKernel, "b_s", bScale, {ceilDiv(n, kScaleBlock), ceilDiv(k, kScaleBlock)});
      !ok)
    return ok.error();
  return GemmShape{a.numel() / k, n, k};
}

std::vector<int64_t> outputShape(const runtime::TensorView &a, int64_t n) {
  std::vector<int64_t> shape = a.shape;
  shape.back() = n;
  return shape;
}

/// The target the defaults are chosen for: the JIT's device, or, without a
/// GPU (the interpreter, or no JIT at all), an H100's multiprocessor count
/// and no arch-specific choices.
struct DefaultsTarget {
  /// Whether dots of tiles of at least 64 rows run on wgmma (sm_90a).
  bool warpgroupMma = false;
  int64_t multiprocessors = 132;
};

DefaultsTarget defaultsTarget() {
  DefaultsTarget target;
  Expected<dsl::Jit *> jit = dsl::Jit::global();
  if (!jit)
    return target;
  target.warpgroupMma = (*jit)->arch() == "sm_90a";
  if (const runtime::Device *device = (*jit)->device())
    target.multiprocessors = device->multiprocessorCount();
  return target;
}

/// The tile when the caller does not choose one: 64 x 128 for large
/// problems (measured best at M = 4096 on an H200, bench/GemmBench.cpp). On
/// mma.sync, 128 x 64 where that runs fewer waves of resident programs
/// (4096 x 2112: 1056 programs, 4 full waves, instead of 1088, whose fifth
/// wave is almost empty); not on wgmma, where 64 x 128 stays faster there
/// (0.193 ms against 0.222 ms on an H100). Smaller tiles where a wave would
/// leave multiprocessors idle: 16 rows for at most 16, 32 for at most 32;
/// then 64 columns, then half the rows, until a wave is full.
std::pair<int64_t, int64_t> defaultTile(int64_t m, int64_t n, const DefaultsTarget &target) {
  // Programs that fill the GPU once, and those of the default tiles resident
  // at once: two per multiprocessor (at about 200 registers per thread no
  // third fits). A wave short of multiprocessors costs little; the
  // autotuner chooses per device and shape.
  const int64_t programsPerWave = target.multiprocessors, residentPrograms = 2 * programsPerWave;
  int64_t blockM = m <= 16 ? 16 : m <= 32 ? 32 : 64, blockN = 128;
  auto programs = [&] { return ceilDiv(m, blockM) * ceilDiv(n, blockN); };
  if (programs() >= programsPerWave) {
    auto waves = [&](int64_t count) { return ceilDiv(count, residentPrograms); };
    if (!target.warpgroupMma && blockM == 64 &&
        waves(ceilDiv(m, 128) * ceilDiv(n, 64)) < waves(programs()))
      return {128, 64};
    return {blockM, blockN};
  }
  blockN = 64;
  if (programs() < programsPerWave && blockM > 16)
    blockM /= 2;
  return {blockM, blockN};
}

/// The stage count when the caller does not choose one. On sm_90a, where the
/// dots of tiles of at least 64 rows run on wgmma, 4: faster than 3 on 11 of
/// the 12 DeepSeek-V3 shapes at M = 128 and 4096 for 64 x 128 tiles on an
/// H100 (two resident programs still fit: 4 x 24 KiB of shared memory each).
/// On mma.sync, 2 for 64-row tiles (faster than 3 or 4 on every DeepSeek-V3
/// shape at M = 4096 on an H200: with two resident programs per
/// multiprocessor, four K steps are in flight there), and 4 for tiles of at
/// most 32 rows over a long K: those few programs each stream a long run of
/// b and need more of it in flight (m = 1, n x k = 7168 x 16384: 0.057 ms
/// against 0.100 ms with 2 stages). Over a short K the extra stages cost
/// more than they hide.
int64_t defaultStages(int64_t blockM, int64_t k, const DefaultsTarget &target) {
  if (target.warpgroupMma && blockM >= 64)
    return 4;
  return blockM <= 32 && k >= 4096 ? 4 : 2;
}

/// The launch of `config` with the heuristic's tile and stages where it
/// leaves them open.
dsl::LaunchSpec heuristicSpec(const GemmShape &shape, const KernelConfig &config) {
  const DefaultsTarget target = defaultsTarget();
  auto [blockM, blockN] = defaultTile(shape.m, shape.n, target);
  dsl::LaunchSpec spec =
      detail::launchSpec(fp8GemmKernel(), config, {{"BLOCK_M", blockM}, {"BLOCK_N", blockN}});
  // The stage count follows the tile actually used, the caller's or ours.
  if (!config.constants.contains("NUM_STAGES"))
    spec.constants["NUM_STAGES"] = defaultStages(spec.constants.at("BLOCK_M"), shape.k, target);
  return spec;
}

Status checkConfig(const dsl::LaunchSpec &spec) {
  auto value = [&](const char *name) { return spec.constants.at(name); };
  for (const char *name : {"BLOCK_M", "BLOCK_N"}) {
    int64_t size = value(name);
    if (size < 16 || size > 256 || (size & (size - 1)))
      return Error(fmt::format("{}: {} must be a power of two in [16, 256], got {}", kKernel,
                               name, size));
  }
  int64_t blockK = value("BLOCK_K");
  if (blockK != 32 && blockK != 64 && blockK != 128)
    return Error(fmt::format("{}: BLOCK_K must be 32, 64 or 128 (it divides the 128-wide "
                             "scale block), got {}",
                             kKernel, blockK));
  int64_t stages = value("NUM_STAGES");
  if (stages < 1 || stages > 8)
    return Error(fmt::format("{}: NUM_STAGES must be in [1, 8], got {}", kKernel, stages));
  for (const char *name : {"EVEN_M", "WARP_SPECIALIZE"})
    if (int64_t flag = value(name); flag != 0 && flag != 1)
      return Error(fmt::format("{}: {} must be 0 or 1, got {}", kKernel, name, flag));
  if (int64_t group = value("GROUP_M"); group < 0)
    return Error(fmt::format("{}: GROUP_M must be 0 (column order) or a band height, got {}",
                             kKernel, group));
  // Each warp owns at least one 16 x 8 tensor-core piece of the tile.
  int64_t pieces = value("BLOCK_M") / 16 * (value("BLOCK_N") / 8);
  if (pieces < spec.numWarps)
    return Error(fmt::format("{}: a BLOCK_M x BLOCK_N = {} x {} tile has {} tensor-core pieces "
                             "of 16 x 8, fewer than the {} warps",
                             kKernel, value("BLOCK_M"), value("BLOCK_N"), pieces, spec.numWarps));
  return Status::success();
}

} // namespace

autotune::Config defaultFp8GemmConfig(int64_t m, int64_t n, int64_t k) {
  return detail::configOf(fp8GemmSpace(), heuristicSpec({m, n, k}, {}));
}

Expected<detail::Fp8GemmLaunch> detail::prepareFp8Gemm(
    const runtime::TensorView &a, const runtime::TensorView &aScale,
    const runtime::TensorView &b, const runtime::TensorView &bScale,
    const runtime::TensorView &c, const KernelConfig &config) {
  Expected<GemmShape> shape = checkInputs(a, aScale, b, bScale);
  if (!shape)
    return shape.error();
  if (Status ok = checkTensor(kKernel, "c", c, {DType::BF16}, 1, 8); !ok)
    return ok.error();
  if (Status ok = checkShape(kKernel, "c", c, outputShape(a, shape->n)); !ok)
    return ok.error();
  // Without a config of the caller's: the tuned one, else the heuristic.
  std::optional<KernelConfig> tuned;
  if (detail::isDefaultConfig(config) && shape->m > 0)
    tuned = detail::tunedOrTunedNow("fp8_gemm", fp8GemmTuningKey({shape->m, shape->n, shape->k}),
                                    [&] { return tuneFp8Gemm(shape->m, shape->n, shape->k); });
  Fp8GemmLaunch launch;
  dsl::LaunchSpec &spec = launch.spec;
  spec = tuned ? detail::launchSpec(fp8GemmKernel(), *tuned) : heuristicSpec(*shape, config);
  if (Status ok = checkConfig(spec); !ok)
    return ok.error();
  // EVEN_M follows m unless the caller asks for the masked scale loads:
  // without their mask the rows past m would read their scales needlessly.
  bool evenM = shape->m % spec.constants.at("BLOCK_M") == 0;
  if (!config.constants.contains("EVEN_M"))
    spec.constants["EVEN_M"] = evenM;
  else if (spec.constants.at("EVEN_M") && !evenM)
    return Error(fmt::format("{}: EVEN_M = 1 needs m ({}) to be a multiple of BLOCK_M ({})",
                             kKernel, shape->m, spec.constants.at("BLOCK_M")));
  launch.empty = shape->m == 0 || shape->n == 0;
  // One line of programs, which the kernel maps to tiles band by band.
  spec.grid = {detail::gridExtent(ceilDiv(shape->m, spec.constants["BLOCK_M"]) *
                                      ceilDiv(shape->n, spec.constants["BLOCK_N"]),
                                  kKernel),
               1, 1};
  launch.args = {a, aScale, b, bScale, c, dsl::LaunchArg::i32(int32_t(shape->m)),
                 dsl::LaunchArg::i32(int32_t(shape->n)), dsl::LaunchArg::i32(int32_t(shape->k))};
  return launch;
}

Status fp8Gemm(const runtime::TensorView &a, const runtime::TensorView &aScale,
               const runtime::TensorView &b, const runtime::TensorView &bScale,
               const runtime::TensorView &c, const KernelConfig &config,
               const runtime::Stream *stream) {
  Expected<detail::Fp8GemmLaunch> launch = detail::prepareFp8Gemm(a, aScale, b, bScale, c, config);
  if (!launch)
    return launch.error();
  if (launch->empty)
    return Status::success();
  Expected<dsl::Jit *> jit = dsl::Jit::global();
  if (!jit)
    return Error(fmt::format("{}: {}", kKernel, jit.error().message()));
  return (*jit)->launch(fp8GemmKernel(), launch->spec, launch->args, stream);
}

Expected<runtime::Tensor> fp8Gemm(const runtime::TensorView &a, const runtime::TensorView &aScale,
                                  const runtime::TensorView &b, const runtime::TensorView &bScale,
                                  const KernelConfig &config, const runtime::Stream *stream) {
  Expected<GemmShape> shape = checkInputs(a, aScale, b, bScale);
  if (!shape)
    return shape.error();
  Expected<runtime::Tensor> c = runtime::Tensor::empty(DType::BF16, outputShape(a, shape->n));
  if (!c)
    return c.error();
  if (Status ok = fp8Gemm(a, aScale, b, bScale, c->view(), config, stream); !ok)
    return ok.error();
  return std::move(*c);
}

} // namespace tessel::kernels
