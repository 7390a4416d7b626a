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

//===----------------------------------------------------------------------===//
// Bulk tensor copies (TMA) completing on mbarriers, on sm_90 and later
//===----------------------------------------------------------------------===//

def TileGPU_MBarrierInitOp : Op<TileGPU_Dialect, "mbarrier_init",
    [MemoryEffects<[MemWrite<DefaultResource>]>]> {
  let summary = "Initializes a ring of mbarriers in the pipeline region, then syncs the CTA";
  let description = [{
    One thread initializes the `barriers` consecutive 8-byte mbarriers from
    byte `offset` of the pipeline region on, each to expect `count` arrivals
    per phase and to start in phase 0; the initialization is fenced so that
    the copy engine sees it, and the CTA syncs, so that every thread may use
    the barriers afterwards.

    Example: `tilegpu.mbarrier_init %off {barriers = 4 : i32, count = 1 : i32}`
  }];
  let arguments = (ins I32:$offset, I32Attr:$barriers, I32Attr:$count);
  let assemblyFormat = "$offset attr-dict";
}

def TileGPU_MBarrierInvalOp : Op<TileGPU_Dialect, "mbarrier_inval",
    [MemoryEffects<[MemWrite<DefaultResource>]>]> {
  let summary = "Invalidates a ring of mbarriers once no thread uses them";
  let description = [{
    One thread invalidates the `barriers` consecutive mbarriers from byte
    `offset` of the pipeline region on, so that the memory may be
    initialized again (a pipelined loop inside another loop) or reused. The
    caller has synced the CTA after the last wait on them.

    Example: `tilegpu.mbarrier_inval %off {barriers = 4 : i32}`
  }];
  let arguments = (ins I32:$offset, I32Attr:$barriers);
  let assemblyFormat = "$offset attr-dict";
}

def TileGPU_MBarrierExpectTxOp : Op<TileGPU_Dialect, "mbarrier_expect_tx",
    [MemoryEffects<[MemRead<DefaultResource>, MemWrite<DefaultResource>]>]> {
  let summary = "Arrives on an mbarrier, announcing the bytes copies will deliver to it";
  let description = [{
    Where `pred` holds, one thread of the CTA arrives on the mbarrier at byte
    `offset` of the pipeline region and raises its transaction count by
    `bytes`: the barrier's phase completes once the tma_loads signalling it
    have written that many bytes.

    Example: `tilegpu.mbarrier_expect_tx %bar, %inRange {bytes = 24576 : i32}`
  }];
  let arguments = (ins I32:$offset, I1:$pred, I32Attr:$bytes);
  let assemblyFormat = "$offset `,` $pred attr-dict";
}

def TileGPU_TmaLoadOp : Op<TileGPU_Dialect, "tma_load",
    [MemoryEffects<[MemRead<DefaultResource>, MemWrite<DefaultResource>]>]> {
  let summary = "Starts a bulk tensor copy of a descriptor's block into shared memory";
  let description = [{
    Where `pred` holds, one thread of the CTA starts copying the block of
    `desc` at element `indices` (as tile.descriptor_load reads it, elements
    outside the tensor zero) to byte `offset` of the pipeline region, rows of
    the block's last dimension one after another with their 16-byte chunks
    swizzled as staged dot operands are (see async_copy): the layout
    dot_shared reads. The copy signals the mbarrier at byte `barrier` with
    the bytes it writes. `desc` is a kernel argument holding a TMA tensor
    map.

    Example: `tilegpu.tma_load %desc[%row, %col] to %off, barrier %bar, %inRange
      : !tile.tensordesc<tensor<64x128xf8E4M3FN>>`
  }];
  let arguments = (ins Tile_TensorDescType:$desc, Variadic<I32>:$indices, I32:$offset,
                       I32:$barrier, I1:$pred);
  let assemblyFormat = [{
    $desc `[` $indices `]` `to` $offset `,` `barrier` $barrier `,` $pred attr-dict `:` type($desc)
  }];
}

def TileGPU_MBarrierWaitOp : Op<TileGPU_Dialect, "mbarrier_wait",
    [MemoryEffects<[MemRead<DefaultResource>, MemWrite<DefaultResource>]>]> {
  let summary = "Waits until a phase of an mbarrier has completed";
  let description = [{
    Every thread waits until the phase of the mbarrier at byte `offset` of
    the pipeline region whose parity is `phase` (0 or 1) has completed; the
    shared memory the copies of that phase wrote is then visible to it.

    Example: `tilegpu.mbarrier_wait %bar, %parity`
  }];
  let arguments = (ins I32:$offset, I32:$phase);
  let assemblyFormat = "$offset `,` $phase attr-dict";
}

def TileGPU_MBarrierArriveOp : Op<TileGPU_Dialect, "mbarrier_arrive",
    [MemoryEffects<[MemRead<DefaultResource>, MemWrite<DefaultResource>]>]> {
  let summary = "Each warp arrives once on an mbarrier";
  let description = [{
    The first lane of every warp executing it arrives on the mbarrier at
    byte `offset` of the pipeline region (release semantics: what the warp
    did before, its completed wgmma reads of shared memory included, is
    ordered before the phase completes). A barrier that waits for W warps
    is initialized with count W.

    Example: `tilegpu.mbarrier_arrive %bar`
  }];
  let arguments = (ins I32:$offset);
  let assemblyFormat = "$offset attr-dict";
}

//===----------------------------------------------------------------------===//
// Warp specialization: warpgroups with different roles in one CTA
//===----------------------------------------------------------------------===//

def TileGPU_ThreadIdOp : Op<TileGPU_Dialect, "thread_id", [Pure]> {
  let summary = "The thread's index in the CTA (threadIdx.x)";
  let description = [{
    For code that gives warpgroups different roles (see the pipeliner's
    warp-specialized form); tile code itself never depends on it.

    Example: `%tid = tilegpu.thread_id : i32`
  }];
  let results = (outs I32:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def TileGPU_SetMaxRegistersOp : Op<TileGPU_Dialect, "set_max_registers",
    [MemoryEffects<[MemWrite<DefaultResource>]>]> {
  let summary = "Gives the executing warpgroup's registers back to the CTA, or takes more";
  let description = [{
    setmaxnreg (sm_90a): every warp of the executing warpgroup lowers
    (`increase` absent) or raises its register count per thread to
    `registers`, a multiple of 8 in [24, 256]. Raising waits until other
    warpgroups have released enough. It takes effect only in a kernel with
    a register cap at entry, in which every warpgroup executes exactly one
    such op on its branch of the role split.

    Example: `tilegpu.set_max_registers 232 increase`
  }];
  let arguments = (ins I32Attr:$registers, UnitAttr:$increase);
  let assemblyFormat = "$registers (`increase` $increase^)? attr-dict";
  let hasVerifier = 1;
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
