#include "TuningInputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace tessel::kernels::detail {
namespace {

/// Fills `bytes` with xorshift64, each byte ANDed with `mask`.
void fillPseudoRandom(std::vector<uint8_t> &bytes, uint64_t seed, uint8_t mask) {
  uint64_t state = seed | 1;
  for (size_t i = 0; i < bytes.size(); i += 8) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    size_t count = std::min<size_t>(8, bytes.size() - i);
    std::memcpy(&bytes[i], &state, count);
    for (size_t j = 0; j < count; ++j)
      bytes[i + j] &= mask;
  }
}

/// Byte masks that keep values finite. e4m3: sign, bit 6 and bits 0-4, so
/// never the NaN codes 0x7F / 0xFF. bf16 (little-endian pairs): bit 6 of
/// the high byte is the exponent's top bit, so exponents stay below 128
/// (|v| < 2) and never reach inf or NaN.
constexpr uint8_t kFiniteE4M3Mask = 0xDF;
constexpr uint8_t kSmallBf16Mask = 0xBF;

} // namespace

Expected<runtime::Tensor> randomTensor(DType dtype, std::vector<int64_t> shape, uint64_t seed) {
  if (dtype != DType::F8E4M3 && dtype != DType::BF16)
    return Error(fmt::format("random tuning inputs are e4m3 or bf16, not {}", name(dtype)));
  Expected<runtime::Tensor> tensor = runtime::Tensor::empty(dtype, std::move(shape));
  if (!tensor)
    return tensor;
  std::vector<uint8_t> host(size_t(tensor->view().numel()) * byteSize(dtype));
  fillPseudoRandom(host, seed, dtype == DType::F8E4M3 ? kFiniteE4M3Mask : kSmallBf16Mask);
  if (Status ok = tensor->copyFromHost(host); !ok)
    return ok.error();
  return tensor;
}

Expected<runtime::Tensor> filledScales(std::vector<int64_t> shape, float value) {
  Expected<runtime::Tensor> tensor = runtime::Tensor::empty(DType::F32, std::move(shape));
  if (!tensor)
    return tensor;
  std::vector<float> host(size_t(tensor->view().numel()), value);
  if (Status ok = tensor->copyFromHost(host); !ok)
    return ok.error();
  return tensor;
}

} // namespace tessel::kernels::detail
