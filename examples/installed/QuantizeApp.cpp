// An application of the installed package: act_quant on a batch of bf16
// activations, checked bit for bit against the CPU reference the package
// ships. Runs on the GPU, or on the CPU interpreter with TESSEL_INTERPRET=1.
#include "tessel/kernels/Kernels.h"
#include "tessel/kernels/Reference.h"
#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Tensor.h"
#include "tessel/support/Float8.h"

#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

using namespace tessel;

int fail(const char *what, const Error &error) {
  std::fprintf(stderr, "quantize-app: %s: %s\n", what, error.message().c_str());
  return 1;
}

int main() {
  constexpr int64_t kTokens = 4, kHidden = 7168;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<uint16_t> x(kTokens * kHidden);
  for (uint16_t &v : x)
    v = f32ToBf16(normal(rng));

  // The first call of the program allocates: no Device::open needed.
  Expected<runtime::Tensor> input = runtime::Tensor::empty(DType::BF16, {kTokens, kHidden});
  if (!input)
    return fail("allocating x", input.error());
  if (Status copied = input->copyFromHost(x); !copied)
    return fail("uploading x", copied.error());
  Expected<kernels::Quantized> quantized = kernels::actQuant(input->view());
  if (!quantized)
    return fail("act_quant", quantized.error());
  std::vector<uint8_t> y(x.size()), yRef(x.size());
  std::vector<float> s(kTokens * kHidden / 128), sRef(s.size());
  if (Status ok = quantized->values.copyToHost(y); !ok)
    return fail("downloading y", ok.error());
  if (Status ok = quantized->scales.copyToHost(s); !ok)
    return fail("downloading s", ok.error());
  kernels::actQuantReference(x.data(), kTokens, kHidden, yRef.data(), sRef.data());
  bool same = std::memcmp(y.data(), yRef.data(), y.size()) == 0 &&
              std::memcmp(s.data(), sRef.data(), s.size() * sizeof(float)) == 0;
  std::printf("act_quant %lldx%lld on the %s: %s the CPU reference\n", (long long)kTokens,
              (long long)kHidden,
              runtime::activeBackend() == runtime::Backend::Interpreter ? "interpreter" : "GPU",
              same ? "bit-exact with" : "DIFFERENT from");
  return same ? 0 : 1;
}
