// Device memory round trips on a real GPU (tessel/runtime/Buffer.h,
// Tensor.h, Stream.h).

#include "GpuTest.h"

#include "tessel/runtime/Buffer.h"
#include "tessel/runtime/Stream.h"
#include "tessel/runtime/Tensor.h"

#include <cstdint>
#include <numeric>
#include <vector>

namespace tessel::runtime {
namespace {

using BufferGpuTest = GpuTest;

TEST_F(BufferGpuTest, HostRoundTrip) {
  constexpr std::size_t kBytes = 3 * 1024 * 1024 + 5;
  Expected<DeviceBuffer> buffer = DeviceBuffer::allocate(kBytes);
  ASSERT_TRUE(buffer) << buffer.error().message();
  EXPECT_NE(buffer->devicePtr(), 0u);
  EXPECT_EQ(buffer->size(), kBytes);

  std::vector<std::uint8_t> host(kBytes);
  for (std::size_t i = 0; i < kBytes; ++i)
    host[i] = static_cast<std::uint8_t>(i * 131 + 7);
  ASSERT_TRUE(buffer->copyFromHost(host.data(), host.size()));
  std::vector<std::uint8_t> back(kBytes);
  ASSERT_TRUE(buffer->copyToHost(back.data(), back.size()));
  EXPECT_EQ(back, host);

  // Partial copies at an offset.
  std::uint8_t window[4] = {};
  ASSERT_TRUE(buffer->copyToHost(window, 4, 1000));
  EXPECT_EQ(window[0], host[1000]);
  EXPECT_EQ(window[3], host[1003]);
}

TEST_F(BufferGpuTest, CopiesOutsideTheBufferAreErrors) {
  Expected<DeviceBuffer> buffer = DeviceBuffer::allocate(64);
  ASSERT_TRUE(buffer);
  std::uint8_t host[64] = {};
  Status status = buffer->copyToHost(host, 32, 40);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message(),
            "copy to host of 32 bytes at offset 40 is outside the 64-byte device buffer");
  EXPECT_FALSE(buffer->copyFromHost(host, 65));
}

TEST_F(BufferGpuTest, FillsOnAStreamAndCopiesDeviceToDevice) {
  Expected<Stream> stream = Stream::create();
  ASSERT_TRUE(stream) << stream.error().message();
  Expected<DeviceBuffer> bytes = DeviceBuffer::allocate(4096);
  Expected<DeviceBuffer> words = DeviceBuffer::allocate(4096);
  Expected<DeviceBuffer> copy = DeviceBuffer::allocate(4096);
  ASSERT_TRUE(bytes && words && copy);

  ASSERT_TRUE(bytes->fillBytesAsync(0xab, &*stream));
  ASSERT_TRUE(words->fillWordsAsync(0x3f800000u, &*stream)); // 1.0f
  ASSERT_TRUE(copyDeviceToDeviceAsync(copy->devicePtr(), words->devicePtr(), 4096, &*stream));
  ASSERT_TRUE(stream->synchronize());

  std::vector<std::uint8_t> hostBytes(4096);
  ASSERT_TRUE(bytes->copyToHost(hostBytes.data(), hostBytes.size()));
  EXPECT_EQ(hostBytes, std::vector<std::uint8_t>(4096, 0xab));
  std::vector<float> hostWords(1024);
  ASSERT_TRUE(copy->copyToHost(hostWords.data(), 4096));
  EXPECT_EQ(hostWords, std::vector<float>(1024, 1.0f));

  Expected<DeviceBuffer> odd = DeviceBuffer::allocate(6);
  ASSERT_TRUE(odd);
  EXPECT_FALSE(odd->fillWordsAsync(0));
}

TEST_F(BufferGpuTest, MovedBufferOwnsTheMemory) {
  Expected<DeviceBuffer> buffer = DeviceBuffer::allocate(1024);
  ASSERT_TRUE(buffer);
  const std::uint64_t pointer = buffer->devicePtr();
  DeviceBuffer moved = std::move(buffer).value();
  EXPECT_EQ(moved.devicePtr(), pointer);
  DeviceBuffer assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.devicePtr(), pointer);
  EXPECT_EQ(moved.devicePtr(), 0u);
  EXPECT_TRUE(assigned.fillBytesAsync(0));
}

TEST_F(BufferGpuTest, TensorRoundTrip) {
  Expected<Tensor> tensor = Tensor::empty(DType::BF16, {64, 96});
  ASSERT_TRUE(tensor) << tensor.error().message();
  EXPECT_EQ(tensor->view().describe(), "bf16[64, 96] strides [96, 1]");
  EXPECT_EQ(tensor->bytes(), 64u * 96u * 2u);
  EXPECT_EQ(tensor->buffer().size(), tensor->bytes());
  std::vector<std::uint16_t> host(64 * 96);
  std::iota(host.begin(), host.end(), std::uint16_t{1});
  ASSERT_TRUE(tensor->copyFromHost(host));
  std::vector<std::uint16_t> back(host.size());
  ASSERT_TRUE(tensor->copyToHost(back));
  EXPECT_EQ(back, host);
  Expected<std::vector<std::byte>> bytes = tensor->toHost();
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), tensor->bytes());
}

TEST_F(BufferGpuTest, OversizedAllocationReportsOutOfMemory) {
  Expected<DeviceBuffer> buffer = DeviceBuffer::allocate(device().totalMemory() * 4);
  ASSERT_FALSE(buffer);
  EXPECT_NE(buffer.error().message().find("CUDA_ERROR_OUT_OF_MEMORY"), std::string::npos)
      << buffer.error().message();
}

} // namespace
} // namespace tessel::runtime
