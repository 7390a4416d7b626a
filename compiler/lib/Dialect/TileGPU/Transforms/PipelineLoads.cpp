// Software pipelining of loops whose loads feed tile.dot (see Passes.td).
//
// With S stages, the loads of iteration i + S - 1 are issued as cp.async
// copies into slot (i + S - 1) % S of a ring of S shared-memory buffers per
// load while iteration i reads what slot i % S holds:
//
//   prologue:  copy iterations 0 .. S-2 into slots 0 .. S-2, one group each
//   iteration i:
//     wait until group i has landed (at most S - 2 younger groups pending)
//     and sync the CTA: everyone is done with iteration i - 1's slot
//     dot_shared on slot i % S over the first K step of one instruction
//     copy iteration i + S - 1 into slot (i + S - 1) % S; commit
//     dot_shared on slot i % S over the rest of K
//   after the loop: wait for all groups
//
// The copies go after the first K step so that its fragment loads from
// shared memory, which the tensor cores wait for at the top of every
// iteration, are issued first; the copies' own instructions then overlap
// the tensor-core work instead of delaying it.
//
// A copy past the last iteration is masked off: it reads nothing and only
// zero-fills its slot. Operand loads qualify when their only user is a dot
// operand, their `other` is zero (what a masked cp.async writes), their
// pointers and mask depend on nothing but the induction variable and values
// from outside the loop (so they can be computed for a later iteration),
// and each thread can copy them in runs of 4, 8 or 16 bytes along K.
//
// On targets with the tensor memory accelerator, operand loads through a
// tensor descriptor that tile::qualifiesForTma accepts (A as loaded, B as
// the transpose of an N x K block) are bulk tensor copies (tma_load) instead,
// issued by one thread, and each slot has an mbarrier that the copies
// signal: an iteration first waits for its slot's barrier phase (parity
// iteration / S), then for its cp.async group as above, whose CTA sync also
// tells the issuing thread that every thread is done with the slot it
// refills. The descriptor becomes a kernel argument holding the tensor map,
// which the host encodes from the launch's arguments
// (tilegpu.tensor_map says how).
//
// The loop's other loads that meet the same conditions and are small (up to
// kMaxStagedBytes of elements of 4 bytes, or a scalar; a GEMM's scales) are
// staged the same way (async_stage, read back by load_staged), in the same
// copy groups, unless the loop stores to memory: a load from global memory
// left in the loop would stall the tensor-core work for its latency in every
// iteration, because ptxas tracks it with a scoreboard it shares with the
// fragment loads.
#include "tessel/Analysis/AxisInfo.h"
#include "tessel/Dialect/Tile/Transforms/TensorDescriptors.h"
#include "tessel/Dialect/TileGPU/IR/Layout.h"
#include "tessel/Dialect/TileGPU/IR/TargetInfo.h"
#include "tessel/Dialect/TileGPU/Transforms/Passes.h"

#include "PipelinedLoop.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace tessel {
#define GEN_PASS_DEF_PIPELINELOADS
#include "tessel/Dialect/TileGPU/Transforms/Passes.h.inc"
} // namespace tessel

using namespace mlir;
using namespace tessel;
using namespace tessel::tilegpu;
using namespace tessel::tilegpu::pipelining;

namespace {

/// Stages when the loop does not say.
constexpr int kDefaultStages = 3;

/// Bytes of the largest tile staged besides dot operands.
constexpr int64_t kMaxStagedBytes = 4096;

class LoopPipeliner {
public:
  LoopPipeliner(scf::ForOp loop, const AxisInfoAnalysis &axisInfo, const TargetInfo &target,
                unsigned numWarps, TensorMapArguments &tensorMaps)
      : loop_(loop), axisInfo_(axisInfo), target_(target), numWarps_(numWarps),
        tensorMaps_(tensorMaps) {}

