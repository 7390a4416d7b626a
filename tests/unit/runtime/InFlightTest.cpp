// Tests of the per-key de-duplication of concurrent work
// (tessel/runtime/InFlight.h), what lets the JIT compile one configuration
// once however many threads load it at once.

#include "tessel/runtime/InFlight.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tessel::runtime {
namespace {

/// Holds producers until released, so that the callers under test overlap.
class Gate {
public:
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    opened_.wait(lock, [&] { return open_; });
  }
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

/// Waits until `condition` holds, or fails the test after a few seconds.
template <typename Condition> bool eventually(Condition condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST(InFlight, ConcurrentCallersOfOneKeyShareOneProduction) {
  InFlight<std::string, int> inFlight;
  Gate gate;
  std::atomic<int> productions{0}, waiting{0}, produced{0};
  constexpr int kThreads = 8;
  std::vector<int> values(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      ++waiting;
      bool ran = false;
      values[t] = inFlight.run(
          "key",
          [&] {
            ++productions;
            gate.wait();
            return 42;
          },
          &ran);
      produced += ran;
    });
  // Every thread has asked while the producer is still held.
  ASSERT_TRUE(eventually([&] { return waiting == kThreads && productions == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  gate.open();
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(productions.load(), 1);
  EXPECT_EQ(produced.load(), 1) << "exactly one caller reports that it produced";
  for (int value : values)
    EXPECT_EQ(value, 42);
  EXPECT_EQ(inFlight.size(), 0u) << "a finished key is forgotten";
}

TEST(InFlight, ConcurrentCallersOfDifferentKeysRunAtOnce) {
  InFlight<int, int> inFlight;
  Gate gate;
  std::atomic<int> running{0};
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<int> values(kThreads, 0);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      values[t] = inFlight.run(t, [&] {
        ++running;
        gate.wait();
        return t * 10;
      });
    });
  // All producers are inside produce() together: none waits for another.
  ASSERT_TRUE(eventually([&] { return running == kThreads; }));
  EXPECT_EQ(inFlight.size(), size_t(kThreads));
  gate.open();
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(values[t], t * 10);
}

TEST(InFlight, NothingIsKeptAfterARun) {
  InFlight<std::string, int> inFlight;
  int productions = 0;
  auto produce = [&] { return ++productions; };
  EXPECT_EQ(inFlight.run("key", produce), 1);
  EXPECT_EQ(inFlight.run("key", produce), 2) << "a later call runs again: caching is the caller's";
}

TEST(InFlight, AnExceptionReachesEveryWaiterAndIsNotKept) {
  InFlight<std::string, int> inFlight;
  Gate gate;
  std::atomic<int> productions{0}, failures{0}, waiting{0};
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      ++waiting;
      try {
        (void)inFlight.run("key", [&]() -> int {
          ++productions;
          gate.wait();
          throw std::runtime_error("no");
        });
      } catch (const std::runtime_error &) {
        ++failures;
      }
    });
  ASSERT_TRUE(eventually([&] { return waiting == kThreads && productions == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  gate.open();
  for (std::thread &thread : threads)
    thread.join();
  // Callers that came after the failure started their own run.
  EXPECT_GE(productions.load(), 1);
  EXPECT_EQ(failures.load(), kThreads);
  EXPECT_EQ(inFlight.size(), 0u);
  EXPECT_EQ(inFlight.run("key", [] { return 7; }), 7) << "the failure was not kept";
}

} // namespace
} // namespace tessel::runtime
