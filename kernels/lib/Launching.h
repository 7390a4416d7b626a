// Launch plumbing shared by the host functions: the config a launch uses,
// grid sizes, and the launch through the process-wide JIT.
#pragma once

#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Kernels.h"

#include <fmt/format.h>

#include <limits>

namespace tessel::kernels::detail {

/// Library defaults, measured on an H100 (see bench/); a config given by the
/// caller overrides them field by field.
inline dsl::LaunchSpec launchSpec(const KernelConfig &config, dsl::Constants defaults,
                           unsigned defaultWarps) {
  dsl::LaunchSpec spec;
  spec.constants = std::move(defaults);
  for (const auto &[name, value] : config.constants)
    spec.constants[name] = value;
  spec.numWarps = config.numWarps ? config.numWarps : defaultWarps;
  return spec;
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

inline int64_t constantOr(const dsl::LaunchSpec &spec, const char *name, int64_t fallback) {
  auto found = spec.constants.find(name);
  return found == spec.constants.end() ? fallback : found->second;
}

} // namespace tessel::kernels::detail
