#include "tessel/dsl/Jit.h"

#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Buffer.h"
#include "tessel/runtime/Stream.h"
#include "tessel/runtime/Device.h"
#include "tessel/runtime/Driver.h"
#include "tessel/runtime/KernelArgs.h"
#include "tessel/runtime/Launch.h"
#include "tessel/runtime/TensorMap.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/SHA256.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>

#include <dlfcn.h>
#include <sys/stat.h>

namespace tessel::dsl {
namespace {

std::string hexDigest(std::string_view text) {
  std::array<uint8_t, 32> digest = llvm::SHA256::hash(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(text.data()), text.size()));
  std::string hex;
  for (uint8_t byte : digest)
    hex += fmt::format("{:02x}", byte);
  return hex;
}

std::string constantsText(const Constants &constants) {
  std::string text;
  for (const auto &[name, value] : constants)
    text += fmt::format("{}={};", name, value);
  return text;
}

nlohmann::json extentsJson(const std::vector<TensorMapParam::Extent> &extents) {
  nlohmann::json array = nlohmann::json::array();
  for (const TensorMapParam::Extent &extent : extents)
    array.push_back({extent.argument, extent.value});
  return array;
}

nlohmann::json tensorMapsJson(const std::vector<TensorMapParam> &maps) {
  nlohmann::json array = nlohmann::json::array();
  for (const TensorMapParam &map : maps)
    array.push_back({{"base", map.baseArgument},
                     {"dtype", name(map.dtype)},
                     {"shape", extentsJson(map.shape)},
                     {"strides", extentsJson(map.strides)},
                     {"box", map.box},
                     {"swizzle", map.swizzleBytes}});
  return array;
}

std::optional<std::vector<TensorMapParam::Extent>> parseExtents(const nlohmann::json &json) {
  if (!json.is_array())
    return std::nullopt;
  std::vector<TensorMapParam::Extent> extents;
  for (const nlohmann::json &entry : json) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_number_integer() ||
        !entry[1].is_number_integer())
      return std::nullopt;
    extents.push_back({entry[0].get<int>(), entry[1].get<int64_t>()});
  }
  return extents;
}

std::optional<std::vector<TensorMapParam>> parseTensorMaps(const nlohmann::json &json) {
  if (!json.is_array())
    return std::nullopt;
  std::vector<TensorMapParam> maps;
  for (const nlohmann::json &entry : json) {
    if (!entry.is_object() || !entry.contains("base") || !entry["base"].is_number_unsigned() ||
        !entry.contains("dtype") || !entry["dtype"].is_string() || !entry.contains("box") ||
        !entry["box"].is_array() || !entry.contains("swizzle") ||
        !entry["swizzle"].is_number_unsigned() || !entry.contains("shape") ||
        !entry.contains("strides"))
      return std::nullopt;
    std::optional<DType> dtype = parseDType(entry["dtype"].get<std::string>());
    std::optional<std::vector<TensorMapParam::Extent>> shape = parseExtents(entry["shape"]);
    std::optional<std::vector<TensorMapParam::Extent>> strides = parseExtents(entry["strides"]);
    if (!dtype || !shape || !strides)
      return std::nullopt;
    TensorMapParam map{entry["base"].get<unsigned>(), *dtype, std::move(*shape),
                       std::move(*strides), {}, entry["swizzle"].get<unsigned>()};
    for (const nlohmann::json &extent : entry["box"]) {
      if (!extent.is_number_integer())
        return std::nullopt;
      map.box.push_back(extent.get<int64_t>());
    }
    maps.push_back(std::move(map));
  }
  return maps;
}

/// A disk cache entry: a one-line JSON header, then the cubin.
std::string encodeEntry(const CompiledKernel &kernel, std::string_view cubin) {
  nlohmann::json header = {{"kernel", kernel.name},
                           {"arch", kernel.arch},
                           {"num_threads", kernel.numThreads},
                           {"shared_bytes", kernel.sharedBytes},
                           {"tensor_maps", tensorMapsJson(kernel.tensorMaps)},
                           {"cubin_bytes", cubin.size()}};
  return header.dump() + "\n" + std::string(cubin);
}

struct DecodedEntry {
  std::string kernel;
  unsigned sharedBytes;
  std::vector<TensorMapParam> tensorMaps;
  std::string_view cubin;
};

