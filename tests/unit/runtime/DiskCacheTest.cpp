// Tests of the on-disk kernel cache (tessel/runtime/DiskCache.h): entries
// round-trip, damaged entries are reported and dropped, never returned,
// concurrent writers of one key leave a valid entry, and listing, clearing
// and pruning see entries only, least recently used first.

#include "tessel/runtime/DiskCache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace tessel::runtime {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kKey = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kOtherKey = "fedcba9876543210fedcba9876543210";

std::string readFile(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const fs::path &path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

std::string randomPayload(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string payload(size, '\0');
  for (char &c : payload)
    c = static_cast<char>(random());
  return payload;
}

/// Files in the cache other than entries: leftovers of writers.
std::vector<fs::path> temporaryFiles(const fs::path &directory) {
  std::vector<fs::path> found;
  if (!fs::exists(directory))
    return found;
  for (const fs::directory_entry &entry : fs::recursive_directory_iterator(directory))
    if (entry.is_regular_file() && entry.path().filename().string().front() == '.')
      found.push_back(entry.path());
  return found;
}

class DiskCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() /
                 ("tessel-disk-cache-test-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  /// Stores `payload` under kKey and returns the entry file's path.
  fs::path storeEntry(DiskCache &cache, std::string_view payload) {
    EXPECT_TRUE(cache.store(kKey, payload).ok());
    fs::path path = cache.entryPath(kKey);
    EXPECT_TRUE(fs::exists(path));
    return path;
  }

  /// Expects `key` to be reported corrupt with `problem` in the detail, the
  /// entry gone, and the next load a plain miss.
  void expectCorrupt(DiskCache &cache, std::string_view problem) {
    Expected<CacheLoadResult> result = cache.lookup(kKey);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->outcome, CacheLookup::Corrupt);
    EXPECT_TRUE(result->payload.empty());
    EXPECT_NE(result->detail.find(problem), std::string::npos) << result->detail;
    EXPECT_FALSE(fs::exists(cache.entryPath(kKey)));
    CacheLookup outcome = CacheLookup::Hit;
    EXPECT_FALSE(cache.load(kKey, &outcome));
    EXPECT_EQ(outcome, CacheLookup::Miss);
  }

  fs::path directory_;
};

TEST_F(DiskCacheTest, MissThenHit) {
  DiskCache cache(directory_);
  CacheLookup outcome = CacheLookup::Hit;
  EXPECT_FALSE(cache.load(kKey, &outcome));
  EXPECT_EQ(outcome, CacheLookup::Miss);
  // The directory is created by the first store, not by a load.
  EXPECT_FALSE(fs::exists(directory_));

  ASSERT_TRUE(cache.store(kKey, "ptx payload").ok());
  std::optional<std::string> payload = cache.load(kKey, &outcome);
  ASSERT_TRUE(payload);
  EXPECT_EQ(*payload, "ptx payload");
  EXPECT_EQ(outcome, CacheLookup::Hit);
  EXPECT_FALSE(cache.load(kOtherKey));
}

TEST_F(DiskCacheTest, EntriesAreShardedByTheKeysFirstTwoCharacters) {
  DiskCache cache(directory_);
  EXPECT_EQ(cache.entryPath(kKey), directory_ / "01" / std::string(kKey));
  ASSERT_TRUE(cache.store(kKey, "x").ok());
  EXPECT_TRUE(fs::is_regular_file(directory_ / "01" / std::string(kKey)));
}

TEST_F(DiskCacheTest, CreatesNestedMissingDirectories) {
  DiskCache cache(directory_ / "a" / "b");
  ASSERT_TRUE(cache.store(kKey, "x").ok());
  EXPECT_EQ(cache.load(kKey), "x");
}

TEST_F(DiskCacheTest, EmptyAndLargeBinaryPayloadsRoundTrip) {
  DiskCache cache(directory_);
  ASSERT_TRUE(cache.store(kKey, "").ok());
  EXPECT_EQ(cache.load(kKey), "");

  const std::string large = randomPayload(3 * 1024 * 1024 + 7, 1);
  ASSERT_TRUE(cache.store(kOtherKey, large).ok());
  EXPECT_EQ(cache.load(kOtherKey), large);
}

