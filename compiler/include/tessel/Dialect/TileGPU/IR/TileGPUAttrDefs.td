#ifndef TESSEL_DIALECT_TILEGPU_IR_TILEGPUATTRDEFS_TD
#define TESSEL_DIALECT_TILEGPU_IR_TILEGPUATTRDEFS_TD

include "tessel/Dialect/TileGPU/IR/TileGPUDialect.td"
include "mlir/IR/AttrTypeBase.td"

class TileGPU_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<TileGPU_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def TileGPU_BlockedEncodingAttr : TileGPU_Attr<"BlockedEncoding", "blocked"> {
  let summary = "Tile elements distributed in blocks over threads and warps";
  let description = [{
    Along each dimension `d`, a thread holds `sizePerThread[d]` consecutive
    elements, `threadsPerWarp[d]` threads of a warp and `warpsPerCTA[d]` warps
    tile the dimension; `order` lists the dimensions from fastest-varying to
    slowest, both for numbering lanes and warps and for the order of a
    thread's own elements. With CTA tile `T[d] = sizePerThread[d] *
    threadsPerWarp[d] * warpsPerCTA[d]`, a tile of extent `S[d] > T[d]` wraps
    (each thread holds `S[d] / T[d]` such blocks) and one with `S[d] < T[d]`
    is replicated (several threads hold the same elements).

    The k-th element a thread holds along `d` (k = rep * min(spt, S) + e) is
    `(rep * T[d] + threadCoord[d] * sizePerThread[d] + e) mod S[d]` with
    `threadCoord[d] = warpCoord[d] * threadsPerWarp[d] + laneCoord[d]`.

    Example (8 bf16 = 16 bytes per thread, rows over warps):
    `#tilegpu.blocked<sizePerThread = [1, 8], threadsPerWarp = [2, 16],
      warpsPerCTA = [4, 1], order = [1, 0]>`
  }];
  let parameters = (ins ArrayRefParameter<"unsigned">:$sizePerThread,
                        ArrayRefParameter<"unsigned">:$threadsPerWarp,
                        ArrayRefParameter<"unsigned">:$warpsPerCTA,
                        ArrayRefParameter<"unsigned">:$order);
  let assemblyFormat = [{
    `<` `sizePerThread` `=` `[` $sizePerThread `]` `,`
        `threadsPerWarp` `=` `[` $threadsPerWarp `]` `,`
        `warpsPerCTA` `=` `[` $warpsPerCTA `]` `,`
        `order` `=` `[` $order `]` `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    unsigned getRank() const { return getOrder().size(); }
  }];
}

def TileGPU_MmaEncodingAttr : TileGPU_Attr<"MmaEncoding", "mma"> {
  let summary = "The accumulator layout of mma.sync m16n8 instructions";
  let description = [{
    A 2-D f32 tile as the tensor cores' `mma.sync.m16n8kK` instructions hold
    their accumulators: warps tile the result in 16 x 8 pieces,
    `warpsPerCTA = [wm, wn]` of them side by side (warp w at row block w / wn,
    column block w % wn), repeated to cover the tile. In each 16 x 8 piece,
    lane l holds rows l / 4 and l / 4 + 8 and columns 2 (l % 4) and
    2 (l % 4) + 1.

    It is the blocked layout sizePerThread = [2, 2], threadsPerWarp = [8, 4],
    warpsPerCTA = [wm, wn], order = [1, 0], except that a thread's two rows
    lie 8 apart (above the lanes) instead of next to each other.

    Example: `#tilegpu.mma<warpsPerCTA = [2, 2]>`
  }];
  let parameters = (ins ArrayRefParameter<"unsigned">:$warpsPerCTA);
  let assemblyFormat = "`<` `warpsPerCTA` `=` `[` $warpsPerCTA `]` `>`";
  let genVerifyDecl = 1;
}

def TileGPU_SliceEncodingAttr : TileGPU_Attr<"SliceEncoding", "slice"> {
  let summary = "The layout of a tile that lost dimension `dim` of its parent's";
  let description = [{
    A tile of rank r - 1 distributed like the parent layout would distribute
    the same tile with extent 1 inserted at `dim`. Reductions produce it, and
    `tile.expand_dims` along `dim` turns it back into the parent layout
    without moving data.

    Example: `#tilegpu.slice<dim = 1, parent = #blocked>`
  }];
  let parameters = (ins "unsigned":$dim, "::mlir::Attribute":$parent);
  let assemblyFormat = "`<` `dim` `=` $dim `,` `parent` `=` $parent `>`";
  let genVerifyDecl = 1;
}

#endif // TESSEL_DIALECT_TILEGPU_IR_TILEGPUATTRDEFS_TD
