// Running kernels in the tile interpreter: every launch under the
// interpreter backend, and a launch with LaunchSpec::interpret on the GPU
// backend, on host copies of its buffers.
#include "tessel/dsl/Jit.h"

#include "JitKeys.h"

#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Buffer.h"
#include "tessel/runtime/Stream.h"

#include <fmt/format.h>

#include <algorithm>

namespace tessel::dsl {
namespace {

InterpreterArg toInterpreterArg(const LaunchArg &arg, uint64_t pointer) {
  switch (arg.kind()) {
  case LaunchArg::Kind::Pointer:
    return {InterpreterArg::Kind::Pointer, pointer, 0, 0};
  case LaunchArg::Kind::I32:
    return InterpreterArg::i32(int32_t(arg.integer()));
  case LaunchArg::Kind::I64:
    return InterpreterArg::i64(arg.integer());
  case LaunchArg::Kind::F32:
    return InterpreterArg::f32(arg.real());
  }
  return {};
}

} // namespace

Status Jit::runInterpreter(const KernelDefinition &kernel, const LaunchSpec &spec,
                           std::span<const LaunchArg> args,
                           const std::vector<InterpreterArg> &interpreterArgs,
                           const std::vector<MemoryRegion> &regions) {
  Expected<Constants> resolved = resolveConstants(kernel, spec.constants);
  if (!resolved)
    return resolved.error();
  std::string key = detail::interpreterKey(kernel, *resolved);
  auto find = [&]() -> std::shared_ptr<const BuiltKernel> {
    std::lock_guard<std::mutex> lock(interpretedMutex_);
    auto found = interpretedKernels_.find(key);
    return found == interpretedKernels_.end() ? nullptr : found->second;
  };
  std::shared_ptr<const BuiltKernel> built = find();
  if (built) {
    ++stats_.memoryHits;
  } else {
    // One build per key however many threads launch it at once; other
    // kernels build meanwhile. The interpreter only reads the built IR, so
    // the threads may then run it together.
    bool produced = false;
    Expected<std::shared_ptr<const BuiltKernel>> shared = building_.run(
        key,
        [&]() -> Expected<std::shared_ptr<const BuiltKernel>> {
          if (std::shared_ptr<const BuiltKernel> stored = find()) {
            ++stats_.memoryHits;
            return stored;
          }
          Expected<BuiltKernel> fresh = build(kernel, *resolved, specialize(args));
          if (!fresh)
            return fresh.error();
          auto made = std::make_shared<const BuiltKernel>(std::move(*fresh));
          {
            std::lock_guard<std::mutex> lock(interpretedMutex_);
            interpretedKernels_.emplace(key, made);
          }
          ++stats_.compiles;
          return made;
        },
        &produced);
    if (!shared)
      return shared.error();
    if (!produced)
      ++stats_.memoryHits;
    built = *shared;
  }
  InterpretOptions options;
  options.grid = spec.grid;
  return built->interpret(interpreterArgs, regions, options);
}

Status Jit::interpret(const KernelDefinition &kernel, const LaunchSpec &spec,
                      std::span<const LaunchArg> args) {
  std::vector<InterpreterArg> interpreterArgs;
  for (const LaunchArg &arg : args)
    interpreterArgs.push_back(toInterpreterArg(arg, arg.devicePtr()));
  // Every live buffer of the backend is memory the kernel may touch.
  std::vector<MemoryRegion> regions;
  for (const runtime::HostAllocation &allocation : runtime::hostAllocations())
    regions.push_back({reinterpret_cast<const void *>(allocation.address), allocation.bytes,
                       fmt::format("buffer 0x{:x}", allocation.address), allocation.written});
  return runInterpreter(kernel, spec, args, interpreterArgs, regions);
}

Status Jit::interpretOnHostCopies(const KernelDefinition &kernel, const LaunchSpec &spec,
                                  std::span<const LaunchArg> args,
                                  const runtime::Stream *stream) {
  if (stream)
    if (Status synced = stream->synchronize(); !synced)
      return synced;
  // One host copy per distinct DeviceBuffer the pointers point into.
  struct Copy {
    runtime::DeviceAllocation device;
    std::vector<uint8_t> host;
    std::string name;
  };
  std::vector<Copy> copies;
  std::vector<InterpreterArg> interpreterArgs;
  for (size_t i = 0; i < args.size(); ++i) {
    const LaunchArg &arg = args[i];
    if (arg.kind() != LaunchArg::Kind::Pointer) {
      interpreterArgs.push_back(toInterpreterArg(arg, 0));
      continue;
    }
    std::optional<runtime::DeviceAllocation> allocation =
        runtime::deviceAllocationContaining(arg.devicePtr());
    if (!allocation)
      return Error(fmt::format("kernel {}: argument {} ('{}') points into no buffer allocated "
                               "through tessel::runtime; the interpreter cannot copy it",
                               kernel.name, i, kernel.params[i].name));
    auto copy = std::find_if(copies.begin(), copies.end(), [&](const Copy &c) {
      return c.device.devicePtr == allocation->devicePtr;
    });
    if (copy == copies.end()) {
      copies.push_back({*allocation, std::vector<uint8_t>(allocation->bytes),
                        kernel.params[i].name});
      copy = copies.end() - 1;
      if (Status read = runtime::copyToHostFrom(allocation->devicePtr, copy->host.data(),
                                                allocation->bytes);
          !read)
        return read;
    }
    interpreterArgs.push_back(toInterpreterArg(
        arg, reinterpret_cast<uint64_t>(copy->host.data()) +
                 (arg.devicePtr() - allocation->devicePtr)));
  }
  std::vector<MemoryRegion> regions;
  for (Copy &copy : copies)
    regions.push_back({copy.host.data(), copy.host.size(), copy.name});
  if (Status ran = runInterpreter(kernel, spec, args, interpreterArgs, regions); !ran)
    return ran; // nothing is copied back: the device buffers stay as they were
  for (Copy &copy : copies)
    if (Status written =
            runtime::copyFromHostTo(copy.device.devicePtr, copy.host.data(), copy.host.size());
        !written)
      return written;
  return Status::success();
}

} // namespace tessel::dsl
