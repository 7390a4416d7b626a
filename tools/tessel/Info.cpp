// tessel info: what this machine offers Tessel and what Tessel keeps on it:
// the CUDA driver and devices, the compiler build, the kernel cache and the
// tuning database. It changes nothing, and a problem with one part (no
// driver, an unreadable cache) is reported in its place while the rest is
// still printed, so that the output helps most when something is wrong.
#include "Commands.h"
#include "Quantities.h"

#include "tessel/Compiler/Pipeline.h"
#include "tessel/autotune/TuningDatabase.h"
#include "tessel/runtime/Device.h"
#include "tessel/runtime/DiskCache.h"
#include "tessel/runtime/Driver.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <optional>

namespace tessel::tool {
namespace {
namespace fs = std::filesystem;

std::string help() {
  return "usage: tessel info [--json]\n"
         "\n"
         "Prints the CUDA driver's version and each device (ordinal, name, compute\n"
         "capability, multiprocessors, memory), the compiler identity that cache keys\n"
         "carry, the kernel cache directory with its entries and bytes, and the tuning\n"
         "database with its entries. Without a driver or GPU it says why and prints the\n"
         "rest. --json prints the same as one JSON object.\n";
}

// Each report holds what was found, or in `problem` why it could not be.

struct DeviceReport {
  int ordinal = 0;
  std::optional<runtime::Device> device;
  std::string problem;
};

/// The driver and its devices, or why there are none.
struct GpuReport {
  /// Null when the driver does not load.
  const runtime::Driver *driver = nullptr;
  std::vector<DeviceReport> devices;
  /// Why there is no device to use (runtime::probeGpu()).
  std::string problem;
};

struct CacheReport {
  fs::path directory;
  runtime::CacheUsage usage;
  std::string problem;
};

struct TuningDatabaseReport {
  fs::path path;
  bool exists = false;
  std::uintmax_t bytes = 0;
  std::size_t entries = 0;
  std::string problem;
};

GpuReport inspectGpu() {
  GpuReport report;
  if (Expected<const runtime::Driver *> driver = runtime::Driver::load())
    report.driver = *driver;
  if (Status gpu = runtime::probeGpu(); !gpu) {
    report.problem = gpu.error().message();
    return report;
  }
  Expected<int> count = runtime::Device::count();
  if (!count) {
    report.problem = count.error().message();
    return report;
  }
  for (int ordinal = 0; ordinal < *count; ++ordinal) {
    Expected<runtime::Device> device = runtime::Device::open(ordinal);
    if (device)
      report.devices.push_back({ordinal, *device, ""});
    else
      report.devices.push_back({ordinal, std::nullopt, device.error().message()});
  }
  return report;
}

CacheReport inspectCache() {
  runtime::DiskCache cache(runtime::DiskCache::defaultDirectory());
  Expected<std::vector<runtime::CacheEntry>> entries = cache.entries();
  if (!entries)
    return {cache.directory(), {}, entries.error().message()};
  return {cache.directory(), runtime::usageOf(*entries), ""};
}

TuningDatabaseReport inspectTuningDatabase() {
  TuningDatabaseReport report;
  report.path = autotune::TuningDatabase::defaultPath();
  std::error_code error;
  fs::file_status status = fs::status(report.path, error);
  if (status.type() == fs::file_type::not_found)
    return report;
  report.exists = true;
  if (std::uintmax_t bytes = fs::file_size(report.path, error); !error)
    report.bytes = bytes;
  // Read-only: open() would set a corrupt file aside, and info changes
  // nothing; a problem with the file is reported instead.
  Expected<autotune::TuningDatabase> database = autotune::TuningDatabase::openReadOnly(report.path);
  if (database)
    report.entries = database->size();
  else
    report.problem = database.error().message();
  return report;
}

/// 12080 -> "12.8", as CUDA numbers its releases.
std::string cudaVersionText(int version) {
  return fmt::format("{}.{}", version / 1000, version % 1000 / 10);
}

std::string capabilityText(runtime::ComputeCapability capability) {
  return fmt::format("{}.{}", capability.major, capability.minor);
}

void printText(const GpuReport &gpu, const CacheReport &cache, const TuningDatabaseReport &tuning) {
  if (gpu.driver)
    fmt::print("CUDA driver: {} ({})\n", cudaVersionText(gpu.driver->version()),
               gpu.driver->libraryPath());
  else
    fmt::print("CUDA driver: none\n");
  if (!gpu.problem.empty())
    fmt::print("devices: none ({})\n", gpu.problem);
  for (const DeviceReport &report : gpu.devices) {
    if (!report.device) {
      fmt::print("device {}: {}\n", report.ordinal, report.problem);
      continue;
    }
    const runtime::Device &device = *report.device;
    fmt::print("device {}: {}, compute capability {} ({}), {} multiprocessors, {}\n",
               report.ordinal, device.name(), capabilityText(device.computeCapability()),
               device.arch(), device.multiprocessorCount(), byteSizeText(device.totalMemory()));
  }
  fmt::print("compiler: {}\n", compilerIdentity());
  fmt::print("kernel cache: {}\n", cache.directory.string());
  if (cache.problem.empty())
    fmt::print("  {}, {}\n", entryCountText(cache.usage.entries), byteSizeText(cache.usage.bytes));
  else
    fmt::print("  {}\n", cache.problem);
  fmt::print("tuning database: {}\n", tuning.path.string());
  if (!tuning.exists)
    fmt::print("  not created yet\n");
  else if (tuning.problem.empty())
    fmt::print("  {}, {}\n", entryCountText(tuning.entries), byteSizeText(tuning.bytes));
  else
    fmt::print("  {}\n", tuning.problem);
}

void printJson(const GpuReport &gpu, const CacheReport &cache, const TuningDatabaseReport &tuning) {
  nlohmann::ordered_json report;
  report["driver"] = nullptr;
  if (gpu.driver)
    report["driver"] = {{"library", gpu.driver->libraryPath()},
                        {"version", gpu.driver->version()},
                        {"cuda_version", cudaVersionText(gpu.driver->version())}};
  report["devices"] = nlohmann::ordered_json::array();
  for (const DeviceReport &device : gpu.devices) {
    if (!device.device) {
      report["devices"].push_back({{"ordinal", device.ordinal}, {"error", device.problem}});
      continue;
    }
    const runtime::Device &facts = *device.device;
    report["devices"].push_back({{"ordinal", device.ordinal},
                                 {"name", facts.name()},
                                 {"compute_capability", capabilityText(facts.computeCapability())},
                                 {"arch", facts.arch()},
                                 {"multiprocessors", facts.multiprocessorCount()},
                                 {"total_memory_bytes", facts.totalMemory()}});
  }
  if (!gpu.problem.empty())
    report["gpu_problem"] = gpu.problem;
  report["compiler"] = std::string(compilerIdentity());

  nlohmann::ordered_json cacheJson = {{"directory", cache.directory.string()}};
  if (cache.problem.empty()) {
    cacheJson["entries"] = cache.usage.entries;
    cacheJson["bytes"] = cache.usage.bytes;
  } else {
    cacheJson["error"] = cache.problem;
  }
  report["kernel_cache"] = cacheJson;

  nlohmann::ordered_json tuningJson = {{"path", tuning.path.string()}, {"exists", tuning.exists}};
  if (tuning.exists && tuning.problem.empty()) {
    tuningJson["entries"] = tuning.entries;
    tuningJson["bytes"] = tuning.bytes;
  } else if (tuning.exists) {
    tuningJson["error"] = tuning.problem;
  }
  report["tuning_database"] = tuningJson;
  fmt::print("{}\n", report.dump(2));
}

} // namespace

int info(const std::vector<std::string> &args) {
  bool json = false;
  for (const std::string &flag : args) {
    if (flag == "--help" || flag == "-h") {
      std::fputs(help().c_str(), stdout);
      return 0;
    }
    if (flag != "--json")
      usageError(fmt::format("info: unknown argument '{}'", flag));
    json = true;
  }
  GpuReport gpu = inspectGpu();
  CacheReport cache = inspectCache();
  TuningDatabaseReport tuning = inspectTuningDatabase();
  if (json)
    printJson(gpu, cache, tuning);
  else
    printText(gpu, cache, tuning);
  return 0;
}

} // namespace tessel::tool