  /// Pipelines the loop with its buffers from `regionBytes` on; returns the
  /// new end of the region (unchanged when the loop does not qualify).
  int64_t run(int64_t regionBytes, int64_t sharedLimit) {
    int stages = kDefaultStages;
    if (auto attr = loop_->getAttrOfType<IntegerAttr>(tile::kNumStagesAttrName))
      stages = int(attr.getInt());
    for (tile::DotOp dot : loop_.getBody()->getOps<tile::DotOp>())
      if (std::optional<PipelinedDot> candidate = qualify(dot))
        dots_.push_back(*candidate);
    if (dots_.empty())
      return regionBytes;
    // The consumers of the warp-specialized schedule read the loop's other
    // loads themselves: they are not staged.
    bool warpSpecialized = wantsWarpSpecialization();
    if (!warpSpecialized && !writesMemory())
      for (tile::LoadOp load : loop_.getBody()->getOps<tile::LoadOp>())
        if (std::optional<PipelinedLoad> candidate = qualifiesForStaging(load))
          staged_.push_back(std::move(*candidate));
    int64_t perStage = 0;
    for (const PipelinedDot &d : dots_)
      perStage += d.a.slotBytes + d.b.slotBytes;
    for (const PipelinedLoad &load : staged_)
      perStage += load.slotBytes;
    // Fewer stages when the buffers would not fit (with room for aligning
    // each operand ring).
    int64_t alignmentSlack = int64_t(dots_.size()) * 2 * kStagedOperandAlignment + kMBarrierBytes;
    // With the TMA, each stage has a full mbarrier, and an empty one too in
    // the warp-specialized schedule.
    if (usesTma())
      perStage += (warpSpecialized ? 2 : 1) * kMBarrierBytes;
    while (stages >= 2 && regionBytes + alignmentSlack + stages * perStage > sharedLimit)
      --stages;
    if (stages < 2)
      return regionBytes;
    stages_ = stages;
    // Operand rings start at kStagedOperandAlignment (wgmma's swizzle is
    // anchored there); their slots are multiples of 8 rows, so every slot
    // starts aligned too.
    int64_t offset = regionBytes;
    for (PipelinedDot &d : dots_)
      for (PipelinedLoad *load : {&d.a, &d.b}) {
        offset = llvm::alignTo(offset, kStagedOperandAlignment);
        load->ring = offset;
        offset += stages * load->slotBytes;
      }
    for (PipelinedLoad &load : staged_) {
      load.ring = offset;
      offset += stages * load.slotBytes;
    }
    if (usesTma()) {
      offset = llvm::alignTo(offset, kMBarrierBytes);
      barrierRing_ = offset;
      offset += stages * kMBarrierBytes;
    }
    if (warpSpecialized) {
      WarpSpecializedRings rings{stages, barrierRing_, offset, offset + stages * kMBarrierBytes};
      offset = rings.endOffset;
      warpSpecialize(loop_, dots_, rings, numWarps_, target_, tensorMaps_);
      return offset;
    }
    rewrite();
    return offset;
  }

private:
  /// Whether `value` can be recomputed for another iteration: it depends only
  /// on the induction variable and values defined outside the loop, through
  /// side-effect-free ops of the loop body. Collects those ops.
  bool recomputable(Value value, llvm::SetVector<Operation *> &slice) {
    if (value == loop_.getInductionVar())
      return true;
    Operation *def = value.getDefiningOp();
    if (!def)
      return !loop_->isAncestor(value.getParentBlock()->getParentOp());
    if (!loop_->isAncestor(def))
      return true;
    if (def->getBlock() != loop_.getBody() || def->getNumRegions() != 0 ||
        !isMemoryEffectFree(def))
      return false;
    if (slice.contains(def))
      return true;
    for (Value operand : def->getOperands())
      if (!recomputable(operand, slice))
        return false;
    slice.insert(def);
    return true;
  }

  /// Whether a thread can copy the load's elements in runs of 4 to 16 bytes
  /// along `kDim` (what cp.async moves).
  bool copyable(tile::LoadOp load, unsigned kDim) {
    auto type = cast<RankedTensorType>(load.getPtr().getType());
    std::optional<DistributedLayout> layout = DistributedLayout::get(type);
    if (!layout || layout->mma() || layout->root().getOrder()[0] != kDim ||
        layout->rootRank() != 2)
      return false;
    int64_t runBytes = axisInfo_.vectorWidth(load.getPtr(), load.getMask()) *
                       tile::storageBytes(tile::getPointeeType(type));
    return runBytes == 4 || runBytes == 8 || runBytes == 16;
  }

