// What a tuning result depends on: the kernel's code, the problem, the GPU
// and the software that compiled and ran it.
#pragma once

#include <compare>
#include <string>

namespace tessel::autotune {

/// The key of one tuning database entry. Every field takes part in lookups:
/// a result measured for another kernel digest, device, driver or compiler
/// build is never served, since any of them can change which config wins.
struct TuningEntryKey {
  /// The kernel's name, e.g. "fp8_gemm".
  std::string kernel;
  /// A digest of the kernel's definition: an entry made before the kernel
  /// changed is ignored, not misused.
  std::string kernelDigest;
  /// The kernel's tuning key for the problem (tessel/kernels/Spaces.h), e.g.
  /// "m<=128 n=7168 k=16384 a=f8e4m3 b=f8e4m3 c=bf16".
  std::string problem;
  /// The device's name as the driver reports it, e.g. "NVIDIA H100 80GB HBM3".
  std::string gpuName;
  /// "major.minor", e.g. "9.0".
  std::string computeCapability;
  /// The driver version as the driver reports it, e.g. "13000".
  std::string driverVersion;
  /// The identity of the compiler build (a digest of the build itself).
  std::string compilerIdentity;

  auto operator<=>(const TuningEntryKey &) const = default;
  bool operator==(const TuningEntryKey &) const = default;
};

} // namespace tessel::autotune
