// tessel cache: lists, clears or prunes the on-disk kernel cache
// (tessel/runtime/DiskCache.h). Only entries are ever removed: the tuning
// database and every other file that shares the directory stay.
#include "Commands.h"
#include "Quantities.h"

#include "tessel/runtime/DiskCache.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

namespace tessel::tool {
namespace {

std::string help() {
  return "usage: tessel cache list [--dir DIR]\n"
         "       tessel cache clear [--dir DIR]\n"
         "       tessel cache prune --max-size SIZE [--dir DIR]\n"
         "\n"
         "Works on the on-disk kernel cache in DIR, else $TESSEL_CACHE_DIR, else\n"
         "$XDG_CACHE_HOME/tessel, else ~/.cache/tessel:\n"
         "  list   prints one line per entry, least recently used first (key, bytes on\n"
         "         disk, time of the last use), then the total;\n"
         "  clear  removes every entry;\n"
         "  prune  removes entries, least recently used first, until the rest take at\n"
         "         most SIZE: bytes, or with K, M or G for KiB, MiB or GiB (500M).\n"
         "Every load of an entry counts as a use. Only entries are removed: the tuning\n"
         "database (tuning.json) and any other file in the directory stay. A missing\n"
         "directory is an empty cache.\n";
}

std::string localTimeText(std::chrono::system_clock::time_point time) {
  return fmt::format("{:%Y-%m-%d %H:%M:%S}",
                     fmt::localtime(std::chrono::system_clock::to_time_t(time)));
}

int fail(const Error &error) {
  fmt::print(stderr, "tessel: cache: {}\n", error.message());
  return 1;
}

int list(const runtime::DiskCache &cache) {
  Expected<std::vector<runtime::CacheEntry>> entries = cache.entries();
  if (!entries)
    return fail(entries.error());
  size_t keyWidth = 0;
  for (const runtime::CacheEntry &entry : *entries)
    keyWidth = std::max(keyWidth, entry.key.size());
  for (const runtime::CacheEntry &entry : *entries)
    fmt::print("{:<{}}  {:>10}  {}\n", entry.key, keyWidth, entry.bytes,
               localTimeText(entry.lastUsed));
  runtime::CacheUsage usage = runtime::usageOf(*entries);
  fmt::print("{}, {} in {}\n", entryCountText(usage.entries), byteSizeText(usage.bytes),
             cache.directory().string());
  return 0;
}

int clear(const runtime::DiskCache &cache) {
  Expected<runtime::CacheCleanup> cleared = cache.clear();
  if (!cleared)
    return fail(cleared.error());
  fmt::print("removed {}, {}, from {}\n", entryCountText(cleared->removed.entries),
             byteSizeText(cleared->removed.bytes), cache.directory().string());
  return 0;
}

int prune(const runtime::DiskCache &cache, std::uintmax_t maxBytes) {
  Expected<runtime::CacheCleanup> pruned = cache.prune(maxBytes);
  if (!pruned)
    return fail(pruned.error());
  fmt::print("removed {}, {}, from {}\n", entryCountText(pruned->removed.entries),
             byteSizeText(pruned->removed.bytes), cache.directory().string());
  fmt::print("kept {}, {}; the limit is {}\n", entryCountText(pruned->kept.entries),
             byteSizeText(pruned->kept.bytes), byteSizeText(maxBytes));
  return 0;
}

} // namespace

int cache(const std::vector<std::string> &args) {
  std::optional<std::string> action;
  std::filesystem::path directory;
  std::optional<std::uintmax_t> maxBytes;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &flag = args[i];
    auto value = [&]() -> const std::string & {
      if (i + 1 >= args.size())
        usageError(fmt::format("cache: {} needs a value", flag));
      return args[++i];
    };
    if (flag == "--help" || flag == "-h") {
      std::fputs(help().c_str(), stdout);
      return 0;
    } else if (flag == "--dir") {
      directory = value();
    } else if (flag == "--max-size") {
      const std::string &text = value();
      maxBytes = parseByteSize(text);
      if (!maxBytes)
        usageError(fmt::format(
            "cache: --max-size takes bytes with an optional K, M or G suffix (500M), got '{}'",
            text));
    } else if (!flag.starts_with("-") && !action) {
      action = flag;
    } else {
      usageError(fmt::format("cache: unknown argument '{}'", flag));
    }
  }
  if (!action)
    usageError("cache: missing the action: list, clear or prune");
  if (*action != "list" && *action != "clear" && *action != "prune")
    usageError(fmt::format("cache: unknown action '{}' (list, clear or prune)", *action));
  if (*action == "prune" && !maxBytes)
    usageError("cache: prune needs --max-size SIZE");
  if (*action != "prune" && maxBytes)
    usageError("cache: --max-size is an option of prune");

  runtime::DiskCache cache(directory.empty() ? runtime::DiskCache::defaultDirectory() : directory);
  if (*action == "list")
    return list(cache);
  if (*action == "clear")
    return clear(cache);
  return prune(cache, *maxBytes);
}

} // namespace tessel::tool
