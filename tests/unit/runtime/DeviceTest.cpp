// Tests of the device facts that need no GPU (tessel/runtime/Device.h).

#include "tessel/runtime/Device.h"

#include <gtest/gtest.h>

namespace tessel::runtime {
namespace {

TEST(ArchName, ArchitectureSpecificTargetsForHopperAndBlackwell) {
  EXPECT_EQ(archName({9, 0}), "sm_90a");
  EXPECT_EQ(archName({10, 0}), "sm_100a");
}

TEST(ArchName, PlainTargetsOtherwise) {
  EXPECT_EQ(archName({8, 0}), "sm_80");
  EXPECT_EQ(archName({8, 6}), "sm_86");
  EXPECT_EQ(archName({8, 9}), "sm_89");
  EXPECT_EQ(archName({10, 3}), "sm_103");
  EXPECT_EQ(archName({12, 0}), "sm_120");
}

TEST(ComputeCapability, OrdersByMajorThenMinor) {
  EXPECT_LT((ComputeCapability{8, 9}), (ComputeCapability{9, 0}));
  EXPECT_LT((ComputeCapability{9, 0}), (ComputeCapability{10, 0}));
  EXPECT_EQ((ComputeCapability{9, 0}), (ComputeCapability{9, 0}));
}

TEST(ProbeGpu, AgreesWithDeviceCount) {
  // Holds with and without a GPU: the probe is what the GPU tests skip on.
  Status probe = probeGpu();
  Expected<int> devices = Device::count();
  EXPECT_EQ(probe.ok(), devices.ok() && *devices > 0);
  EXPECT_EQ(gpuAvailable(), probe.ok());
  if (!probe)
    EXPECT_FALSE(probe.error().message().empty());
}

TEST(DeviceOpen, NegativeOrdinalIsAnError) {
  Expected<Device> device = Device::open(-1);
  ASSERT_FALSE(device);
  // Without a driver the error is the driver's; with one, the ordinal's.
  if (gpuAvailable())
    EXPECT_NE(device.error().message().find("CUDA device -1 does not exist"), std::string::npos)
        << device.error().message();
}

} // namespace
} // namespace tessel::runtime