TEST_F(DiskCacheTest, StoreReplacesAnEntry) {
  DiskCache cache(directory_, /*syncWrites=*/true);
  ASSERT_TRUE(cache.store(kKey, "first").ok());
  ASSERT_TRUE(cache.store(kKey, "second").ok());
  EXPECT_EQ(cache.load(kKey), "second");
  EXPECT_TRUE(temporaryFiles(directory_).empty());
}

TEST_F(DiskCacheTest, RemoveDeletesTheEntry) {
  DiskCache cache(directory_);
  ASSERT_TRUE(cache.store(kKey, "x").ok());
  ASSERT_TRUE(cache.remove(kKey).ok());
  EXPECT_FALSE(cache.load(kKey));
  EXPECT_TRUE(cache.remove(kKey).ok()) << "removing a missing entry is not an error";
}

TEST_F(DiskCacheTest, FlippedPayloadByteIsCorruptAndRebuilt) {
  DiskCache cache(directory_);
  const std::string payload = randomPayload(4096, 2);
  fs::path path = storeEntry(cache, payload);
  std::string file = readFile(path);
  file[file.size() - 100] ^= 0x10;
  writeFile(path, file);

  expectCorrupt(cache, "checksum mismatch");
  // The caller's rebuild stores it again, and it is a hit.
  ASSERT_TRUE(cache.store(kKey, payload).ok());
  CacheLookup outcome = CacheLookup::Miss;
  EXPECT_EQ(cache.load(kKey, &outcome), payload);
  EXPECT_EQ(outcome, CacheLookup::Hit);
}

