// Shared pieces of the tilegpu -> LLVM lowering: the type converter, the
// per-thread view of a tile, and the populate functions of each op family.
//
// A tile becomes, in each thread, the list of elements that thread holds
// (DistributedLayout defines which and in what order). Between ops the
// patterns pass the elements themselves; only a tile carried across blocks
// becomes an LLVM struct, which LLVM's SROA later dissolves into registers.
#pragma once

#include "tessel/Analysis/AxisInfo.h"
#include "tessel/Dialect/Tile/IR/Tile.h"
#include "tessel/Dialect/TileGPU/IR/Layout.h"
#include "tessel/Dialect/TileGPU/IR/TargetInfo.h"

#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace tessel::lowering {

/// What patterns need to know beyond their op.
struct LoweringContext {
  const AxisInfoAnalysis &axisInfo;
  /// The GPU compiled for: which instructions exist (wgmma for dots in a
  /// warpgroup mma layout whose operands wait in shared memory, fp8
  /// conversions) and its limits.
  tilegpu::TargetInfo target;
  unsigned numWarps;
  /// Symbol of the CTA's shared-memory scratch buffer.
  llvm::StringRef scratchSymbol;
  /// Where the pipeline region (async copy buffers) starts in the scratch:
  /// after the part that single ops use one at a time.
  int64_t pipelineOffset = 0;
  /// Warps of the producer warpgroup of a warp-specialized kernel
  /// (tilegpu.producer_warps), which follow the numWarps that compute; 0
  /// when the kernel is not warp-specialized.
  unsigned producerWarps = 0;
  /// CTAs resident per multiprocessor that a warp-specialized kernel's
  /// register budget was split for (tilegpu.ctas_per_multiprocessor).
  unsigned ctasPerMultiprocessor = 1;

  /// Threads the CTA is launched with.
  unsigned threadsPerBlock() const { return (numWarps + producerWarps) * 32; }
  /// The thread that issues the copies and barrier arrivals done for the
  /// whole CTA: thread 0, or the producer's first thread.
  unsigned issuingThread() const { return producerWarps ? numWarps * 32 : 0; }
};

/// Converts tiles to structs of their per-thread elements, tile pointers to
/// global-memory LLVM pointers and fp8 values to their i8 storage.
class TileTypeConverter : public mlir::LLVMTypeConverter {
public:
  explicit TileTypeConverter(mlir::MLIRContext *context);
};

/// Splits a converted tile into its per-thread elements, and back. While the
/// patterns run, a packed tile is a marked cast of its elements, which the
/// next op's pattern reads back without emitting code; once they are done,
/// materializePackedElements turns the casts still in use (tiles carried
/// across blocks, such as loop arguments) into insertvalue chains and erases
/// the others.
llvm::SmallVector<mlir::Value> unpackElements(mlir::OpBuilder &b, mlir::Location loc,
                                              mlir::Value packed);
mlir::Value packElements(mlir::OpBuilder &b, mlir::Location loc, mlir::Type structType,
                         mlir::ValueRange elements);
void materializePackedElements(mlir::Operation *root);

/// The thread's elements of a converted tile, or the converted scalar itself
/// (`original` is the type before conversion).
llvm::SmallVector<mlir::Value> elementsOf(mlir::OpBuilder &b, mlir::Location loc,
                                          mlir::Value converted, mlir::Type original);

