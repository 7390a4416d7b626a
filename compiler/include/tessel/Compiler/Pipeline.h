// The NVIDIA compilation pipeline: tile-dialect module -> PTX, with the IR of
// every stage available for dumping.
#pragma once

#include "tessel/support/DType.h"
#include "tessel/support/Error.h"

#include <cstdint>

#include <string>
#include <string_view>
#include <vector>

namespace mlir {
class ModuleOp;
}

namespace tessel {

/// The architectures Tessel compiles for, in the spelling of ptxas and the
/// driver: sm_80 (A100), sm_86, sm_89 (Ada, first with fp8), sm_90a (H100).
const std::vector<std::string> &supportedArchitectures();
/// Compute capability as major * 10 + minor ("sm_90a" -> 90), or an Error
/// naming the supported architectures.
Expected<int> parseArchitecture(std::string_view arch);

/// Everything besides the module that changes the PTX; all of it belongs in
/// a cache key (see cacheKeyText).
struct CompileOptions {
  std::string arch = "sm_90a";
  /// Warps per program (CTA): a power of two in [1, 32].
  unsigned numWarps = 4;
  /// When set, the IR after each stage is written there as
  /// <kernel>.<n>-<stage>.{mlir,ll,ptx}. Not part of the output.
  std::string dumpDirectory;

  /// The fields that change the output, as text for a cache key.
  std::string cacheKeyText() const;

  /// $TESSEL_DUMP_IR, the one place the variable is read (empty when unset).
  static std::string dumpDirectoryFromEnvironment();
};

/// The stages, in order; `tessel compile --emit` stops after any of them.
enum class Stage { Tile, TileGPU, LLVMDialect, LLVMIR, PTX };
std::string_view stageName(Stage stage);

/// A kernel parameter after the kernel's own: a TMA tensor map that the host
/// encodes from the launch's arguments (a tile.tensordesc the compiler reads
/// with the tensor memory accelerator). Shapes and strides are outermost
/// first, in elements.
struct TensorMapParam {
  /// A shape or stride: the i32 launch argument at position `argument`, or
  /// `value` when `argument` is negative.
  struct Extent {
    int argument = -1;
    int64_t value = 0;
    bool operator==(const Extent &) const = default;
  };
  unsigned baseArgument = 0; ///< the pointer argument of element (0, ..., 0)
  DType dtype = DType::F32;
  std::vector<Extent> shape, strides;
  std::vector<int64_t> box; ///< the block one copy moves
  unsigned swizzleBytes = 0; ///< 0, 32, 64 or 128
  bool operator==(const TensorMapParam &) const = default;
};

/// A compiled kernel with the metadata its launch needs.
struct CompiledKernel {
  std::string name;  ///< the entry point's symbol
  std::string arch;
  std::string ptx;
  unsigned numThreads = 0;  ///< threads per program
  /// Dynamic shared memory every launch must provide, in bytes.
  unsigned sharedBytes = 0;
  /// Tensor maps the launch passes after the kernel's own arguments, in order.
  std::vector<TensorMapParam> tensorMaps;
  /// IR of the last stage run when compilation stopped early (`stopAfter`).
  std::string stageText;
};

/// Lowers a module holding one tile-dialect kernel (func.func) through every
/// stage up to `stopAfter`. Errors carry the failing stage and the MLIR
/// diagnostics; the module is consumed (rewritten in place).
Expected<CompiledKernel> compileModule(mlir::ModuleOp module, const CompileOptions &options,
                                       Stage stopAfter = Stage::PTX);

/// The passes each stage runs for `options`, one line per stage in MLIR's
/// textual pipeline syntax (what `tessel-opt` takes): "tilegpu:
/// builtin.module(convert-tile-to-tilegpu{...}, tilegpu-pipeline-loads)".
/// `tessel compile --emit pipeline` prints it. An Error for an unknown arch.
Expected<std::string> passPipelineText(const CompileOptions &options);

/// Identifies the compiler build in cache keys ("tessel-0.1.0+llvm-22.1.0+
/// src-<16 hex digits>"): the Tessel and LLVM versions and a digest of the
/// compiler's and the DSL's sources made at build time, so that a rebuilt
/// compiler whose lowering changed misses every binary the old one cached.
std::string_view compilerIdentity();

} // namespace tessel