  /// Whether every element of `value` is zero: a zero constant, possibly
  /// converted (fp8 constants are built in f32) and splat or broadcast.
  static bool isZero(Value value) {
    while (Operation *def = value.getDefiningOp()) {
      if (!isa<tile::SplatOp, tile::BroadcastOp, tile::FpTruncSatOp, arith::TruncFOp,
               arith::ExtFOp, tilegpu::ConvertLayoutOp>(def))
        break;
      value = def->getOperand(0);
    }
    return matchPattern(value, m_AnyZeroFloat()) || matchPattern(value, m_Zero());
  }

  /// The load producing a dot operand with K along `kDim`, when it can be
  /// pipelined; its slot holds `rows` staged rows of `pitch` bytes.
  std::optional<PipelinedLoad> qualifiesAsOperand(Value operand, unsigned kDim, int64_t rows,
                                                  int64_t pitch) {
    if (target_.hasTensorMemoryAccelerator())
      if (std::optional<PipelinedLoad> tma = qualifiesForTma(operand, kDim, rows, pitch))
        return tma;
    auto load = operand.getDefiningOp<tile::LoadOp>();
    if (!load || load->getBlock() != loop_.getBody() || !operand.hasOneUse())
      return std::nullopt;
    if (Value other = load.getOther(); other && !isZero(other))
      return std::nullopt;
    PipelinedLoad pipelined;
    pipelined.load = load;
    pipelined.slotBytes = rows * pitch;
    if (!recomputable(load.getPtr(), pipelined.slice) ||
        (load.getMask() && !recomputable(load.getMask(), pipelined.slice)) ||
        !copyable(load, kDim))
      return std::nullopt;
    return pipelined;
  }

  /// The descriptor load producing a dot operand, when the TMA can copy it
  /// into a slot of `rows` rows of `pitch` bytes: A as loaded, B as the
  /// transpose of an N x K block.
  std::optional<PipelinedLoad> qualifiesForTma(Value operand, unsigned kDim, int64_t rows,
                                               int64_t pitch) {
    tile::TransposeOp transpose;
    if (kDim == 0) {
      transpose = operand.getDefiningOp<tile::TransposeOp>();
      if (!transpose || !operand.hasOneUse())
        return std::nullopt;
      operand = transpose.getSrc();
    }
    auto load = operand.getDefiningOp<tile::DescriptorLoadOp>();
    if (!load || load->getBlock() != loop_.getBody() || !operand.hasOneUse() ||
        !tile::qualifiesForTma(load))
      return std::nullopt;
    RankedTensorType block = load.getDesc().getType().getBlockType();
    if (block.getDimSize(0) != rows ||
        block.getDimSize(1) * tile::storageBytes(block.getElementType()) != pitch)
      return std::nullopt;
    PipelinedLoad pipelined;
    pipelined.tmaLoad = load;
    pipelined.transpose = transpose;
    pipelined.slotBytes = rows * pitch;
    for (Value index : load.getIndices())
      if (!recomputable(index, pipelined.slice))
        return std::nullopt;
    return pipelined;
  }

  /// Whether the loop asks for the warp-specialized schedule and can take
  /// it: on a target with wgmma, every operand copied by the TMA, whole
  /// consumer warpgroups, and a kernel canWarpSpecialize accepts. Elsewhere
  /// the option is ignored.
  bool wantsWarpSpecialization() {
    if (!loop_->hasAttr(tile::kWarpSpecializeAttrName) || !target_.hasWarpgroupMma() ||
        numWarps_ % kWarpsPerWarpgroup != 0)
      return false;
    bool allTma = llvm::all_of(
        dots_, [](const PipelinedDot &d) { return d.a.tmaLoad && d.b.tmaLoad; });
    return allTma && canWarpSpecialize(loop_, dots_);
  }

  bool usesTma() const {
    return llvm::any_of(dots_, [](const PipelinedDot &d) { return d.a.tmaLoad || d.b.tmaLoad; });
  }

  /// Whether the loop body stores to memory. Its other loads then stay where
  /// they are: read iterations ahead, they could miss what an earlier
  /// iteration stores.
  bool writesMemory() {
    WalkResult result = loop_.getBody()->walk([](Operation *op) {
      auto effects = dyn_cast<MemoryEffectOpInterface>(op);
      return effects && effects.hasEffect<MemoryEffects::Write>() ? WalkResult::interrupt()
                                                                   : WalkResult::advance();
    });
    return result.wasInterrupted();
  }

