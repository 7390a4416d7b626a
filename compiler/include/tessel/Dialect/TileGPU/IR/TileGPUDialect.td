#ifndef TESSEL_DIALECT_TILEGPU_IR_TILEGPUDIALECT_TD
#define TESSEL_DIALECT_TILEGPU_IR_TILEGPUDIALECT_TD

include "mlir/IR/OpBase.td"

def TileGPU_Dialect : Dialect {
  let name = "tilegpu";
  let cppNamespace = "::tessel::tilegpu";
  let summary = "Tiles distributed over the threads of a CTA";
  let description = [{
    The tilegpu dialect makes the data layout of every tile explicit: a tile
    type carries an encoding attribute (`#tilegpu.blocked`, `#tilegpu.slice`)
    saying which thread holds which elements. Only `tilegpu.convert_layout`
    changes a layout, so every pass can see where data moves between threads.
    The module carries the CTA's warp count as `tilegpu.num_warps` and the
    target as `tilegpu.target`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::tessel::tile::TileDialect"];
  let extraClassDeclaration = [{
    static constexpr llvm::StringLiteral kNumWarpsAttrName = "tilegpu.num_warps";
    static constexpr llvm::StringLiteral kTargetAttrName = "tilegpu.target";
    /// Bytes of dynamic shared memory every launch must provide (set when
    /// lowering to LLVM).
    static constexpr llvm::StringLiteral kSharedBytesAttrName = "tilegpu.shared_bytes";
    /// Bytes of the pipeline region (async_copy buffers), which lies after
    /// the scratch that single ops use one at a time.
    static constexpr llvm::StringLiteral kPipelineBytesAttrName = "tilegpu.pipeline_bytes";
    /// Warps a warp-specialized kernel runs besides its tilegpu.num_warps
    /// (which compute): the producer warpgroup that issues the copies (set
    /// by the pipeliner; the launch adds them to the block).
    static constexpr llvm::StringLiteral kProducerWarpsAttrName = "tilegpu.producer_warps";
    /// CTAs of a warp-specialized kernel resident per multiprocessor, which
    /// its register budget was split for (set by the pipeliner; the lowering
    /// makes it the kernel's register cap at entry, which setmaxnreg needs).
    static constexpr llvm::StringLiteral kCtasPerMultiprocessorAttrName =
        "tilegpu.ctas_per_multiprocessor";
    /// Argument attribute of a kernel argument that holds a TMA tensor map
    /// (a tile.tensordesc the host encodes): how the host builds it from the
    /// launch's other arguments. A dictionary of `base` (the position of the
    /// pointer argument), `shape_args`/`shape_values` and
    /// `strides_args`/`strides_values` (per dimension, outermost first, the
    /// position of the i32 argument holding it, or -1 and the constant
    /// value), `box` (the block shape) and `swizzle` (bytes: 0, 32, 64, 128).
    static constexpr llvm::StringLiteral kTensorMapAttrName = "tilegpu.tensor_map";
    static constexpr int kThreadsPerWarp = 32;
    void registerAttributes();
  }];
}

#endif // TESSEL_DIALECT_TILEGPU_IR_TILEGPUDIALECT_TD
