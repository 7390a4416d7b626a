// fp8_gemm against the double-precision reference (fp8GemmReference in
// tessel/kernels/Reference.h) on fresh random inputs, on edge cases (zero
// activations, +-448 codes with tiny scales), through both host functions,
// and over the configs an autotuner would try. c is poisoned (0xFF bytes:
// NaN in bf16) before each launch, so that an element the kernel does not
// write fails.
//
// The reference is exact but for double rounding; the kernel adds each
// BLOCK_K step's scaled product into fp32 and rounds once to bf16. The check
// takes off the half ulp that the final bf16 rounding may add and bounds what
// is left relative to the element or, where the sum cancels to near zero, to
// the size of the products it adds up: sqrt(sum of their squares, scaled), the
// rms the element would have over random signs of the products. An rms over
// all of c would not do: scales vary over 2^8 between rows and column blocks,
// and it would be set by the largest of them.
//
// The same tests run with TESSEL_INTERPRET=1 (ctest label `interpreter`),
// except the DeepSeek-V3 shapes (up to 4.8e11 multiply-adds each), which are
// too much for the interpreter: they skip there, and the small shapes, chosen
// so that no size is a multiple of a tile or of the 128-wide scale block, run
// on both backends.
#include "KernelTestSupport.h"

#include "tessel/kernels/Kernels.h"
#include "tessel/kernels/Reference.h"
#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Tensor.h"
#include "tessel/support/Float8.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <numeric>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace tessel::kernels {
namespace {

using runtime::Tensor;
using test::download;
using test::KernelBackendTest;
using test::poisoned;
using test::upload;

/// Rows and columns per scale of a, b and their scales (the kernel's contract).
constexpr int64_t kScaleBlock = 128;
/// What the accumulation may lose beyond the final rounding to bf16, relative
/// to max(|reference|, Reference::magnitudes). In fp32 (the interpreter) the
/// loss is below 1e-6. The accumulator of the fp8 tensor core instructions
/// (mma.sync m16n8k32) is reported to keep only about 13 mantissa bits on
/// Hopper and Ada (DeepSeek-V3 report, SageAttention2); a CPU model of that,
/// truncating after each 32-wide step, loses up to about 3.5e-4 on these
/// inputs, and the kernel's fp32 adds of each BLOCK_K step keep it from
/// growing with k.
constexpr double kMmaSyncTolerance = 1e-3;
/// The same on Hopper's warpgroup MMA, which chains the four 32-wide steps
/// of a 128-wide K block in its reduced-precision accumulator: up to 1.44e-3
/// was measured on the DeepSeek-V3 shapes (H100), and there fp8_gemm's
/// results were bit-identical to cuBLASLt's block-scaled FP8 matmul
/// (tessel-bench-gemm, "rel diff" 0 at M = 4096), which accumulates alike.
constexpr double kWarpgroupMmaTolerance = 4e-3;

double tolerance() {
  static const double tolerance =
      test::runsOnWarpgroupMma() ? kWarpgroupMmaTolerance : kMmaSyncTolerance;
  return tolerance;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Calls body(begin, end) on consecutive parts of [0, count), one part per
/// hardware thread: the reference and the inputs of the large shapes would
/// take minutes on one core.
template <typename Body> void parallelFor(int64_t count, const Body &body) {
  int64_t workers =
      std::min<int64_t>(count, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (int64_t w = 0; w < workers; ++w)
    threads.emplace_back(body, count * w / workers, count * (w + 1) / workers);
  for (std::thread &thread : threads)
    thread.join();
}

struct GemmShape {
  int64_t m, n, k;
};

void PrintTo(const GemmShape &shape, std::ostream *out) {
  *out << "m " << shape.m << " n " << shape.n << " k " << shape.k;
}

std::string shapeName(const GemmShape &shape) {
  return fmt::format("m{}_n{}_k{}", shape.m, shape.n, shape.k);
}

/// Host inputs of one product, dense and row-major: a [m, k], a_s [m,
/// ceil(k/128)], b [n, k], b_s [ceil(n/128), ceil(k/128)].
struct GemmProblem {
  int64_t m, n, k;
  std::vector<uint8_t> a, b;
  std::vector<float> aScale, bScale;

  explicit GemmProblem(GemmShape shape)
      : m(shape.m), n(shape.n), k(shape.k), a(m * k), b(n * k),
        aScale(m * kBlocks()), bScale(ceilDiv(n, kScaleBlock) * kBlocks()) {}

  int64_t kBlocks() const { return ceilDiv(k, kScaleBlock); }
};

/// A random scale 2^U(minExponent, maxExponent) * U(0.5, 1): positive, with
/// mantissa bits set, spread over several binades.
float randomScale(std::mt19937 &rng, float minExponent, float maxExponent) {
  std::uniform_real_distribution<float> exponent(minExponent, maxExponent), mantissa(0.5f, 1.0f);
  return std::exp2(exponent(rng)) * mantissa(rng);
}

/// Fills `codes` ([rows, cols]) with e4m3 codes of N(0, 1) * 128 samples:
/// most are normal, some subnormal, a few saturate at +-448; NaN codes (0x7F,
/// 0xFF) cannot arise from finite input. Each row draws from its own
/// generator, seeded by (seed, tag, row), so that the codes depend on the
/// seed only, not on how rows are spread over threads.
void fillRandomCodes(std::vector<uint8_t> &codes, int64_t rows, int64_t cols, uint32_t seed,
                     uint32_t tag) {
  parallelFor(rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      std::seed_seq sequence{seed, tag, uint32_t(r)};
      std::mt19937 rng(sequence);
      std::normal_distribution<float> normal(0.0f, 128.0f);
      for (int64_t c = 0; c < cols; ++c)
        codes[r * cols + c] = f32ToE4M3Sat(normal(rng));
    }
  });
}

GemmProblem randomProblem(GemmShape shape, uint32_t seed) {
  GemmProblem p(shape);
  fillRandomCodes(p.a, p.m, p.k, seed, 0);
  fillRandomCodes(p.b, p.n, p.k, seed, 1);
  std::seed_seq sequence{seed, uint32_t(2)};
  std::mt19937 rng(sequence);
  for (float &s : p.aScale)
    s = randomScale(rng, -8.0f, 0.0f);
  for (float &s : p.bScale)
    s = randomScale(rng, -8.0f, 0.0f);
  return p;
}

std::vector<int64_t> allRows(int64_t m) {
  std::vector<int64_t> rows(m);
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

/// The rows of c compared with the reference. All of them up to m = 128;
/// beyond, computing the double reference for every row of the large shapes
/// would take minutes, so 48 rows: the first and the last, the rows on
/// either side of multiples of 64 and 128 (where BLOCK_M tiles meet), and
/// random ones. Every element of c is still checked for being finite.
std::vector<int64_t> checkedRows(int64_t m, uint32_t seed) {
  if (m <= 128)
    return allRows(m);
  std::set<int64_t> rows = {0, m - 1};
  for (int64_t edge : {int64_t(64), int64_t(128), int64_t(192), int64_t(256), m / 256 * 128,
                       (m - 1) / 64 * 64, (m - 1) / 128 * 128})
    if (edge > 0 && edge < m) {
      rows.insert(edge - 1);
      rows.insert(edge);
    }
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> anyRow(0, m - 1);
  while (rows.size() < 48)
    rows.insert(anyRow(rng));
  return {rows.begin(), rows.end()};
}

/// What c must approximate on some rows, [rows.size(), n] each.
struct Reference {
  /// fp8GemmReference.
  std::vector<double> values;
  /// sqrt(sum over k blocks kb of (a_s[i][kb] * b_s[j / 128][kb])^2 *
  /// sum over l in kb of (a[i][l] * b[j][l])^2): how large the terms of
  /// c[i][j] are, and what its rounding errors scale with.
  std::vector<double> magnitudes;
};

/// The reference for `rows` of c: fp8GemmReference with m = 1 on each row,
/// in parts of 1024 columns (a multiple of b's scale block, so each part
/// starts at a row of b_s), spread over threads.
Reference referenceRows(const GemmProblem &p, const std::vector<int64_t> &rows) {
  constexpr int64_t kColumnsPerPart = 1024;
  static const std::vector<double> decoded = [] {
    std::vector<double> table(256);
    for (int code = 0; code < 256; ++code)
      table[code] = e4m3ToF32(uint8_t(code));
    return table;
  }();
  const int64_t parts = ceilDiv(p.n, kColumnsPerPart), kBlocks = p.kBlocks();
  Reference ref{std::vector<double>(rows.size() * p.n), std::vector<double>(rows.size() * p.n)};
  parallelFor(int64_t(rows.size()) * parts, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t i = task / parts, first = task % parts * kColumnsPerPart;
      const int64_t row = rows[i], last = std::min(p.n, first + kColumnsPerPart);
      const uint8_t *a = p.a.data() + row * p.k;
      const float *aScale = p.aScale.data() + row * kBlocks;
      fp8GemmReference(a, aScale, p.b.data() + first * p.k,
                       p.bScale.data() + first / kScaleBlock * kBlocks, 1, last - first, p.k,
                       ref.values.data() + i * p.n + first);
      for (int64_t j = first; j < last; ++j) {
        const uint8_t *b = p.b.data() + j * p.k;
        const float *bScale = p.bScale.data() + j / kScaleBlock * kBlocks;
        double sum = 0;
        for (int64_t kb = 0; kb < kBlocks; ++kb) {
          double squares = 0;
          for (int64_t l = kb * kScaleBlock; l < std::min(p.k, (kb + 1) * kScaleBlock); ++l) {
            const double product = decoded[a[l]] * decoded[b[l]];
            squares += product * product;
          }
          const double scale = double(aScale[kb]) * double(bScale[kb]);
          sum += squares * scale * scale;
        }
        ref.magnitudes[i * p.n + j] = std::sqrt(sum);
      }
    }
  });
  return ref;
}

