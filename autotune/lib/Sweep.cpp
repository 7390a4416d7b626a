#include "tessel/autotune/Sweep.h"

namespace tessel::autotune {

std::vector<SweepResult> sweep(const std::vector<SweepCandidate> &candidates,
                               const SweepTimer &timer, const SweepOptions &options,
                               const SweepProgress &progress) {
  std::vector<SweepResult> results;
  std::optional<double> best;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const SweepCandidate &candidate = candidates[i];
    SweepResult result{candidate.config, std::nullopt, false, ""};
    auto fail = [&](const Error &error) { result.failure = error.message(); };
    // The first launch compiles the config: it is not timed, and a config
    // that does not compile or launch is dropped with the reason.
    if (Status first = candidate.launch(); !first) {
      fail(first.error());
    } else if (Expected<double> probe = timer(candidate.launch, options.probeRepeats); !probe) {
      fail(probe.error());
    } else if (best && *probe > options.abandonFactor * *best) {
      result.milliseconds = *probe;
      result.abandoned = true;
    } else if (Expected<double> full = timer(candidate.launch, options.repeats); !full) {
      fail(full.error());
    } else {
      result.milliseconds = *full;
    }
    if (result.milliseconds && (!best || *result.milliseconds < *best))
      best = result.milliseconds;
    results.push_back(std::move(result));
    if (progress)
      progress(results.back(), i, candidates.size());
  }
  return results;
}

const SweepResult *fastest(const std::vector<SweepResult> &results) {
  const SweepResult *best = nullptr;
  for (const SweepResult &result : results)
    if (result.milliseconds && (!best || *result.milliseconds < *best->milliseconds))
      best = &result;
  return best;
}

} // namespace tessel::autotune
