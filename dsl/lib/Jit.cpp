// Creating the JIT. Its jobs live beside this file: the keys (JitKeys), the
// disk cache entries (JitCacheEntry), loading and compiling (JitLoad), the
// interpreter (JitInterpreter) and launching (JitLaunch).
#include "tessel/dsl/Jit.h"

#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Driver.h"

#include <fmt/format.h>

namespace tessel::dsl {

std::string JitOptions::defaultDumpDirectory() {
  return CompileOptions::dumpDirectoryFromEnvironment();
}

Jit::Jit(JitOptions options, std::string arch, int driverVersion)
    : options_(std::move(options)), arch_(std::move(arch)), driverVersion_(driverVersion),
      loaded_(options_.memoryCacheEntries) {
  if (!options_.cacheDirectory.empty())
    disk_.emplace(options_.cacheDirectory);
}

Expected<std::unique_ptr<Jit>> Jit::create(JitOptions options) {
  if (runtime::activeBackend() == runtime::Backend::Interpreter) {
    auto jit = std::unique_ptr<Jit>(new Jit(std::move(options), "interpreter", 0));
    jit->interpreted_ = true;
    return jit;
  }
  Expected<runtime::Device> device = runtime::Device::open(0);
  if (!device)
    return device.error();
  Expected<const runtime::Driver *> driver = runtime::Driver::load();
  if (!driver)
    return driver.error();
  std::string arch = options.arch.empty() ? device->arch() : options.arch;
  if (!parseArchitecture(arch))
    return Error(fmt::format("the GPU {} ({}) is not a target of Tessel: {}", device->name(), arch,
                             parseArchitecture(arch).error().message()));
  auto jit = std::unique_ptr<Jit>(new Jit(std::move(options), arch, (*driver)->version()));
  jit->device_ = *device;
  return jit;
}

Expected<Jit *> Jit::global() {
  static Expected<std::unique_ptr<Jit>> jit = create();
  if (!jit)
    return jit.error();
  return jit->get();
}

} // namespace tessel::dsl
