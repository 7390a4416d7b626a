// Just-in-time compilation and launch of DSL kernels on the current GPU.
//
// The first launch of a kernel for one set of constants, warp count and
// argument specialization builds its tile IR, compiles it to PTX and then to
// a cubin, and keeps the result in memory (per process) and on disk (shared
// by processes: $TESSEL_CACHE_DIR). The disk key hashes everything that
// changes the binary: the IR, the compile options, the target, the compiler
// version and the driver version. A second, small entry remembers which IR
// key this build of the program's code produced for a configuration, so that
// a new process finds the binary without building the IR again.
//
// Loads are thread-safe, and different configurations compile at once:
// precompile() compiles a sweep's configs on a pool of threads.
#pragma once

#include "tessel/dsl/Kernel.h"
#include "tessel/runtime/Cache.h"
#include "tessel/runtime/Device.h"
#include "tessel/runtime/InFlight.h"
#include "tessel/runtime/Module.h"
#include "tessel/runtime/TensorMap.h"
#include "tessel/runtime/Tensor.h"

#include <array>
#include <atomic>
#include <map>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace tessel::runtime {
class Stream;
}

namespace tessel::dsl {

/// One launch argument, in the order of the kernel's parameters.
class LaunchArg {
public:
  enum class Kind { Pointer, I32, I64, F32 };
  static LaunchArg pointer(uint64_t devicePtr) { return {Kind::Pointer, devicePtr, 0, 0}; }
  static LaunchArg i32(int32_t value) { return {Kind::I32, 0, value, 0}; }
  static LaunchArg i64(int64_t value) { return {Kind::I64, 0, value, 0}; }
  static LaunchArg f32(float value) { return {Kind::F32, 0, 0, value}; }
  LaunchArg(const runtime::TensorView &tensor) : LaunchArg(pointer(tensor.devicePtr)) {}

  Kind kind() const { return kind_; }
  uint64_t devicePtr() const { return pointer_; }
  int64_t integer() const { return integer_; }
  float real() const { return real_; }

private:
  LaunchArg(Kind kind, uint64_t pointer, int64_t integer, float real)
      : kind_(kind), pointer_(pointer), integer_(integer), real_(real) {}
  Kind kind_;
  uint64_t pointer_;
  int64_t integer_;
  float real_;
};

struct LaunchSpec {
  std::array<unsigned, 3> grid{1, 1, 1};
  Constants constants;
  /// Warps per program; 0: the kernel definition's numWarps.
  unsigned numWarps = 0;
  /// Run this launch in the CPU interpreter, for debugging on a GPU machine:
  /// the buffers the pointer arguments point into (DeviceBuffers) are copied
  /// to the host, interpreted with every access checked, and copied back.
  /// Synchronous: `stream` is synchronized first. (Under the interpreter
  /// backend every launch is interpreted anyway.)
  bool interpret = false;
};

struct JitOptions {
  /// Disk cache directory; empty disables the disk cache.
  std::string cacheDirectory = runtime::DiskCache::defaultDirectory().string();
  /// Where to dump the IR of every stage of each compile (empty: no dumps).
  /// Defaults to $TESSEL_DUMP_IR.
  std::string dumpDirectory = defaultDumpDirectory();
  /// Target to compile for; empty: the device's own. An older target runs
  /// on a newer GPU through the driver (how the sm_80 code paths, e.g. the
  /// integer fp8 conversions, are tested on an H100).
  std::string arch;
  /// Loaded kernels kept per process.
  size_t memoryCacheEntries = 1024;
  /// The compiler identity the disk cache keys on; empty: this build's
  /// (tessel::compilerIdentity()). Set only to share or separate caches on
  /// purpose, as the tests of the key do.
  std::string compilerIdentity;

  static std::string defaultDumpDirectory();
};

/// How a load was served; counted for tests and benchmarks. A load that
/// waited for another thread's load of the same configuration is a memory
/// hit.
struct JitStats {
  std::atomic<uint64_t> memoryHits{0}, diskHits{0}, compiles{0}, corruptEntries{0};
  /// Bodies run to build IR (a disk hit through the memo needs none).
  std::atomic<uint64_t> traces{0};
};

/// A kernel loaded for one configuration: its function and the tensor maps
/// each launch passes after the kernel's own arguments.
struct LoadedKernel {
  runtime::Function function;
  std::vector<TensorMapParam> tensorMaps;
};

/// One configuration of a kernel to load: the arguments of Jit::load.
struct LoadRequest {
  const KernelDefinition *kernel = nullptr;
  Constants constants;
  Specialization specialization;
  /// Warps per program; 0: the kernel definition's numWarps.
  unsigned numWarps = 0;
};

class Jit {
public:
  /// A JIT for the current device: opens device 0 when no context is current.
  /// Under the interpreter backend (runtime/Backend.h) it opens nothing and
  /// runs kernels in the tile interpreter on the host buffers.
  static Expected<std::unique_ptr<Jit>> create(JitOptions options = {});
  /// The process-wide JIT the kernel library uses, created on first use.
  static Expected<Jit *> global();

