// libFuzzer target for the safetensors header parser (checkpoint/): any
// bytes are a header text to parse against a data section whose size the
// first 8 bytes give. The parser may refuse the input with an Error, but it
// must not crash, hang or read out of bounds (AddressSanitizer watches), and
// a header it accepts must describe its data section as the format demands:
// tensors in order, within the section, covering it exactly, each of the
// size its dtype and shape give.
#include "tessel/checkpoint/Safetensors.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

void require(bool condition) {
  if (!condition)
    std::abort(); // libFuzzer reports the input that got here
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace tessel::checkpoint;
  std::uint64_t dataBytes = 0;
  if (size >= sizeof dataBytes) {
    std::memcpy(&dataBytes, data, sizeof dataBytes);
    data += sizeof dataBytes;
    size -= sizeof dataBytes;
  }
  std::string_view json(reinterpret_cast<const char *>(data), size);
  tessel::Expected<Header> header = parseHeader(json, dataBytes, "fuzz.safetensors");
  if (!header) {
    require(!header.error().message().empty());
    return 0;
  }
  std::uint64_t next = 0;
  for (const TensorInfo &tensor : header->tensors) {
    require(tensor.begin == next && tensor.begin <= tensor.end && tensor.end <= dataBytes);
    require(tensor.byteSize() == tensor.numElements() * elementSize(tensor.dtype));
    require(header->find(tensor.name) != nullptr);
    next = tensor.end;
  }
  require(next == dataBytes);
  return 0;
}
