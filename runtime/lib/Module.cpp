#include "tessel/runtime/Module.h"

#include "DriverApi.h"
#include "tessel/runtime/Device.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace tessel::runtime {

namespace detail {
struct LoadedModule {
  const Driver *driver = nullptr;
  CUmodule handle = nullptr;
  std::string name;
  std::string infoLog;

  LoadedModule() = default;
  LoadedModule(const LoadedModule &) = delete;
  LoadedModule &operator=(const LoadedModule &) = delete;
  ~LoadedModule() {
    if (handle)
      (void)driver->api().moduleUnload(handle);
  }
};
} // namespace detail

namespace {

/// Enough for every message of a failing compile of a large kernel; the
/// driver truncates beyond it.
constexpr std::size_t kJitLogBytes = 32 * 1024;

std::string logText(const std::array<char, kJitLogBytes> &buffer) {
  std::string text(buffer.data(), strnlen(buffer.data(), buffer.size()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return text;
}

} // namespace

//===----------------------------------------------------------------------===//
// Module
//===----------------------------------------------------------------------===//

Expected<Module> Module::loadPtx(std::string_view ptx, std::string name) {
  if (ptx.empty())
    return Error(fmt::format("cannot load module {}: the PTX is empty", name));
  // The driver reads PTX up to its terminating NUL.
  const std::string terminated(ptx);
  return load(terminated.c_str(), std::move(name), "PTX");
}

Expected<Module> Module::loadImage(std::string_view image, std::string name) {
  if (image.empty())
    return Error(fmt::format("cannot load module {}: the image is empty", name));
  return load(image.data(), std::move(name), "image");
}

Expected<std::string> Module::compilePtx(std::string_view ptx, const std::string &name) {
  if (ptx.empty())
    return Error(fmt::format("cannot compile module {}: the PTX is empty", name));
  if (Status s = ensureCurrentContext(); !s)
    return s.error();
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return Error(fmt::format("cannot compile module {}: {}", name, driver.error().message()));
  const DriverApi &api = (*driver)->api();

  std::array<char, kJitLogBytes> errorLog{};
  std::array<CUjit_option, 2> options = {CU_JIT_ERROR_LOG_BUFFER,
                                         CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  std::array<void *, 2> values = {
      errorLog.data(),
      reinterpret_cast<void *>(static_cast<std::uintptr_t>(errorLog.size()))};
  CUlinkState link = nullptr;
  if (CUresult r = api.linkCreate(unsigned(options.size()), options.data(), values.data(), &link);
      r != CUDA_SUCCESS)
    return driverError(api, r, fmt::format("cuLinkCreate failed for module {}", name));
  // The link state owns the cubin: copy it out before destroying the state.
  struct Destroy {
    const DriverApi &api;
    CUlinkState link;
    ~Destroy() { api.linkDestroy(link); }
  } destroy{api, link};
  const std::string terminated(ptx);
  CUresult result = api.linkAddData(link, CU_JIT_INPUT_PTX, const_cast<char *>(terminated.c_str()),
                                    terminated.size() + 1, name.c_str(), 0, nullptr, nullptr);
  void *cubin = nullptr;
  size_t cubinBytes = 0;
  if (result == CUDA_SUCCESS)
    result = api.linkComplete(link, &cubin, &cubinBytes);
  if (result != CUDA_SUCCESS) {
    std::string message = fmt::format("compiling the PTX of module {} failed: {}", name,
                                      describeResult(api, result));
    if (std::string log = logText(errorLog); !log.empty())
      message += fmt::format("\nJIT error log:\n{}", log);
    return Error(std::move(message));
  }
  return std::string(static_cast<const char *>(cubin), cubinBytes);
}

Expected<Module> Module::load(const void *image, std::string name, const char *kind) {
  if (Status s = ensureCurrentContext(); !s)
    return s.error();
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return Error(fmt::format("cannot load module {}: {}", name, driver.error().message()));
  const DriverApi &api = (*driver)->api();

  // Sized logs, so that a failed compile explains itself; without them the
  // driver only says CUDA_ERROR_INVALID_PTX.
  std::array<char, kJitLogBytes> errorLog{};
  std::array<char, kJitLogBytes> infoLog{};
  std::array<CUjit_option, 4> options = {
      CU_JIT_ERROR_LOG_BUFFER,
      CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
      CU_JIT_INFO_LOG_BUFFER,
      CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
  };
  // Option values travel as void*; the sizes are integers cast to pointers,
  // as the cuModuleLoadDataEx documentation prescribes.
  std::array<void *, 4> values = {
      errorLog.data(),
      reinterpret_cast<void *>(static_cast<std::uintptr_t>(errorLog.size())),
      infoLog.data(),
      reinterpret_cast<void *>(static_cast<std::uintptr_t>(infoLog.size())),
  };

  auto loaded = std::make_shared<detail::LoadedModule>();
  loaded->driver = *driver;
  loaded->name = std::move(name);
  CUresult result = api.moduleLoadDataEx(
      &loaded->handle, image, static_cast<unsigned>(options.size()), options.data(), values.data());
  if (result != CUDA_SUCCESS) {
    loaded->handle = nullptr;
    std::string message = fmt::format("cuModuleLoadDataEx of {} failed for module {}: {}", kind,
                                      loaded->name, describeResult(api, result));
    if (std::string log = logText(errorLog); !log.empty())
      message += fmt::format("\nJIT error log:\n{}", log);
    return Error(std::move(message));
  }
  loaded->infoLog = logText(infoLog);
  return Module(std::move(loaded));
}

Expected<Function> Module::function(std::string_view kernelName) const {
  const DriverApi &api = loaded_->driver->api();
  const std::string kernel(kernelName);
  CUfunction handle = nullptr;
  if (CUresult r = api.moduleGetFunction(&handle, loaded_->handle, kernel.c_str());
      r != CUDA_SUCCESS)
    return driverError(api, r,
                       fmt::format("kernel {} not found in module {} (cuModuleGetFunction)", kernel,
                                   loaded_->name));
  Function function;
  function.module_ = loaded_;
  function.driver_ = loaded_->driver;
  function.handle_ = handle;
  function.name_ = kernel;
  return function;
}

const std::string &Module::name() const { return loaded_->name; }
const std::string &Module::infoLog() const { return loaded_->infoLog; }

//===----------------------------------------------------------------------===//
// Function
//===----------------------------------------------------------------------===//

Status Function::setMaxDynamicSharedMemory(int bytes) const {
  if (!valid())
    return Error("cannot set the shared memory size of an empty Function");
  const DriverApi &api = driver_->api();
  CUresult result = api.funcSetAttribute(static_cast<CUfunction>(handle_),
                                         CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
  if (result != CUDA_SUCCESS)
    return driverError(api, result,
                       fmt::format("cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES = {}) failed "
                                   "for kernel {}",
                                   bytes, name_));
  return Status::success();
}

Status Function::requireSharedMemory(unsigned bytes) {
  constexpr unsigned kDefaultLimit = 48 * 1024;
  if (bytes > kDefaultLimit)
    if (Status ok = setMaxDynamicSharedMemory(int(bytes)); !ok)
      return ok;
  requiredSharedBytes_ = bytes;
  return Status::success();
}

Expected<int> Function::attribute(int cuAttribute, const char *attributeName) const {
  if (!valid())
    return Error(fmt::format("cannot query {} of an empty Function", attributeName));
  const DriverApi &api = driver_->api();
  int value = 0;
  CUresult result = api.funcGetAttribute(&value, static_cast<CUfunction_attribute>(cuAttribute),
                                         static_cast<CUfunction>(handle_));
  if (result != CUDA_SUCCESS)
    return driverError(
        api, result,
        fmt::format("cuFuncGetAttribute({}) failed for kernel {}", attributeName, name_));
  return value;
}

Expected<int> Function::numRegisters() const {
  return attribute(CU_FUNC_ATTRIBUTE_NUM_REGS, "NUM_REGS");
}
Expected<int> Function::maxThreadsPerBlock() const {
  return attribute(CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, "MAX_THREADS_PER_BLOCK");
}
Expected<int> Function::staticSharedBytes() const {
  return attribute(CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, "SHARED_SIZE_BYTES");
}
Expected<int> Function::localBytes() const {
  return attribute(CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES, "LOCAL_SIZE_BYTES");
}

} // namespace tessel::runtime
