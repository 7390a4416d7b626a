// The in-process cache of loaded kernels.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace tessel::runtime {

/// A thread-safe map that holds at most `capacity` entries and evicts the
/// least recently used one to make room. Values are returned by copy, so
/// make them cheap handles (Function, std::shared_ptr) rather than large
/// objects.
template <typename Key, typename Value, typename Hash = std::hash<Key>,
          typename KeyEqual = std::equal_to<Key>>
class MemoryCache {
public:
  /// A capacity of 0 stores nothing: every get() misses.
  explicit MemoryCache(std::size_t capacity) : capacity_(capacity) {}

  MemoryCache(const MemoryCache &) = delete;
  MemoryCache &operator=(const MemoryCache &) = delete;

  /// The value for `key`, which becomes the most recently used.
  std::optional<Value> get(const Key &key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = index_.find(key);
    if (found == index_.end())
      return std::nullopt;
    entries_.splice(entries_.begin(), entries_, found->second);
    return found->second->second;
  }

  /// Inserts or replaces the value for `key` as the most recently used,
  /// evicting the least recently used entry beyond the capacity.
  void put(Key key, Value value) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (capacity_ == 0)
      return;
    if (auto found = index_.find(key); found != index_.end()) {
      found->second->second = std::move(value);
      entries_.splice(entries_.begin(), entries_, found->second);
      return;
    }
    if (entries_.size() == capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
    entries_.emplace_front(std::move(key), std::move(value));
    index_.emplace(entries_.front().first, entries_.begin());
  }

  /// Whether `key` is present, without making it the most recently used.
  bool contains(const Key &key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return index_.count(key) != 0;
  }

  bool erase(const Key &key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = index_.find(key);
    if (found == index_.end())
      return false;
    entries_.erase(found->second);
    index_.erase(found);
    return true;
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    index_.clear();
    entries_.clear();
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }
  std::size_t capacity() const { return capacity_; }

private:
  using Entry = std::pair<Key, Value>;

  mutable std::mutex mutex_;
  const std::size_t capacity_;
  /// Most recently used first.
  std::list<Entry> entries_;
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hash, KeyEqual> index_;
};

} // namespace tessel::runtime
