// The on-disk cache of compiled kernels.
#pragma once

#include "tessel/support/Error.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessel::runtime {

enum class CacheLookup {
  Hit,
  Miss,
  /// An entry existed but failed validation (truncated, wrong magic or
  /// version, checksum mismatch). It was removed; the caller rebuilds it as
  /// for a miss.
  Corrupt,
};
std::string_view describe(CacheLookup outcome);

struct CacheLoadResult {
  CacheLookup outcome = CacheLookup::Miss;
  /// The payload, on a hit.
  std::string payload;
  /// What was wrong with a corrupt entry, or why a present entry could not
  /// be read; empty otherwise.
  std::string detail;
};

/// One entry of a cache directory, as DiskCache::entries() finds it.
struct CacheEntry {
  std::string key;
  std::filesystem::path path;
  /// The file's size, header included: what the entry takes on disk.
  std::uintmax_t bytes = 0;
  /// The file's modification time. Entries are never rewritten in place, so
  /// it is the time of the store or of the latest hit, which refreshes it.
  std::chrono::system_clock::time_point lastUsed;
};

/// A number of entries and the bytes they take.
struct CacheUsage {
  std::size_t entries = 0;
  std::uintmax_t bytes = 0;
};
/// The number of `entries` and their total bytes.
CacheUsage usageOf(const std::vector<CacheEntry> &entries);

/// What DiskCache::clear() or prune() removed, and what is left.
struct CacheCleanup {
  CacheUsage removed;
  CacheUsage kept;
};

/// Payloads (PTX, cubins, metadata) stored under keys that the caller derives
/// from everything that affects them; the cache knows nothing of compilers.
///
/// Entries are files named after their key, sharded by the key's first two
/// characters. Each carries a header with a checksum (CacheEntryFormat.h)
/// and is validated on every load: a damaged entry is a miss, never a
/// result. Writers build an entry under a temporary name and rename it into
/// place, so readers see a whole entry or none, and processes may share one
/// directory: when two store one key, the last rename wins and both entries
/// are valid.
///
/// A hit refreshes the entry's modification time, so that prune() can drop
/// the entries that have gone unused longest. Other files may share the
/// directory (the tuning database keeps tuning.json there): only files
/// named after a valid key in that key's shard directory are entries, and
/// nothing else is listed or removed.
class DiskCache {
public:
  /// A cache in `directory`, created on the first store. With
  /// `syncWrites`, each entry is fsync'ed before it is renamed into place, so
  /// that it survives a power loss; without it, a crash can leave an entry
  /// that the next load reports corrupt, which costs only a rebuild.
  explicit DiskCache(std::filesystem::path directory, bool syncWrites = false);

  /// $TESSEL_CACHE_DIR, else $XDG_CACHE_HOME/tessel, else $HOME/.cache/tessel.
  static std::filesystem::path defaultDirectory();
  /// Keys are lowercase hex digests, 16 to 128 characters: they become file
  /// names, so nothing else is accepted.
  static Status validateKey(std::string_view key);

  const std::filesystem::path &directory() const { return directory_; }
  /// Where the entry for a valid `key` lives.
  std::filesystem::path entryPath(std::string_view key) const;

  /// The payload stored under `key`, or nullopt for a miss, a corrupt entry
  /// or an invalid key; `outcome`, when given, tells which.
  std::optional<std::string> load(std::string_view key, CacheLookup *outcome = nullptr) const;
  /// load() with the reason a present entry was not used; an Error only for
  /// an invalid key.
  Expected<CacheLoadResult> lookup(std::string_view key) const;
  /// Stores `payload` under `key`, replacing any entry atomically.
  Status store(std::string_view key, std::string_view payload) const;
  /// Removes the entry for `key`, if any.
  Status remove(std::string_view key) const;

  /// Every entry, least recently used first (ties in key order). A missing
  /// directory has none; one that cannot be read is an Error naming it.
  /// Writers' temporary files are not entries.
  Expected<std::vector<CacheEntry>> entries() const;
  /// Removes every entry. Shard directories stay: a concurrent store may be
  /// about to create its temporary file in one.
  Expected<CacheCleanup> clear() const;
  /// Removes entries, least recently used first, until those left take at
  /// most `maxBytes`.
  Expected<CacheCleanup> prune(std::uintmax_t maxBytes) const;

private:
  std::filesystem::path directory_;
  bool syncWrites_ = false;
};

} // namespace tessel::runtime
