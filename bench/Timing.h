// Timing shared by the benchmarks.
#pragma once

#include "tessel/autotune/DeviceTiming.h"
#include "tessel/support/Error.h"

#include <cstdlib>
#include <cstddef>
#include <functional>

namespace tessel::bench {

/// Keeps the driver's own cache of compiled PTX (read when the driver
/// starts) out of the measurements, unless the caller's environment sets
/// CUDA_CACHE_DISABLE: a cold build then includes the driver's PTX -> cubin
/// compile. Call before the driver is loaded.
inline void disableDriverPtxCache() { setenv("CUDA_CACHE_DISABLE", "1", /*overwrite=*/0); }

/// autotune::medianMs and medianColdL2Ms (the autotuner times configs the
/// same way), for benchmarks, which stop at the first error.
inline double medianMs(const std::function<Status()> &run, int repeats) {
  return autotune::medianMs(run, repeats).value();
}
inline double medianColdL2Ms(const std::function<Status()> &run, int repeats,
                             std::size_t l2Bytes) {
  return autotune::medianColdL2Ms(run, repeats, l2Bytes).value();
}

} // namespace tessel::bench
