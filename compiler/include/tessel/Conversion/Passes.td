#ifndef TESSEL_CONVERSION_PASSES_TD
#define TESSEL_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertTileToTileGPU : Pass<"convert-tile-to-tilegpu", "mlir::ModuleOp"> {
  let summary = "Assigns a distributed layout to every tile";
  let description = [{
    Gives every tile type a `tilegpu` encoding. Memory accesses anchor the
    layouts: a tile that is loaded or stored gets the blocked layout that
    gives each thread 16 contiguous bytes; reductions produce slice layouts,
    and values feeding `tile.expand_dims` take the slice of their user's
    layout, so that building 2-D indices from 1-D ranges moves no data.
    Where two uses of a value disagree, a `tilegpu.convert_layout` is
    inserted. Records the warp count and target on the module.

    Example: `tessel-opt --convert-tile-to-tilegpu="num-warps=4" in.mlir`
  }];
  let dependentDialects = ["::tessel::tilegpu::TileGPUDialect"];
  let options = [
    Option<"numWarps", "num-warps", "unsigned", "4", "warps per CTA">,
    Option<"target", "target", "std::string", "\"sm_90a\"", "target architecture">,
  ];
}

def ConvertTileGPUToLLVM : Pass<"convert-tilegpu-to-llvm", "mlir::ModuleOp"> {
  let summary = "Lowers distributed tiles to LLVM and NVVM operations";
  let description = [{
    Each tile becomes the values one thread holds (an LLVM struct between
    ops); elementwise ops are applied per element; memory accesses become
    vector loads and stores as wide as the alignment and contiguity analysis
    allows (up to 16 bytes); reductions combine within a thread, then across
    lanes with warp shuffles, then across warps through shared memory; layout
    conversions go through shared memory. fp8 conversions use
    `cvt.rn.satfinite` on sm_89 and later and an integer emulation, bit-exact
    with it, before. The kernel becomes an `llvm.func` with the NVVM kernel
    attribute and `maxntid` of 32 * num_warps.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::NVVM::NVVMDialect",
                           "::mlir::scf::SCFDialect", "::mlir::cf::ControlFlowDialect"];
}

#endif // TESSEL_CONVERSION_PASSES_TD
