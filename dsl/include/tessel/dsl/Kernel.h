// Kernel definitions and building them into tile IR.
//
// A kernel is a name, typed parameters, named compile-time constants and a
// body. Building it for one set of constants runs the body, which records
// tile IR; compiling that IR gives PTX (tessel/Compiler/Pipeline.h).
#pragma once

#include "tessel/Compiler/Pipeline.h"
#include "tessel/Interpreter/Interpreter.h"
#include "tessel/dsl/Ops.h"
#include "tessel/support/Error.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mlir {
class ModuleOp;
}

namespace tessel::dsl {

/// A launch parameter: a pointer to global memory holding `dtype` elements,
/// or a scalar of `dtype` (i32, i64 or f32) passed by value.
struct Param {
  enum class Kind { Pointer, Scalar };
  std::string name;
  Kind kind;
  DType dtype;

  static Param pointer(std::string name, DType dtype) {
    return {std::move(name), Kind::Pointer, dtype};
  }
  static Param scalar(std::string name, DType dtype) {
    return {std::move(name), Kind::Scalar, dtype};
  }
};

/// A compile-time integer the body specializes on (a block size, a flag).
struct ConstantParam {
  std::string name;
  int64_t defaultValue;
  std::string description;
};

/// Values of constants by name; absent ones take their defaults.
using Constants = std::map<std::string, int64_t, std::less<>>;

/// What a body sees while it runs: its parameters and constants.
class KernelScope {
public:
  /// The parameter `name`: a pointer (ptr<dtype>) or a scalar.
  Value arg(std::string_view name, Where where = Where::current()) const;
  /// The value of the constant `name`.
  int64_t constant(std::string_view name, Where where = Where::current()) const;

private:
  friend class detail::Trace;
  explicit KernelScope(detail::Trace &trace) : trace_(trace) {}
  detail::Trace &trace_;
};

struct KernelDefinition {
  std::string name;
  std::string description;
  std::vector<Param> params;
  std::vector<ConstantParam> constants;
  std::function<void(const KernelScope &)> body;
  /// Warps per program the kernel is written and tuned for; a launch or
  /// `tessel compile --num-warps` may choose another.
  unsigned numWarps = 4;
};

/// Facts about the launch arguments the compiler may rely on, like Triton's
/// specialization: a pointer aligned to 16 bytes, or an integer divisible by
/// 16, lets it prove contiguity and alignment and emit 16-byte accesses.
struct Specialization {
  /// Per parameter, in order; missing entries mean "not divisible".
  std::vector<bool> divisibleBy16;

  std::string cacheKeyText() const;
};

/// A kernel built for one set of constants: the tile IR, owned.
class BuiltKernel {
public:
  BuiltKernel(BuiltKernel &&) noexcept;
  BuiltKernel &operator=(BuiltKernel &&) noexcept;
  ~BuiltKernel();

  const std::string &name() const;
  /// The tile IR as text (generic form, without source locations): what a
  /// cache key hashes.
  std::string irText() const;
  /// Lowers a copy of the IR; the BuiltKernel stays usable.
  Expected<CompiledKernel> compile(const CompileOptions &options,
                                   Stage stopAfter = Stage::PTX) const;
  /// Runs the kernel over `options.grid` on host memory with the tile
  /// interpreter; every access must fall inside one of `regions`.
  Status interpret(std::span<const InterpreterArg> args, std::span<const MemoryRegion> regions,
                   const InterpretOptions &options) const;

private:
  friend class detail::Trace;
  struct State;
  explicit BuiltKernel(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// Runs `kernel.body` for `constants` and returns the tile IR it recorded, or
/// the first misuse, as an Error naming the source line, the operation and the
/// shapes and dtypes involved.
Expected<BuiltKernel> build(const KernelDefinition &kernel, const Constants &constants = {},
                            const Specialization &specialization = {});

/// The constants with defaults filled in, or an Error naming an unknown one.
Expected<Constants> resolveConstants(const KernelDefinition &kernel, const Constants &given);

} // namespace tessel::dsl