TEST_F(DiskCacheTest, EveryFlippedBitIsDetected) {
  DiskCache cache(directory_);
  const std::string payload = randomPayload(200, 3);
  // One bit at a time over the whole file, header included.
  const std::size_t fileSize = readFile(storeEntry(cache, payload)).size();
  for (std::size_t bit = 0; bit < 8 * fileSize; bit += 7) {
    fs::path path = storeEntry(cache, payload);
    std::string file = readFile(path);
    file[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    writeFile(path, file);
    CacheLookup outcome = CacheLookup::Hit;
    EXPECT_FALSE(cache.load(kKey, &outcome)) << "bit " << bit;
    EXPECT_EQ(outcome, CacheLookup::Corrupt) << "bit " << bit;
  }
}

TEST_F(DiskCacheTest, TruncatedPayloadIsCorrupt) {
  DiskCache cache(directory_);
  fs::path path = storeEntry(cache, randomPayload(1000, 4));
  fs::resize_file(path, fs::file_size(path) - 1);
  expectCorrupt(cache, "truncated payload (999 of 1000 bytes)");
}

TEST_F(DiskCacheTest, TruncatedHeaderIsCorrupt) {
  DiskCache cache(directory_);
  fs::path path = storeEntry(cache, "payload");
  fs::resize_file(path, 10);
  expectCorrupt(cache, "truncated header");
}

TEST_F(DiskCacheTest, EmptyFileIsCorrupt) {
  DiskCache cache(directory_);
  fs::path path = storeEntry(cache, "payload");
  fs::resize_file(path, 0);
  expectCorrupt(cache, "truncated header (0 of 40 bytes)");
}

TEST_F(DiskCacheTest, TrailingBytesAreCorrupt) {
  DiskCache cache(directory_);
  fs::path path = storeEntry(cache, "payload");
  writeFile(path, readFile(path) + "junk");
  expectCorrupt(cache, "4 bytes after the 7-byte payload");
}

TEST_F(DiskCacheTest, WrongMagicIsCorrupt) {
  DiskCache cache(directory_);
  fs::path path = storeEntry(cache, "payload");
  std::string file = readFile(path);
  file.replace(0, 8, "TESSELC0");
  writeFile(path, file);
  expectCorrupt(cache, "wrong magic");
}

TEST_F(DiskCacheTest, OtherFormatVersionIsCorrupt) {
  DiskCache cache(directory_);
  fs::path path = storeEntry(cache, "payload");
  std::string file = readFile(path);
  file[8] = 2; // the version's low byte
  writeFile(path, file);
  expectCorrupt(cache, "format version 2, expected 1");
}

TEST_F(DiskCacheTest, EntryCopiedToAnotherKeyIsCorrupt) {
  DiskCache cache(directory_);
  ASSERT_TRUE(cache.store(kOtherKey, "payload").ok());
  fs::create_directories(cache.entryPath(kKey).parent_path());
  fs::copy_file(cache.entryPath(kOtherKey), cache.entryPath(kKey));
  expectCorrupt(cache, "entry belongs to another key");
  EXPECT_EQ(cache.load(kOtherKey), "payload");
}

TEST_F(DiskCacheTest, BadKeysAreRejected) {
  DiskCache cache(directory_);
  const std::string tooLong(129, 'a');
  for (std::string_view key :
       {std::string_view("0123456789abcde"), std::string_view(tooLong),
        std::string_view("0123456789ABCDEF"), std::string_view("0123456789abcdeg"),
        std::string_view("../../etc/passwd0123"), std::string_view("")}) {
    Status stored = cache.store(key, "x");
    ASSERT_FALSE(stored) << key;
    EXPECT_NE(stored.error().message().find("invalid cache key"), std::string::npos);
    CacheLookup outcome = CacheLookup::Hit;
    EXPECT_FALSE(cache.load(key, &outcome));
    EXPECT_EQ(outcome, CacheLookup::Miss);
    EXPECT_FALSE(cache.lookup(key));
    EXPECT_FALSE(cache.remove(key));
  }
  EXPECT_FALSE(fs::exists(directory_)) << "a rejected key must not touch the disk";
  EXPECT_TRUE(DiskCache::validateKey(std::string(16, 'f')));
  EXPECT_TRUE(DiskCache::validateKey(std::string(128, '0')));
  EXPECT_NE(
      DiskCache::validateKey("abc").error().message().find("3 characters, expected 16 to 128"),
      std::string::npos);
}

TEST_F(DiskCacheTest, ConcurrentThreadsStoringOneKeyLeaveAValidEntry) {
  DiskCache cache(directory_);
  constexpr int kThreads = 8;
  constexpr int kStores = 100;
  std::vector<std::string> payloads;
  for (int t = 0; t < kThreads; ++t)
    payloads.push_back(randomPayload(1000 + 997 * t, 10 + t));

  std::atomic<bool> done{false};
  std::atomic<int> badReads{0};
  // A reader races the writers: it may miss before the first rename, but must
  // never see a corrupt or foreign entry.
  std::thread reader([&] {
    while (!done) {
      CacheLookup outcome;
      std::optional<std::string> payload = cache.load(kKey, &outcome);
      if (outcome == CacheLookup::Corrupt ||
          (payload && std::find(payloads.begin(), payloads.end(), *payload) == payloads.end()))
        ++badReads;
    }
  });
  std::vector<std::thread> writers;
  std::atomic<int> failedStores{0};
  for (int t = 0; t < kThreads; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < kStores; ++i)
        if (!cache.store(kKey, payloads[t]))
          ++failedStores;
    });
  for (std::thread &writer : writers)
    writer.join();
  done = true;
  reader.join();

  EXPECT_EQ(failedStores, 0);
  EXPECT_EQ(badReads, 0);
  std::optional<std::string> payload = cache.load(kKey);
  ASSERT_TRUE(payload);
  EXPECT_NE(std::find(payloads.begin(), payloads.end(), *payload), payloads.end());
  EXPECT_TRUE(temporaryFiles(directory_).empty());
}

