#include "tessel/runtime/Device.h"

#include "DriverApi.h"

#include <fmt/format.h>

#include <array>

namespace tessel::runtime {

std::string archName(ComputeCapability capability) {
  const bool archSpecific =
      (capability.major == 9 || capability.major == 10) && capability.minor == 0;
  return fmt::format("sm_{}{}{}", capability.major, capability.minor, archSpecific ? "a" : "");
}

Expected<int> Device::count() {
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return driver.error();
  const DriverApi &api = (*driver)->api();
  int devices = 0;
  if (Status status = check(api, api.deviceGetCount(&devices), "cuDeviceGetCount failed"); !status)
    return status.error();
  return devices;
}

Expected<Device> Device::open(int ordinal) {
  Expected<int> devices = count();
  if (!devices)
    return devices.error();
  if (ordinal < 0 || ordinal >= *devices)
    return Error(fmt::format("CUDA device {} does not exist: the driver sees {} device(s)", ordinal,
                             *devices));

  Device device;
  device.driver_ = Driver::load().value();
  device.ordinal_ = ordinal;
  const DriverApi &api = device.driver_->api();
  const std::string where = fmt::format("CUDA device {}", ordinal);

  CUdevice handle = 0;
  if (Status s = check(api, api.deviceGet(&handle, ordinal), where + ": cuDeviceGet failed"); !s)
    return s.error();
  device.handle_ = handle;

  // Retained once per open() and never released (see open()'s comment); the
  // driver keeps one context per device however often it is retained.
  CUcontext context = nullptr;
  if (Status s = check(api, api.devicePrimaryCtxRetain(&context, handle),
                       where + ": cuDevicePrimaryCtxRetain failed");
      !s)
    return s.error();
  device.context_ = context;
  if (Status s = device.makeCurrent(); !s)
    return s.error();

  std::array<char, 256> name{};
  if (Status s = check(api, api.deviceGetName(name.data(), static_cast<int>(name.size()), handle),
                       where + ": cuDeviceGetName failed");
      !s)
    return s.error();
  device.name_ = name.data();

  size_t totalMemory = 0;
  if (Status s =
          check(api, api.deviceTotalMem(&totalMemory, handle), where + ": cuDeviceTotalMem failed");
      !s)
    return s.error();
  device.totalMemory_ = totalMemory;

  struct Query {
    CUdevice_attribute attribute;
    const char *name;
    int *out;
  };
  const Query queries[] = {
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "COMPUTE_CAPABILITY_MAJOR",
       &device.capability_.major},
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "COMPUTE_CAPABILITY_MINOR",
       &device.capability_.minor},
      {CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "MULTIPROCESSOR_COUNT",
       &device.multiprocessorCount_},
      {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, "MAX_SHARED_MEMORY_PER_BLOCK_OPTIN",
       &device.maxSharedMemoryPerBlockOptin_},
      {CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, "MAX_THREADS_PER_BLOCK",
       &device.maxThreadsPerBlock_},
      {CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK, "MAX_REGISTERS_PER_BLOCK",
       &device.maxRegistersPerBlock_},
      {CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, "L2_CACHE_SIZE", &device.l2CacheBytes_},
  };
  for (const Query &query : queries) {
    CUresult result = api.deviceGetAttribute(query.out, query.attribute, handle);
    if (Status s = check(api, result,
                         fmt::format("{}: cuDeviceGetAttribute({}) failed", where, query.name));
        !s)
      return s.error();
  }
  return device;
}

Status ensureCurrentContext() {
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return driver.error();
  const DriverApi &api = (*driver)->api();
  CUcontext current = nullptr;
  if (Status s = check(api, api.ctxGetCurrent(&current), "cuCtxGetCurrent failed"); !s)
    return s;
  if (current)
    return Status::success();
  Expected<Device> device = Device::open(0);
  if (!device)
    return Error(fmt::format("no CUDA context is current on this thread, and opening device 0 "
                             "for one failed: {}",
                             device.error().message()));
  return Status::success();
}

Status Device::makeCurrent() const {
  const DriverApi &api = driver_->api();
  if (CUresult r = api.ctxSetCurrent(static_cast<CUcontext>(context_)); r != CUDA_SUCCESS)
    return driverError(api, r, fmt::format("CUDA device {}: cuCtxSetCurrent failed", ordinal_));
  return Status::success();
}

Status Device::synchronize() const {
  if (Status s = makeCurrent(); !s)
    return s;
  const DriverApi &api = driver_->api();
  if (CUresult r = api.ctxSynchronize(); r != CUDA_SUCCESS)
    return driverError(api, r, fmt::format("CUDA device {}: cuCtxSynchronize failed", ordinal_));
  return Status::success();
}

Status probeGpu() {
  Expected<int> devices = Device::count();
  if (!devices)
    return devices.error();
  if (*devices == 0)
    return Error("the CUDA driver sees no device");
  return Status::success();
}

} // namespace tessel::runtime