/// The spacing of bf16 values at magnitude x (8 significant bits; the
/// subnormal spacing 2^-133 below 2^-126, and for 0).
double bf16Ulp(double x) {
  return std::ldexp(1.0, std::max(std::ilogb(x), -126) - 7);
}

/// Whether every element of c ([m, n] bf16) is finite and the `rows` of c
/// match `ref` within tolerance(). Records the largest normwise relative error
/// of a checked row, and how much of the tolerance the worst element uses, as
/// test properties.
::testing::AssertionResult matchesReference(const std::vector<uint16_t> &c, int64_t n,
                                            const std::vector<int64_t> &rows,
                                            const Reference &ref) {
  for (size_t i = 0; i < c.size(); ++i)
    if (!std::isfinite(bf16ToF32(c[i])))
      return ::testing::AssertionFailure()
             << fmt::format("c[{}][{}] = {} (bits 0x{:04x}): not written, or not finite",
                            int64_t(i) / n, int64_t(i) % n, bf16ToF32(c[i]), c[i]);
  if (rows.empty())
    return ::testing::AssertionSuccess();
  auto excessOf = [](double got, double expected) {
    return std::abs(got - expected) - 0.5 * bf16Ulp(std::abs(expected));
  };

  double worstRatio = -std::numeric_limits<double>::infinity(), maxNormwise = 0;
  int64_t worst = 0;
  for (int64_t i = 0; i < int64_t(rows.size()); ++i) {
    double rowError = 0, rowNorm = 0;
    for (int64_t j = 0; j < n; ++j) {
      const double expected = ref.values[i * n + j];
      const double got = bf16ToF32(c[rows[i] * n + j]);
      const double bound = tolerance() * std::max(std::abs(expected), ref.magnitudes[i * n + j]);
      const double ratio =
          excessOf(got, expected) / std::max(bound, std::numeric_limits<double>::min());
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worst = i * n + j;
      }
      rowError += (got - expected) * (got - expected);
      rowNorm += expected * expected;
    }
    if (rowNorm > 0)
      maxNormwise = std::max(maxNormwise, std::sqrt(rowError / rowNorm));
  }
  ::testing::Test::RecordProperty("max_normwise_relative_error", fmt::format("{:.3g}", maxNormwise));
  ::testing::Test::RecordProperty("worst_error_over_tolerance", fmt::format("{:.3g}", worstRatio));
  std::cout << fmt::format("max normwise relative error {:.3g} over {} rows; the worst element "
                           "uses {:.3g} of the tolerance\n",
                           maxNormwise, rows.size(), worstRatio);
  if (worstRatio <= 1.0)
    return ::testing::AssertionSuccess();
  const int64_t i = worst / n, j = worst % n;
  const double expected = ref.values[worst], got = bf16ToF32(c[rows[i] * n + j]);
  return ::testing::AssertionFailure() << fmt::format(
             "worst element c[{}][{}] = {:.9g}, reference {:.17g}: |c - ref| - ulp/2 = {:.3g} "
             "exceeds {} * max(|ref|, magnitude {:.6g}) by a factor {:.3g} (max normwise "
             "relative error {:.3g})",
             rows[i], j, got, expected, excessOf(got, expected), tolerance(),
             ref.magnitudes[worst], worstRatio, maxNormwise);
}

