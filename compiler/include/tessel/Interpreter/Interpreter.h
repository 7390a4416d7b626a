// Executes a tile-dialect kernel over its whole grid on host memory.
//
// The interpreter runs the same IR the compiler lowers (the tile level,
// before layouts), one program at a time per worker thread, each op on whole
// tiles. Its numerics are the GPU's where the GPU's are exact:
//  - f32 arithmetic is IEEE single precision, rounded to nearest, with
//    subnormals (the GPU code is compiled without flush-to-zero); division
//    and sqrt are correctly rounded, as div.rn.f32 and sqrt.rn.f32;
//  - conversions to bf16/f16 round to nearest even, to fp8 as PTX
//    cvt.rn.satfinite (tessel/support/Float8.h defines the bits);
//  - max/min ignore NaN operands, quiet or signaling (PTX max.f32);
//  - exp, exp2 and log use the host's libm, which is more accurate than the
//    GPU's ex2.approx/lg2.approx: results may differ in the last bits;
//  - sum reductions add in index order along the axis; the GPU adds in a tree,
//    so sums may differ in the last bits (max and min do not depend on order).
// Every load and store is checked against the memory regions the caller
// declares: an access outside them, through a misaligned pointer, or a read of
// bytes nothing wrote (where the region tracks writes), is an Error naming the
// kernel, the op and its source line, the program id and the element.
#pragma once

#include "tessel/support/Error.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
}

namespace tessel {

/// One kernel argument for the interpreter, in parameter order.
struct InterpreterArg {
  enum class Kind { Pointer, I32, I64, F32 };
  Kind kind;
  uint64_t pointer = 0; ///< a host address
  int64_t integer = 0;
  float real = 0;

  static InterpreterArg hostPointer(const void *p) {
    return {Kind::Pointer, reinterpret_cast<uint64_t>(p), 0, 0};
  }
  static InterpreterArg i32(int32_t v) { return {Kind::I32, 0, v, 0}; }
  static InterpreterArg i64(int64_t v) { return {Kind::I64, 0, v, 0}; }
  static InterpreterArg f32(float v) { return {Kind::F32, 0, 0, v}; }
};

/// Host memory a kernel may touch; every access must lie inside one region.
struct MemoryRegion {
  const void *base;
  size_t bytes;
  std::string name; ///< for error messages ("x", "y", ...)
  /// Optional: one flag per byte, non-zero once the byte was written. Loads
  /// of unwritten bytes are errors; stores set the flags.
  uint8_t *written = nullptr;
};

struct InterpretOptions {
  std::array<unsigned, 3> grid{1, 1, 1};
  /// Worker threads; 0 means one per hardware thread.
  unsigned threads = 0;
};

/// Runs the single kernel function of `module` (tile dialect, as the DSL
/// builds it) over the grid. The module is not modified.
Status interpretKernel(mlir::ModuleOp module, std::span<const InterpreterArg> args,
                       std::span<const MemoryRegion> regions, const InterpretOptions &options);

} // namespace tessel
