#include "DriverApi.h"
#include "Environment.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <dlfcn.h>

#include <mutex>
#include <optional>
#include <vector>

namespace tessel::runtime {
namespace {

/// dlsym of `symbol` into `slot`; false when the library lacks it.
template <typename Fn> bool resolve(void *library, const char *symbol, Fn &slot) {
  void *address = ::dlsym(library, symbol);
  slot = reinterpret_cast<Fn>(address);
  return address != nullptr;
}

/// Every entry point of the table, or the names of those the library lacks.
std::vector<std::string> resolveAll(DriverApi &api) {
  std::vector<std::string> missing;
#define TESSEL_DRIVER_ENTRY(member, symbol)                                                        \
  if (!resolve(api.library, #symbol, api.member))                                                  \
    missing.emplace_back(#symbol);
#include "DriverEntryPoints.def"
#undef TESSEL_DRIVER_ENTRY
  // The _v2 of cuEventElapsedTime (CUDA 12.8) has the same prototype as the
  // original; older drivers have only the original.
  if (!resolve(api.library, "cuEventElapsedTime_v2", api.eventElapsedTime) &&
      !resolve(api.library, "cuEventElapsedTime", api.eventElapsedTime))
    missing.emplace_back("cuEventElapsedTime");
  return missing;
}

std::string nameOf(const DriverApi &api, CUresult result) {
  const char *name = nullptr;
  if (api.getErrorName && api.getErrorName(result, &name) == CUDA_SUCCESS && name)
    return name;
  return fmt::format("CUresult {}", static_cast<int>(result));
}

} // namespace

std::string describeResult(const DriverApi &api, CUresult result) {
  std::string text = nameOf(api, result);
  const char *description = nullptr;
  if (api.getErrorString && api.getErrorString(result, &description) == CUDA_SUCCESS && description)
    text += fmt::format(" ({})", description);
  if (result == CUDA_ERROR_INVALID_CONTEXT)
    text += "; no CUDA context is current on this thread: call Device::open or "
            "Device::makeCurrent on it first";
  return text;
}

Error driverError(const DriverApi &api, CUresult result, std::string_view context) {
  return Error(fmt::format("{}: {}", context, describeResult(api, result)));
}

Driver::Driver(std::string libraryPath, std::unique_ptr<DriverApi> api, int version)
    : libraryPath_(std::move(libraryPath)), api_(std::move(api)), version_(version) {}

// The library handle is never closed: cuInit starts driver threads and
// registers process-exit handlers that live inside libcuda, and unloading the
// code under them crashes at exit.
Driver::~Driver() = default;

std::string Driver::resultName(int cuResult) const {
  return nameOf(*api_, static_cast<CUresult>(cuResult));
}

std::string Driver::describeResult(int cuResult) const {
  return runtime::describeResult(*api_, static_cast<CUresult>(cuResult));
}

Expected<std::unique_ptr<Driver>> Driver::loadFrom(const std::string &libraryPath) {
  auto api = std::make_unique<DriverApi>();
  ::dlerror();
  api->library = ::dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!api->library) {
    const char *reason = ::dlerror();
    return Error(fmt::format("{} not found (no NVIDIA driver?): {}", libraryPath,
                             reason ? reason : "dlopen failed"));
  }

  if (std::vector<std::string> missing = resolveAll(*api); !missing.empty()) {
    // Nothing of the library has run yet, so unloading it is safe.
    ::dlclose(api->library);
    return Error(fmt::format("{} lacks the driver entry points {} (driver too old?)", libraryPath,
                             fmt::join(missing, ", ")));
  }

  if (CUresult result = api->init(0); result != CUDA_SUCCESS)
    return driverError(*api, result, fmt::format("cuInit failed ({})", libraryPath));

  int version = 0;
  if (CUresult result = api->driverGetVersion(&version); result != CUDA_SUCCESS)
    return driverError(*api, result, "cuDriverGetVersion failed");

  return std::unique_ptr<Driver>(new Driver(libraryPath, std::move(api), version));
}

Expected<const Driver *> Driver::load() {
  static std::once_flag once;
  // Never destroyed: buffers, streams and modules in static storage release
  // themselves through it during exit, in no order we control.
  static const Driver *driver = nullptr;
  static std::optional<Error> failure;
  std::call_once(once, [] {
    environment::DriverLibrary library = environment::driverLibrary();
    Expected<std::unique_ptr<Driver>> loaded = loadFrom(library.path);
    if (loaded) {
      driver = std::move(loaded).value().release();
      return;
    }
    std::string message = loaded.error().message();
    if (library.fromEnvironment)
      message += " (library path from $TESSEL_LIBCUDA)";
    failure.emplace(std::move(message));
  });
  if (failure)
    return *failure;
  return driver;
}

std::string resultName(int cuResult) {
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return fmt::format("CUresult {}", cuResult);
  return (*driver)->resultName(cuResult);
}

} // namespace tessel::runtime