/// Launches the Status form on `p` into a poisoned c and downloads c.
void runGemm(const GemmProblem &p, const KernelConfig &config, std::vector<uint16_t> &c) {
  Tensor a = upload(DType::F8E4M3, {p.m, p.k}, p.a);
  Tensor aScale = upload(DType::F32, {p.m, p.kBlocks()}, p.aScale);
  Tensor b = upload(DType::F8E4M3, {p.n, p.k}, p.b);
  Tensor bScale = upload(DType::F32, {ceilDiv(p.n, kScaleBlock), p.kBlocks()}, p.bScale);
  Tensor cd = poisoned(DType::BF16, {p.m, p.n});
  Status launched = fp8Gemm(a.view(), aScale.view(), b.view(), bScale.view(), cd.view(), config);
  ASSERT_TRUE(launched) << launched.error().message();
  c = download<uint16_t>(cd);
}

/// Runs fp8_gemm on fresh random inputs of `shape` and checks c.
void checkRandomProblem(GemmShape shape, const KernelConfig &config = {}) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(fmt::format("seed {}, m {} n {} k {}", seed, shape.m, shape.n, shape.k));
  GemmProblem p = randomProblem(shape, seed);
  std::vector<uint16_t> c;
  ASSERT_NO_FATAL_FAILURE(runGemm(p, config, c));
  std::vector<int64_t> rows = checkedRows(p.m, seed);
  EXPECT_TRUE(matchesReference(c, p.n, rows, referenceRows(p, rows)));
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

