// Work in progress by key, shared by the callers that ask for it at once.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace tessel::runtime {

/// Runs one producer per key among overlapping callers: the first caller of
/// run() for a key runs its `produce`, and every caller that asks for the
/// same key before that returns waits and gets a copy of its value (or its
/// exception). Different keys run concurrently.
///
/// A key is forgotten once its value is ready, so nothing is cached here: a
/// value kept for later callers belongs in a cache (MemoryCache) that the
/// producer fills before it returns. A caller that missed that cache must
/// look again from inside `produce`, since the value may have been stored
/// between its miss and its run(). A failure (say an Expected holding an
/// Error) reaches the callers of that run only; the next run() tries again.
template <typename Key, typename Value, typename Hash = std::hash<Key>,
          typename KeyEqual = std::equal_to<Key>>
class InFlight {
public:
  InFlight() = default;
  InFlight(const InFlight &) = delete;
  InFlight &operator=(const InFlight &) = delete;

  /// What `produce()` returns, from this call or from the one running for
  /// `key` already; `*produced`, when given, says whether this call ran it.
  template <typename Produce>
  Value run(const Key &key, Produce &&produce, bool *produced = nullptr) {
    std::promise<Value> promise;
    std::shared_future<Value> running;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto [slot, inserted] = running_.try_emplace(key);
      if (inserted)
        slot->second = promise.get_future().share();
      else
        running = slot->second;
    }
    if (produced)
      *produced = !running.valid();
    if (running.valid())
      return running.get();
    try {
      Value value = std::forward<Produce>(produce)();
      // Forgotten before the waiters wake: a later caller starts afresh and
      // finds what the producer stored.
      forget(key);
      promise.set_value(value);
      return value;
    } catch (...) {
      forget(key);
      promise.set_exception(std::current_exception());
      throw;
    }
  }

  /// The keys being produced now.
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_.size();
  }

private:
  void forget(const Key &key) {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.erase(key);
  }

  mutable std::mutex mutex_;
  std::unordered_map<Key, std::shared_future<Value>, Hash, KeyEqual> running_;
};

} // namespace tessel::runtime
