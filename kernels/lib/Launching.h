// Launch plumbing shared by the host functions: the config a launch uses,
// grid sizes, and the launch through the process-wide JIT.
#pragma once

#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Kernels.h"

#include <fmt/format.h>

#include <limits>

namespace tessel::kernels::detail {

/// The launch of `kernel`: every constant at its definition's default (the
/// measured best, see bench/) and the definition's warp count, then
/// `choices`, what the host derives from the arguments, then the caller's
/// config, field by field. A name the kernel lacks is reported at launch.
inline dsl::LaunchSpec launchSpec(const dsl::KernelDefinition &kernel, const KernelConfig &config,
                                  const dsl::Constants &choices = {}) {
  dsl::LaunchSpec spec;
  spec.constants = dsl::resolveConstants(kernel, {}).value(); // the defaults: cannot fail
  for (const auto &[name, value] : choices)
    spec.constants[name] = value;
  for (const auto &[name, value] : config.constants)
    spec.constants[name] = value;
  spec.numWarps = config.numWarps ? config.numWarps : kernel.numWarps;
  return spec;
}

/// A config that chooses nothing: the host function picks the tuned config
/// for the problem, else its defaults.
inline bool isDefaultConfig(const KernelConfig &config) {
  return config.constants.empty() && config.numWarps == 0;
}

inline unsigned gridExtent(int64_t n, std::string_view kernel) {
  if (n > int64_t(std::numeric_limits<int32_t>::max()))
    throw Error(fmt::format("{}: grid of {} programs is too large", kernel, n));
  return unsigned(std::max<int64_t>(n, 1));
}

inline Status launchOn(const dsl::KernelDefinition &kernel, const dsl::LaunchSpec &spec,
                std::initializer_list<dsl::LaunchArg> args, const runtime::Stream *stream) {
  Expected<dsl::Jit *> jit = dsl::Jit::global();
  if (!jit)
    return Error(fmt::format("{}: {}", kernel.name, jit.error().message()));
  return (*jit)->launch(kernel, spec, std::span<const dsl::LaunchArg>(args.begin(), args.size()),
                        stream);
}

} // namespace tessel::kernels::detail
