// Loaded GPU code: modules from PTX or cubin, and the kernels in them.
#pragma once

#include "tessel/support/Error.h"

#include <memory>
#include <string>
#include <string_view>

namespace tessel::runtime {

class Driver;

namespace detail {
struct LoadedModule;
} // namespace detail

/// A kernel of a loaded Module. A handle: copies refer to the same kernel,
/// and each keeps its module loaded, so that a kernel cache may hold
/// Functions alone.
class Function {
public:
  /// An empty Function; launching it is an Error.
  Function() = default;

  bool valid() const { return handle_ != nullptr; }
  /// The kernel's name, as every launch error reports it.
  const std::string &name() const { return name_; }
  /// The kernel as a CUfunction.
  void *handle() const { return handle_; }
  const Driver *driver() const { return driver_; }

  /// Lets launches of this kernel use up to `bytes` of dynamic shared memory;
  /// needed above 48 KiB. Applies to the kernel, so to every copy of this
  /// handle.
  Status setMaxDynamicSharedMemory(int bytes) const;
  /// Makes every launch of this handle (and its copies) provide `bytes` of
  /// dynamic shared memory, which the kernel's code uses; opts the kernel in
  /// above 48 KiB.
  Status requireSharedMemory(unsigned bytes);
  /// Dynamic shared memory every launch provides, in bytes.
  unsigned requiredSharedBytes() const { return requiredSharedBytes_; }
  /// Registers per thread, as ptxas allocated them.
  Expected<int> numRegisters() const;
  /// The most threads per block a launch may use, given the registers.
  Expected<int> maxThreadsPerBlock() const;
  /// Statically declared shared memory in bytes.
  Expected<int> staticSharedBytes() const;
  /// Local memory per thread in bytes; non-zero means register spills.
  Expected<int> localBytes() const;

private:
  friend class Module;
  Expected<int> attribute(int cuAttribute, const char *attributeName) const;

  std::shared_ptr<const detail::LoadedModule> module_;
  const Driver *driver_ = nullptr;
  void *handle_ = nullptr;
  std::string name_;
  unsigned requiredSharedBytes_ = 0;
};

/// A module loaded into the current context (cuModuleLoadDataEx), unloaded
/// when the last Module or Function that refers to it is gone.
class Module {
public:
  /// JIT-compiles `ptx` for the current device. `name` (the kernel or
  /// config it was built for) appears in errors; a failed compile's Error
  /// includes the JIT error log.
  static Expected<Module> loadPtx(std::string_view ptx, std::string name);
  /// Compiles `ptx` to a cubin for the current device with the driver's
  /// linker (cuLink*), without loading it: what a disk cache stores, so that
  /// a later process loads machine code instead of compiling PTX again.
  static Expected<std::string> compilePtx(std::string_view ptx, const std::string &name);
  /// Loads a cubin or fatbin, such as one read back from the disk cache.
  static Expected<Module> loadImage(std::string_view image, std::string name);

  /// The kernel `kernelName` (its .entry name in the PTX).
  Expected<Function> function(std::string_view kernelName) const;

  const std::string &name() const;
  /// What the JIT reported beyond errors (usually empty).
  const std::string &infoLog() const;

private:
  explicit Module(std::shared_ptr<detail::LoadedModule> loaded) : loaded_(std::move(loaded)) {}
  static Expected<Module> load(const void *image, std::string name, const char *kind);

  std::shared_ptr<detail::LoadedModule> loaded_;
};

} // namespace tessel::runtime
