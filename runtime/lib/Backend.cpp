#include "tessel/runtime/Backend.h"

#include "Environment.h"

#include <fmt/format.h>

#include <cstdlib>
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

namespace tessel::runtime {
namespace {

struct BackendState {
  std::mutex mutex;
  bool chosen = false;
  Backend backend = Backend::Gpu;
  struct Allocation {
    std::size_t bytes;
    std::unique_ptr<std::uint8_t[]> written; // zero: never written
  };
  std::map<std::uint64_t, Allocation> allocations;
  std::map<std::uint64_t, std::size_t> deviceAllocations;
};

BackendState &state() {
  static BackendState instance;
  return instance;
}

Backend chooseLocked(BackendState &s) {
  if (!s.chosen) {
    s.backend = environment::interpretRequested() ? Backend::Interpreter : Backend::Gpu;
    s.chosen = true;
  }
  return s.backend;
}

} // namespace

Backend activeBackend() {
  BackendState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return chooseLocked(s);
}

Status setBackend(Backend backend) {
  BackendState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (chooseLocked(s) != backend && !s.allocations.empty())
    return Error(fmt::format("cannot switch to the {} backend: {} interpreter buffers are alive",
                             backend == Backend::Gpu ? "GPU" : "interpreter",
                             s.allocations.size()));
  s.backend = backend;
  return Status::success();
}

std::vector<HostAllocation> hostAllocations() {
  BackendState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  std::vector<HostAllocation> result;
  for (const auto &[address, allocation] : s.allocations)
    result.push_back({address, allocation.bytes, allocation.written.get()});
  return result;
}

std::optional<DeviceAllocation> deviceAllocationContaining(std::uint64_t devicePtr) {
  BackendState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.deviceAllocations.upper_bound(devicePtr);
  if (it == s.deviceAllocations.begin())
    return std::nullopt;
  --it;
  if (devicePtr >= it->first + it->second)
    return std::nullopt;
  return DeviceAllocation{it->first, it->second};
}

namespace detail {

void recordDeviceAllocation(std::uint64_t devicePtr, std::size_t bytes) {
  BackendState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.deviceAllocations[devicePtr] = bytes;
}

void forgetDeviceAllocation(std::uint64_t devicePtr) {
  BackendState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.deviceAllocations.erase(devicePtr);
}

std::uint64_t allocateHost(std::size_t bytes) {
  std::size_t rounded = (bytes + 255) / 256 * 256;
  void *memory = std::aligned_alloc(256, rounded);
  if (!memory)
    return 0;
  BackendState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.allocations[reinterpret_cast<std::uint64_t>(memory)] = {
      bytes, std::make_unique<std::uint8_t[]>(bytes)};
  return reinterpret_cast<std::uint64_t>(memory);
}

void freeHost(std::uint64_t address) {
  {
    BackendState &s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.allocations.erase(address);
  }
  std::free(reinterpret_cast<void *>(address));
}

void markWritten(std::uint64_t address, std::size_t bytes) {
  BackendState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.allocations.upper_bound(address);
  if (it == s.allocations.begin())
    return;
  --it;
  if (address + bytes > it->first + it->second.bytes)
    return;
  std::fill_n(it->second.written.get() + (address - it->first), bytes, std::uint8_t(1));
}

} // namespace detail
} // namespace tessel::runtime
