// The on-disk layout of one kernel cache entry.
//
//   offset size  field
//   0      8     magic "TESSELC1"
//   8      4     format version (kFormatVersion), little-endian like every field
//   12     4     header size in bytes (kHeaderBytes)
//   16     8     payload size in bytes
//   24     8     checksum of the payload
//   32     8     checksum of the entry's key
//   40     ...   payload
//
// The key's checksum catches a file copied or renamed to another key's name;
// the payload size catches truncation and trailing garbage; the payload
// checksum catches everything else a disk or an interrupted copy can do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessel::runtime::cache_format {

inline constexpr std::string_view kMagic = "TESSELC1";
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kHeaderBytes = 40;

/// A 64-bit checksum: FNV-1a over little-endian 8-byte words in four
/// interleaved lanes, merged through the splitmix64 finaliser. Byte-wise
/// FNV-1a would cost about four cycles per byte (a multiply on the critical
/// path), a millisecond per megabyte of cubin on every cache hit; four lanes
/// of words run about thirty times faster. Each step is a bijection of the
/// lane state, so a change confined to one word is always detected.
std::uint64_t checksum(std::string_view bytes);

/// The header of an entry for `key` holding `payload`.
std::string encodeHeader(std::string_view key, std::string_view payload);

/// The payload of `file`, if it is a valid entry for `key`; otherwise an empty
/// payload and `problem` saying what is wrong with it.
struct DecodedEntry {
  bool valid = false;
  std::string_view payload;
  std::string problem;
};
DecodedEntry decode(std::string_view key, std::string_view file);

} // namespace tessel::runtime::cache_format
