// The CUDA driver library, opened at run time.
//
// Tessel never links libcuda: it opens it with dlopen and resolves the entry
// points it needs, so that the compiler, the tests and the tools link and run
// on machines without an NVIDIA driver, and a missing driver or GPU is an
// Error a caller can report or skip on, not a failure to start the program.
// Nothing here includes cuda.h; the entry points live in a private table.
#pragma once

#include "tessel/support/Error.h"

#include <memory>
#include <string>

namespace tessel::runtime {

/// The resolved driver entry points; defined in runtime/lib, where cuda.h is
/// included.
struct DriverApi;

class Driver {
public:
  /// The process's driver: opened from $TESSEL_LIBCUDA, else "libcuda.so.1",
  /// its entry points resolved and cuInit called, on the first call only
  /// (thread-safe). The outcome, success or failure, is kept for the life of
  /// the process, so that every later call is cheap and agrees with the first.
  static Expected<const Driver *> load();

  /// Opens the driver at `libraryPath` without keeping it: for tests and
  /// diagnostics that try another library. Everything else uses load().
  static Expected<std::unique_ptr<Driver>> loadFrom(const std::string &libraryPath);

  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;
  ~Driver();

  const std::string &libraryPath() const { return libraryPath_; }
  /// cuDriverGetVersion: 1000 * major + 10 * minor (12080 for CUDA 12.8). The
  /// driver JIT-compiles PTX, so its version belongs in a cache key of
  /// anything it compiled.
  int version() const { return version_; }

  /// The enumerator name of a CUresult ("CUDA_ERROR_INVALID_VALUE"), or
  /// "CUresult <n>" for a code this driver does not know.
  std::string resultName(int cuResult) const;
  /// The name and the driver's description:
  /// "CUDA_ERROR_INVALID_VALUE (invalid argument)".
  std::string describeResult(int cuResult) const;

  const DriverApi &api() const { return *api_; }

private:
  Driver(std::string libraryPath, std::unique_ptr<DriverApi> api, int version);

  std::string libraryPath_;
  std::unique_ptr<DriverApi> api_;
  int version_ = 0;
};

/// Driver::resultName through the process's driver, for code that holds no
/// Driver; "CUresult <n>" when no driver loads.
std::string resultName(int cuResult);

} // namespace tessel::runtime