  /// A load of the loop other than a dot operand, when it can be staged
  /// (async_stage): elements of 4 bytes, at most kMaxStagedBytes of them.
  std::optional<PipelinedLoad> qualifiesForStaging(tile::LoadOp load) {
    for (const PipelinedDot &d : dots_)
      if (load.getOperation() == d.a.op() || load.getOperation() == d.b.op())
        return std::nullopt;
    Type type = load.getType();
    if (tile::storageBytes(getElementTypeOrSelf(type)) != 4)
      return std::nullopt;
    int64_t bytes = 4;
    if (auto tensor = dyn_cast<RankedTensorType>(type)) {
      if (!DistributedLayout::get(tensor))
        return std::nullopt;
      bytes = tensor.getNumElements() * 4;
    }
    if (bytes > kMaxStagedBytes)
      return std::nullopt;
    if (Value other = load.getOther(); other && !isZero(other))
      return std::nullopt;
    // Slots start at 16-byte boundaries, as the operands' copies need.
    PipelinedLoad pipelined;
    pipelined.load = load;
    pipelined.slotBytes = int64_t(llvm::alignTo(bytes, 16));
    if (!recomputable(load.getPtr(), pipelined.slice) ||
        (load.getMask() && !recomputable(load.getMask(), pipelined.slice)))
      return std::nullopt;
    return pipelined;
  }

  std::optional<PipelinedDot> qualify(tile::DotOp dot) {
    if (!isa<MmaEncodingAttr>(dot.getType().getEncoding()))
      return std::nullopt;
    auto aType = dot.getA().getType();
    int64_t pitch =
        sharedOperandPitch(aType.getDimSize(1), tile::storageBytes(aType.getElementType()));
    std::optional<PipelinedLoad> a = qualifiesAsOperand(dot.getA(), 1, aType.getDimSize(0), pitch);
    std::optional<PipelinedLoad> b =
        qualifiesAsOperand(dot.getB(), 0, dot.getType().getDimSize(1), pitch);
    if (!a || !b)
      return std::nullopt;
    return PipelinedDot{dot, std::move(*a), std::move(*b), pitch};
  }

  Value i32(OpBuilder &b, int64_t value) { return i32Value(b, loop_.getLoc(), value); }

  /// Byte offset of `slot` (an i32) of a load's ring in the pipeline region.
  Value slotOffset(OpBuilder &b, Value slot, const PipelinedLoad &pipelined) {
    return ringSlot(b, loop_.getLoc(), pipelined.ring, pipelined.slotBytes, slot);
  }

  /// The pointers and mask of `load`, recomputed for induction value `iv`,
  /// the mask also off when iv is past the loop's end.
  std::pair<Value, Value> addressFor(OpBuilder &b, const PipelinedLoad &pipelined, Value iv) {
    tile::LoadOp load = pipelined.load;
    Location loc = load.getLoc();
    IRMapping mapping;
    mapping.map(loop_.getInductionVar(), iv);
    for (Operation *op : pipelined.slice)
      b.clone(*op, mapping);
    Value ptr = mapping.lookupOrDefault(load.getPtr());
    Value mask = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, iv,
                                       loop_.getUpperBound());
    if (auto ptrType = dyn_cast<RankedTensorType>(ptr.getType()))
      mask = tile::SplatOp::create(
          b, loc,
          RankedTensorType::get(ptrType.getShape(), b.getI1Type(), ptrType.getEncoding()), mask);
    if (load.getMask())
      mask = arith::AndIOp::create(b, loc, mapping.lookupOrDefault(load.getMask()), mask);
    return {ptr, mask};
  }

  /// Byte offset of the mbarrier of `slot` (an i32).
  Value barrierOffset(OpBuilder &b, Value slot) {
    return ringSlot(b, loop_.getLoc(), barrierRing_, kMBarrierBytes, slot);
  }

