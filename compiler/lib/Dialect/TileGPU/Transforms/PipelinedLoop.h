// What the load pipeliner (PipelineLoads.cpp) and its warp-specialized form
// (WarpSpecialize.cpp) share: the loads and dots of a loop it pipelines,
// where their shared-memory rings lie, and the ops both schedules emit.
#pragma once

#include "tessel/Dialect/Tile/IR/Tile.h"
#include "tessel/Dialect/TileGPU/IR/TargetInfo.h"
#include "tessel/Dialect/TileGPU/IR/TileGPU.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

namespace tessel::tilegpu::pipelining {

/// Bytes of one mbarrier.
inline constexpr int64_t kMBarrierBytes = 8;
/// Warps of one warpgroup, the unit wgmma and setmaxnreg work in.
inline constexpr unsigned kWarpsPerWarpgroup = 4;

/// The kernel arguments holding TMA tensor maps, one per descriptor, added
/// to the kernel as the pipeliner first needs them.
class TensorMapArguments {
public:
  /// The argument holding the tensor map of `make`'s descriptor.
  mlir::Value get(tile::MakeTensorDescriptorOp make);

private:
  llvm::DenseMap<mlir::Operation *, mlir::Value> arguments_;
};

/// A load that can be issued for a later iteration.
struct PipelinedLoad {
  /// A load through pointers (copied with cp.async), or
  tile::LoadOp load;
  /// a load through a tensor descriptor (copied by the TMA), and the
  /// transpose that makes its block a B operand.
  tile::DescriptorLoadOp tmaLoad;
  tile::TransposeOp transpose;
  /// The loop-body ops its pointers and mask are computed by, operands
  /// before users: what is cloned for another iteration.
  llvm::SetVector<mlir::Operation *> slice;
  int64_t slotBytes = 0; ///< one slot: a staged operand's rows x pitch, or the tile
  int64_t ring = 0;      ///< offset of its ring of slots in the pipeline region

  mlir::Operation *op() const {
    return load ? const_cast<tile::LoadOp &>(load).getOperation()
                : const_cast<tile::DescriptorLoadOp &>(tmaLoad).getOperation();
  }
};

/// A dot whose two operand loads can be pipelined.
struct PipelinedDot {
  tile::DotOp dot;
  PipelinedLoad a, b; ///< K is dimension 1 of a, 0 of b
  int64_t pitch;      ///< bytes per staged row (K elements)
};

/// An i32 constant.
mlir::Value i32Value(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// Byte offset of `slot` (an i32) of a ring of `slotBytes`-byte slots at
/// byte `ring` of the pipeline region.
mlir::Value ringSlot(mlir::OpBuilder &b, mlir::Location loc, int64_t ring, int64_t slotBytes,
                     mlir::Value slot);

/// The iteration index of `loop`'s current iteration, (iv - lower) / step.
mlir::Value iterationIndex(mlir::OpBuilder &b, mlir::scf::ForOp loop);

/// Starts the TMA copy of `load` into the slot at `slotOffset`, signalling
/// the mbarrier at `barrierOffset`, where `pred` holds. `mapping` maps the
/// loop's induction variable (and whatever else was cloned) to the values of
/// the iteration copied; the load's index slice is cloned through it.
void copyThroughTma(mlir::OpBuilder &b, const PipelinedLoad &load, mlir::IRMapping &mapping,
                    mlir::Value slotOffset, mlir::Value barrierOffset, mlir::Value pred,
                    TensorMapArguments &tensorMaps);

/// Bytes the TMA copies of one stage deliver.
int64_t tmaBytesPerStage(llvm::ArrayRef<PipelinedDot> dots);

/// dot_shared over K elements [begin, begin + count) of `d`'s operands.
mlir::Value dotShared(mlir::OpBuilder &b, const PipelinedDot &d, mlir::Value acc,
                      mlir::Value aOffset, mlir::Value bOffset, int64_t begin, int64_t count);

/// Erases `d`'s dot (replaced by `result`), its operand loads and transpose.
void replaceDot(PipelinedDot &d, mlir::Value result);

/// Erases the unused side-effect-free ops of `body` (the address
/// computations of replaced loads).
void eraseDeadOps(mlir::Block *body);

/// Where the warp-specialized schedule keeps its state in the pipeline
/// region.
struct WarpSpecializedRings {
  int stages = 0;
  int64_t fullBarriers = 0;  ///< S mbarriers: a slot's copies have landed
  int64_t emptyBarriers = 0; ///< S mbarriers: every consumer warp is done with a slot
  int64_t endOffset = 0;     ///< where the rings end: the CTA's shared memory, less scratch
};

/// Whether `loop` can take the warp-specialized schedule: it is the only
/// loop of its kernel, directly in the kernel's body, and whatever the copies'
/// indices and the loop bounds are computed from can be recomputed by the
/// producer (side-effect-free ops of the kernel's body and its arguments).
bool canWarpSpecialize(mlir::scf::ForOp loop, llvm::ArrayRef<PipelinedDot> dots);

/// Rewrites the kernel around `loop` into a producer warpgroup that issues
/// every dot operand's TMA copies and `consumerWarps` warps that run the
/// kernel with the loop reading its operands from the rings (see
/// WarpSpecialize.cpp). Marks the module with tilegpu.producer_warps and
/// tilegpu.ctas_per_multiprocessor.
void warpSpecialize(mlir::scf::ForOp loop, llvm::MutableArrayRef<PipelinedDot> dots,
                    const WarpSpecializedRings &rings, unsigned consumerWarps,
                    const TargetInfo &target, TensorMapArguments &tensorMaps);

} // namespace tessel::tilegpu::pipelining