TEST_F(DiskCacheTest, ConcurrentProcessesStoringOneKeyLeaveAValidEntry) {
  constexpr int kProcesses = 4;
  constexpr int kStores = 100;
  std::vector<std::string> payloads;
  for (int p = 0; p < kProcesses; ++p)
    payloads.push_back(randomPayload(5000 + 13 * p, 20 + p));

  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Only async-signal-safe work is strictly allowed here, but the test
      // process has a single thread at this point, so the cache is usable.
      DiskCache cache(directory_);
      int failures = 0;
      for (int i = 0; i < kStores; ++i) {
        failures += !cache.store(kKey, payloads[p]).ok();
        CacheLookup outcome;
        (void)cache.load(kKey, &outcome);
        failures += outcome != CacheLookup::Hit;
      }
      ::_exit(failures == 0 ? 0 : 1);
    }
    children.push_back(child);
  }
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << child;
  }

  DiskCache cache(directory_);
  std::optional<std::string> payload = cache.load(kKey);
  ASSERT_TRUE(payload);
  EXPECT_NE(std::find(payloads.begin(), payloads.end(), *payload), payloads.end());
  EXPECT_TRUE(temporaryFiles(directory_).empty());
}

constexpr std::string_view kThirdKey = "00112233445566778899aabbccddeeff";

/// Makes the entry of `key` look last used `age` ago.
void setLastUse(const DiskCache &cache, std::string_view key, std::chrono::seconds age) {
  fs::last_write_time(cache.entryPath(key), fs::file_time_type::clock::now() - age);
}

std::vector<std::string> keysOf(const std::vector<CacheEntry> &entries) {
  std::vector<std::string> keys;
  for (const CacheEntry &entry : entries)
    keys.push_back(entry.key);
  return keys;
}

TEST_F(DiskCacheTest, EntriesOfAMissingDirectoryAreNone) {
  Expected<std::vector<CacheEntry>> entries = DiskCache(directory_).entries();
  ASSERT_TRUE(entries) << entries.error().message();
  EXPECT_TRUE(entries->empty());
  Expected<CacheCleanup> cleared = DiskCache(directory_).clear();
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->removed.entries, 0u);
  EXPECT_FALSE(fs::exists(directory_)) << "listing or clearing must not create the directory";
}

TEST_F(DiskCacheTest, EntriesHaveTheirKeyPathAndFileSize) {
  DiskCache cache(directory_);
  ASSERT_TRUE(cache.store(kKey, "payload").ok());
  ASSERT_TRUE(cache.store(kOtherKey, std::string(1000, 'x')).ok());
  Expected<std::vector<CacheEntry>> entries = cache.entries();
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->size(), 2u);
  for (const CacheEntry &entry : *entries) {
    EXPECT_EQ(entry.path, cache.entryPath(entry.key));
    EXPECT_EQ(entry.bytes, fs::file_size(entry.path));
  }
  CacheUsage usage = usageOf(*entries);
  EXPECT_EQ(usage.entries, 2u);
  // Each file is a 40-byte header and the payload.
  EXPECT_EQ(usage.bytes, 40u + 7u + 40u + 1000u);
}

TEST_F(DiskCacheTest, EntriesAreListedLeastRecentlyUsedFirst) {
  DiskCache cache(directory_);
  for (std::string_view key : {kKey, kOtherKey, kThirdKey})
    ASSERT_TRUE(cache.store(key, "x").ok());
  setLastUse(cache, kKey, std::chrono::seconds(100));
  setLastUse(cache, kOtherKey, std::chrono::seconds(300));
  setLastUse(cache, kThirdKey, std::chrono::seconds(200));
  Expected<std::vector<CacheEntry>> entries = cache.entries();
  ASSERT_TRUE(entries);
  EXPECT_EQ(keysOf(*entries),
            (std::vector<std::string>{std::string(kOtherKey), std::string(kThirdKey),
                                      std::string(kKey)}));
  EXPECT_LT((*entries)[0].lastUsed, (*entries)[1].lastUsed);
}

