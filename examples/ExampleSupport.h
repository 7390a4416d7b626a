// What the example programs share besides their kernels: where the kernels
// run, size flags, host vectors in and out of tensors, the launch through the
// process-wide JIT, and counting mismatches against a CPU reference.
//
// Every example runs on the GPU when there is one and on the CPU interpreter
// otherwise (TESSEL_INTERPRET=1 chooses the interpreter on any machine). The
// host code is the same on both.
#pragma once

#include "tessel/dsl/DSL.h"
#include "tessel/dsl/Jit.h"
#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Device.h"
#include "tessel/runtime/Tensor.h"
#include "tessel/support/Float8.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tessel::examples {

/// Integer flags of the form `--name value`. An example runs its built-in
/// list of shapes without flags and the one shape the flags give with them.
class Flags {
public:
  Flags(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
      std::string_view flag = argv[i];
      if (!flag.starts_with("--") || i + 1 == argc)
        throw Error(fmt::format("expected `--name value`, got `{}`", flag));
      char *end = nullptr;
      long long value = std::strtoll(argv[i + 1], &end, 10);
      if (*end != '\0')
        throw Error(fmt::format("{} needs an integer, got `{}`", flag, argv[i + 1]));
      values_[std::string(flag.substr(2))] = value;
      ++i;
    }
  }
  bool has(const std::string &name) const { return values_.contains(name); }
  int64_t get(const std::string &name, int64_t fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }

private:
  std::map<std::string, int64_t> values_;
};

/// Picks the GPU when there is one, else the interpreter, and says which.
inline void chooseBackend() {
  if (runtime::activeBackend() == runtime::Backend::Interpreter) {
    fmt::print("TESSEL_INTERPRET=1: running the kernel in the CPU interpreter.\n");
  } else if (Status gpu = runtime::probeGpu(); !gpu) {
    fmt::print("no GPU ({}): running the kernel in the CPU interpreter.\n",
               gpu.error().message());
    runtime::setBackend(runtime::Backend::Interpreter).check();
  } else {
    runtime::Device device = runtime::Device::open(0).value();
    fmt::print("GPU: {} ({})\n", device.name(), device.arch());
  }
}

template <typename T>
runtime::Tensor upload(DType dtype, std::vector<int64_t> shape, const std::vector<T> &host) {
  runtime::Tensor tensor = runtime::Tensor::empty(dtype, std::move(shape)).value();
  tensor.copyFromHost(host).check();
  return tensor;
}

/// A tensor of 0xFF bytes (NaN in f32 and bf16), so that an element the
/// kernel fails to write shows up as a mismatch.
inline runtime::Tensor poisoned(DType dtype, std::vector<int64_t> shape) {
  runtime::Tensor tensor = runtime::Tensor::empty(dtype, std::move(shape)).value();
  std::vector<std::byte> bytes(tensor.bytes(), std::byte{0xFF});
  tensor.copyFromHost(bytes).check();
  return tensor;
}

template <typename T> std::vector<T> download(const runtime::Tensor &tensor) {
  std::vector<T> host(tensor.numel());
  tensor.copyToHost(host).check();
  return host;
}

/// Launches `kernel` over `grid` through the process-wide JIT, which builds
/// and compiles it on the first launch of each set of constants and warp
/// count (0 warps: the definition's numWarps).
inline void launch(const dsl::KernelDefinition &kernel, std::array<unsigned, 3> grid,
                   const dsl::Constants &constants, std::vector<dsl::LaunchArg> args,
                   unsigned numWarps = 0) {
  dsl::LaunchSpec spec;
  spec.grid = grid;
  spec.constants = constants;
  spec.numWarps = numWarps;
  dsl::Jit *jit = dsl::Jit::global().value();
  jit->launch(kernel, spec, args).check();
}

/// The smallest power of two >= n (tile extents are powers of two).
inline int64_t nextPowerOfTwo(int64_t n) {
  return int64_t(std::bit_ceil(uint64_t(std::max<int64_t>(n, 1))));
}

/// The distance between two bf16 values in units in the last place: how
/// many representable values lie between them (0 when equal, 1 when
/// adjacent). NaN is infinitely far from everything.
inline int64_t bf16UlpDistance(uint16_t a, uint16_t b) {
  if (std::isnan(bf16ToF32(a)) || std::isnan(bf16ToF32(b)))
    return INT64_MAX;
  // Sign-magnitude to a monotonic integer line: -0 and +0 meet at 0.
  auto line = [](uint16_t bits) {
    int64_t magnitude = bits & 0x7FFF;
    return bits & 0x8000 ? -magnitude : magnitude;
  };
  return std::abs(line(a) - line(b));
}

/// Counts the mismatches a check finds and prints the first few.
class Mismatches {
public:
  explicit Mismatches(std::string what) : what_(std::move(what)) {}
  template <typename... Args> void add(fmt::format_string<Args...> format, Args &&...args) {
    if (count_++ < 5)
      fmt::print("  mismatch in {}: {}\n", what_, fmt::format(format, std::forward<Args>(args)...));
  }
  int64_t count() const { return count_; }
  /// Prints the verdict; true when nothing mismatched.
  bool report() const {
    fmt::print("{}: {}\n", what_, count_ ? fmt::format("{} MISMATCHES", count_) : "ok");
    return count_ == 0;
  }

private:
  std::string what_;
  int64_t count_ = 0;
};

} // namespace tessel::examples
