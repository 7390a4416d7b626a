// The tuning database as the host functions' sweeps reach it.
#pragma once

#include "tessel/autotune/ConfigSpace.h"
#include "tessel/autotune/Sweep.h"
#include "tessel/dsl/Jit.h"
#include "tessel/autotune/TuningDatabase.h"
#include "tessel/kernels/Tuning.h"
#include "tessel/support/Error.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tessel::kernels::detail {

/// Runs `use` on the database in `path`, or, for an empty path, on the
/// process's database (useTuningDatabase) while holding its lock, so that
/// host functions on other threads never see it half-updated.
Status withTuningDatabase(const std::filesystem::path &path,
                          const std::function<Status(autotune::TuningDatabase &)> &use);

/// What a sweep of one kernel on one problem needs to know.
struct TuneTarget {
  std::string kernel;
  const autotune::ConfigSpace *space = nullptr;
  std::string problem;            ///< the tuning key
  autotune::Config defaultConfig; ///< what an untuned call launches
  /// Launches the kernel in a config on the target's operands.
  std::function<Status(const KernelConfig &)> launch;
  /// Compiles the candidates at once before any is timed, replacing the
  /// launch of one that cannot run with its error (optional).
  std::function<void(std::vector<autotune::SweepCandidate> &, const TuneOptions &)> precompile;
};

/// The sweep of tuneFp8Gemm and the others: the space's configs not yet
/// measured, timed with the cold-L2 timer, recorded and saved.
Expected<TuneReport> runTuning(const TuneTarget &target, const TuneOptions &options);

/// The tuned config of `kernel` for `problem`; on a miss with
/// TESSEL_AUTOTUNE=1, `tune` runs first (once per process and problem).
std::optional<KernelConfig> tunedOrTunedNow(std::string_view kernel, const std::string &problem,
                                            const std::function<Expected<TuneReport>()> &tune);

/// The launch config, for a space's parameters, of a kernel's defaults.
autotune::Config configOf(const autotune::ConfigSpace &space, const dsl::LaunchSpec &spec);

} // namespace tessel::kernels::detail
