#ifndef TESSEL_DIALECT_TILEGPU_IR_TILEGPUOPS_TD
#define TESSEL_DIALECT_TILEGPU_IR_TILEGPUOPS_TD

include "tessel/Dialect/TileGPU/IR/TileGPUDialect.td"
include "tessel/Dialect/TileGPU/IR/TileGPUAttrDefs.td"
include "tessel/Dialect/Tile/IR/TileTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def TileGPU_ConvertLayoutOp : Op<TileGPU_Dialect, "convert_layout",
    [Pure, SameOperandsAndResultShape, SameOperandsAndResultElementType]> {
  let summary = "Moves a tile's elements to another distribution over threads";
  let description = [{
    The only operation that changes a layout. It lowers to a round trip
    through shared memory, so passes try to need as few as possible.

    Example:
    `%b = tilegpu.convert_layout %a : tensor<128xi32, #slice0> -> tensor<128xi32, #blocked1d>`
  }];
  let arguments = (ins Tile_Tensor:$src);
  let results = (outs Tile_Tensor:$result);
  let assemblyFormat = "$src attr-dict `:` type($src) `->` type($result)";
  let hasFolder = 1;
}

#endif // TESSEL_DIALECT_TILEGPU_IR_TILEGPUOPS_TD