TEST_F(DiskCacheTest, AHitRefreshesTheLastUse) {
  DiskCache cache(directory_);
  ASSERT_TRUE(cache.store(kKey, "x").ok());
  setLastUse(cache, kKey, std::chrono::hours(24));
  const auto before = fs::last_write_time(cache.entryPath(kKey));
  ASSERT_TRUE(cache.load(kKey));
  EXPECT_GT(fs::last_write_time(cache.entryPath(kKey)), before + std::chrono::hours(23));
  // A miss of another key changes nothing.
  setLastUse(cache, kKey, std::chrono::hours(24));
  const auto afterMiss = fs::last_write_time(cache.entryPath(kKey));
  EXPECT_FALSE(cache.load(kOtherKey));
  EXPECT_EQ(fs::last_write_time(cache.entryPath(kKey)), afterMiss);
}

TEST_F(DiskCacheTest, ClearRemovesEveryEntryAndCountsThem) {
  DiskCache cache(directory_);
  ASSERT_TRUE(cache.store(kKey, "a").ok());
  ASSERT_TRUE(cache.store(kOtherKey, "bb").ok());
  ASSERT_TRUE(cache.store(kThirdKey, "").ok());
  Expected<CacheCleanup> cleared = cache.clear();
  ASSERT_TRUE(cleared) << cleared.error().message();
  EXPECT_EQ(cleared->removed.entries, 3u);
  EXPECT_EQ(cleared->removed.bytes, 3 * 40u + 3u);
  EXPECT_EQ(cleared->kept.entries, 0u);
  EXPECT_EQ(cleared->kept.bytes, 0u);
  EXPECT_TRUE(cache.entries()->empty());
  EXPECT_FALSE(cache.load(kKey));
  // The cache works as before.
  ASSERT_TRUE(cache.store(kKey, "again").ok());
  EXPECT_EQ(cache.load(kKey), "again");
}

TEST_F(DiskCacheTest, FilesThatAreNotEntriesAreNeitherListedNorRemoved) {
  DiskCache cache(directory_);
  ASSERT_TRUE(cache.store(kKey, "entry").ok());
  const fs::path shard = cache.entryPath(kKey).parent_path();
  const std::vector<fs::path> strangers = {
      directory_ / "tuning.json",                       // the tuning database
      directory_ / "tuning.json.lock",                  // and its lock
      directory_ / std::string(kKey),                   // a key outside any shard
      shard / ("." + std::string(kKey) + ".tmp.1.2.3"), // a writer's temporary file
      shard / std::string(kOtherKey),                   // a key in another key's shard
      shard / "0123456789ABCDEF0123",                   // not lowercase
      shard / "0123456789abcdef.bak",                   // a key and more
      directory_ / "012" / std::string(kKey),           // not in a shard
      directory_ / "notes" / std::string(kKey),         // nor here
  };
  for (const fs::path &path : strangers) {
    fs::create_directories(path.parent_path());
    writeFile(path, "not an entry");
  }
  // A directory named like a key is not an entry either.
  fs::create_directories(shard / "0123456789abcdef0000");
  // Nor is a link named like one, whatever it points to.
  fs::create_symlink(directory_ / "tuning.json", shard / "0123456789abcdef1111");

  Expected<std::vector<CacheEntry>> entries = cache.entries();
  ASSERT_TRUE(entries) << entries.error().message();
  EXPECT_EQ(keysOf(*entries), std::vector<std::string>{std::string(kKey)});

  Expected<CacheCleanup> cleared = cache.clear();
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->removed.entries, 1u);
  EXPECT_FALSE(fs::exists(cache.entryPath(kKey)));
  for (const fs::path &path : strangers)
    EXPECT_EQ(readFile(path), "not an entry") << path;
  EXPECT_TRUE(fs::is_directory(shard / "0123456789abcdef0000"));
  EXPECT_TRUE(fs::is_symlink(shard / "0123456789abcdef1111"));
  ASSERT_TRUE(cache.prune(0));
  EXPECT_EQ(readFile(directory_ / "tuning.json"), "not an entry");
}

