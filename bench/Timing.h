// Timing shared by the benchmarks.
#pragma once

#include "tessel/runtime/Buffer.h"
#include "tessel/runtime/Stream.h"
#include "tessel/support/Error.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <vector>

namespace tessel::bench {

/// Keeps the driver's own cache of compiled PTX (read when the driver
/// starts) out of the measurements, unless the caller's environment sets
/// CUDA_CACHE_DISABLE: a cold build then includes the driver's PTX -> cubin
/// compile. Call before the driver is loaded.
inline void disableDriverPtxCache() { setenv("CUDA_CACHE_DISABLE", "1", /*overwrite=*/0); }

/// Median time of `run` in milliseconds over `repeats` runs, after three
/// warm-up runs, each timed with events around it on the default stream.
inline double medianMs(const std::function<Status()> &run, int repeats) {
  for (int i = 0; i < 3; ++i)
    run().check();
  runtime::Event start = runtime::Event::create().value();
  runtime::Event stop = runtime::Event::create().value();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    start.record(nullptr).check();
    run().check();
    stop.record(nullptr).check();
    stop.synchronize().check();
    times.push_back(stop.elapsedMsSince(start).value());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// Median time of `run` in milliseconds, each repeat starting with a cold
/// L2: before every timed run a buffer of twice the L2 size is overwritten
/// on the same stream, and the start event is recorded after that fill. The
/// fill keeps the GPU busy while the host records the event and enqueues
/// `run`, so no launch gap falls inside the timed window; both sides of a
/// comparison are timed with the same function.
inline double medianColdL2Ms(const std::function<Status()> &run, int repeats,
                             std::size_t l2Bytes) {
  runtime::DeviceBuffer flush = runtime::DeviceBuffer::allocate(2 * l2Bytes).value();
  for (int i = 0; i < 3; ++i)
    run().check();
  runtime::Event start = runtime::Event::create().value();
  runtime::Event stop = runtime::Event::create().value();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    flush.fillBytesAsync(std::uint8_t(i)).check();
    start.record(nullptr).check();
    run().check();
    stop.record(nullptr).check();
    stop.synchronize().check();
    times.push_back(stop.elapsedMsSince(start).value());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

} // namespace tessel::bench