  /// Copies one operand load, for induction value `iv`, into `slot` of its
  /// ring.
  void copyOperand(OpBuilder &b, const PipelinedLoad &pipelined, unsigned kDim, Value iv,
                   Value slot, int64_t pitch) {
    if (pipelined.tmaLoad) {
      Value inRange = arith::CmpIOp::create(b, loop_.getLoc(), arith::CmpIPredicate::slt, iv,
                                            loop_.getUpperBound());
      IRMapping mapping;
      mapping.map(loop_.getInductionVar(), iv);
      copyThroughTma(b, pipelined, mapping, slotOffset(b, slot, pipelined),
                     barrierOffset(b, slot), inRange, tensorMaps_);
      return;
    }
    auto [ptr, mask] = addressFor(b, pipelined, iv);
    tile::LoadOp load = pipelined.load;
    AsyncCopyOp::create(b, load.getLoc(), ptr, mask, slotOffset(b, slot, pipelined),
                        b.getI32IntegerAttr(int32_t(kDim)), b.getI64IntegerAttr(pitch));
  }

  /// Copies every pipelined load, for induction value `iv`, into `slot`,
  /// as one group.
  void copyStage(OpBuilder &b, Value iv, Value slot) {
    if (usesTma()) {
      // The slot's barrier completes once the copies wrote all their bytes.
      int64_t bytes = tmaBytesPerStage(dots_);
      Value inRange = arith::CmpIOp::create(b, loop_.getLoc(), arith::CmpIPredicate::slt, iv,
                                            loop_.getUpperBound());
      MBarrierExpectTxOp::create(b, loop_.getLoc(), barrierOffset(b, slot), inRange,
                                 b.getI32IntegerAttr(int32_t(bytes)));
    }
    for (const PipelinedDot &d : dots_) {
      copyOperand(b, d.a, /*kDim=*/1, iv, slot, d.pitch);
      copyOperand(b, d.b, /*kDim=*/0, iv, slot, d.pitch);
    }
    for (const PipelinedLoad &staged : staged_) {
      auto [ptr, mask] = addressFor(b, staged, iv);
      tile::LoadOp load = staged.load;
      AsyncStageOp::create(b, load.getLoc(), ptr, mask, slotOffset(b, slot, staged));
    }
    AsyncCommitOp::create(b, loop_.getLoc());
  }

  void rewrite() {
    Location loc = loop_.getLoc();
    Value lower = loop_.getLowerBound(), step = loop_.getStep();
    OpBuilder b(loop_);
    if (usesTma())
      MBarrierInitOp::create(b, loc, i32(b, barrierRing_), b.getI32IntegerAttr(stages_),
                             b.getI32IntegerAttr(1));
    // Prologue: iterations 0 .. S-2.
    for (int s = 0; s + 1 < stages_; ++s) {
      Value iv = arith::AddIOp::create(b, loc, lower,
                                       arith::MulIOp::create(b, loc, step, i32(b, s)));
      copyStage(b, iv, i32(b, s));
    }

    Block *body = loop_.getBody();
    b.setInsertionPointToStart(body);
    Value iv = loop_.getInductionVar();
    Value iteration = iterationIndex(b, loop_);
    Value slot = arith::RemSIOp::create(b, loc, iteration, i32(b, stages_));
    if (usesTma()) {
      // Slot s is filled for iterations s, s + S, s + 2S, ...: phases 0, 1, 0, ...
      Value round = arith::DivSIOp::create(b, loc, iteration, i32(b, stages_));
      Value parity = arith::AndIOp::create(b, loc, round, i32(b, 1));
      MBarrierWaitOp::create(b, loc, barrierOffset(b, slot), parity);
    }
    AsyncWaitOp::create(b, loc, b.getI32IntegerAttr(stages_ - 2));
    Value ahead = i32(b, stages_ - 1);
    Value nextIv =
        arith::AddIOp::create(b, loc, iv, arith::MulIOp::create(b, loc, step, ahead));
    Value nextSlot = arith::RemSIOp::create(
        b, loc, arith::AddIOp::create(b, loc, iteration, ahead), i32(b, stages_));

    for (PipelinedLoad &load : staged_) {
      b.setInsertionPoint(load.load);
      Value staged = LoadStagedOp::create(b, load.load.getLoc(), load.load.getType(),
                                          slotOffset(b, slot, load));
      load.load.getResult().replaceAllUsesWith(staged);
    }

    // The copies go after the first K step of the first dot (see the top of
    // the file), or first in the body when that dot has a single K step.
    bool copied = false;
    for (PipelinedDot &d : dots_) {
      b.setInsertionPoint(d.dot);
      Value aOffset = slotOffset(b, slot, d.a), bOffset = slotOffset(b, slot, d.b);
      auto aType = d.dot.getA().getType();
      int64_t k = aType.getDimSize(1);
      int64_t kStep = kMmaStepBytes / tile::storageBytes(aType.getElementType());
      Value acc = d.dot.getAcc();
      if (!copied && k > kStep) {
        acc = dotShared(b, d, acc, aOffset, bOffset, 0, kStep);
        copyStage(b, nextIv, nextSlot);
        acc = dotShared(b, d, acc, aOffset, bOffset, kStep, k - kStep);
      } else {
        if (!copied) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointAfter(nextSlot.getDefiningOp());
          copyStage(b, nextIv, nextSlot);
        }
        acc = dotShared(b, d, acc, aOffset, bOffset, 0, k);
      }
      copied = true;
      replaceDot(d, acc);
    }
    // The copies are made: the loads they replace can go.
    for (PipelinedLoad &load : staged_)
      load.load.erase();
    eraseDeadOps(body);

