// Loading a kernel configuration: from memory, from the disk cache (through
// the memo, without tracing), or by building and compiling it.
//
// A load compiles on its calling thread, and threads compile different
// configurations at once; loading_ makes threads that ask for one
// configuration at once share one compile. What makes trace to PTX safe on
// many threads: each build owns its MLIRContext (the Trace's, which the
// BuiltKernel keeps and compiles in, with MLIR's own threading disabled; a
// load never shares its BuiltKernel) and each translation its
// llvm::LLVMContext; the active trace is thread_local; the dialect registry,
// the target list and the compiler identity are const function-local
// statics; the pass managers and their passes are made per compile; the
// NVPTX backend is initialized under a std::call_once (emitPTX). That step
// needs no CUDA context. The PTX to cubin step (cuLink) and the module load
// do: they use the calling thread's current context, which precompile()
// makes this JIT's device's.
#include "tessel/dsl/Jit.h"

#include "JitCacheEntry.h"
#include "JitKeys.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <system_error>
#include <thread>

namespace tessel::dsl {

Expected<LoadedKernel> Jit::load(const KernelDefinition &kernel, const Constants &constants,
                                 const Specialization &specialization, unsigned numWarps) {
  if (interpreted_)
    return Error(fmt::format("kernel {}: the interpreter backend runs kernels, it loads no GPU "
                             "functions",
                             kernel.name));
  Expected<Constants> resolved = resolveConstants(kernel, constants);
  if (!resolved)
    return resolved.error();
  std::string memoryKey = detail::memoryKey(kernel, *resolved, specialization, numWarps);
  if (std::optional<LoadedKernel> loaded = loaded_.get(memoryKey)) {
    ++stats_.memoryHits;
    return *loaded;
  }
  bool produced = false;
  Expected<LoadedKernel> loaded = loading_.run(
      memoryKey,
      [&]() -> Expected<LoadedKernel> {
        // Stored by a load that finished between the miss above and now.
        if (std::optional<LoadedKernel> stored = loaded_.get(memoryKey)) {
          ++stats_.memoryHits;
          return *stored;
        }
        Expected<LoadedKernel> fresh =
            loadFromDiskOrCompile(kernel, *resolved, specialization, numWarps);
        if (fresh)
          loaded_.put(memoryKey, *fresh);
        return fresh;
      },
      &produced);
  if (loaded && !produced)
    ++stats_.memoryHits;
  return loaded;
}

std::vector<Expected<LoadedKernel>> Jit::precompile(std::span<const LoadRequest> requests,
                                                    unsigned threads) {
  std::vector<std::optional<Expected<LoadedKernel>>> results(requests.size());
  std::atomic<size_t> next{0};
  auto loadOne = [&](const LoadRequest &request) -> Expected<LoadedKernel> {
    if (!request.kernel)
      return Error("precompile: a request names no kernel");
    const KernelDefinition &kernel = *request.kernel;
    try {
      return load(kernel, request.constants, request.specialization,
                  request.numWarps ? request.numWarps : kernel.numWarps);
    } catch (const std::exception &error) {
      // A kernel body may throw more than the Errors the trace catches; on
      // a worker it would end the process.
      return Error(fmt::format("kernel {}: {}", kernel.name, error.what()));
    }
  };
  auto worker = [&] {
    Status current = device_ ? device_->makeCurrent() : Status::success();
    for (size_t i = next++; i < requests.size(); i = next++)
      results[i] = current ? loadOne(requests[i]) : Expected<LoadedKernel>(current.error());
  };
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  threads = unsigned(std::min<size_t>(threads, requests.size()));
  std::vector<std::thread> pool;
  try {
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back(worker);
  } catch (const std::system_error &) {
    // The threads started take all the requests; with none, this one does.
    if (pool.empty())
      worker();
  }
  for (std::thread &thread : pool)
    thread.join();
  std::vector<Expected<LoadedKernel>> loaded;
  loaded.reserve(requests.size());
  for (std::optional<Expected<LoadedKernel>> &result : results)
    loaded.push_back(std::move(*result));
  return loaded;
}

std::optional<LoadedKernel> Jit::loadFromDisk(const std::string &key,
                                               const KernelDefinition &kernel) {
  runtime::CacheLookup outcome = runtime::CacheLookup::Miss;
  std::optional<std::string> payload = disk_->load(key, &outcome);
  if (outcome == runtime::CacheLookup::Corrupt)
    ++stats_.corruptEntries;
  if (!payload)
    return std::nullopt;
  std::optional<detail::DecodedEntry> entry = detail::decodeEntry(*payload);
  if (entry && entry->kernel == kernel.name) {
    Expected<runtime::Module> module = runtime::Module::loadImage(entry->cubin, kernel.name);
    if (module) {
      Expected<runtime::Function> function = module->function(kernel.name);
      if (function && function->requireSharedMemory(entry->sharedBytes)) {
        ++stats_.diskHits;
        return LoadedKernel{*function, std::move(entry->tensorMaps)};
      }
    }
  }
  // An entry whose checksum held but whose content does not load is rebuilt
  // like a corrupt one.
  ++stats_.corruptEntries;
  return std::nullopt;
}

Expected<LoadedKernel> Jit::loadFromDiskOrCompile(const KernelDefinition &kernel,
                                                  const Constants &constants,
                                                  const Specialization &specialization,
                                                  unsigned numWarps) {
  CompileOptions options;
  options.arch = arch_;
  options.numWarps = numWarps;
  options.dumpDirectory = options_.dumpDirectory;
  std::string configuration =
      fmt::format("{}\n{}\n{}\ndriver={}", options.cacheKeyText(), specialization.cacheKeyText(),
                  options_.compilerIdentity.empty() ? compilerIdentity()
                                                    : std::string_view(options_.compilerIdentity),
                  driverVersion_);

  // The memo: this build of the program's code for this configuration has
  // already been traced, and its IR's key is on disk. A first call in a new
  // process then needs no tracing at all.
  std::optional<std::string> memoKey;
  if (disk_)
    memoKey = detail::memoKey(kernel, constants, configuration);
  if (memoKey) {
    std::optional<std::string> irKey = disk_->load(*memoKey);
    if (irKey && runtime::DiskCache::validateKey(*irKey))
      if (std::optional<LoadedKernel> loaded = loadFromDisk(*irKey, kernel))
        return *loaded;
  }

  ++stats_.traces;
  Expected<BuiltKernel> built = build(kernel, constants, specialization);
  if (!built)
    return built.error();
  std::string key = detail::binaryKey(built->irText(), configuration);
  auto remember = [&] {
    // A full disk or a read-only cache directory costs only the reuse.
    if (memoKey)
      (void)disk_->store(*memoKey, key);
  };

  if (disk_) {
    if (std::optional<LoadedKernel> loaded = loadFromDisk(key, kernel)) {
      remember();
      return *loaded;
    }
  }

  ++stats_.compiles;
  std::unique_lock<std::mutex> dumping(dumpMutex_, std::defer_lock);
  if (!options.dumpDirectory.empty())
    dumping.lock();
  Expected<CompiledKernel> compiled = built->compile(options);
  if (dumping.owns_lock())
    dumping.unlock();
  if (!compiled)
    return compiled.error();
  Expected<std::string> cubin = runtime::Module::compilePtx(compiled->ptx, kernel.name);
  if (!cubin)
    return cubin.error();
  if (disk_) {
    (void)disk_->store(key, detail::encodeEntry(*compiled, *cubin));
    remember();
  }
  Expected<runtime::Module> module = runtime::Module::loadImage(*cubin, kernel.name);
  if (!module)
    return module.error();
  Expected<runtime::Function> function = module->function(compiled->name);
  if (!function)
    return function.error();
  if (Status ok = function->requireSharedMemory(compiled->sharedBytes); !ok)
    return ok.error();
  return LoadedKernel{*function, std::move(compiled->tensorMaps)};
}

} // namespace tessel::dsl
