#include "tessel/kernels/Spaces.h"

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <vector>

namespace tessel::kernels {
namespace {

using autotune::Config;
using autotune::ConfigSpace;

bool isPowerOfTwoIn(int64_t value, int64_t low, int64_t high) {
  return value >= low && value <= high && std::has_single_bit(uint64_t(value));
}

ConfigSpace declareFp8GemmSpace() {
  const std::string warps(kNumWarpsParameter);
  std::vector<autotune::TuningParameter> parameters = {
      {"BLOCK_M", {16, 32, 64, 128}, "rows of c per program"},
      {"BLOCK_N", {64, 128}, "columns of c per program"},
      {"BLOCK_K", {64, 128}, "k per main-loop step"},
      // 2 and 4 are the host's defaults (defaultStages); 1 is the
      // unpipelined loop.
      {"NUM_STAGES", {1, 2, 4}, "loads in flight in the main loop"},
      {warps, {4, 8}, "warps per program"}};
  // The host's checks (checkConfig), so that a value added to a list above
  // is pruned here rather than refused at launch. With the lists as they
  // are, none of them prunes a config.
  std::vector<autotune::ConfigPredicate> hostRules = {
      {"warps_own_tensor_core_pieces",
       [warps](const Config &c) {
         return c.at("BLOCK_M") / 16 * (c.at("BLOCK_N") / 8) >= c.at(warps);
       },
       "each warp needs at least one 16 x 8 tensor-core piece of the BLOCK_M x BLOCK_N tile"},
      {"tile_is_power_of_two_in_16_to_256",
       [](const Config &c) {
         return isPowerOfTwoIn(c.at("BLOCK_M"), 16, 256) &&
                isPowerOfTwoIn(c.at("BLOCK_N"), 16, 256);
       },
       "BLOCK_M and BLOCK_N must be powers of two in [16, 256]"},
      {"block_k_divides_scale_block",
       [](const Config &c) {
         int64_t blockK = c.at("BLOCK_K");
         return blockK == 32 || blockK == 64 || blockK == 128;
       },
       "BLOCK_K must be 32, 64 or 128, so that it divides the 128-wide scale block"},
      {"stages_in_1_to_8",
       [](const Config &c) { return c.at("NUM_STAGES") >= 1 && c.at("NUM_STAGES") <= 8; },
       "NUM_STAGES must be in [1, 8]"}};
  // A constant declaration: TuningKernelSpacesTest checks that it is valid.
  return ConfigSpace::declare("fp8_gemm", std::move(parameters), std::move(hostRules)).value();
}

bool dividesScaleBlock(int64_t value) { return value >= 1 && value <= 128 && 128 % value == 0; }

// The conversion kernels run at memory speed with their defaults; their
// spaces cover the block sizes and warp counts around those defaults, the
// rules their host functions check (HostFunctions.cpp) as predicates.
ConfigSpace declareActQuantSpace() {
  const std::string warps(kNumWarpsParameter);
  return ConfigSpace::declare(
             "act_quant",
             {{"ROWS", {4, 8, 16, 32, 64}, "1x128 blocks per program"},
              {warps, {1, 2, 4, 8}, "warps per program"}},
             {{"rows_is_power_of_two",
               [](const Config &c) { return isPowerOfTwoIn(c.at("ROWS"), 1, 1 << 20); },
               "ROWS must be a power of two"}})
      .value();
}

ConfigSpace declareWeightQuantSpace() {
  const std::string warps(kNumWarpsParameter);
  return ConfigSpace::declare(
             "weight_quant",
             {{"CHUNK", {16, 32, 64, 128}, "rows per loop step"},
              {warps, {4, 8, 16}, "warps per program"}},
             {{"chunk_divides_scale_block",
               [](const Config &c) { return dividesScaleBlock(c.at("CHUNK")); },
               "CHUNK must divide the 128-row scale block"}})
      .value();
}

ConfigSpace declareWeightDequantSpace() {
  const std::string warps(kNumWarpsParameter);
  return ConfigSpace::declare(
             "weight_dequant",
             {{"BLOCK_M", {8, 16, 32, 64, 128}, "rows per program"},
              {warps, {2, 4, 8}, "warps per program"}},
             {{"block_m_divides_scale_block",
               [](const Config &c) { return dividesScaleBlock(c.at("BLOCK_M")); },
               "BLOCK_M must divide the 128-row scale block"}})
      .value();
}

} // namespace

const ConfigSpace &actQuantSpace() {
  static const ConfigSpace space = declareActQuantSpace();
  return space;
}

const ConfigSpace &weightQuantSpace() {
  static const ConfigSpace space = declareWeightQuantSpace();
  return space;
}

const ConfigSpace &weightDequantSpace() {
  static const ConfigSpace space = declareWeightDequantSpace();
  return space;
}

const ConfigSpace *tuningSpace(std::string_view kernel) {
  if (kernel == "fp8_gemm")
    return &fp8GemmSpace();
  if (kernel == "act_quant")
    return &actQuantSpace();
  if (kernel == "weight_quant")
    return &weightQuantSpace();
  if (kernel == "weight_dequant")
    return &weightDequantSpace();
  return nullptr;
}

const ConfigSpace &fp8GemmSpace() {
  static const ConfigSpace space = declareFp8GemmSpace();
  return space;
}

std::string rowBucketText(int64_t rows) {
  if (rows > kLargestRowBucket)
    return fmt::format("m>{}", kLargestRowBucket);
  return fmt::format("m<={}", rows <= 1 ? 1 : std::bit_ceil(uint64_t(rows)));
}

std::string fp8GemmTuningKey(const Fp8GemmProblem &problem) {
  return fmt::format("{} n={} k={} a={} b={} c={}", rowBucketText(problem.m), problem.n, problem.k,
                     name(problem.a), name(problem.b), name(problem.c));
}

std::string actQuantTuningKey(DType x, int64_t m, int64_t k, bool ue8m0Scales) {
  return fmt::format("x={} {} k={} ue8m0={}", name(x), rowBucketText(m), k, int(ue8m0Scales));
}

std::string weightQuantTuningKey(int64_t n, int64_t k, bool ue8m0Scales) {
  return fmt::format("n={} k={} ue8m0={}", n, k, int(ue8m0Scales));
}

std::string weightDequantTuningKey(int64_t n, int64_t k) { return fmt::format("n={} k={}", n, k); }

} // namespace tessel::kernels
