// Launching a loaded kernel: checking and packing the arguments, and the
// tensor maps the compiled kernel reads through, built from those arguments.
#include "tessel/dsl/Jit.h"

#include "tessel/runtime/KernelArgs.h"
#include "tessel/runtime/Launch.h"
#include "tessel/runtime/Stream.h"
#include "tessel/runtime/TensorMap.h"

#include <fmt/format.h>

namespace tessel::dsl {

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