/// Nullopt for an entry that does not parse: it is rebuilt, never trusted.
std::optional<DecodedEntry> decodeEntry(std::string_view payload) {
  size_t newline = payload.find('\n');
  if (newline == std::string_view::npos)
    return std::nullopt;
  nlohmann::json header =
      nlohmann::json::parse(payload.substr(0, newline), nullptr, /*allow_exceptions=*/false);
  if (!header.is_object() || !header.contains("kernel") || !header["kernel"].is_string() ||
      !header.contains("cubin_bytes") || !header["cubin_bytes"].is_number_unsigned() ||
      !header.contains("shared_bytes") || !header["shared_bytes"].is_number_unsigned() ||
      !header.contains("tensor_maps"))
    return std::nullopt;
  std::optional<std::vector<TensorMapParam>> tensorMaps = parseTensorMaps(header["tensor_maps"]);
  if (!tensorMaps)
    return std::nullopt;
  std::string_view cubin = payload.substr(newline + 1);
  if (cubin.size() != header["cubin_bytes"].get<size_t>() || cubin.empty())
    return std::nullopt;
  return DecodedEntry{header["kernel"].get<std::string>(), header["shared_bytes"].get<unsigned>(),
                      std::move(*tensorMaps), cubin};
}

/// Identifies the compiled code of a kernel's body without running it: the
/// object file that holds the body function (device, inode, size,
/// modification time: not its path, which differs between ways of starting
/// the same program) and the function's offset in it. Rebuilding the program gives a new
/// identity, so a memo keyed by it never outlives the code it describes.
/// Nullopt when the body is not a plain function (a capturing lambda, say):
/// such kernels are traced on every first call.
std::optional<std::string> bodyIdentity(const KernelDefinition &kernel) {
  using Body = void (*)(const KernelScope &);
  const Body *body = kernel.body.target<Body>();
  if (!body || !*body)
    return std::nullopt;
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(*body), &info) || !info.dli_fbase)
    return std::nullopt;
  // The main program may be named relative to a directory since left.
  std::string file = info.dli_fname && info.dli_fname[0] == '/' ? info.dli_fname
                                                                : "/proc/self/exe";
  struct stat status;
  if (::stat(file.c_str(), &status) != 0)
    return std::nullopt;
  return fmt::format("{}|{}|{}|{}.{}|{:x}", status.st_dev, status.st_ino, status.st_size,
                     status.st_mtim.tv_sec, status.st_mtim.tv_nsec,
                     reinterpret_cast<uintptr_t>(*body) -
                         reinterpret_cast<uintptr_t>(info.dli_fbase));
}

} // namespace

std::string JitOptions::defaultDumpDirectory() {
  return CompileOptions::dumpDirectoryFromEnvironment();
}

Jit::Jit(JitOptions options, std::string arch, int driverVersion)
    : options_(std::move(options)), arch_(std::move(arch)), driverVersion_(driverVersion),
      loaded_(options_.memoryCacheEntries) {
  if (!options_.cacheDirectory.empty())
    disk_.emplace(options_.cacheDirectory);
}

Expected<std::unique_ptr<Jit>> Jit::create(JitOptions options) {
  if (runtime::activeBackend() == runtime::Backend::Interpreter) {
    auto jit = std::unique_ptr<Jit>(new Jit(std::move(options), "interpreter", 0));
    jit->interpreted_ = true;
    return jit;
  }
  Expected<runtime::Device> device = runtime::Device::open(0);
  if (!device)
    return device.error();
  Expected<const runtime::Driver *> driver = runtime::Driver::load();
  if (!driver)
    return driver.error();
  std::string arch = options.arch.empty() ? device->arch() : options.arch;
  if (!parseArchitecture(arch))
    return Error(fmt::format("the GPU {} ({}) is not a target of Tessel: {}", device->name(), arch,
                             parseArchitecture(arch).error().message()));
  auto jit = std::unique_ptr<Jit>(new Jit(std::move(options), arch, (*driver)->version()));
  jit->device_ = *device;
  return jit;
}

Expected<Jit *> Jit::global() {
  static Expected<std::unique_ptr<Jit>> jit = create();
  if (!jit)
    return jit.error();
  return jit->get();
}

