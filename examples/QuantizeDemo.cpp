// The README's main job: quantize a weight and a batch of activations to FP8
// with block scales, dequantize the weight again, and check every bit against
// the CPU reference; then multiply the quantized activations by the quantized
// weight with fp8_gemm and compare with the double-precision reference.
// Without a GPU it says so and runs the same host code on the CPU
// interpreter backend.
#include "tessel/kernels/Kernels.h"
#include "tessel/kernels/Reference.h"
#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Device.h"
#include "tessel/runtime/Stream.h"
#include "tessel/support/Float8.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

using namespace tessel;

namespace {

constexpr int64_t kTokens = 256, kN = 2112, kK = 7168;

std::vector<uint16_t> randomBf16(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<uint16_t> values(count);
  for (uint16_t &v : values)
    v = f32ToBf16(normal(rng));
  return values;
}

/// Largest |dequant(quant(w)) - w| relative to the block's amax.
double roundTripError(const std::vector<uint16_t> &w, const std::vector<uint16_t> &back) {
  double worst = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    double a = bf16ToF32(w[i]), b = bf16ToF32(back[i]);
    worst = std::max(worst, std::abs(a - b) / std::max(std::abs(a), 1e-2));
  }
  return worst;
}

/// ||c - ref|| / ||ref|| over the rows `rows` of c (bf16 [kTokens, kN]),
/// with ref from the double-precision fp8_gemm reference.
double gemmError(const std::vector<uint16_t> &c, const std::vector<uint8_t> &y,
                 const std::vector<float> &s, const std::vector<uint8_t> &q,
                 const std::vector<float> &sw, const std::vector<int64_t> &rows) {
  double difference = 0, norm = 0;
  std::vector<double> ref(kN);
  for (int64_t row : rows) {
    kernels::fp8GemmReference(&y[row * kK], &s[row * (kK / 128)], q.data(), sw.data(), 1, kN, kK,
                              ref.data());
    for (int64_t col = 0; col < kN; ++col) {
      double d = bf16ToF32(c[row * kN + col]) - ref[col];
      difference += d * d;
      norm += ref[col] * ref[col];
    }
  }
  return std::sqrt(difference / norm);
}

template <typename T> bool sameBits(const std::vector<T> &a, const std::vector<T> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

/// Quantizes, dequantizes and checks, through the library's host API: the
/// same code on the GPU and on the interpreter backend.
int runRoundTrip(const std::vector<uint16_t> &x, const std::vector<uint16_t> &w) {
  auto upload = [](DType dtype, std::vector<int64_t> shape, const auto &host) {
    runtime::Tensor t = runtime::Tensor::empty(dtype, std::move(shape)).value();
    t.copyFromHost(host).check();
    return t;
  };
  runtime::Tensor xd = upload(DType::BF16, {kTokens, kK}, x);
  runtime::Tensor wd = upload(DType::BF16, {kN, kK}, w);

  runtime::Event start = runtime::Event::create().value();
  runtime::Event stop = runtime::Event::create().value();
  auto begin = std::chrono::steady_clock::now();
  start.record().check();
  kernels::Quantized a = kernels::actQuant(xd.view()).value();
  kernels::Quantized b = kernels::weightQuant(wd.view()).value();
  runtime::Tensor back = kernels::weightDequant(b.values.view(), b.scales.view()).value();
  runtime::Tensor c =
      kernels::fp8Gemm(a.values.view(), a.scales.view(), b.values.view(), b.scales.view())
          .value();
  stop.record().check();
  stop.synchronize().check();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
  fmt::print("act_quant {}x{}, weight_quant and weight_dequant {}x{}, fp8_gemm {}x{}x{}: {:.1f} "
             "ms including the first-call builds (compile or disk-cache load on a GPU)\n",
             kTokens, kK, kN, kK, kTokens, kN, kK, ms);

  std::vector<uint8_t> y(kTokens * kK), q(kN * kK), yRef(y.size()), qRef(q.size());
  std::vector<float> s(kTokens * kK / 128), sRef(s.size());
  std::vector<float> sw(b.scales.view().numel()), swRef(sw.size());
  std::vector<uint16_t> out(kN * kK), outRef(out.size());
  a.values.copyToHost(y).check();
  a.scales.copyToHost(s).check();
  b.values.copyToHost(q).check();
  b.scales.copyToHost(sw).check();
  back.copyToHost(out).check();
  kernels::actQuantReference(x.data(), kTokens, kK, yRef.data(), sRef.data());
  kernels::weightQuantReference(w.data(), kN, kK, qRef.data(), swRef.data());
  kernels::weightDequantReference(qRef.data(), swRef.data(), kN, kK, outRef.data());
  bool ok = sameBits(y, yRef) && sameBits(s, sRef) && sameBits(q, qRef) && sameBits(sw, swRef) &&
            sameBits(out, outRef);
  fmt::print("bit-exact against the CPU reference: {}\n", ok ? "yes" : "NO");
  fmt::print("weight round trip: max error {:.4f} of the value (e4m3 keeps 3 mantissa bits)\n",
             roundTripError(w, out));

  // The product against the exact one on a sample of rows (the reference is
  // slow): what remains is bf16's rounding of the output (about 2e-3).
  std::vector<uint16_t> product(kTokens * kN);
  c.copyToHost(product).check();
  double error = gemmError(product, y, s, q, sw, {0, 1, 63, 64, 127, 128, 200, kTokens - 1});
  bool gemmOk = error < 5e-3;
  fmt::print("fp8_gemm against the double-precision reference: relative error {:.2e} ({})\n",
             error, gemmOk ? "ok" : "TOO LARGE");
  return ok && gemmOk ? 0 : 1;
}

} // namespace

int main() {
  std::vector<uint16_t> x = randomBf16(kTokens * kK, 1), w = randomBf16(kN * kK, 2);
  try {
    if (runtime::activeBackend() == runtime::Backend::Interpreter) {
      fmt::print("TESSEL_INTERPRET=1: running the kernels in the CPU interpreter.\n");
    } else if (Status gpu = runtime::probeGpu(); !gpu) {
      fmt::print("no GPU ({}).\nRunning the kernels in the CPU interpreter instead "
                 "(TESSEL_INTERPRET=1 chooses it on any machine).\n",
                 gpu.error().message());
      runtime::setBackend(runtime::Backend::Interpreter).check();
    } else {
      runtime::Device device = runtime::Device::open(0).value();
      fmt::print("GPU: {} ({})\n", device.name(), device.arch());
    }
    return runRoundTrip(x, w);
  } catch (const Error &error) {
    fmt::print(stderr, "demo failed: {}\n", error.message());
    return 1;
  }
}
