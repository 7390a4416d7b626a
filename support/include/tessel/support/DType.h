// Element types shared by the DSL, the runtime's tensors and the kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tessel {

enum class DType : std::uint8_t {
  F32,
  F16,
  BF16,
  F8E4M3, // OCP E4M3FN: no infinities, one NaN pattern per sign, max 448.
  F8E5M2, // OCP E5M2: IEEE-like, max 57344.
  I1,
  I8,
  I32,
  I64,
};

/// Bytes one element occupies in memory (I1 is stored as a byte).
std::size_t byteSize(DType type);
/// The name users write and read in messages: "f32", "bf16", "f8e4m3", ...
std::string_view name(DType type);
/// Inverse of name(); nullopt for an unknown name.
std::optional<DType> parseDType(std::string_view text);

bool isFloat(DType type);
bool isFloat8(DType type);
bool isInteger(DType type);

} // namespace tessel
