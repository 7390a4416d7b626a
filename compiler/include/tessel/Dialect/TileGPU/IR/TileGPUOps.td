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

//===----------------------------------------------------------------------===//
// Software pipelining: asynchronous copies into shared memory and dots that
// read their operands from there (created by tilegpu-pipeline-loads).
//===----------------------------------------------------------------------===//

def TileGPU_AsyncCopyOp : Op<TileGPU_Dialect, "async_copy",
    [MemoryEffects<[MemRead<DefaultResource>, MemWrite<DefaultResource>]>]> {
  let summary = "Starts copying a 2-D tile from global into shared memory (cp.async)";
  let description = [{
    Element (i0, i1) of the tile `ptr` points to lands in the pipeline region
    of shared memory at byte `offset + row * pitch + (k * sizeof(element)
    ^ swizzle(row))`, where k is its index along `kDim` and row its index
    along the other dimension: rows of K elements whose 16-byte chunks are
    permuted by an XOR with bits of the row (see the lowering's
    stagedOperandOffset). Elements whose `mask` is false are written as zero.
    The copy completes asynchronously: see async_commit and async_wait.

    Example: `tilegpu.async_copy %p to %off {kDim = 1 : i32, pitch = 128 : i64}
      : tensor<64x128x!tile.ptr<f8E4M3FN>, #blocked>`
  }];
  let arguments = (ins Tile_PtrTensor:$ptr, Optional<Tile_BoolTensor>:$mask, I32:$offset,
                       I32Attr:$kDim, I64Attr:$pitch);
  let assemblyFormat = [{
    $ptr (`mask` $mask^)? `to` $offset attr-dict `:` type($ptr) (`,` type($mask)^)?
  }];
}

def TileGPU_AsyncStageOp : Op<TileGPU_Dialect, "async_stage",
    [MemoryEffects<[MemRead<DefaultResource>, MemWrite<DefaultResource>]>]> {
  let summary = "Starts copying a small tile or a scalar from global into shared memory";
  let description = [{
    The element at row-major index i of the tile `ptr` points to lands at
    byte `offset + i * sizeof(element)` of the pipeline region; a scalar at
    `offset`. Elements whose `mask` is false are written as zero. Each
    element is copied once, by one of the threads holding it (cp.async of
    its 4 bytes). Completes like async_copy; load_staged reads it back.

    Example: `tilegpu.async_stage %p mask %m to %off
      : tensor<64x!tile.ptr<f32>, #slice>, tensor<64xi1, #slice>`
  }];
  let arguments = (ins Tile_PtrLike:$ptr, Optional<Tile_BoolLike>:$mask, I32:$offset);
  let assemblyFormat = [{
    $ptr (`mask` $mask^)? `to` $offset attr-dict `:` type($ptr) (`,` type($mask)^)?
  }];
}

def TileGPU_LoadStagedOp : Op<TileGPU_Dialect, "load_staged",
    [MemoryEffects<[MemRead<DefaultResource>]>]> {
  let summary = "Reads a tile or scalar that async_stage copied into shared memory";
  let description = [{
    Each thread reads its elements from byte `offset + i * sizeof(element)`
    of the pipeline region, i being an element's row-major index (a scalar
    from `offset`): the layout async_stage writes, once an async_wait has
    completed the copy.

    Example: `%s = tilegpu.load_staged %off : tensor<64xf32, #slice>`
  }];
  let arguments = (ins I32:$offset);
  let results = (outs Tile_Value:$result);
  let assemblyFormat = "$offset attr-dict `:` type($result)";
}

def TileGPU_AsyncCommitOp : Op<TileGPU_Dialect, "async_commit",
    [MemoryEffects<[MemWrite<DefaultResource>]>]> {
  let summary = "Closes the group of the async copies started since the last commit";
  let assemblyFormat = "attr-dict";
}

def TileGPU_AsyncWaitOp : Op<TileGPU_Dialect, "async_wait",
    [MemoryEffects<[MemRead<DefaultResource>, MemWrite<DefaultResource>]>]> {
  let summary = "Waits until at most `pending` copy groups are in flight, then syncs the CTA";
  let description = [{
    After it, the shared memory written by every older group is visible to
    every thread of the CTA (cp.async.wait_group, then bar.sync).
  }];
  let arguments = (ins I32Attr:$pending);
  let assemblyFormat = "$pending attr-dict";
}

def TileGPU_DotSharedOp : Op<TileGPU_Dialect, "dot_shared",
    [MemoryEffects<[MemRead<DefaultResource>]>, AllTypesMatch<["acc", "result"]>]> {
  let summary = "tile.dot whose operands wait in shared memory";
  let description = [{
    `acc + A[:, kBegin : kBegin + k] · B[kBegin : kBegin + k, :]` where A
    (of `aType`) lies at byte `aOffset` of the pipeline region as rows of K
    elements and B (of `bType`) transposed at `bOffset` as N rows of K
    elements, both with row pitch `pitch` bytes and swizzled chunks (the
    layout async_copy writes). The accumulator is in the mma layout. A dot
    over all of K may be split into dots over consecutive slices of it, so
    that other work can be placed between them.
  }];
  let arguments = (ins Tile_FloatTensor:$acc, I32:$aOffset, I32:$bOffset, TypeAttr:$aType,
                       TypeAttr:$bType, I64Attr:$kBegin, I64Attr:$k, I64Attr:$pitch);
  let results = (outs Tile_FloatTensor:$result);
  let assemblyFormat = [{
    $acc `,` $aOffset `,` $bOffset attr-dict `:` type($acc)
  }];
}

#endif // TESSEL_DIALECT_TILEGPU_IR_TILEGPUOPS_TD
