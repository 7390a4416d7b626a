#include "tessel/runtime/Launch.h"

#include "DriverApi.h"
#include "tessel/runtime/Module.h"
#include "tessel/runtime/Stream.h"

#include <fmt/format.h>

#include <algorithm>

namespace tessel::runtime {
namespace {

std::string_view displayName(std::string_view kernelName) {
  return kernelName.empty() ? std::string_view("<unnamed>") : kernelName;
}

} // namespace

std::string LaunchConfig::describe() const {
  return fmt::format("grid ({}, {}, {}) block ({}, {}, {}) smem {}", grid[0], grid[1], grid[2],
                     block[0], block[1], block[2], sharedBytes);
}

Status LaunchConfig::validate(std::string_view kernelName) const {
  static constexpr char kAxes[] = {'x', 'y', 'z'};
  for (int axis = 0; axis < 3; ++axis) {
    const char *what = grid[axis] == 0 ? "grid" : block[axis] == 0 ? "block" : nullptr;
    if (what)
      return Error(fmt::format("invalid launch of kernel {} ({}): {} dimension {} is 0",
                               displayName(kernelName), describe(), what, kAxes[axis]));
  }
  return Status::success();
}

Status launch(const Function &function, const LaunchConfig &config, const KernelArgs &args,
              const Stream *stream) {
  const auto &[gx, gy, gz] = config.grid;
  const auto &[bx, by, bz] = config.block;
  if ((gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0)) [[unlikely]]
    return config.validate(function.name());
  if (!function.valid()) [[unlikely]]
    return Error(fmt::format("cannot launch an empty Function ({})", config.describe()));

  const DriverApi &api = function.driver()->api();
  unsigned sharedBytes = std::max(config.sharedBytes, function.requiredSharedBytes());
  // cuLaunchKernel only reads the argument storage, but its prototype takes
  // void** for historical reasons.
  CUresult result =
      api.launchKernel(static_cast<CUfunction>(function.handle()), gx, gy, gz, bx, by, bz,
                       sharedBytes, streamHandle(stream ? stream->handle() : nullptr),
                       const_cast<void **>(args.pointers()), nullptr);
  if (result == CUDA_SUCCESS) [[likely]]
    return Status::success();
  return driverError(api, result,
                     fmt::format("cuLaunchKernel failed for kernel {} ({})",
                                 displayName(function.name()), config.describe()));
}

} // namespace tessel::runtime
