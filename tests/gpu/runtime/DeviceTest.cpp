// Device queries on a real GPU (tessel/runtime/Device.h, Driver.h).

#include "GpuTest.h"

#include "tessel/runtime/Buffer.h"
#include "tessel/runtime/Driver.h"
#include "tessel/runtime/Stream.h"
#include "tessel/runtime/Tensor.h"

#include <optional>
#include <thread>
#include <vector>

namespace tessel::runtime {
namespace {

using DeviceGpuTest = GpuTest;

TEST_F(DeviceGpuTest, ReportsItsFacts) {
  const Device &gpu = device();
  std::printf("device 0: %s, %s, %d SMs, %d B opt-in shared memory, %zu B memory, L2 %d B\n",
              gpu.name().c_str(), gpu.arch().c_str(), gpu.multiprocessorCount(),
              gpu.maxSharedMemoryPerBlockOptin(), gpu.totalMemory(), gpu.l2CacheBytes());
  EXPECT_FALSE(gpu.name().empty());
  EXPECT_EQ(gpu.arch(), archName(gpu.computeCapability()));
  EXPECT_GE(gpu.computeCapability().major, 7);
  if (gpu.computeCapability() == ComputeCapability{9, 0}) {
    EXPECT_EQ(gpu.arch(), "sm_90a");
    EXPECT_EQ(gpu.maxSharedMemoryPerBlockOptin(), 227 * 1024);
  }
  EXPECT_GT(gpu.multiprocessorCount(), 0);
  EXPECT_GE(gpu.maxSharedMemoryPerBlockOptin(), 48 * 1024);
  EXPECT_GE(gpu.maxThreadsPerBlock(), 1024);
  EXPECT_GT(gpu.maxRegistersPerBlock(), 0);
  EXPECT_GT(gpu.l2CacheBytes(), 0);
  EXPECT_GT(gpu.totalMemory(), std::size_t{1} << 30);
  EXPECT_NE(gpu.contextHandle(), nullptr);
  EXPECT_TRUE(gpu.synchronize());
}

TEST_F(DeviceGpuTest, DriverReportsVersionAndResultNames) {
  Expected<const Driver *> driver = Driver::load();
  ASSERT_TRUE(driver);
  EXPECT_GE((*driver)->version(), 11000);
  EXPECT_EQ((*driver)->resultName(1), "CUDA_ERROR_INVALID_VALUE");
  EXPECT_EQ((*driver)->describeResult(1), "CUDA_ERROR_INVALID_VALUE (invalid argument)");
  EXPECT_EQ((*driver)->resultName(123456), "CUresult 123456");
  EXPECT_EQ(resultName(2), "CUDA_ERROR_OUT_OF_MEMORY");
}

TEST_F(DeviceGpuTest, OpeningAMissingOrdinalIsAnError) {
  Expected<int> devices = Device::count();
  ASSERT_TRUE(devices);
  EXPECT_GE(*devices, 1);
  Expected<Device> missing = Device::open(*devices);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("does not exist"), std::string::npos)
      << missing.error().message();
}

/// A thread without a current context gets device 0's primary context on its
/// first allocation, as under the CUDA runtime: a program may start with
/// Tensor::empty. What it allocates is the same device's memory as the main
/// thread's, so the main thread can read it.
TEST_F(DeviceGpuTest, FirstAllocationOnAThreadWithoutAContextOpensDevice0) {
  std::string failure;
  std::optional<Tensor> made;
  const std::vector<float> values = {1.5f, -2.0f, 3.25f, 448.0f};
  std::thread worker([&] {
    Expected<Tensor> tensor = Tensor::empty(DType::F32, {4});
    if (!tensor) {
      failure = tensor.error().message();
      return;
    }
    if (Status s = tensor->copyFromHost(values); !s) {
      failure = s.error().message();
      return;
    }
    Expected<Event> event = Event::create();
    if (!event)
      failure = event.error().message();
    made.emplace(std::move(*tensor));
  });
  worker.join();
  ASSERT_EQ(failure, "");
  ASSERT_TRUE(made);
  std::vector<float> back(4);
  ASSERT_TRUE(made->copyToHost(back));
  EXPECT_EQ(back, values);
}

} // namespace
} // namespace tessel::runtime