class SmallGemmTest : public KernelBackendTest,
                      public ::testing::WithParamInterface<GemmShape> {};

TEST_P(SmallGemmTest, MatchesReference) { checkRandomProblem(GetParam()); }

// m, n and k are not multiples of the default tiles (64 x 128, k steps of
// 128), n and k not multiples of the scale block; m = 1 and 7 are decode
// batches. m * n * k stays below 2.4e6, for the interpreter.
INSTANTIATE_TEST_SUITE_P(Shapes, SmallGemmTest,
                         ::testing::Values(GemmShape{1, 96, 160}, GemmShape{7, 200, 300},
                                           GemmShape{37, 130, 384}, GemmShape{64, 128, 256},
                                           GemmShape{70, 257, 129}),
                         [](const auto &info) { return shapeName(info.param); });

class DeepSeekGemmTest : public KernelBackendTest,
                         public ::testing::WithParamInterface<GemmShape> {};

TEST_P(DeepSeekGemmTest, MatchesReference) {
  if (runtime::activeBackend() == runtime::Backend::Interpreter)
    GTEST_SKIP() << "GPU backend only: too large for the interpreter, which runs "
                    "SmallGemmTest's shapes instead";
  checkRandomProblem(GetParam());
}

/// The (n, k) of DeepSeek-V3's fp8 linear layers at decode (m = 1, 7),
/// small-batch (128) and prefill (4096) sizes.
std::vector<GemmShape> deepSeekShapes() {
  std::vector<GemmShape> shapes;
  const std::pair<int64_t, int64_t> layers[] = {{2112, 7168}, {24576, 1536}, {32768, 512},
                                                {7168, 16384}, {4096, 7168}, {7168, 2048}};
  for (int64_t m : {1, 7, 128, 4096})
    for (auto [n, k] : layers)
      shapes.push_back({m, n, k});
  return shapes;
}

