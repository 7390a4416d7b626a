#include "CacheEntryFormat.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace tessel::runtime::cache_format {
namespace {

constexpr std::uint64_t kFnvBasis = 0xcbf29ce484222325ull;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

std::uint64_t byteSwapIfBigEndian(std::uint64_t value) {
  if constexpr (std::endian::native == std::endian::big)
    return __builtin_bswap64(value);
  return value;
}

std::uint64_t loadLittle64(const char *bytes) {
  std::uint64_t value;
  std::memcpy(&value, bytes, sizeof(value));
  return byteSwapIfBigEndian(value);
}

std::uint32_t loadLittle32(const char *bytes) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i)
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

void appendLittle(std::string &out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

/// splitmix64's finaliser: a bijection that spreads every input bit over the
/// whole word.
std::uint64_t mix(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

} // namespace

std::uint64_t checksum(std::string_view bytes) {
  std::uint64_t lanes[4] = {kFnvBasis, kFnvBasis + 1, kFnvBasis + 2, kFnvBasis + 3};
  const char *data = bytes.data();
  const std::size_t size = bytes.size();
  std::size_t i = 0;
  for (; i + 32 <= size; i += 32)
    for (int lane = 0; lane < 4; ++lane)
      lanes[lane] = (lanes[lane] ^ loadLittle64(data + i + 8 * lane)) * kFnvPrime;
  for (; i < size; ++i)
    lanes[0] = (lanes[0] ^ static_cast<unsigned char>(data[i])) * kFnvPrime;
  // The size goes in too: the lanes alone do not record where the words
  // end and the tail bytes begin.
  std::uint64_t hash = mix(size);
  for (std::uint64_t lane : lanes)
    hash = mix(hash ^ lane);
  return hash;
}

std::string encodeHeader(std::string_view key, std::string_view payload) {
  std::string header(kMagic);
  appendLittle(header, kFormatVersion, 4);
  appendLittle(header, kHeaderBytes, 4);
  appendLittle(header, payload.size(), 8);
  appendLittle(header, checksum(payload), 8);
  appendLittle(header, checksum(key), 8);
  return header;
}

DecodedEntry decode(std::string_view key, std::string_view file) {
  auto invalid = [](std::string problem) { return DecodedEntry{false, {}, std::move(problem)}; };
  if (file.size() < kHeaderBytes)
    return invalid(fmt::format("truncated header ({} of {} bytes)", file.size(), kHeaderBytes));
  if (file.substr(0, kMagic.size()) != kMagic)
    return invalid("wrong magic (not a Tessel cache entry)");
  const char *header = file.data();
  if (std::uint32_t version = loadLittle32(header + 8); version != kFormatVersion)
    return invalid(fmt::format("format version {}, expected {}", version, kFormatVersion));
  if (std::uint32_t headerBytes = loadLittle32(header + 12); headerBytes != kHeaderBytes)
    return invalid(fmt::format("header size {}, expected {}", headerBytes, kHeaderBytes));
  if (loadLittle64(header + 32) != checksum(key))
    return invalid("entry belongs to another key");
  const std::uint64_t payloadBytes = loadLittle64(header + 16);
  const std::uint64_t available = file.size() - kHeaderBytes;
  if (payloadBytes != available)
    return invalid(payloadBytes > available
                       ? fmt::format("truncated payload ({} of {} bytes)", available, payloadBytes)
                       : fmt::format("{} bytes after the {}-byte payload", available - payloadBytes,
                                     payloadBytes));
  std::string_view payload = file.substr(kHeaderBytes);
  if (loadLittle64(header + 24) != checksum(payload))
    return invalid("payload checksum mismatch");
  return DecodedEntry{true, payload, {}};
}

} // namespace tessel::runtime::cache_format
