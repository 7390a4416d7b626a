// The list of shipped kernels.
#include "tessel/kernels/Definitions.h"

namespace tessel::kernels {

const std::vector<const dsl::KernelDefinition *> &shippedKernels() {
  static const std::vector<const dsl::KernelDefinition *> kernels = {
      &actQuantKernel(DType::BF16), &actQuantKernel(DType::F16), &actQuantKernel(DType::F32),
      &weightQuantKernel(), &weightDequantKernel(), &fp8GemmKernel()};
  return kernels;
}

const dsl::KernelDefinition *findKernel(std::string_view name) {
  for (const dsl::KernelDefinition *kernel : shippedKernels())
    if (kernel->name == name)
      return kernel;
  return nullptr;
}

} // namespace tessel::kernels
