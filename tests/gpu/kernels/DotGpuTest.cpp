// tile.dot for every operand type it takes (bf16, f16, e4m3, e5m2 and mixed
// fp8) and every code path of its lowering: the device's own (sm_90a:
// wgmma), and PTX for sm_89 (the fp8 mma.sync) and sm_80 (fp8 widened with
// integer arithmetic), which the driver runs on a newer GPU.
// c = a . b^T in f32 over tails in every dimension, with and without
// pipelined loads, against a double-precision reference. c is poisoned first.
//
// Every product of two operands is exact in fp32, so the only error is fp32
// accumulation: at most about k * 2^-24 times the sum of |products| (the
// bound checked, with room for the tensor core's order of additions). Hopper's
// warpgroup MMA accumulates fp8 products with about 13 bits (up to 2^-13 of
// the sum of |products| was measured at k = 208 on an H100), so there fp8
// dots are held to 2^-11 of it.
//
// The same tests run on the CPU interpreter (ctest label `interpreter`),
// where the target does not matter.
#include "KernelTestSupport.h"
#include "../../common/DotKernel.h"

#include "tessel/dsl/DSL.h"
#include "tessel/dsl/Jit.h"
#include "tessel/runtime/Backend.h"
#include "tessel/support/Float8.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <random>
#include <tuple>

namespace tessel::kernels {
namespace {

using runtime::Tensor;
using test::download;
using test::KernelBackendTest;
using test::poisoned;
using test::upload;
using test::dotKernel;
using test::kDotBlockM;
using test::kDotBlockN;

/// Random operand values exactly representable in `dtype`, as bits and as
/// floats.
struct OperandValues {
  std::vector<uint16_t> bits16;
  std::vector<uint8_t> bits8;
  std::vector<float> values;
};

OperandValues randomOperand(DType dtype, int64_t count, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 2.0f);
  OperandValues operand;
  for (int64_t i = 0; i < count; ++i) {
    float v = normal(rng);
    switch (dtype) {
    case DType::BF16:
      operand.bits16.push_back(f32ToBf16(v));
      operand.values.push_back(bf16ToF32(operand.bits16.back()));
      break;
    case DType::F16:
      operand.bits16.push_back(f32ToF16(v));
      operand.values.push_back(f16ToF32(operand.bits16.back()));
      break;
    case DType::F8E4M3:
      operand.bits8.push_back(f32ToE4M3Sat(v));
      operand.values.push_back(e4m3ToF32(operand.bits8.back()));
      break;
    default:
      operand.bits8.push_back(f32ToE5M2Sat(v));
      operand.values.push_back(e5m2ToF32(operand.bits8.back()));
      break;
    }
  }
  return operand;
}

Tensor uploadOperand(DType dtype, int64_t rows, int64_t cols, const OperandValues &operand) {
  if (operand.bits16.empty())
    return upload(dtype, {rows, cols}, operand.bits8);
  return upload(dtype, {rows, cols}, operand.bits16);
}

/// The device's own target, or older PTX the driver runs on it.
enum class Target { Device, Sm89, Sm80 };

/// Operand types, target, stages, BLOCK_K, k.
using DotParam = std::tuple<std::pair<DType, DType>, Target, int, int, int64_t>;

class DotGpuTest : public KernelBackendTest, public ::testing::WithParamInterface<DotParam> {};

TEST_P(DotGpuTest, MatchesReference) {
  auto [types, target, stages, blockK, k] = GetParam();
  auto [aType, bType] = types;
  if (runtime::activeBackend() == runtime::Backend::Interpreter && target != Target::Device)
    GTEST_SKIP() << "the interpreter has no targets";
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(fmt::format("seed {}", seed));
  std::mt19937 rng(seed);
  // Tails everywhere: no size is a multiple of a tile. k = 208 is a
  // multiple of 16, so the loads are pipelined (cp.async moves 16-byte runs
  // of the K tail); k = 200 is not, and the dot stages its operands itself.
  const int64_t m = 77, n = 70;
  OperandValues a = randomOperand(aType, m * k, rng), b = randomOperand(bType, n * k, rng);

  dsl::JitOptions options;
  options.cacheDirectory = "";
  if (target == Target::Sm89)
    options.arch = "sm_89";
  if (target == Target::Sm80)
    options.arch = "sm_80";
  std::unique_ptr<dsl::Jit> jit = dsl::Jit::create(options).value();
  Tensor ad = uploadOperand(aType, m, k, a), bd = uploadOperand(bType, n, k, b);
  Tensor cd = poisoned(DType::F32, {m, n});
  dsl::LaunchSpec spec;
  spec.grid = {unsigned((m + kDotBlockM - 1) / kDotBlockM), unsigned((n + kDotBlockN - 1) / kDotBlockN), 1};
  spec.constants = {{"BLOCK_K", blockK}, {"NUM_STAGES", stages}};
  std::vector<dsl::LaunchArg> args = {ad.view(), bd.view(), cd.view(), dsl::LaunchArg::i32(m),
                                      dsl::LaunchArg::i32(n), dsl::LaunchArg::i32(k)};
  Status launched = jit->launch(dotKernel(aType, bType), spec, args);
  ASSERT_TRUE(launched) << launched.error().message();
  std::vector<float> c = download<float>(cd);

  const bool fp8 = aType != DType::BF16 && aType != DType::F16;
  const double relativeBound = fp8 && target == Target::Device && test::runsOnWarpgroupMma()
                                   ? 0x1p-11
                                   : 4.0 * double(k) * 0x1p-24;

  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double exact = 0, magnitude = 0;
      for (int64_t l = 0; l < k; ++l) {
        double product = double(a.values[i * k + l]) * double(b.values[j * k + l]);
        exact += product;
        magnitude += std::abs(product);
      }
      double got = c[i * n + j];
      ASSERT_TRUE(std::isfinite(got)) << fmt::format("c[{}][{}] was not written", i, j);
      ASSERT_LE(std::abs(got - exact), relativeBound * magnitude + 1e-30)
          << fmt::format("c[{}][{}] = {} but the exact sum is {}", i, j, got, exact);
    }
}

std::string paramName(const ::testing::TestParamInfo<DotParam> &info) {
  auto [types, target, stages, blockK, k] = info.param;
  const char *targets[] = {"device", "sm89", "sm80"};
  return fmt::format("{}_{}_{}_s{}_bk{}_k{}", name(types.first), name(types.second),
                     targets[int(target)], stages, blockK, k);
}

INSTANTIATE_TEST_SUITE_P(
    Types, DotGpuTest,
    ::testing::Combine(::testing::Values(std::pair{DType::BF16, DType::BF16},
                                         std::pair{DType::F16, DType::F16},
                                         std::pair{DType::F8E4M3, DType::F8E4M3},
                                         std::pair{DType::F8E5M2, DType::F8E5M2},
                                         std::pair{DType::F8E4M3, DType::F8E5M2}),
                       ::testing::Values(Target::Device, Target::Sm89, Target::Sm80),
                       ::testing::Values(1, 3), ::testing::Values(32, 64),
                       ::testing::Values(int64_t(208), int64_t(200))),
    paramName);

} // namespace
} // namespace tessel::kernels
