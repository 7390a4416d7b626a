#include "tessel/support/DType.h"

#include <array>
#include <utility>

namespace tessel {
namespace {
struct DTypeInfo {
  DType type;
  std::string_view name;
  std::size_t bytes;
};
constexpr std::array<DTypeInfo, 9> kInfo = {{
    {DType::F32, "f32", 4},
    {DType::F16, "f16", 2},
    {DType::BF16, "bf16", 2},
    {DType::F8E4M3, "f8e4m3", 1},
    {DType::F8E5M2, "f8e5m2", 1},
    {DType::I1, "i1", 1},
    {DType::I8, "i8", 1},
    {DType::I32, "i32", 4},
    {DType::I64, "i64", 8},
}};
const DTypeInfo &info(DType type) { return kInfo[static_cast<std::size_t>(type)]; }
} // namespace

std::size_t byteSize(DType type) { return info(type).bytes; }
std::string_view name(DType type) { return info(type).name; }

std::optional<DType> parseDType(std::string_view text) {
  for (const DTypeInfo &entry : kInfo)
    if (entry.name == text)
      return entry.type;
  return std::nullopt;
}

bool isFloat(DType type) {
  return type == DType::F32 || type == DType::F16 || type == DType::BF16 || isFloat8(type);
}
bool isFloat8(DType type) { return type == DType::F8E4M3 || type == DType::F8E5M2; }
bool isInteger(DType type) { return !isFloat(type); }

} // namespace tessel
