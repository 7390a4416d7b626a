// Times the configs of a space on one problem and keeps the fastest.
//
// The sweep is independent of any kernel and of the device: a candidate is
// a config with a function that launches the kernel in it, and the timer is
// a parameter (DeviceTiming.h has the one used on GPUs; tests pass their
// own), so the ranking, the early abandonment and the handling of failures
// are testable without a GPU.
#pragma once

#include "tessel/autotune/Config.h"
#include "tessel/support/Error.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tessel::autotune {

/// One config of the sweep and how to run the kernel in it once.
struct SweepCandidate {
  Config config;
  /// Launches the kernel in `config` (asynchronously, on the stream the
  /// timer synchronizes). The first call compiles it.
  std::function<Status()> launch;
};

/// Runs `launch` `repeats` times and returns their median in milliseconds.
using SweepTimer =
    std::function<Expected<double>(const std::function<Status()> &launch, int repeats)>;

struct SweepOptions {
  /// Timed launches of a config that is not abandoned.
  int repeats = 20;
  /// Timed launches after which a config is compared with the best so far.
  int probeRepeats = 3;
  /// A config whose probe median exceeds the best by this factor is
  /// abandoned: its probe median is its time, and it is timed no further.
  double abandonFactor = 1.3;
};

/// What became of one candidate.
struct SweepResult {
  Config config;
  /// The median time; absent when the config failed.
  std::optional<double> milliseconds;
  /// Timed only for the probe, being clearly slower than the best.
  bool abandoned = false;
  /// Why the config failed to compile, launch or time (empty otherwise).
  std::string failure;
};

/// Called after each candidate: its result, its position and the count.
using SweepProgress =
    std::function<void(const SweepResult &result, size_t index, size_t count)>;

/// Times every candidate in order: a first launch (which compiles it, and
/// whose failure drops the config with its reason), then the probe, then
/// the rest of the repeats unless the probe was clearly slower than the best
/// so far. Never fails as a whole: each result says what happened.
std::vector<SweepResult> sweep(const std::vector<SweepCandidate> &candidates,
                               const SweepTimer &timer, const SweepOptions &options = {},
                               const SweepProgress &progress = {});

/// The fastest result that has a time, if any.
const SweepResult *fastest(const std::vector<SweepResult> &results);

} // namespace tessel::autotune
