#include "tessel/runtime/DiskCache.h"

#include "CacheEntryFormat.h"
#include "Environment.h"
#include "tessel/support/FileDescriptor.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tessel::runtime {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMinKeyLength = 16;
constexpr std::size_t kMaxKeyLength = 128;

std::string systemError(int error) { return std::strerror(error); }

bool readAll(int fd, char *data, std::size_t size) {
  while (size > 0) {
    ssize_t got = ::read(fd, data, size);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    data += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

bool writeAll(int fd, std::string_view bytes) {
  const char *data = bytes.data();
  std::size_t size = bytes.size();
  while (size > 0) {
    ssize_t put = ::write(fd, data, size);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0)
      return false;
    data += put;
    size -= static_cast<std::size_t>(put);
  }
  return true;
}

/// A name no other writer uses at the same time: the process id tells
/// processes apart, the counter a process's threads, and the random part a
/// process from an earlier one that had the same id and crashed before
/// cleaning up. The leading dot keeps it apart from every valid key.
std::string temporaryName(std::string_view key) {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t salt = [] {
    std::random_device device;
    return (std::uint64_t(device()) << 32) ^ device();
  }();
  return fmt::format(".{}.tmp.{}.{}.{:x}", key, ::getpid(), counter.fetch_add(1), salt);
}

/// Removes a corrupt entry, unless a writer has renamed a fresh entry into
/// its place since we opened it: deleting that would cost a rebuild. The
/// check and the unlink are not atomic together; losing that race costs a
/// spurious miss later, never a wrong hit.
void removeIfUnchanged(const fs::path &path, const struct stat &opened) {
  struct stat now;
  if (::stat(path.c_str(), &now) != 0)
    return;
  if (now.st_dev == opened.st_dev && now.st_ino == opened.st_ino)
    ::unlink(path.c_str());
}

} // namespace

std::string_view describe(CacheLookup outcome) {
  switch (outcome) {
  case CacheLookup::Hit:
    return "hit";
  case CacheLookup::Miss:
    return "miss";
  case CacheLookup::Corrupt:
    return "corrupt";
  }
  return "unknown";
}

DiskCache::DiskCache(fs::path directory, bool syncWrites)
    : directory_(std::move(directory)), syncWrites_(syncWrites) {}

fs::path DiskCache::defaultDirectory() { return environment::cacheDirectory(); }

Status DiskCache::validateKey(std::string_view key) {
  if (key.size() < kMinKeyLength || key.size() > kMaxKeyLength)
    return Error(fmt::format("invalid cache key \"{}\": {} characters, expected {} to {}", key,
                             key.size(), kMinKeyLength, kMaxKeyLength));
  for (char c : key)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return Error(
          fmt::format("invalid cache key \"{}\": only lowercase hex digits [0-9a-f] allowed", key));
  return Status::success();
}

fs::path DiskCache::entryPath(std::string_view key) const {
  return directory_ / key.substr(0, 2) / key;
}

std::optional<std::string> DiskCache::load(std::string_view key, CacheLookup *outcome) const {
  Expected<CacheLoadResult> result = lookup(key);
  const CacheLookup found = result ? result->outcome : CacheLookup::Miss;
  if (outcome)
    *outcome = found;
  if (found != CacheLookup::Hit)
    return std::nullopt;
  return std::move(result->payload);
}

Expected<CacheLoadResult> DiskCache::lookup(std::string_view key) const {
  if (Status s = validateKey(key); !s)
    return s.error();
  const fs::path path = entryPath(key);
  CacheLoadResult result;

  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) {
    // ENOENT is the ordinary miss; anything else (permissions, a directory
    // in the way) is one too, since the entry cannot be used, but worth
    // reporting.
    if (errno != ENOENT && errno != ENOTDIR)
      result.detail = fmt::format("cannot open {}: {}", path.string(), systemError(errno));
    return result;
  }

  // Entries are never modified in place, only replaced by rename, so the
  // open file stays one consistent entry however other processes race.
  struct stat info;
  if (::fstat(file.get(), &info) != 0) {
    result.detail = fmt::format("cannot stat {}: {}", path.string(), systemError(errno));
    return result;
  }
  std::string contents(static_cast<std::size_t>(info.st_size), '\0');
  if (!readAll(file.get(), contents.data(), contents.size())) {
    result.detail = fmt::format("cannot read {}: {}", path.string(), systemError(errno));
    return result;
  }

  cache_format::DecodedEntry entry = cache_format::decode(key, contents);
  if (!entry.valid) {
    result.outcome = CacheLookup::Corrupt;
    result.detail = fmt::format("{}: {}", path.string(), entry.problem);
    removeIfUnchanged(path, info);
    return result;
  }
  result.outcome = CacheLookup::Hit;
  // The payload is the tail of the file: drop the header in place instead of
  // copying a cubin.
  contents.erase(0, cache_format::kHeaderBytes);
  result.payload = std::move(contents);
  return result;
}

Status DiskCache::store(std::string_view key, std::string_view payload) const {
  if (Status s = validateKey(key); !s)
    return s;
  const fs::path path = entryPath(key);
  const fs::path shard = path.parent_path();

  std::error_code error;
  fs::create_directories(shard, error);
  // Another process may have created it in between; only a missing
  // directory is a failure.
  if (error && !fs::is_directory(shard))
    return Error(
        fmt::format("cannot create cache directory {}: {}", shard.string(), error.message()));

  const fs::path temporary = shard / temporaryName(key);
  FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                             S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH));
  if (file.get() < 0)
    return Error(
        fmt::format("cannot create cache file {}: {}", temporary.string(), systemError(errno)));

  auto fail = [&](std::string_view what, int errorNumber) -> Status {
    ::unlink(temporary.c_str());
    return Error(
        fmt::format("cannot {} cache entry {}: {}", what, path.string(), systemError(errorNumber)));
  };
  if (!writeAll(file.get(), cache_format::encodeHeader(key, payload)) ||
      !writeAll(file.get(), payload))
    return fail("write", errno);
  if (syncWrites_ && ::fsync(file.get()) != 0)
    return fail("sync", errno);
  if (file.close() != 0)
    return fail("write", errno);

  // rename(2) replaces the destination atomically: readers see the old
  // entry or the new one, and concurrent writers of one key each install a
  // whole entry, the last one winning.
  fs::rename(temporary, path, error);
  if (error) {
    ::unlink(temporary.c_str());
    return Error(fmt::format("cannot install cache entry {}: {}", path.string(), error.message()));
  }
  return Status::success();
}

Status DiskCache::remove(std::string_view key) const {
  if (Status s = validateKey(key); !s)
    return s;
  const fs::path path = entryPath(key);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error(
        fmt::format("cannot remove cache entry {}: {}", path.string(), systemError(errno)));
  return Status::success();
}

} // namespace tessel::runtime
