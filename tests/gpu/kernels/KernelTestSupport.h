// Helpers shared by the kernel tests that run on the GPU and, with
// TESSEL_INTERPRET=1, on the CPU interpreter: moving host vectors in and out
// of tensors, poisoned outputs, bitwise comparison, and the fixture that
// picks the backend.
//
// The namespace is `test`, not `testing`: a tessel::kernels::testing would
// hide ::testing from unqualified `testing::` names in the tests.
#pragma once

#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Device.h"
#include "tessel/runtime/Tensor.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace tessel::kernels::test {

template <typename T>
runtime::Tensor upload(DType dtype, std::vector<int64_t> shape, const std::vector<T> &host) {
  runtime::Tensor tensor = runtime::Tensor::empty(dtype, std::move(shape)).value();
  tensor.copyFromHost(host).check();
  return tensor;
}

/// A tensor filled with 0xFF bytes: NaN in f32/bf16 and in e4m3 (0xFF).
inline runtime::Tensor poisoned(DType dtype, std::vector<int64_t> shape) {
  runtime::Tensor tensor = runtime::Tensor::empty(dtype, std::move(shape)).value();
  std::vector<std::byte> bytes(tensor.view().bytes(), std::byte{0xFF});
  tensor.copyFromHost(bytes).check();
  return tensor;
}

template <typename T> std::vector<T> download(const runtime::Tensor &tensor) {
  std::vector<T> host(tensor.view().numel());
  tensor.copyToHost(host).check();
  return host;
}

/// Index of the first element where `a` and `b` differ bitwise, or -1.
template <typename T> int64_t firstMismatch(const std::vector<T> &a, const std::vector<T> &b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0)
      return int64_t(i);
  return -1;
}

/// Whether kernels run on a GPU whose dots take the warpgroup MMA path
/// (wgmma, compute capability 9.0). Its fp8 accumulator keeps fewer bits
/// than mma.sync's: the tests' error bounds for fp8 depend on it.
inline bool runsOnWarpgroupMma() {
  if (runtime::activeBackend() == runtime::Backend::Interpreter)
    return false;
  Expected<runtime::Device> device = runtime::Device::open(0);
  return device && device->computeCapability() == runtime::ComputeCapability{9, 0};
}

/// Runs on the GPU, or on the interpreter backend when it is active; skips
/// without either.
class KernelBackendTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (runtime::activeBackend() == runtime::Backend::Interpreter)
      return;
    if (Status probe = runtime::probeGpu(); !probe)
      GTEST_SKIP() << "no GPU: " << probe.error().message();
    Expected<runtime::Device> opened = runtime::Device::open(0);
    ASSERT_TRUE(opened) << opened.error().message();
  }
};

} // namespace tessel::kernels::test
