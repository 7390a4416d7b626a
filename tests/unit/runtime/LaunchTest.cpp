// Tests of launch configurations and the launch checks made before the
// driver is called (tessel/runtime/Launch.h); no GPU needed.

#include "tessel/runtime/Launch.h"
#include "tessel/runtime/Module.h"

#include <gtest/gtest.h>

namespace tessel::runtime {
namespace {

TEST(LaunchConfig, DescribeListsGridBlockAndSharedMemory) {
  LaunchConfig config{{56, 32, 1}, {128, 1, 1}, 0};
  EXPECT_EQ(config.describe(), "grid (56, 32, 1) block (128, 1, 1) smem 0");
  config.sharedBytes = 232448;
  EXPECT_EQ(config.describe(), "grid (56, 32, 1) block (128, 1, 1) smem 232448");
  EXPECT_EQ(LaunchConfig{}.describe(), "grid (1, 1, 1) block (1, 1, 1) smem 0");
}

TEST(LaunchConfig, ZeroDimensionsAreRejectedWithTheKernelName) {
  LaunchConfig config{{0, 1, 1}, {128, 1, 1}, 0};
  Status status = config.validate("act_quant");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message(), "invalid launch of kernel act_quant (grid (0, 1, 1) block "
                                      "(128, 1, 1) smem 0): grid dimension x is 0");

  config = LaunchConfig{{4, 1, 1}, {128, 1, 0}, 0};
  status = config.validate("fp8_gemm");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message(), "invalid launch of kernel fp8_gemm (grid (4, 1, 1) block "
                                      "(128, 1, 0) smem 0): block dimension z is 0");

  EXPECT_TRUE(LaunchConfig({{1, 1, 1}, {1024, 1, 1}, 0}).validate("k"));
}

TEST(Launch, ZeroGridIsRejectedBeforeTheDriver) {
  // An empty Function has no driver behind it: reaching the driver would
  // crash, so passing shows the check comes first.
  KernelArgs args;
  args.push(std::uint64_t{0});
  Status status = launch(Function(), LaunchConfig{{1, 0, 1}, {32, 1, 1}, 0}, args);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message(), "invalid launch of kernel <unnamed> (grid (1, 0, 1) block "
                                      "(32, 1, 1) smem 0): grid dimension y is 0");
}

TEST(Launch, EmptyFunctionIsAnError) {
  Status status = launch(Function(), LaunchConfig{{1, 1, 1}, {32, 1, 1}, 0}, KernelArgs());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message(),
            "cannot launch an empty Function (grid (1, 1, 1) block (32, 1, 1) smem 0)");
}

TEST(Function, EmptyFunctionQueriesAreErrors) {
  Function function;
  EXPECT_FALSE(function.valid());
  EXPECT_FALSE(function.numRegisters());
  EXPECT_FALSE(function.setMaxDynamicSharedMemory(1024));
}

} // namespace
} // namespace tessel::runtime
