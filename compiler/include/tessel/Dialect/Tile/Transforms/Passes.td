// Transforms of tile IR: passes that rewrite program-level tiles before
// layouts are assigned.
#ifndef TESSEL_DIALECT_TILE_TRANSFORMS_PASSES_TD
#define TESSEL_DIALECT_TILE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerTensorDescriptors : Pass<"tile-lower-tensor-descriptors", "mlir::ModuleOp"> {
  let summary = "Rewrites tensor-descriptor loads into masked pointer loads";
  let description = [{
    Replaces each tile.descriptor_load with a tile.load through a tile of
    pointers: per dimension d of the block, the elements index_d +
    [0, block_d), multiplied by stride_d, summed over d (in i32, as the
    descriptor's offsets are) and added to the base; masked where
    index_d + r_d < 0 or >= shape_d, and zero there, which is how the
    descriptor reads a block that overhangs the tensor. The masks compare
    runs of consecutive indices with the shape, so the alignment analysis
    still proves the rows contiguous and the mask constant over 16-byte
    vectors when the shape and strides are multiples of 16.

    A tile.transpose whose operand is such a load, and its only use, is
    folded into it: one load reads the transposed block directly (element
    (i, j) is the tensor's element at (index_0 + j, index_1 + i)), contiguous
    along the dimension the tensor is, so that no data moves. Other
    transposes stay. tile.make_tensor_descriptor ops left without uses are
    erased.

    With `keep-tma-loads`, the loads that tile::qualifiesForTma accepts stay
    descriptor loads, for the load pipeliner to copy with the tensor memory
    accelerator; set it only for targets that have one (sm_90 and later).

    Example: `tessel-opt --tile-lower-tensor-descriptors="keep-tma-loads=true" in.mlir`
  }];
  let dependentDialects = ["::tessel::tile::TileDialect", "::mlir::arith::ArithDialect"];
  let options = [
    Option<"keepTmaLoads", "keep-tma-loads", "bool", "false",
           "keep the loads that the tensor memory accelerator will read">,
  ];
}

#endif // TESSEL_DIALECT_TILE_TRANSFORMS_PASSES_TD