INSTANTIATE_TEST_SUITE_P(Shapes, DeepSeekGemmTest, ::testing::ValuesIn(deepSeekShapes()),
                         [](const auto &info) { return shapeName(info.param); });

//===----------------------------------------------------------------------===//
// Configs
//===----------------------------------------------------------------------===//

/// BLOCK_M, BLOCK_N, BLOCK_K, NUM_STAGES, numWarps.
using GemmConfig = std::tuple<int64_t, int64_t, int64_t, int64_t, unsigned>;

std::string configName(const ::testing::TestParamInfo<GemmConfig> &info) {
  auto [blockM, blockN, blockK, stages, warps] = info.param;
  return fmt::format("BM{}_BN{}_BK{}_S{}_W{}", blockM, blockN, blockK, stages, warps);
}

class GemmConfigTest : public KernelBackendTest,
                       public ::testing::WithParamInterface<GemmConfig> {};

TEST_P(GemmConfigTest, MatchesReference) {
  auto [blockM, blockN, blockK, stages, warps] = GetParam();
  KernelConfig config;
  config.constants = {
      {"BLOCK_M", blockM}, {"BLOCK_N", blockN}, {"BLOCK_K", blockK}, {"NUM_STAGES", stages}};
  config.numWarps = warps;
  // m = 70 leaves a partial tile for every BLOCK_M, n = 150 for every
  // BLOCK_N, and k = 300 a partial step for every BLOCK_K as well as a
  // partial scale block.
  if (blockM / 16 * (blockN / 8) < int64_t(warps)) {
    // Fewer 16 x 8 tensor-core pieces than warps: refused before launch.
    GemmProblem p = randomProblem({70, 150, 300}, 1);
    Tensor a = upload(DType::F8E4M3, {p.m, p.k}, p.a);
    Tensor aScale = upload(DType::F32, {p.m, ceilDiv(p.k, kScaleBlock)}, p.aScale);
    Tensor b = upload(DType::F8E4M3, {p.n, p.k}, p.b);
    Tensor bScale = upload(DType::F32, {ceilDiv(p.n, kScaleBlock), ceilDiv(p.k, kScaleBlock)},
                           p.bScale);
    Expected<Tensor> out = fp8Gemm(a.view(), aScale.view(), b.view(), bScale.view(), config);
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().message().find("tensor-core pieces"), std::string::npos)
        << out.error().message();
    return;
  }
  checkRandomProblem({70, 150, 300}, config);
}

