// Which thread holds which element of a distributed tile.
//
// Every encoding reduces to a blocked layout (the "root") over a root shape:
// a slice layout is its parent's layout over the tile's shape with extent 1
// re-inserted at the sliced dimension, and the mma layout is a blocked one
// whose two rows per thread lie 8 apart ("strided rows", see
// MmaEncodingAttr). A thread's elements are enumerated in
// root coordinates; the functions below are the single definition of that
// enumeration, shared by the lowering to LLVM and by the layout passes.
#pragma once

#include "tessel/Dialect/TileGPU/IR/TileGPU.h"

#include "llvm/ADT/SmallVector.h"

namespace tessel::tilegpu {

class DistributedLayout {
public:
  /// Fails (returns nullopt) for a tensor without a tilegpu encoding.
  static std::optional<DistributedLayout> get(mlir::RankedTensorType type);

  BlockedEncodingAttr root() const { return root_; }
  /// The mma layout the root stands for, or null.
  MmaEncodingAttr mma() const { return mma_; }
  /// Whether a thread's elements along root dimension d lie above its lanes
  /// (element e at e * threadsPerWarp, as the mma layout's rows) rather than
  /// next to each other below them (e, as in a blocked layout).
  bool stridedElements(unsigned rootDim) const { return mma_ && rootDim == 0; }
  /// The tile's shape with extent 1 re-inserted at every sliced dimension.
  llvm::ArrayRef<int64_t> rootShape() const { return rootShape_; }
  /// For each dimension of the tile, the root dimension it is.
  llvm::ArrayRef<unsigned> tileDimToRootDim() const { return tileDimToRootDim_; }
  unsigned rootRank() const { return rootShape_.size(); }

  /// CTA tile along a root dimension: sizePerThread * threadsPerWarp * warpsPerCTA.
  int64_t ctaTile(unsigned rootDim) const;
  /// Elements a thread holds along a root dimension, and in all.
  int64_t elemsPerThread(unsigned rootDim) const;
  int64_t elemsPerThread() const;
  /// Consecutive elements of one block along a root dimension: min(spt, S).
  int64_t contiguousPerThread(unsigned rootDim) const;

  /// Root-coordinate index k[d] of each dimension for a thread's linear
  /// element number; `order[0]` varies fastest.
  llvm::SmallVector<int64_t> elementCoords(int64_t linear) const;
  int64_t linearElement(llvm::ArrayRef<int64_t> coords) const;

  /// Global index along root dimension d of the thread's k-th element there:
  /// (rep * ctaTile + threadCoord * sizePerThread + e) mod S, split into the
  /// part that depends only on k (returned) and the thread's offset
  /// threadCoord * sizePerThread, which the caller adds before the modulo.
  /// With strided elements: rep * ctaTile + e * threadsPerWarp, and the
  /// thread's offset is warpCoord * threadsPerWarp * sizePerThread + laneCoord.
  int64_t elementOffset(unsigned rootDim, int64_t k) const;

  /// How many distinct thread coordinates along a root dimension hold
  /// distinct data (the others are replicas), split into lanes and warps.
  int64_t distinctLanes(unsigned rootDim) const;
  int64_t distinctWarps(unsigned rootDim) const;

private:
  BlockedEncodingAttr root_;
  MmaEncodingAttr mma_;
  llvm::SmallVector<int64_t> rootShape_;
  llvm::SmallVector<unsigned> tileDimToRootDim_;
};

/// The default blocked layout for a tile of the given shape and element size:
/// each thread owns up to 16 contiguous bytes along `contiguousDim` (the
/// dimension consecutive in memory; the last one by default), lanes then
/// warps fill that dimension first.
BlockedEncodingAttr getDefaultBlockedEncoding(mlir::MLIRContext *context,
                                              llvm::ArrayRef<int64_t> shape,
                                              unsigned elementBytes, unsigned numWarps,
                                              std::optional<unsigned> contiguousDim = {});

/// The mma layout for an M x N accumulator over `numWarps` warps: warps go
/// where the tile has the most 16 x 8 pieces left to split, so that each
/// warp's share is as square as the tile allows. Fails (null) when the tile
/// has fewer 16 x 8 pieces than warps.
MmaEncodingAttr getMmaEncoding(mlir::MLIRContext *context, int64_t m, int64_t n,
                               unsigned numWarps);

/// The mma layout in which warpgroups (4 consecutive warps) can compute an
/// M x N accumulator with wgmma m64nNk: every warp stacked along M
/// (warpsPerCTA = [numWarps, 1]), so that warp w of warpgroup g holds rows
/// 16 w of the 64-row block g, the registers wgmma writes (its accumulator
/// fragment is the mma.sync one, repeated along N). Fails (null) when the
/// warps are not whole warpgroups, M is not a multiple of 16 x numWarps, or
/// N is not one wgmma N (a multiple of 8, at most 256).
MmaEncodingAttr getWarpgroupMmaEncoding(mlir::MLIRContext *context, int64_t m, int64_t n,
                                        unsigned numWarps);
/// Whether an M x N accumulator in `mma` is the layout above.
bool isWarpgroupMmaLayout(MmaEncodingAttr mma, int64_t m, int64_t n);

/// Shared-memory alignment of a staged dot operand: wgmma reads a swizzled
/// operand through a descriptor whose swizzle pattern repeats every 8 rows
/// of up to 128 bytes and is anchored at an address aligned to that span.
constexpr int64_t kStagedOperandAlignment = 1024;

/// Bytes of K one mma.sync instruction takes from each operand row (m16n8k32
/// for fp8, m16n8k16 for bf16 and f16): the step a dot's K is split in.
constexpr int64_t kMmaStepBytes = 32;

/// Row pitch in bytes of a dot operand staged in shared memory as rows of
/// `k` elements. Rows are not padded: the 16-byte chunks of each row are
/// permuted instead (swizzled; see stagedOperandOffset in the lowering).
inline int64_t sharedOperandPitch(int64_t k, unsigned elementBytes) { return k * elementBytes; }

/// The same tensor type with another encoding.
mlir::RankedTensorType withEncoding(mlir::RankedTensorType type, mlir::Attribute encoding);

} // namespace tessel::tilegpu
