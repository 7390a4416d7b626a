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

#endif // TESSEL_CONVERSION_PASSES_TD
