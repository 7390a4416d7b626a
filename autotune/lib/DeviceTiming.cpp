#include "tessel/autotune/DeviceTiming.h"

#include "tessel/runtime/Buffer.h"
#include "tessel/runtime/Stream.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace tessel::autotune {
namespace {

constexpr int kWarmupRuns = 3;

/// Warms up, then times `repeats` runs, each preceded by `before` (outside
/// the timed window), and returns their median.
Expected<double> medianOfTimedRuns(const std::function<Status()> &run, int repeats,
                                   const std::function<Status(int)> &before) {
  if (repeats < 1)
    return Error(fmt::format("timing needs at least one repeat, got {}", repeats));
  for (int i = 0; i < kWarmupRuns; ++i)
    if (Status ok = run(); !ok)
      return ok.error();
  Expected<runtime::Event> start = runtime::Event::create();
  if (!start)
    return start.error();
  Expected<runtime::Event> stop = runtime::Event::create();
  if (!stop)
    return stop.error();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    if (Status ok = before(i); !ok)
      return ok.error();
    if (Status ok = start->record(nullptr); !ok)
      return ok.error();
    if (Status ok = run(); !ok)
      return ok.error();
    if (Status ok = stop->record(nullptr); !ok)
      return ok.error();
    if (Status ok = stop->synchronize(); !ok)
      return ok.error();
    Expected<float> ms = stop->elapsedMsSince(*start);
    if (!ms)
      return ms.error();
    times.push_back(*ms);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

} // namespace

Expected<double> medianMs(const std::function<Status()> &run, int repeats) {
  return medianOfTimedRuns(run, repeats, [](int) { return Status::success(); });
}

Expected<double> medianColdL2Ms(const std::function<Status()> &run, int repeats,
                                std::size_t l2Bytes) {
  Expected<runtime::DeviceBuffer> flush = runtime::DeviceBuffer::allocate(2 * l2Bytes);
  if (!flush)
    return flush.error();
  return medianOfTimedRuns(run, repeats,
                           [&](int i) { return flush->fillBytesAsync(std::uint8_t(i)); });
}

SweepTimer coldL2Timer(std::size_t l2Bytes) {
  return [l2Bytes](const std::function<Status()> &launch, int repeats) {
    return medianColdL2Ms(launch, repeats, l2Bytes);
  };
}

} // namespace tessel::autotune