/// Integer constants in the LLVM dialect.
mlir::Value i32Constant(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// Row-major position of the tile index `index` (one i32 per dimension) in
/// a tile of `shape`.
mlir::Value rowMajorIndex(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<int64_t> shape,
                          llvm::ArrayRef<mlir::Value> index);

/// Where the calling thread sits in a layout: per root dimension, the index
/// of its first element (threadCoord * sizePerThread), and whether it is the
/// first of the threads holding a replicated copy.
struct ThreadPlacement {
  llvm::SmallVector<mlir::Value> firstIndex;   // i32, per root dimension
  llvm::SmallVector<mlir::Value> laneCoord;    // i32, per root dimension
  llvm::SmallVector<mlir::Value> warpCoord;    // i32, per root dimension
  mlir::Value laneId, warpId;                  // i32
};
ThreadPlacement placeThread(mlir::OpBuilder &b, mlir::Location loc,
                            const tilegpu::DistributedLayout &layout);

/// The tile index (one i32 per tile dimension) of each element the thread
/// holds, in the thread's element order.
llvm::SmallVector<llvm::SmallVector<mlir::Value>>
elementIndices(mlir::OpBuilder &b, mlir::Location loc, const tilegpu::DistributedLayout &layout,
               const ThreadPlacement &placement);

/// An i1 that is true in exactly one of the threads holding copies of the
/// thread's elements (replicas of a tile smaller than the CTA tile).
mlir::Value isFirstReplica(mlir::OpBuilder &b, mlir::Location loc,
                           const tilegpu::DistributedLayout &layout,
                           const ThreadPlacement &placement);

/// An i1 that is true in the one thread that writes memory for the elements
/// the calling thread holds of a value of type `original`: the first replica
/// of a tile's elements (isFirstReplica), thread 0 for a scalar.
mlir::Value ownsElements(mlir::OpBuilder &b, mlir::Location loc, mlir::Type original);

/// Syncs the threads that run tile code: the CTA (bar.sync 0), or in a
/// warp-specialized kernel the consumer warps alone (named barrier 1), which
/// the producer never joins.
void syncComputeThreads(mlir::OpBuilder &b, mlir::Location loc, const LoweringContext &ctx);

/// Address of the shared-memory scratch buffer (addrspace 3).
mlir::Value scratchBase(mlir::OpBuilder &b, mlir::Location loc, const LoweringContext &ctx);
/// Byte offset in shared memory of a dot operand element staged as rows of
/// K elements (the layout tile.dot and async_copy write, and ldmatrix reads):
/// row * pitch + (k * bytes ^ swizzleBits(row)), where k is the element's
/// index along `kDim` and row its index along the other dimension of the
/// 2-D `index`.
mlir::Value stagedOperandOffset(mlir::OpBuilder &b, mlir::Location loc,
                                llvm::ArrayRef<mlir::Value> index, unsigned kDim, int64_t pitch,
                                int64_t bytes);
/// What the byte offset within row `row` of a staged operand with `pitch`-byte
/// rows is XORed with: a 16-byte chunk index, times 16, taken from bits of
/// the row. The eight rows one ldmatrix matrix reads, at the same logical
/// chunk, then sit in eight distinct 16-byte bank groups, without padding.
/// Rows a multiple of 8 apart share it.
mlir::Value swizzleBits(mlir::OpBuilder &b, mlir::Location loc, mlir::Value row, int64_t pitch);
/// Address of the pipeline region of the scratch.
mlir::Value pipelineBase(mlir::OpBuilder &b, mlir::Location loc, const LoweringContext &ctx);

/// mma.sync over operands in shared memory: A as rows of K elements at
/// `aBase`, B transposed (N rows of K elements) at `bBase`, both with row
/// pitch `pitch`, multiplied over the `k` elements of K from `kBegin` on;
/// `acc` holds the thread's accumulator elements in `mma`'s order. Returns
/// the new accumulator elements.
llvm::SmallVector<mlir::Value>
emitMmaFromShared(mlir::OpBuilder &b, mlir::Location loc, const LoweringContext &ctx,
                  tilegpu::MmaEncodingAttr mma, mlir::Value aBase, mlir::Value bBase,
                  int64_t pitch, int64_t m, int64_t n, int64_t kBegin, int64_t k,
                  mlir::Type aElement, mlir::Type bElement, llvm::SmallVector<mlir::Value> acc);
/// fence.proxy.async.shared::cta: orders the calling thread's earlier
/// shared-memory writes before reads by the async proxy (wgmma, TMA) that a
/// following barrier lets other threads start.
void fenceSharedForAsyncProxy(mlir::OpBuilder &b, mlir::Location loc);
/// Whether every element of the tile `value` is a zero constant (through
/// splats and layout conversions).
bool isZeroTile(mlir::Value value);
/// Whether emitWarpgroupMmaFromShared can compute this dot: the target has
/// wgmma, the accumulator is in the warpgroup mma layout, both operands are
/// fp8, or both bf16 or both f16, and the staged rows (`pitch` bytes) are one
/// wgmma swizzle span (32, 64 or 128 bytes).
bool canUseWarpgroupMma(const LoweringContext &ctx, tilegpu::MmaEncodingAttr mma, int64_t m,
                        int64_t n, int64_t pitch, mlir::Type aElement, mlir::Type bElement);
/// The same product as emitMmaFromShared with wgmma.mma_async: each
/// warpgroup multiplies its 64-row blocks of A by all of B, reading both
/// through shared-memory descriptors, in the accumulator registers. The
/// operands must start at kStagedOperandAlignment. With `accIsZero` the
/// accumulator's input is not read. With `wait` the call returns after the
/// wgmma completed; without, the caller must pass the result to a later
/// call with `wait` before anything else reads it (the wgmmas of a split dot
/// stay in flight across the work placed between its parts).
llvm::SmallVector<mlir::Value>
emitWarpgroupMmaFromShared(mlir::OpBuilder &b, mlir::Location loc, tilegpu::MmaEncodingAttr mma,
                           mlir::Value aBase, mlir::Value bBase, int64_t pitch, int64_t m,
                           int64_t n, int64_t kBegin, int64_t k, mlir::Type aElement,
                           mlir::Type bElement, llvm::SmallVector<mlir::Value> acc,
                           bool accIsZero, bool wait);
/// Bytes of scratch an op needs (0 when it needs none).
int64_t scratchBytes(mlir::Operation *op);
/// Bytes of scratch a tile.dot stages its operands in.
int64_t dotScratchBytes(tile::DotOp op);

/// fp8 conversions, bit-exact with PTX cvt.rn.satfinite (see FpConversions.cpp).
llvm::SmallVector<mlir::Value> truncateToFp8(mlir::OpBuilder &b, mlir::Location loc,
                                             mlir::ValueRange f32Values, mlir::Type fp8Type,
                                             const LoweringContext &ctx);
/// fp8 -> f32, exact: hardware pairs on sm_89+, integer arithmetic before.
llvm::SmallVector<mlir::Value> extendFp8ToF32(mlir::OpBuilder &b, mlir::Location loc,
                                              mlir::ValueRange storage, mlir::Type fp8Type,
                                              const LoweringContext &ctx);

void populateGridOpPatterns(TileTypeConverter &converter, mlir::RewritePatternSet &patterns,
                            const LoweringContext &ctx);
void populateElementwiseOpPatterns(TileTypeConverter &converter,
                                   mlir::RewritePatternSet &patterns, const LoweringContext &ctx);
void populateLoadStoreOpPatterns(TileTypeConverter &converter, mlir::RewritePatternSet &patterns,
                                 const LoweringContext &ctx);
void populateReduceOpPatterns(TileTypeConverter &converter, mlir::RewritePatternSet &patterns,
                              const LoweringContext &ctx);
void populateDotOpPatterns(TileTypeConverter &converter, mlir::RewritePatternSet &patterns,
                           const LoweringContext &ctx);
void populateAsyncCopyOpPatterns(TileTypeConverter &converter,
                                 mlir::RewritePatternSet &patterns, const LoweringContext &ctx);
void populateTmaOpPatterns(TileTypeConverter &converter, mlir::RewritePatternSet &patterns,
                           const LoweringContext &ctx);
void populateConvertLayoutOpPatterns(TileTypeConverter &converter,
                                     mlir::RewritePatternSet &patterns,
                                     const LoweringContext &ctx);
void populateFuncOpPatterns(TileTypeConverter &converter, mlir::RewritePatternSet &patterns,
                            const LoweringContext &ctx);

} // namespace tessel::lowering
