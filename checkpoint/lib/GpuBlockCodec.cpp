// Each call copies one piece of a weight to the GPU, runs the kernel on the
// legacy default stream and copies the result back; the copies are
// synchronous on that stream, so the kernel has finished when they return.
// Device buffers grow to the largest piece and are reused.
#include "tessel/checkpoint/GpuBlockCodec.h"
#include "tessel/kernels/Kernels.h"
#include "tessel/runtime/Buffer.h"
#include "tessel/runtime/Device.h"
#include "tessel/runtime/Tensor.h"

#include <fmt/format.h>

namespace tessel::checkpoint {
namespace {

using runtime::DeviceBuffer;
using runtime::TensorView;

class GpuBlockCodec final : public BlockCodec {
public:
  explicit GpuBlockCodec(runtime::Device device) : device_(std::move(device)) {}

  std::string description() const override { return fmt::format("gpu ({})", device_.name()); }

  Status dequantize(const std::uint8_t *q, const float *s, std::int64_t rows, std::int64_t k,
                    std::uint16_t *out) override {
    const std::int64_t scaleRows = ceilDiv(rows), scaleCols = ceilDiv(k);
    const std::size_t qBytes = std::size_t(rows * k),
                      sBytes = std::size_t(scaleRows * scaleCols) * 4;
    if (Status s = prepare(qBytes, sBytes, qBytes * 2); !s)
      return s;
    if (Status st = input_.copyFromHost(q, qBytes); !st)
      return st;
    if (Status st = scales_.copyFromHost(s, sBytes); !st)
      return st;
    if (Status st = kernels::weightDequant(
            TensorView::contiguous(input_.devicePtr(), DType::F8E4M3, {rows, k}),
            TensorView::contiguous(scales_.devicePtr(), DType::F32, {scaleRows, scaleCols}),
            TensorView::contiguous(output_.devicePtr(), DType::BF16, {rows, k}));
        !st)
      return st;
    return output_.copyToHost(out, qBytes * 2);
  }

  Status quantize(const std::uint16_t *w, std::int64_t rows, std::int64_t k, std::uint8_t *q,
                  float *s) override {
    const std::int64_t scaleRows = ceilDiv(rows), scaleCols = ceilDiv(k);
    const std::size_t qBytes = std::size_t(rows * k),
                      sBytes = std::size_t(scaleRows * scaleCols) * 4;
    if (Status st = prepare(qBytes * 2, sBytes, qBytes); !st)
      return st;
    if (Status st = input_.copyFromHost(w, qBytes * 2); !st)
      return st;
    if (Status st = kernels::weightQuant(
            TensorView::contiguous(input_.devicePtr(), DType::BF16, {rows, k}),
            TensorView::contiguous(output_.devicePtr(), DType::F8E4M3, {rows, k}),
            TensorView::contiguous(scales_.devicePtr(), DType::F32, {scaleRows, scaleCols}));
        !st)
      return st;
    if (Status st = output_.copyToHost(q, qBytes); !st)
      return st;
    return scales_.copyToHost(s, sBytes);
  }

private:
  static std::int64_t ceilDiv(std::int64_t a) { return (a + kWeightBlock - 1) / kWeightBlock; }

  static Status grow(DeviceBuffer &buffer, std::size_t bytes) {
    if (buffer.size() >= bytes)
      return Status::success();
    buffer = DeviceBuffer(); // free first: the old and new need not fit together
    Expected<DeviceBuffer> grown = DeviceBuffer::allocate(bytes);
    if (!grown)
      return grown.error();
    buffer = std::move(*grown);
    return Status::success();
  }

  Status prepare(std::size_t inputBytes, std::size_t scaleBytes, std::size_t outputBytes) {
    // Pieces may come from any thread; the context must be current on it.
    if (Status s = device_.makeCurrent(); !s)
      return s;
    if (Status s = grow(input_, inputBytes); !s)
      return s;
    if (Status s = grow(scales_, scaleBytes); !s)
      return s;
    return grow(output_, outputBytes);
  }

  runtime::Device device_;
  DeviceBuffer input_, scales_, output_;
};

} // namespace

Expected<std::unique_ptr<BlockCodec>> makeGpuBlockCodec() {
  if (Status probe = runtime::probeGpu(); !probe)
    return probe.error();
  Expected<runtime::Device> device = runtime::Device::open(0);
  if (!device)
    return device.error();
  return std::unique_ptr<BlockCodec>(std::make_unique<GpuBlockCodec>(std::move(*device)));
}

} // namespace tessel::checkpoint
