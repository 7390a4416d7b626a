// An application that links Tessel::runtime alone (no MLIR, no LLVM): it
// lists the GPUs, then allocates a tensor as its first call and moves data
// through it. Without a GPU it says so and exits 0; with TESSEL_INTERPRET=1
// the tensor lives in host memory, as the interpreter backend keeps it.
#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Device.h"
#include "tessel/runtime/Tensor.h"

#include <cstdio>
#include <numeric>
#include <vector>

using namespace tessel;

int main() {
  bool interpreter = runtime::activeBackend() == runtime::Backend::Interpreter;
  if (!interpreter) {
    if (Status gpu = runtime::probeGpu(); !gpu) {
      std::printf("runtime-app: no GPU here (%s)\n", gpu.error().message().c_str());
      return 0;
    }
    int count = runtime::Device::count().value();
    for (int ordinal = 0; ordinal < count; ++ordinal) {
      Expected<runtime::Device> device = runtime::Device::open(ordinal);
      if (device)
        std::printf("GPU %d: %s, %d multiprocessors\n", ordinal, device->name().c_str(),
                    device->multiprocessorCount());
    }
  }
  std::vector<float> values(1000);
  std::iota(values.begin(), values.end(), 0.5f);
  Expected<runtime::Tensor> tensor = runtime::Tensor::empty(DType::F32, {10, 100});
  if (!tensor) {
    std::fprintf(stderr, "runtime-app: %s\n", tensor.error().message().c_str());
    return 1;
  }
  std::vector<float> back(values.size());
  if (Status ok = tensor->copyFromHost(values); !ok || !(ok = tensor->copyToHost(back))) {
    std::fprintf(stderr, "runtime-app: %s\n", ok.error().message().c_str());
    return 1;
  }
  bool same = back == values;
  std::printf("runtime-app: 1000 floats through a %s tensor and back: %s\n",
              interpreter ? "host (interpreter)" : "GPU", same ? "unchanged" : "CHANGED");
  return same ? 0 : 1;
}
