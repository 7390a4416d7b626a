#include "Quantities.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <limits>

namespace tessel::tool {

std::optional<std::int64_t> parseInteger(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::optional<std::uintmax_t> parseByteSize(std::string_view text) {
  std::uintmax_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data())
    return std::nullopt;
  std::string_view suffix(end, text.data() + text.size() - end);
  unsigned shift = 0;
  if (suffix == "K" || suffix == "k")
    shift = 10;
  else if (suffix == "M" || suffix == "m")
    shift = 20;
  else if (suffix == "G" || suffix == "g")
    shift = 30;
  else if (!suffix.empty())
    return std::nullopt;
  if (value > (std::numeric_limits<std::uintmax_t>::max() >> shift))
    return std::nullopt;
  return value << shift;
}

std::string byteSizeText(std::uintmax_t bytes) {
  if (bytes < 1024)
    return fmt::format("{} bytes", bytes);
  constexpr std::array<const char *, 5> kUnits = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double scaled = double(bytes) / 1024;
  size_t unit = 0;
  while (scaled >= 1024 && unit + 1 < kUnits.size()) {
    scaled /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {} ({} bytes)", scaled, kUnits[unit], bytes);
}

std::string entryCountText(std::size_t entries) {
  return fmt::format("{} {}", entries, entries == 1 ? "entry" : "entries");
}

} // namespace tessel::tool
