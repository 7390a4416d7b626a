// Kernel timing on the GPU, shared by the autotuner and the benchmarks, so
// that a tuned config and a benchmark figure are measured the same way.
#pragma once

#include "tessel/autotune/Sweep.h"
#include "tessel/support/Error.h"

#include <cstddef>
#include <functional>

namespace tessel::autotune {

/// Median time of `run` in milliseconds over `repeats` runs, after three
/// warm-up runs, each timed with events around it on the default stream.
Expected<double> medianMs(const std::function<Status()> &run, int repeats);

/// Median time of `run` in milliseconds, each repeat starting with a cold
/// L2: before every timed run a buffer of twice `l2Bytes` is overwritten on
/// the same stream, and the start event is recorded after that fill. The
/// fill keeps the GPU busy while the host records the event and enqueues
/// `run`, so no launch gap falls inside the timed window; both sides of a
/// comparison are timed with the same function.
Expected<double> medianColdL2Ms(const std::function<Status()> &run, int repeats,
                                std::size_t l2Bytes);

/// The sweep's timer on the current device: medianColdL2Ms with the L2 size
/// given (Device::l2CacheBytes()).
SweepTimer coldL2Timer(std::size_t l2Bytes);

} // namespace tessel::autotune
