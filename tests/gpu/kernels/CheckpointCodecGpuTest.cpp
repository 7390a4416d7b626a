// fp8-cast's GPU path against its CPU path: the weight_dequant and
// weight_quant kernels give the CPU references' bits, on weights whose
// sizes are not multiples of the 128 x 128 scale block.
#include "KernelTestSupport.h"
#include "tessel/checkpoint/GpuBlockCodec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace tessel::kernels::test {
namespace {

class CheckpointCodecGpuTest : public KernelBackendTest {};

TEST_F(CheckpointCodecGpuTest, GpuAndCpuCodecsGiveTheSameBits) {
  if (runtime::activeBackend() == runtime::Backend::Interpreter)
    GTEST_SKIP() << "compares the GPU path with the CPU one";
  Expected<std::unique_ptr<checkpoint::BlockCodec>> gpu = checkpoint::makeGpuBlockCodec();
  ASSERT_TRUE(gpu) << gpu.error().message();
  std::unique_ptr<checkpoint::BlockCodec> cpu = checkpoint::makeCpuBlockCodec();
  std::mt19937 rng(7);
  const std::pair<int64_t, int64_t> shapes[] = {{200, 300}, {128, 128}, {1, 4100}, {385, 129}};
  for (auto [rows, k] : shapes) {
    const int64_t scales = (rows + 127) / 128 * ((k + 127) / 128);
    // bf16 weights of mixed magnitudes, with a zero block row to hit the
    // amax floor.
    std::vector<uint16_t> w(size_t(rows * k));
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (size_t i = 0; i < w.size(); ++i) {
      float v = i < size_t(k) ? 0.0f : normal(rng) * float(1 << (i % 7));
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      w[i] = uint16_t((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
    std::vector<uint8_t> qGpu(w.size()), qCpu(w.size());
    std::vector<float> sGpu(static_cast<size_t>(scales)), sCpu(static_cast<size_t>(scales));
    ASSERT_TRUE((*gpu)->quantize(w.data(), rows, k, qGpu.data(), sGpu.data()));
    ASSERT_TRUE(cpu->quantize(w.data(), rows, k, qCpu.data(), sCpu.data()));
    EXPECT_EQ(qGpu, qCpu) << rows << " x " << k;
    EXPECT_EQ(sGpu, sCpu) << rows << " x " << k;
    std::vector<uint16_t> outGpu(w.size()), outCpu(w.size());
    ASSERT_TRUE((*gpu)->dequantize(qCpu.data(), sCpu.data(), rows, k, outGpu.data()));
    ASSERT_TRUE(cpu->dequantize(qCpu.data(), sCpu.data(), rows, k, outCpu.data()));
    EXPECT_EQ(outGpu, outCpu) << rows << " x " << k;
  }
}

} // namespace
} // namespace tessel::kernels::test