INSTANTIATE_TEST_SUITE_P(Configs, GemmConfigTest,
                         ::testing::Combine(::testing::Values(16, 64, 128),
                                            ::testing::Values(32, 128), ::testing::Values(32, 128),
                                            ::testing::Values(1, 3), ::testing::Values(4u, 8u)),
                         configName);

/// BLOCK_M, BLOCK_N, NUM_STAGES, numWarps of the warp-specialized schedule
/// (WARP_SPECIALIZE = 1): a producer warpgroup issues the TMA copies on
/// sm_90a; elsewhere, and on the interpreter, the option changes nothing,
/// and the same results must come out.
using WarpSpecializedConfig = std::tuple<int64_t, int64_t, int64_t, unsigned>;

class WarpSpecializedGemmTest : public KernelBackendTest,
                                public ::testing::WithParamInterface<WarpSpecializedConfig> {};

std::string warpSpecializedName(const ::testing::TestParamInfo<WarpSpecializedConfig> &info) {
  auto [blockM, blockN, stages, warps] = info.param;
  return fmt::format("BM{}_BN{}_S{}_W{}", blockM, blockN, stages, warps);
}

/// The config of the test's parameters.
KernelConfig warpSpecializedConfig(const WarpSpecializedConfig &param) {
  auto [blockM, blockN, stages, warps] = param;
  KernelConfig config;
  config.constants = {{"BLOCK_M", blockM},     {"BLOCK_N", blockN},
                      {"BLOCK_K", 128},        {"NUM_STAGES", stages},
                      {"WARP_SPECIALIZE", 1}};
  config.numWarps = warps;
  return config;
}

TEST_P(WarpSpecializedGemmTest, SmallShapesMatchReference) {
  // Partial tiles and steps everywhere; fewer K steps than stages; a decode
  // batch of one.
  for (GemmShape shape : {GemmShape{70, 150, 300}, GemmShape{130, 72, 200},
                          GemmShape{1, 96, 1024}})
    ASSERT_NO_FATAL_FAILURE(checkRandomProblem(shape, warpSpecializedConfig(GetParam())));
}

TEST_P(WarpSpecializedGemmTest, LargeShapesMatchReference) {
  if (runtime::activeBackend() == runtime::Backend::Interpreter)
    GTEST_SKIP() << "GPU backend only: too large for the interpreter, which runs the small "
                    "shapes instead";
  // Long K (many rounds of every slot) and a grid of many programs.
  for (GemmShape shape : {GemmShape{128, 2112, 7168}, GemmShape{4096, 7168, 2048}})
    ASSERT_NO_FATAL_FAILURE(checkRandomProblem(shape, warpSpecializedConfig(GetParam())));
}

INSTANTIATE_TEST_SUITE_P(Configs, WarpSpecializedGemmTest,
                         ::testing::Values(WarpSpecializedConfig{64, 128, 4, 4},
                                           WarpSpecializedConfig{128, 128, 4, 8},
                                           WarpSpecializedConfig{128, 64, 6, 8},
                                           WarpSpecializedConfig{128, 128, 2, 8}),
                         warpSpecializedName);

/// GROUP_M: the programs walk c's tiles in bands of GROUP_M tile rows. Every
/// tile must be computed exactly once whatever the band height: column order
/// (0), one row per band, bands that leave a short last band (5 tile rows in
/// bands of 2 and 3), one band taller than the grid.
class GemmBandTest : public KernelBackendTest, public ::testing::WithParamInterface<int64_t> {};

TEST_P(GemmBandTest, EveryTileIsComputedOnce) {
  KernelConfig config;
  config.constants = {{"BLOCK_M", 16}, {"BLOCK_N", 32}, {"GROUP_M", GetParam()}};
  config.numWarps = 4;
  // 5 tile rows and 7 tile columns, the last of each partial.
  ASSERT_NO_FATAL_FAILURE(checkRandomProblem({70, 200, 256}, config));
}