  /// Finds or builds the kernel for these constants, warps and arguments.
  /// Threads that load one configuration at once build it once: the others
  /// wait for it. A failed build is not kept; the next load tries again.
  Expected<LoadedKernel> load(const KernelDefinition &kernel, const Constants &constants,
                              const Specialization &specialization, unsigned numWarps);
  /// Loads every request on `threads` threads at once (0: one per hardware
  /// thread), each with this JIT's device current: what a sweep does before
  /// it times its configs. One result per request, in their order, each what
  /// load() would give; a request that fails leaves the others unaffected.
  std::vector<Expected<LoadedKernel>> precompile(std::span<const LoadRequest> requests,
                                                 unsigned threads = 0);
  /// Checks `args` against the kernel's parameters, specializes on them
  /// (16-byte aligned pointers, integers divisible by 16), loads and launches.
  Status launch(const KernelDefinition &kernel, const LaunchSpec &spec,
                std::span<const LaunchArg> args, const runtime::Stream *stream = nullptr);

  /// The specialization a launch with `args` uses.
  static Specialization specialize(std::span<const LaunchArg> args);

  const std::string &arch() const { return arch_; }
  /// The GPU the kernels run on; null under the interpreter backend.
  const runtime::Device *device() const { return device_ ? &*device_ : nullptr; }
  const JitStats &stats() const { return stats_; }
  /// Drops the loaded kernels (the disk cache stays): the next load of each
  /// comes from disk, as in a new process.
  void clearMemoryCache() { loaded_.clear(); }

private:
  Jit(JitOptions options, std::string arch, int driverVersion);
  Status interpret(const KernelDefinition &kernel, const LaunchSpec &spec,
                   std::span<const LaunchArg> args);
  Status interpretOnHostCopies(const KernelDefinition &kernel, const LaunchSpec &spec,
                               std::span<const LaunchArg> args, const runtime::Stream *stream);
  Status runInterpreter(const KernelDefinition &kernel, const LaunchSpec &spec,
                        std::span<const LaunchArg> args,
                        const std::vector<InterpreterArg> &interpreterArgs,
                        const std::vector<MemoryRegion> &regions);
  std::optional<LoadedKernel> loadFromDisk(const std::string &key,
                                           const KernelDefinition &kernel);
  Expected<LoadedKernel> loadFromDiskOrCompile(const KernelDefinition &kernel,
                                               const Constants &constants,
                                               const Specialization &specialization,
                                               unsigned numWarps);
  /// What the tensor map `map` describes for a launch with `args`.
  static Expected<runtime::TensorMapSpec> tensorMapSpec(const KernelDefinition &kernel,
                                                        const TensorMapParam &map,
                                                        std::span<const LaunchArg> args);

  JitOptions options_;
  std::string arch_;
  std::optional<runtime::Device> device_;
  int driverVersion_;
  std::optional<runtime::DiskCache> disk_;
  runtime::MemoryCache<std::string, LoadedKernel> loaded_;
  /// Encoded tensor maps by what they describe: a launch in steady state
  /// encodes none.
  runtime::TensorMapCache tensorMaps_;
  /// The loads being built now, by the key of loaded_.
  runtime::InFlight<std::string, Expected<LoadedKernel>> loading_;
  /// Held by compiles that dump their stages, whose files one kernel's
  /// configurations share: each dump then holds one compile's stages.
  std::mutex dumpMutex_;
  bool interpreted_ = false;
  /// Built kernels the interpreter runs, by kernel and constants.
  std::map<std::string, std::shared_ptr<const BuiltKernel>> interpretedKernels_;
  std::mutex interpretedMutex_;
  runtime::InFlight<std::string, Expected<std::shared_ptr<const BuiltKernel>>> building_;
  JitStats stats_;
};

} // namespace tessel::dsl
