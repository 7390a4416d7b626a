// Sizes and counts as `tessel` reads them from its command line and prints
// them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessel::tool {

/// A decimal integer, all of `text` (an optional '-' and digits); nullopt
/// for anything else or a value past int64.
std::optional<std::int64_t> parseInteger(std::string_view text);

/// A number of bytes written as digits with an optional suffix K, M or G
/// (or k, m, g): binary multiples, as du and df read them, so 500M is
/// 500 * 2^20 bytes. Nullopt for anything else, or a size past 2^64.
std::optional<std::uintmax_t> parseByteSize(std::string_view text);

/// "512 bytes" below 1 KiB, else "3.4 MiB (3565158 bytes)": readable, and
/// exact for a script or a --max-size.
std::string byteSizeText(std::uintmax_t bytes);

/// "1 entry", "3 entries".
std::string entryCountText(std::size_t entries);

} // namespace tessel::tool
