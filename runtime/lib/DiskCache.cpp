#include "tessel/runtime/DiskCache.h"

#include "CacheEntryFormat.h"
#include "Environment.h"
#include "tessel/support/FileDescriptor.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>
#include <tuple>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tessel::runtime {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMinKeyLength = 16;
constexpr std::size_t kMaxKeyLength = 128;

std::string systemError(int error) { return std::strerror(error); }

bool isLowerHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool isKey(std::string_view name) {
  return name.size() >= kMinKeyLength && name.size() <= kMaxKeyLength &&
         std::all_of(name.begin(), name.end(), isLowerHexDigit);
}

bool isShardName(std::string_view name) {
  return name.size() == 2 && isLowerHexDigit(name[0]) && isLowerHexDigit(name[1]);
}

std::chrono::system_clock::time_point modificationTime(const struct stat &info) {
  auto sinceEpoch =
      std::chrono::seconds(info.st_mtim.tv_sec) + std::chrono::nanoseconds(info.st_mtim.tv_nsec);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(sinceEpoch));
}

/// Appends the entries of the shard directory `shard`, whose name is
/// `prefix`, to `found`. Links are not followed: store() creates plain
/// files, and a link may point at anything.
Status collectShard(const fs::path &shard, std::string_view prefix,
                    std::vector<CacheEntry> &found) {
  std::error_code error;
  for (fs::directory_iterator file(shard, error), end; !error && file != end;
       file.increment(error)) {
    const std::string name = file->path().filename().string();
    if (!isKey(name) || !name.starts_with(prefix))
      continue;
    struct stat info;
    if (::lstat(file->path().c_str(), &info) != 0) {
      if (errno == ENOENT) // removed since the directory was read
        continue;
      return Error(
          fmt::format("cannot stat cache entry {}: {}", file->path().string(), systemError(errno)));
    }
    if (S_ISREG(info.st_mode))
      found.push_back(
          {name, file->path(), static_cast<std::uintmax_t>(info.st_size), modificationTime(info)});
  }
  // A shard that vanished meanwhile (another process pruned it) is empty.
  if (error && error != std::errc::no_such_file_or_directory)
    return Error(
        fmt::format("cannot read cache directory {}: {}", shard.string(), error.message()));
  return Status::success();
}

/// Removes `listed`, least recently used first, until those left take at
/// most `maxBytes`; all of them when it is nullopt. An entry that another
/// process removed first is counted neither removed nor kept. One that a
/// store replaced since it was listed is removed all the same, which costs
/// that kernel a rebuild, never a wrong hit.
Expected<CacheCleanup> removeOldest(const std::vector<CacheEntry> &listed,
                                    std::optional<std::uintmax_t> maxBytes) {
  CacheCleanup cleanup;
  cleanup.kept = usageOf(listed);
  for (const CacheEntry &entry : listed) {
    if (maxBytes && cleanup.kept.bytes <= *maxBytes)
      break;
    if (::unlink(entry.path.c_str()) == 0) {
      ++cleanup.removed.entries;
      cleanup.removed.bytes += entry.bytes;
    } else if (errno != ENOENT) {
      return Error(
          fmt::format("cannot remove cache entry {}: {}", entry.path.string(), systemError(errno)));
    }
    --cleanup.kept.entries;
    cleanup.kept.bytes -= entry.bytes;
  }
  return cleanup;
}

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

CacheUsage usageOf(const std::vector<CacheEntry> &entries) {
  CacheUsage usage;
  for (const CacheEntry &entry : entries) {
    ++usage.entries;
    usage.bytes += entry.bytes;
  }
  return usage;
}

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
    if (!isLowerHexDigit(c))
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
  // The modification time records the latest use, for prune(). A cache that
  // this process may not write (a read-only disk, another user's files)
  // still serves hits, so a failure is ignored.
  (void)::futimens(file.get(), nullptr);
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

Expected<std::vector<CacheEntry>> DiskCache::entries() const {
  std::vector<CacheEntry> found;
  std::error_code error;
  for (fs::directory_iterator shard(directory_, error), end; !error && shard != end;
       shard.increment(error)) {
    const std::string name = shard->path().filename().string();
    std::error_code ignored;
    if (!isShardName(name) || shard->symlink_status(ignored).type() != fs::file_type::directory)
      continue;
    if (Status s = collectShard(shard->path(), name, found); !s)
      return s.error();
  }
  // The directory is created by the first store: until then it is empty.
  if (error && error != std::errc::no_such_file_or_directory)
    return Error(
        fmt::format("cannot read cache directory {}: {}", directory_.string(), error.message()));
  std::sort(found.begin(), found.end(), [](const CacheEntry &a, const CacheEntry &b) {
    return std::tie(a.lastUsed, a.key) < std::tie(b.lastUsed, b.key);
  });
  return found;
}

Expected<CacheCleanup> DiskCache::clear() const {
  Expected<std::vector<CacheEntry>> listed = entries();
  if (!listed)
    return listed.error();
  return removeOldest(*listed, std::nullopt);
}

Expected<CacheCleanup> DiskCache::prune(std::uintmax_t maxBytes) const {
  Expected<std::vector<CacheEntry>> listed = entries();
  if (!listed)
    return listed.error();
  return removeOldest(*listed, maxBytes);
}

} // namespace tessel::runtime
