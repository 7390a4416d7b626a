// Launching a kernel.
#pragma once

#include "tessel/runtime/KernelArgs.h"
#include "tessel/support/Error.h"

#include <array>
#include <string>
#include <string_view>

namespace tessel::runtime {

class Function;
class Stream;

struct LaunchConfig {
  std::array<unsigned, 3> grid{1, 1, 1};
  std::array<unsigned, 3> block{1, 1, 1};
  /// Dynamic shared memory; above 48 KiB the kernel must first opt in with
  /// Function::setMaxDynamicSharedMemory.
  unsigned sharedBytes = 0;

  /// "grid (56, 32, 1) block (128, 1, 1) smem 0", as launch errors print it.
  std::string describe() const;
  /// The checks made before the driver is called: no dimension is zero.
  /// Limits that depend on the device and kernel (threads per block, shared
  /// memory) are left to the driver, whose error names them.
  Status validate(std::string_view kernelName) const;
};

/// Queues `function` on `stream` (null: the legacy default stream). Errors
/// name the kernel, the configuration and the CUresult. A fault inside the
/// kernel surfaces later, at the next synchronize.
Status launch(const Function &function, const LaunchConfig &config, const KernelArgs &args,
              const Stream *stream = nullptr);

} // namespace tessel::runtime