    b.setInsertionPointAfter(loop_);
    AsyncWaitOp::create(b, loc, b.getI32IntegerAttr(0));
    if (usesTma())
      MBarrierInvalOp::create(b, loc, i32(b, barrierRing_), b.getI32IntegerAttr(stages_));
  }

  scf::ForOp loop_;
  const AxisInfoAnalysis &axisInfo_;
  const TargetInfo &target_;
  unsigned numWarps_;
  TensorMapArguments &tensorMaps_;
  int64_t barrierRing_ = 0; ///< offset of the slots' mbarriers, when copies use the TMA
  SmallVector<PipelinedDot> dots_;
  SmallVector<PipelinedLoad> staged_;
  int stages_ = 0;
};

struct PipelineLoads : public tessel::impl::PipelineLoadsBase<PipelineLoads> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<TargetInfo> target = TargetInfo::ofModule(module);
    if (!target)
      return signalPassFailure();
    auto numWarpsAttr = module->getAttrOfType<IntegerAttr>(TileGPUDialect::kNumWarpsAttrName);
    if (!numWarpsAttr) {
      module.emitError("module has no tilegpu.num_warps: run convert-tile-to-tilegpu first");
      return signalPassFailure();
    }
    unsigned numWarps = unsigned(numWarpsAttr.getInt());
    AxisInfoAnalysis axisInfo(module);
    SmallVector<scf::ForOp> loops;
    module.walk([&](scf::ForOp loop) { loops.push_back(loop); });
    // Leave room for the scratch of single ops (reductions, conversions).
    int64_t limit = target->maxSharedBytesPerBlock() - 16 * 1024;
    int64_t regionBytes = 0;
    TensorMapArguments tensorMaps;
    for (scf::ForOp loop : loops)
      regionBytes =
          LoopPipeliner(loop, axisInfo, *target, numWarps, tensorMaps).run(regionBytes, limit);
    // Descriptor loads left for the TMA that no loop could take have no
    // lowering: say so rather than fail in the LLVM conversion.
    WalkResult unpipelined = module.walk([](tile::DescriptorLoadOp load) {
      load.emitError("this tensor-descriptor load feeds a dot in a loop but could not be "
                     "pipelined (too little shared memory for two stages, or the dot's other "
                     "operand cannot be copied ahead)");
      return WalkResult::interrupt();
    });
    if (unpipelined.wasInterrupted())
      return signalPassFailure();
    WalkResult transposed = module.walk([](tile::TransposeOp transpose) {
      transpose.emitError("only a tensor-descriptor block that feeds a dot's B operand can be "
                          "transposed (the copy into shared memory transposes it); a transpose "
                          "of a tile in registers has no lowering yet");
      return WalkResult::interrupt();
    });
    if (transposed.wasInterrupted())
      return signalPassFailure();
    module.walk([](tile::MakeTensorDescriptorOp make) {
      if (make->use_empty())
        make.erase();
    });
    if (regionBytes)
      module->setAttr(TileGPUDialect::kPipelineBytesAttrName,
                      Builder(module.getContext()).getI32IntegerAttr(int32_t(regionBytes)));
  }
};

} // namespace
