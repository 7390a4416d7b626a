// The format of the JIT's disk cache entries: a one-line JSON header with
// the launch metadata (kernel name, shared memory, tensor maps), then the
// cubin. Private to the JIT.
#pragma once

#include "tessel/Compiler/Pipeline.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessel::dsl::detail {

std::string encodeEntry(const CompiledKernel &kernel, std::string_view cubin);

struct DecodedEntry {
  std::string kernel;
  unsigned sharedBytes;
  std::vector<TensorMapParam> tensorMaps;
  /// Points into the payload decoded.
  std::string_view cubin;
};

/// Nullopt for an entry that does not parse: it is rebuilt, never trusted.
std::optional<DecodedEntry> decodeEntry(std::string_view payload);

} // namespace tessel::dsl::detail