INSTANTIATE_TEST_SUITE_P(Bands, GemmBandTest, ::testing::Values(0, 1, 2, 3, 8),
                         [](const ::testing::TestParamInfo<int64_t> &info) {
                           return fmt::format("GROUP_M{}", info.param);
                         });

//===----------------------------------------------------------------------===//
// Edge cases and the allocating form
//===----------------------------------------------------------------------===//

class GemmTest : public KernelBackendTest {};

TEST_F(GemmTest, ZeroActivationsGiveZeros) {
  // Zero a (both signs) against random b and scales: every product is zero,
  // so c must be exactly +-0, with no NaN from the poison or the scaling.
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  GemmProblem p = randomProblem({37, 130, 384}, seed);
  for (size_t i = 0; i < p.a.size(); ++i)
    p.a[i] = (i % 2) ? 0x80 : 0x00;
  std::vector<uint16_t> c;
  ASSERT_NO_FATAL_FAILURE(runGemm(p, {}, c));
  for (size_t i = 0; i < c.size(); ++i)
    ASSERT_EQ(c[i] & 0x7FFF, 0) << fmt::format("c[{}][{}] has bits 0x{:04x}", int64_t(i) / p.n,
                                               int64_t(i) % p.n, c[i]);
}

TEST_F(GemmTest, ExtremeCodesWithTinyScales) {
  // Every code +-448: 128-wide block sums reach 128 * 448^2 (about 2^24.6),
  // exact in fp32. Rows 0 and 1 of a and b are all +448 and all -448, giving
  // the largest sums of either sign; the rest have random signs. The scales
  // are tiny (2^-61 to 2^-56), yet the product of two of them and every
  // scaled block sum stay normal fp32 values, whatever order the kernel
  // multiplies in: a flush to zero cannot excuse a difference.
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  GemmProblem p(GemmShape{37, 130, 384});
  std::mt19937 rng(seed);
  std::bernoulli_distribution negative;
  auto fillCodes = [&](std::vector<uint8_t> &codes, int64_t rows) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < p.k; ++c)
        codes[r * p.k + c] = (r == 1 || (r > 1 && negative(rng))) ? 0xFE : 0x7E;
  };
  fillCodes(p.a, p.m);
  fillCodes(p.b, p.n);
  for (float &s : p.aScale)
    s = randomScale(rng, -60.0f, -56.0f);
  for (float &s : p.bScale)
    s = randomScale(rng, -60.0f, -56.0f);
  std::vector<uint16_t> c;
  ASSERT_NO_FATAL_FAILURE(runGemm(p, {}, c));
  std::vector<int64_t> rows = allRows(p.m);
  EXPECT_TRUE(matchesReference(c, p.n, rows, referenceRows(p, rows)));
}

TEST_F(GemmTest, AllocatingFormKeepsLeadingDimensionsOfA) {
  // a [2, 5, k] and a_s [2, 5, ceil(k/128)]: c is [2, 5, n], row-major over
  // the ten rows, as for a [10, k].
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  GemmProblem p = randomProblem({10, 200, 300}, seed);
  Tensor a = upload(DType::F8E4M3, {2, 5, p.k}, p.a);
  Tensor aScale = upload(DType::F32, {2, 5, p.kBlocks()}, p.aScale);
  Tensor b = upload(DType::F8E4M3, {p.n, p.k}, p.b);
  Tensor bScale = upload(DType::F32, {ceilDiv(p.n, kScaleBlock), p.kBlocks()}, p.bScale);
  Expected<Tensor> c = fp8Gemm(a.view(), aScale.view(), b.view(), bScale.view());
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->dtype(), DType::BF16);
  ASSERT_EQ(c->shape(), (std::vector<int64_t>{2, 5, p.n}));
  std::vector<int64_t> rows = allRows(p.m);
  EXPECT_TRUE(matchesReference(download<uint16_t>(*c), p.n, rows, referenceRows(p, rows)));
}

} // namespace
} // namespace tessel::kernels
