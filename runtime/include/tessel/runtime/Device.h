// A CUDA device and the facts about it that code generation and tuning need.
#pragma once

#include "tessel/support/Error.h"

#include <compare>
#include <cstddef>
#include <string>

namespace tessel::runtime {

class Driver;

struct ComputeCapability {
  int major = 0;
  int minor = 0;
  friend auto operator<=>(const ComputeCapability &, const ComputeCapability &) = default;
};

/// The PTX target a kernel for this capability is compiled for: "sm_90a" for
/// 9.0 and "sm_100a" for 10.0, whose architecture-specific instructions
/// (wgmma, setmaxnreg; tcgen05) exist only in the "a" targets, and
/// "sm_<major><minor>" otherwise ("sm_80", "sm_89").
std::string archName(ComputeCapability capability);

/// One GPU, used through its primary context (the one the CUDA runtime API
/// also uses, so that Tessel's buffers and kernels mix with PyTorch's or
/// cuBLAS's in one process). A cheap value: copying it copies the facts
/// queried at open().
class Device {
public:
  /// Retains the device's primary context and makes it current on the
  /// calling thread. The context is retained for the rest of the process,
  /// like the CUDA runtime does, so that no buffer or module outlives it.
  static Expected<Device> open(int ordinal = 0);
  /// Number of devices the driver sees; an Error when no driver loads.
  static Expected<int> count();

  /// Makes this device's context current on the calling thread: needed once
  /// on each thread other than the one that called open().
  Status makeCurrent() const;
  /// Makes the context current and waits for all work in it
  /// (cuCtxSynchronize); a kernel's fault surfaces here.
  Status synchronize() const;

  int ordinal() const { return ordinal_; }
  const std::string &name() const { return name_; }
  ComputeCapability computeCapability() const { return capability_; }
  std::string arch() const { return archName(capability_); }
  int multiprocessorCount() const { return multiprocessorCount_; }
  /// The most shared memory one block may use after opting in with
  /// Function::setMaxDynamicSharedMemory (227 KiB on H100).
  int maxSharedMemoryPerBlockOptin() const { return maxSharedMemoryPerBlockOptin_; }
  int maxThreadsPerBlock() const { return maxThreadsPerBlock_; }
  int maxRegistersPerBlock() const { return maxRegistersPerBlock_; }
  /// L2 size in bytes: what a timing loop must overwrite to start cold.
  int l2CacheBytes() const { return l2CacheBytes_; }
  std::size_t totalMemory() const { return totalMemory_; }
  /// The context as a CUcontext.
  void *contextHandle() const { return context_; }

private:
  Device() = default;

  const Driver *driver_ = nullptr;
  int ordinal_ = 0;
  int handle_ = 0; // CUdevice
  void *context_ = nullptr;
  std::string name_;
  ComputeCapability capability_;
  int multiprocessorCount_ = 0;
  int maxSharedMemoryPerBlockOptin_ = 0;
  int maxThreadsPerBlock_ = 0;
  int maxRegistersPerBlock_ = 0;
  int l2CacheBytes_ = 0;
  std::size_t totalMemory_ = 0;
};

/// Makes device 0's primary context current when no context is current on
/// the calling thread, as the CUDA runtime does on its first call; a context
/// already current (another device's, or one the application made) stays.
/// Every runtime call that allocates or creates something on the GPU
/// (buffers and tensors, streams, events, modules) calls it first, so that a
/// program may start with Tensor::empty; Device::open picks other devices.
Status ensureCurrentContext();

/// Success when the driver loads and sees at least one device; otherwise the
/// reason, for messages such as a test's skip.
Status probeGpu();
inline bool gpuAvailable() { return probeGpu().ok(); }

} // namespace tessel::runtime