Specialization Jit::specialize(std::span<const LaunchArg> args) {
  Specialization specialization;
  for (const LaunchArg &arg : args) {
    switch (arg.kind()) {
    case LaunchArg::Kind::Pointer:
      specialization.divisibleBy16.push_back(arg.devicePtr() % 16 == 0);
      break;
    case LaunchArg::Kind::I32:
    case LaunchArg::Kind::I64:
      specialization.divisibleBy16.push_back(arg.integer() % 16 == 0);
      break;
    case LaunchArg::Kind::F32:
      specialization.divisibleBy16.push_back(false);
      break;
    }
  }
  return specialization;
}

Expected<LoadedKernel> Jit::load(const KernelDefinition &kernel, const Constants &constants,
                                 const Specialization &specialization, unsigned numWarps) {
  if (interpreted_)
    return Error(fmt::format("kernel {}: the interpreter backend runs kernels, it loads no GPU "
                             "functions",
                             kernel.name));
  Expected<Constants> resolved = resolveConstants(kernel, constants);
  if (!resolved)
    return resolved.error();
  // The definition's address tells apart user kernels that share a name.
  std::string memoryKey =
      fmt::format("{}@{}|{}|{}|warps={}", kernel.name, static_cast<const void *>(&kernel),
                  constantsText(*resolved), specialization.cacheKeyText(), numWarps);
  if (std::optional<LoadedKernel> loaded = loaded_.get(memoryKey)) {
    ++stats_.memoryHits;
    return *loaded;
  }
  std::lock_guard<std::mutex> lock(compileMutex_);
  if (std::optional<LoadedKernel> loaded = loaded_.get(memoryKey)) {
    ++stats_.memoryHits;
    return *loaded;
  }
  Expected<LoadedKernel> loaded = loadFromDiskOrCompile(kernel, *resolved, specialization, numWarps);
  if (loaded)
    loaded_.put(memoryKey, *loaded);
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
  std::optional<DecodedEntry> entry = decodeEntry(*payload);
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
  if (std::optional<std::string> identity = bodyIdentity(kernel); identity && disk_)
    memoKey = hexDigest(fmt::format("memo\n{}\n{}\n{}\n{}", *identity, kernel.name,
                                    constantsText(constants), configuration));
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
  std::string key = hexDigest(fmt::format("{}\n{}", built->irText(), configuration));
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
  Expected<CompiledKernel> compiled = built->compile(options);
  if (!compiled)
    return compiled.error();
  Expected<std::string> cubin = runtime::Module::compilePtx(compiled->ptx, kernel.name);
  if (!cubin)
    return cubin.error();
  if (disk_) {
    (void)disk_->store(key, encodeEntry(*compiled, *cubin));
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
  std::string key = fmt::format("{}@{}|{}", kernel.name, static_cast<const void *>(&kernel),
                                constantsText(*resolved));
  std::shared_ptr<const BuiltKernel> built;
  {
    std::lock_guard<std::mutex> lock(compileMutex_);
    auto found = interpretedKernels_.find(key);
    if (found != interpretedKernels_.end()) {
      built = found->second;
      ++stats_.memoryHits;
    } else {
      Expected<BuiltKernel> fresh = build(kernel, *resolved, specialize(args));
      if (!fresh)
        return fresh.error();
      built = std::make_shared<const BuiltKernel>(std::move(*fresh));
      interpretedKernels_.emplace(key, built);
      ++stats_.compiles;
    }
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

Status Jit::launch(const KernelDefinition &kernel, const LaunchSpec &spec,
                   std::span<const LaunchArg> args, const runtime::Stream *stream) {
  if (args.size() != kernel.params.size())
    return Error(fmt::format("kernel {} takes {} arguments, got {}", kernel.name,
                             kernel.params.size(), args.size()));
  runtime::KernelArgs packed;
  for (size_t i = 0; i < args.size(); ++i) {
    const Param &param = kernel.params[i];
    const LaunchArg &arg = args[i];
    auto mismatch = [&](std::string_view expected) {
      return Error(fmt::format("kernel {}: argument {} ('{}') must be {}", kernel.name, i,
                               param.name, expected));
    };
    if (param.kind == Param::Kind::Pointer) {
      if (arg.kind() != LaunchArg::Kind::Pointer)
        return mismatch(fmt::format("a device pointer to {}", name(param.dtype)));
      if (arg.devicePtr() == 0)
        return mismatch("a non-null device pointer");
      packed.push(arg.devicePtr());
    } else if (param.dtype == DType::I32) {
      if (arg.kind() != LaunchArg::Kind::I32)
        return mismatch("an i32");
      packed.push(static_cast<int32_t>(arg.integer()));
    } else if (param.dtype == DType::I64) {
      if (arg.kind() != LaunchArg::Kind::I64 && arg.kind() != LaunchArg::Kind::I32)
        return mismatch("an i64");
      packed.push(static_cast<int64_t>(arg.integer()));
    } else {
      if (arg.kind() != LaunchArg::Kind::F32)
        return mismatch("an f32");
      packed.push(arg.real());
    }
  }
  if (interpreted_)
    return interpret(kernel, spec, args);
  if (spec.interpret)
    return interpretOnHostCopies(kernel, spec, args, stream);
  unsigned numWarps = spec.numWarps ? spec.numWarps : kernel.numWarps;
  Expected<LoadedKernel> loaded = load(kernel, spec.constants, specialize(args), numWarps);
  if (!loaded)
    return loaded.error();
  for (const TensorMapParam &map : loaded->tensorMaps) {
    Expected<runtime::TensorMapSpec> mapSpec = tensorMapSpec(kernel, map, args);
    if (!mapSpec)
      return mapSpec.error();
    Expected<runtime::TensorMap> encoded = tensorMaps_.get(*mapSpec);
    if (!encoded)
      return Error(fmt::format("kernel {}: the tensor map of argument '{}': {}", kernel.name,
                               kernel.params[map.baseArgument].name, encoded.error().message()));
    packed.push(*encoded);
  }
  runtime::LaunchConfig config;
  config.grid = spec.grid;
  config.block = {numWarps * 32, 1, 1};
  return runtime::launch(loaded->function, config, packed, stream);
}

Expected<runtime::TensorMapSpec> Jit::tensorMapSpec(const KernelDefinition &kernel,
                                                    const TensorMapParam &map,
                                                    std::span<const LaunchArg> args) {
  // The compiler names arguments of the kernel's own signature; a cache
  // entry that says otherwise was not written by it.
  auto invalid = [&](std::string_view what) {
    return Error(fmt::format("kernel {}: the compiled kernel's tensor map {}", kernel.name, what));
  };
  if (map.baseArgument >= args.size() || args[map.baseArgument].kind() != LaunchArg::Kind::Pointer)
    return invalid("names no pointer argument as its base");
  runtime::TensorMapSpec spec;
  spec.globalAddress = args[map.baseArgument].devicePtr();
  spec.dtype = map.dtype;
  spec.swizzleBytes = map.swizzleBytes;
  auto resolve = [&](const TensorMapParam::Extent &extent) -> std::optional<int64_t> {
    if (extent.argument < 0)
      return extent.value;
    if (size_t(extent.argument) >= args.size() ||
        (args[extent.argument].kind() != LaunchArg::Kind::I32 &&
         args[extent.argument].kind() != LaunchArg::Kind::I64))
      return std::nullopt;
    return args[extent.argument].integer();
  };
  for (const TensorMapParam::Extent &extent : map.shape) {
    std::optional<int64_t> value = resolve(extent);
    if (!value)
      return invalid("names no integer argument for a dimension");
    if (*value <= 0)
      return Error(fmt::format("kernel {}: argument '{}' is read through a tensor map, whose "
                               "dimensions must be positive; got {} (launch nothing for an "
                               "empty tensor)",
                               kernel.name, kernel.params[map.baseArgument].name, *value));
    spec.shape.push_back(uint64_t(*value));
  }
  for (const TensorMapParam::Extent &extent : map.strides) {
    std::optional<int64_t> value = resolve(extent);
    if (!value || *value < 0)
      return invalid("names no non-negative integer for a stride");
    spec.strides.push_back(uint64_t(*value));
  }
  for (int64_t extent : map.box)
    spec.box.push_back(uint32_t(extent));
  return spec;
}

} // namespace tessel::dsl
