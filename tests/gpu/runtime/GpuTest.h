// The fixture every GPU test derives from: it skips the test, with the
// reason, on a machine without a driver or a device.
#pragma once

#include "tessel/runtime/Device.h"

#include <gtest/gtest.h>

#include <optional>

namespace tessel::runtime {

class GpuTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (Status probe = probeGpu(); !probe)
      GTEST_SKIP() << "no GPU: " << probe.error().message();
    Expected<Device> opened = Device::open(0);
    ASSERT_TRUE(opened) << opened.error().message();
    device_.emplace(std::move(opened).value());
  }

  const Device &device() const { return *device_; }

private:
  std::optional<Device> device_;
};

} // namespace tessel::runtime
