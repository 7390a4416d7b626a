// The process's tuning database and the keys the host functions look up.
#include "tessel/kernels/Tuning.h"

#include "TuningAccess.h"

#include "tessel/Compiler/Pipeline.h"
#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Spaces.h"
#include "tessel/runtime/Driver.h"

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <mutex>

namespace tessel::detail {
extern const char kKernelSourceDigest[]; // KernelSourceDigest.cpp, generated
} // namespace tessel::detail

namespace tessel::kernels {
namespace {

/// The database the host functions read, opened on first use.
struct ProcessDatabase {
  std::mutex mutex;
  std::optional<autotune::TuningDatabase> database;
  bool opened = false;
  /// Lookups by "kernel problem", so that a host function's call costs one
  /// map lookup; cleared whenever the database changes.
  std::map<std::string, std::optional<KernelConfig>> lookups;
};

ProcessDatabase &processDatabase() {
  static ProcessDatabase process;
  return process;
}

/// The default database, opened once; a database that cannot be opened is
/// reported once and the host functions fall back to their defaults.
autotune::TuningDatabase *openedDatabase(ProcessDatabase &process) {
  if (!process.opened) {
    process.opened = true;
    Expected<autotune::TuningDatabase> database = autotune::TuningDatabase::openDefault();
    if (!database) {
      std::fprintf(stderr, "tessel: tuned configs are not used: %s\n",
                   database.error().message().c_str());
    } else {
      for (const std::string &warning : database->warnings())
        std::fprintf(stderr, "tessel: %s\n", warning.c_str());
      process.database = std::move(*database);
    }
  }
  return process.database ? &*process.database : nullptr;
}

/// The key fields of the device, driver and builds, which every entry of
/// this process shares; the kernel and problem are left empty.
Expected<autotune::TuningEntryKey> readProcessKey() {
  Expected<dsl::Jit *> jit = dsl::Jit::global();
  if (!jit)
    return jit.error();
  const runtime::Device *device = (*jit)->device();
  if (!device)
    return Error("tuned configs need a GPU: the JIT has no device");
  Expected<const runtime::Driver *> driver = runtime::Driver::load();
  if (!driver)
    return driver.error();
  autotune::TuningEntryKey key;
  key.kernelDigest =
      std::string(std::string_view(tessel::detail::kKernelSourceDigest).substr(0, 16));
  key.gpuName = device->name();
  key.computeCapability =
      fmt::format("{}.{}", device->computeCapability().major, device->computeCapability().minor);
  key.driverVersion = std::to_string((*driver)->version());
  key.compilerIdentity = std::string(compilerIdentity());
  return key;
}

/// readProcessKey(), read once: host functions look their problem up on
/// every call.
Expected<autotune::TuningEntryKey> processEntryKey(std::string kernel) {
  // Initialized once, thread-safely, and only read afterwards.
  static Expected<autotune::TuningEntryKey> process = readProcessKey();
  if (!process)
    return process.error();
  autotune::TuningEntryKey key = *process;
  key.kernel = std::move(kernel);
  return key;
}

} // namespace

Status useTuningDatabase(const std::filesystem::path &path, bool readOnly) {
  Expected<autotune::TuningDatabase> database =
      readOnly ? autotune::TuningDatabase::openReadOnly(path)
               : autotune::TuningDatabase::open(path);
  if (!database)
    return database.error();
  ProcessDatabase &process = processDatabase();
  std::lock_guard<std::mutex> lock(process.mutex);
  process.database = std::move(*database);
  process.opened = true;
  process.lookups.clear();
  return Status::success();
}

KernelConfig kernelConfigOf(const autotune::Config &config) {
  KernelConfig launch;
  for (const autotune::Config::Parameter &parameter : config.parameters()) {
    if (parameter.first == kNumWarpsParameter)
      launch.numWarps = unsigned(parameter.second);
    else
      launch.constants[parameter.first] = parameter.second;
  }
  return launch;
}

Expected<autotune::TuningEntryKey> tuningEntryKey(std::string_view kernel, std::string problem) {
  Expected<autotune::TuningEntryKey> key = processEntryKey(std::string(kernel));
  if (key)
    key->problem = std::move(problem);
  return key;
}

std::optional<KernelConfig> tunedConfig(std::string_view kernel, const std::string &problem) {
  ProcessDatabase &process = processDatabase();
  std::string memoKey = fmt::format("{} {}", kernel, problem);
  std::lock_guard<std::mutex> lock(process.mutex);
  if (auto found = process.lookups.find(memoKey); found != process.lookups.end())
    return found->second;
  std::optional<KernelConfig> result;
  const autotune::ConfigSpace *space = tuningSpace(kernel);
  Expected<autotune::TuningEntryKey> key = tuningEntryKey(kernel, problem);
  autotune::TuningDatabase *database = space && key ? openedDatabase(process) : nullptr;
  if (database) {
    std::optional<autotune::TunedConfig> tuned = database->lookup(*key);
    // An entry of another space (a parameter since removed, say) is not used.
    if (tuned && space->validate(tuned->config))
      result = kernelConfigOf(tuned->config);
  }
  process.lookups.emplace(std::move(memoKey), result);
  return result;
}

std::optional<KernelConfig> tunedFp8GemmConfig(int64_t m, int64_t n, int64_t k) {
  return tunedConfig("fp8_gemm", fp8GemmTuningKey({m, n, k}));
}

Status detail::withTuningDatabase(
    const std::filesystem::path &path,
    const std::function<Status(autotune::TuningDatabase &)> &use) {
  if (!path.empty()) {
    Expected<autotune::TuningDatabase> database = autotune::TuningDatabase::open(path);
    if (!database)
      return database.error();
    for (const std::string &warning : database->warnings())
      std::fprintf(stderr, "tessel: %s\n", warning.c_str());
    return use(*database);
  }
  ProcessDatabase &process = processDatabase();
  std::lock_guard<std::mutex> lock(process.mutex);
  autotune::TuningDatabase *database = openedDatabase(process);
  if (!database)
    return Error(fmt::format("the tuning database {} could not be opened",
                             autotune::TuningDatabase::defaultPath().string()));
  process.lookups.clear();
  return use(*database);
}

} // namespace tessel::kernels
