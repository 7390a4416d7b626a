// Tests of the bounded in-memory LRU cache (tessel/runtime/MemoryCache.h).

#include "tessel/runtime/MemoryCache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tessel::runtime {
namespace {

using StringCache = MemoryCache<std::string, int>;

TEST(MemoryCache, GetReturnsWhatPutStored) {
  StringCache cache(4);
  EXPECT_FALSE(cache.get("a"));
  cache.put("a", 1);
  EXPECT_EQ(cache.get("a"), 1);
  cache.put("a", 2);
  EXPECT_EQ(cache.get("a"), 2) << "put replaces";
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.capacity(), 4u);
}

TEST(MemoryCache, EvictsTheLeastRecentlyInserted) {
  StringCache cache(2);
  cache.put("a", 1);
  cache.put("b", 2);
  cache.put("c", 3);
  EXPECT_FALSE(cache.contains("a"));
  EXPECT_TRUE(cache.contains("b"));
  EXPECT_TRUE(cache.contains("c"));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(MemoryCache, GetMakesAnEntryMostRecentlyUsed) {
  StringCache cache(3);
  cache.put("a", 1);
  cache.put("b", 2);
  cache.put("c", 3);
  EXPECT_EQ(cache.get("a"), 1); // order, most recent first: a c b
  cache.put("d", 4);            // evicts b
  EXPECT_FALSE(cache.contains("b"));
  cache.put("e", 5); // evicts c
  EXPECT_FALSE(cache.contains("c"));
  EXPECT_TRUE(cache.contains("a"));
  EXPECT_TRUE(cache.contains("d"));
  EXPECT_TRUE(cache.contains("e"));
}

TEST(MemoryCache, ReplacingMakesAnEntryMostRecentlyUsed) {
  StringCache cache(2);
  cache.put("a", 1);
  cache.put("b", 2);
  cache.put("a", 10); // order: a b
  cache.put("c", 3);  // evicts b
  EXPECT_EQ(cache.get("a"), 10);
  EXPECT_FALSE(cache.contains("b"));
}

TEST(MemoryCache, ContainsDoesNotChangeTheOrder) {
  StringCache cache(2);
  cache.put("a", 1);
  cache.put("b", 2);
  EXPECT_TRUE(cache.contains("a"));
  cache.put("c", 3);
  EXPECT_FALSE(cache.contains("a"));
}

TEST(MemoryCache, EraseAndClear) {
  StringCache cache(3);
  cache.put("a", 1);
  cache.put("b", 2);
  EXPECT_TRUE(cache.erase("a"));
  EXPECT_FALSE(cache.erase("a"));
  EXPECT_EQ(cache.size(), 1u);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.get("b"));
}

TEST(MemoryCache, CapacityZeroStoresNothing) {
  StringCache cache(0);
  cache.put("a", 1);
  EXPECT_FALSE(cache.get("a"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(MemoryCache, HoldsSharedHandlesAsValues) {
  MemoryCache<int, std::shared_ptr<std::string>> cache(1);
  auto value = std::make_shared<std::string>("kernel");
  cache.put(1, value);
  cache.put(2, std::make_shared<std::string>("other"));
  EXPECT_EQ(value.use_count(), 1) << "eviction releases the cache's reference";
}

TEST(MemoryCache, StaysBoundedUnderConcurrentUse) {
  MemoryCache<int, int> cache(16);
  std::vector<std::thread> threads;
  std::atomic<int> wrongValues{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        const int key = (i * 7 + t) % 64;
        cache.put(key, key * 3);
        if (std::optional<int> value = cache.get((key + 5) % 64);
            value && *value != (key + 5) % 64 * 3)
          ++wrongValues;
        if (i % 1000 == 0)
          cache.erase(key);
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(wrongValues, 0);
  EXPECT_LE(cache.size(), 16u);
}

} // namespace
} // namespace tessel::runtime
