// The shipped kernels' spaces and keys (tessel/kernels/Spaces.h).
#include "tessel/kernels/Spaces.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace tessel::kernels {
namespace {

using autotune::Config;
using autotune::SpaceEnumeration;

/// The fp8_gemm configs tests/ptx/check-ptxas.sh sweeps, written as its
/// loops are: the declaration must give the same configs in the same order.
std::vector<std::string> ptxasSweepConfigs() {
  std::vector<std::string> configs;
  for (int bm : {16, 32, 64, 128})
    for (int bn : {64, 128})
      for (int bk : {64, 128})
        for (int stages : {1, 2, 4})
          for (int warps : {4, 8}) {
            if ((bm / 16) * (bn / 8) < warps)
              continue;
            configs.push_back(
                fmt::format("BLOCK_M={} BLOCK_N={} BLOCK_K={} NUM_STAGES={} num_warps={}", bm, bn,
                            bk, stages, warps));
          }
  return configs;
}

TEST(TuningKernelSpacesTest, Fp8GemmSpaceIsThePtxasSweep) {
  SpaceEnumeration configs = fp8GemmSpace().enumerate();
  std::vector<std::string> expected = ptxasSweepConfigs();
  ASSERT_EQ(configs.valid.size(), expected.size());
  EXPECT_EQ(configs.valid.size(), 96u);
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(configs.valid[i].text(), expected[i]) << "config " << i;
  EXPECT_TRUE(configs.pruned.empty());
  EXPECT_EQ(fp8GemmSpace().kernel(), "fp8_gemm");
  EXPECT_EQ(fp8GemmSpace().parameters().back().name, kNumWarpsParameter);
}

TEST(TuningKernelSpacesTest, Fp8GemmConfigsRoundTripThroughTheSpace) {
  for (const Config &config : fp8GemmSpace().enumerate().valid) {
    Expected<Config> parsed = fp8GemmSpace().parse(config.text());
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(*parsed, config);
  }
}

TEST(TuningKernelSpacesTest, Fp8GemmPredicatesAreTheHostRules) {
  auto broken = [](Config config) {
    Status status = fp8GemmSpace().validate(config);
    return status ? std::string() : status.error().message();
  };
  Config good{
      {"BLOCK_M", 16}, {"BLOCK_N", 64}, {"BLOCK_K", 64}, {"NUM_STAGES", 2}, {"num_warps", 8}};
  EXPECT_EQ(broken(good), "");
  Config fewPieces = good;
  fewPieces.set("BLOCK_N", 32); // 1 x 4 pieces for 8 warps
  EXPECT_NE(broken(fewPieces).find("breaks warps_own_tensor_core_pieces"), std::string::npos);
  Config oddTile = good;
  oddTile.set("BLOCK_N", 160);
  EXPECT_NE(broken(oddTile).find("breaks tile_is_power_of_two_in_16_to_256"), std::string::npos);
  Config oddK = good;
  oddK.set("BLOCK_K", 96);
  EXPECT_NE(broken(oddK).find("breaks block_k_divides_scale_block"), std::string::npos);
  Config manyStages = good;
  manyStages.set("NUM_STAGES", 9);
  EXPECT_NE(broken(manyStages).find("breaks stages_in_1_to_8"), std::string::npos);
}

TEST(TuningKernelSpacesTest, RowBucketsArePowersOfTwoUpTo4096) {
  EXPECT_EQ(rowBucketText(0), "m<=1");
  EXPECT_EQ(rowBucketText(1), "m<=1");
  EXPECT_EQ(rowBucketText(2), "m<=2");
  EXPECT_EQ(rowBucketText(3), "m<=4");
  EXPECT_EQ(rowBucketText(128), "m<=128");
  EXPECT_EQ(rowBucketText(129), "m<=256");
  EXPECT_EQ(rowBucketText(4096), "m<=4096");
  EXPECT_EQ(rowBucketText(4097), "m>4096");
  EXPECT_EQ(rowBucketText(1 << 20), "m>4096");
}

TEST(TuningKernelSpacesTest, TuningKeysNameTheirInputs) {
  EXPECT_EQ(fp8GemmTuningKey({.m = 100, .n = 7168, .k = 16384}),
            "m<=128 n=7168 k=16384 a=f8e4m3 b=f8e4m3 c=bf16");
  // Rows of one bucket share a key; n, k and the dtypes are exact.
  EXPECT_EQ(fp8GemmTuningKey({.m = 65, .n = 2112, .k = 7168}),
            fp8GemmTuningKey({.m = 128, .n = 2112, .k = 7168}));
  EXPECT_NE(fp8GemmTuningKey({.m = 128, .n = 2112, .k = 7168}),
            fp8GemmTuningKey({.m = 128, .n = 2112, .k = 7168, .c = DType::F32}));
  EXPECT_EQ(actQuantTuningKey(DType::BF16, 4096, 7168, false), "x=bf16 m<=4096 k=7168 ue8m0=0");
  EXPECT_EQ(actQuantTuningKey(DType::F16, 5000, 7168, true), "x=f16 m>4096 k=7168 ue8m0=1");
  EXPECT_EQ(weightQuantTuningKey(7168, 2048, false), "n=7168 k=2048 ue8m0=0");
  EXPECT_EQ(weightDequantTuningKey(7168, 2048), "n=7168 k=2048");
}

} // namespace
} // namespace tessel::kernels