TEST_F(DiskCacheTest, PruneRemovesLeastRecentlyUsedEntriesUntilTheRestFits) {
  DiskCache cache(directory_);
  // 140, 240 and 340 bytes on disk.
  ASSERT_TRUE(cache.store(kKey, std::string(100, 'a')).ok());
  ASSERT_TRUE(cache.store(kOtherKey, std::string(200, 'b')).ok());
  ASSERT_TRUE(cache.store(kThirdKey, std::string(300, 'c')).ok());
  setLastUse(cache, kOtherKey, std::chrono::seconds(300)); // oldest
  setLastUse(cache, kThirdKey, std::chrono::seconds(200));
  setLastUse(cache, kKey, std::chrono::seconds(100)); // newest

  Expected<CacheCleanup> unchanged = cache.prune(720);
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(unchanged->removed.entries, 0u);
  EXPECT_EQ(unchanged->kept.bytes, 720u);

  // 719 bytes no longer hold all three; removing any one would do, and the
  // oldest goes.
  Expected<CacheCleanup> pruned = cache.prune(719);
  ASSERT_TRUE(pruned) << pruned.error().message();
  EXPECT_EQ(pruned->removed.entries, 1u);
  EXPECT_EQ(pruned->removed.bytes, 240u);
  EXPECT_EQ(pruned->kept.entries, 2u);
  EXPECT_EQ(pruned->kept.bytes, 480u);
  EXPECT_FALSE(fs::exists(cache.entryPath(kOtherKey)));
  EXPECT_EQ(cache.load(kThirdKey), std::string(300, 'c')); // now the newest

  // kThirdKey was last used after kKey now: kKey goes, and 340 bytes fit.
  pruned = cache.prune(340);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(pruned->removed.entries, 1u);
  EXPECT_EQ(pruned->kept.bytes, 340u);
  EXPECT_EQ(keysOf(*cache.entries()), std::vector<std::string>{std::string(kThirdKey)});

  pruned = cache.prune(0);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(pruned->removed.entries, 1u);
  EXPECT_TRUE(cache.entries()->empty());
}

TEST_F(DiskCacheTest, AnUnreadableDirectoryIsAnErrorNamingIt) {
  // A file where the directory should be: unreadable as a directory even
  // for root, unlike a directory without permissions.
  writeFile(directory_, "not a directory");
  DiskCache cache(directory_);
  Expected<std::vector<CacheEntry>> entries = cache.entries();
  ASSERT_FALSE(entries);
  EXPECT_NE(entries.error().message().find("cannot read cache directory " + directory_.string()),
            std::string::npos)
      << entries.error().message();
  EXPECT_FALSE(cache.clear());
  EXPECT_FALSE(cache.prune(0));
  EXPECT_EQ(readFile(directory_), "not a directory");
}

/// Sets an environment variable for one scope and restores it after.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = std::getenv(name))
      old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

private:
  const char *name_;
  std::optional<std::string> old_;
};

TEST(DiskCacheDefaultDirectory, FollowsTheEnvironmentPrecedence) {
  {
    ScopedEnv dir("TESSEL_CACHE_DIR", "/custom/cache");
    ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(DiskCache::defaultDirectory(), fs::path("/custom/cache"));
  }
  {
    ScopedEnv dir("TESSEL_CACHE_DIR", "");
    ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(DiskCache::defaultDirectory(), fs::path("/xdg/tessel"));
  }
  {
    ScopedEnv dir("TESSEL_CACHE_DIR", nullptr);
    ScopedEnv xdg("XDG_CACHE_HOME", "relative/ignored");
    ScopedEnv home("HOME", "/home/user");
    EXPECT_EQ(DiskCache::defaultDirectory(), fs::path("/home/user/.cache/tessel"));
  }
  {
    ScopedEnv dir("TESSEL_CACHE_DIR", nullptr);
    ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
    ScopedEnv home("HOME", nullptr);
    const std::string name = DiskCache::defaultDirectory().filename().string();
    EXPECT_EQ(name, "tessel-cache-" + std::to_string(::getuid()));
  }
}

} // namespace
} // namespace tessel::runtime
