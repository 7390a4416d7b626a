#include "tessel/runtime/Backend.h"

#include "Environment.h"

#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <mutex>

namespace tessel::runtime {
namespace {

struct BackendState {
  std::mutex mutex;
  bool chosen = false;
  Backend backend = Backend::Gpu;
  std::map<std::uint64_t, std::size_t> allocations;
  std::size_t gpuBuffers = 0;
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
  for (const auto &[address, bytes] : s.allocations)
    result.push_back({address, bytes});
  return result;
}

namespace detail {

std::uint64_t allocateHost(std::size_t bytes) {
  std::size_t rounded = (bytes + 255) / 256 * 256;
  void *memory = std::aligned_alloc(256, rounded);
  if (!memory)
    return 0;
  BackendState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.allocations[reinterpret_cast<std::uint64_t>(memory)] = bytes;
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

} // namespace detail
} // namespace tessel::runtime
