// Tuned launch configs for the shipped kernels: the tuning database the host
// functions read, and the sweep that fills it (`tessel tune`).
//
// A host function called without a config (KernelConfig{}) looks its problem
// up in the process's tuning database and launches the tuned config; a miss
// uses the heuristic default, or, with TESSEL_AUTOTUNE=1 in the environment,
// tunes that problem on the spot and records it. An entry is used only for
// the GPU, driver, compiler build and kernel sources it was measured with.
#pragma once

#include "tessel/autotune/Sweep.h"
#include "tessel/autotune/TuningDatabase.h"
#include "tessel/kernels/Kernels.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tessel::kernels {

/// The database the host functions read from now on, instead of the default
/// one (TuningDatabase::defaultPath(), opened on first use): an
/// application's own, read-only when `readOnly` (one shipped with it). An
/// Error when it cannot be opened; the previous database stays in use.
Status useTuningDatabase(const std::filesystem::path &path, bool readOnly);

/// The launch config a tuning config stands for: num_warps is
/// KernelConfig::numWarps, every other parameter a constant.
KernelConfig kernelConfigOf(const autotune::Config &config);

/// The database key of `kernel` (a name tuningSpace() knows) on `problem`
/// (its tuning key, tessel/kernels/Spaces.h) on the JIT's device: an Error
/// without a device.
Expected<autotune::TuningEntryKey> tuningEntryKey(std::string_view kernel, std::string problem);

/// The tuned config of `kernel` for `problem`, if the process's database has
/// one for this device and build.
std::optional<KernelConfig> tunedConfig(std::string_view kernel, const std::string &problem);
/// tunedConfig of fp8_gemm for [m, k] x [n, k].
std::optional<KernelConfig> tunedFp8GemmConfig(int64_t m, int64_t n, int64_t k);

/// The config fp8Gemm launches for [m, k] x [n, k] when given none and
/// nothing is tuned: the heuristic for the JIT's device.
autotune::Config defaultFp8GemmConfig(int64_t m, int64_t n, int64_t k);

struct TuneOptions {
  /// The database to record into; empty: the process's (see
  /// useTuningDatabase). A read-only database is an Error.
  std::filesystem::path database;
  /// Time the configs already measured for this problem again.
  bool retune = false;
  /// Threads that compile the configs before any is timed (0: one per
  /// hardware thread).
  unsigned compileThreads = 0;
  autotune::SweepOptions sweep;
  /// Called after each config is timed.
  autotune::SweepProgress progress;
};

struct TuneReport {
  std::string problem;              ///< the tuning key
  std::vector<autotune::SweepResult> results; ///< the configs timed now
  size_t reused = 0;                ///< configs whose earlier times were kept
  std::optional<autotune::TunedConfig> best; ///< over old and new times
  autotune::Config defaultConfig;   ///< what an untuned call launches
  std::optional<double> defaultMilliseconds; ///< its time, measured now
};

/// Times every config of fp8GemmSpace() not measured before (all of them
/// with `retune`) on random inputs of [m, k] x [n, k], and the default
/// config, records the times in the database and saves it. The configs are
/// compiled first, on `compileThreads` threads at once, then timed one after
/// another. Configs that fail are reported in the results and not recorded.
Expected<TuneReport> tuneFp8Gemm(int64_t m, int64_t n, int64_t k, const TuneOptions &options = {});

/// The same for the conversion kernels, each on random inputs of its
/// problem: act_quant of a bf16 x [m, k], weight_quant of a bf16 w [n, k]
/// (each with or without UE8M0 scales, which change the kernel), and
/// weight_dequant of q [n, k]. Their configs compile as they are first timed.
Expected<TuneReport> tuneActQuant(int64_t m, int64_t k, bool ue8m0Scales = false,
                                  const TuneOptions &options = {});
Expected<TuneReport> tuneWeightQuant(int64_t n, int64_t k, bool ue8m0Scales = false,
                                     const TuneOptions &options = {});
Expected<TuneReport> tuneWeightDequant(int64_t n, int64_t k, const TuneOptions &options = {});

} // namespace tessel::kernels
