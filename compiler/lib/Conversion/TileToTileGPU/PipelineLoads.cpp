// Software pipelining of loops whose loads feed tile.dot (see Passes.td).
//
// With S stages, the loads of iteration i + S - 1 are issued as cp.async
// copies into slot (i + S - 1) % S of a ring of S shared-memory buffers per
// operand while iteration i multiplies what slot i % S holds:
//
//   prologue:  copy iterations 0 .. S-2 into slots 0 .. S-2, one group each
//   iteration i:
//     wait until group i has landed (at most S - 2 younger groups pending)
//     and sync the CTA: everyone is done with iteration i - 1's slot
//     copy iteration i + S - 1 into that slot, (i + S - 1) % S; commit
//     dot_shared on slot i % S
//   after the loop: wait for all groups
//
// A copy past the last iteration is masked off: it reads nothing and only
// zero-fills its slot. Loads qualify when their only user is a dot operand,
// their `other` is zero (what a masked cp.async writes), their pointers and
// mask depend on nothing but the induction variable and values from outside
// the loop (so they can be computed for a later iteration), and each thread
// can copy them in runs of 4, 8 or 16 bytes along K.
#include "tessel/Analysis/AxisInfo.h"
#include "tessel/Conversion/Passes.h"
#include "tessel/Dialect/TileGPU/IR/Layout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace tessel {
#define GEN_PASS_DEF_PIPELINELOADS
#include "tessel/Conversion/Passes.h.inc"
} // namespace tessel

using namespace mlir;
using namespace tessel;
using namespace tessel::tilegpu;

namespace {

/// Stages when the loop does not say.
constexpr int kDefaultStages = 3;

/// An operand load that can be issued for a later iteration.
struct PipelinedLoad {
  tile::LoadOp load;
  unsigned kDim;
  /// The loop-body ops its pointers and mask are computed by, operands
  /// before users: what is cloned for another iteration.
  llvm::SetVector<Operation *> slice;
  int64_t slotBytes = 0; ///< one staged tile: rows x pitch
  int64_t ring = 0;      ///< offset of its ring of slots in the pipeline region
};

/// A dot whose two operand loads can be pipelined.
struct PipelinedDot {
  tile::DotOp dot;
  PipelinedLoad a, b;
  int64_t pitch; ///< bytes per staged row (K elements + padding)
};

class LoopPipeliner {
public:
  LoopPipeliner(scf::ForOp loop, const AxisInfoAnalysis &axisInfo)
      : loop_(loop), axisInfo_(axisInfo) {}

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
    int64_t perStage = 0;
    for (const PipelinedDot &d : dots_)
      perStage += d.a.slotBytes + d.b.slotBytes;
    // Fewer stages when the buffers would not fit.
    while (stages >= 2 && regionBytes + stages * perStage > sharedLimit)
      --stages;
    if (stages < 2)
      return regionBytes;
    stages_ = stages;
    int64_t offset = regionBytes;
    for (PipelinedDot &d : dots_)
      for (PipelinedLoad *load : {&d.a, &d.b}) {
        load->ring = offset;
        offset += stages * load->slotBytes;
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
    auto load = operand.getDefiningOp<tile::LoadOp>();
    if (!load || load->getBlock() != loop_.getBody() || !operand.hasOneUse())
      return std::nullopt;
    if (Value other = load.getOther(); other && !isZero(other))
      return std::nullopt;
    PipelinedLoad pipelined{load, kDim, {}, rows * pitch, 0};
    if (!recomputable(load.getPtr(), pipelined.slice) ||
        (load.getMask() && !recomputable(load.getMask(), pipelined.slice)) ||
        !copyable(load, kDim))
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

  Value i32(OpBuilder &b, int64_t value) {
    return arith::ConstantIntOp::create(b, loop_.getLoc(), value, 32);
  }

  /// Byte offset of `slot` (an i32) of a load's ring in the pipeline region.
  Value slotOffset(OpBuilder &b, Value slot, const PipelinedLoad &pipelined) {
    Location loc = loop_.getLoc();
    return arith::AddIOp::create(b, loc, i32(b, pipelined.ring),
                                 arith::MulIOp::create(b, loc, slot, i32(b, pipelined.slotBytes)));
  }

  /// Copies one operand load, recomputed for induction value `iv`, into
  /// `slot` of its ring; masked off when iv is past the loop's end.
  void copyFor(OpBuilder &b, const PipelinedLoad &pipelined, Value iv, Value slot,
               int64_t pitch) {
    tile::LoadOp load = pipelined.load;
    Location loc = load.getLoc();
    IRMapping mapping;
    mapping.map(loop_.getInductionVar(), iv);
    for (Operation *op : pipelined.slice)
      b.clone(*op, mapping);
    Value ptr = mapping.lookupOrDefault(load.getPtr());
    auto ptrType = cast<RankedTensorType>(ptr.getType());
    auto maskType = RankedTensorType::get(ptrType.getShape(), b.getI1Type(), ptrType.getEncoding());
    Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, iv,
                                          loop_.getUpperBound());
    Value mask = tile::SplatOp::create(b, loc, maskType, inRange);
    if (load.getMask())
      mask = arith::AndIOp::create(b, loc, mapping.lookupOrDefault(load.getMask()), mask);
    AsyncCopyOp::create(b, loc, ptr, mask, slotOffset(b, slot, pipelined),
                        b.getI32IntegerAttr(int32_t(pipelined.kDim)), b.getI64IntegerAttr(pitch));
  }

  void copyStage(OpBuilder &b, Value iv, Value slot) {
    for (const PipelinedDot &d : dots_) {
      copyFor(b, d.a, iv, slot, d.pitch);
      copyFor(b, d.b, iv, slot, d.pitch);
    }
    AsyncCommitOp::create(b, loop_.getLoc());
  }

  void rewrite() {
    Location loc = loop_.getLoc();
    Value lower = loop_.getLowerBound(), step = loop_.getStep();
    OpBuilder b(loop_);
    // Prologue: iterations 0 .. S-2.
    for (int s = 0; s + 1 < stages_; ++s) {
      Value iv = arith::AddIOp::create(b, loc, lower,
                                       arith::MulIOp::create(b, loc, step, i32(b, s)));
      copyStage(b, iv, i32(b, s));
    }

    Block *body = loop_.getBody();
    b.setInsertionPointToStart(body);
    Value iv = loop_.getInductionVar();
    Value iteration = arith::DivSIOp::create(
        b, loc, arith::SubIOp::create(b, loc, iv, lower), step);
    Value slot = arith::RemSIOp::create(b, loc, iteration, i32(b, stages_));
    AsyncWaitOp::create(b, loc, b.getI32IntegerAttr(stages_ - 2));
    Value ahead = i32(b, stages_ - 1);
    Value nextIv =
        arith::AddIOp::create(b, loc, iv, arith::MulIOp::create(b, loc, step, ahead));
    Value nextSlot = arith::RemSIOp::create(
        b, loc, arith::AddIOp::create(b, loc, iteration, ahead), i32(b, stages_));
    copyStage(b, nextIv, nextSlot);

    for (PipelinedDot &d : dots_) {
      b.setInsertionPoint(d.dot);
      Value aOffset = slotOffset(b, slot, d.a), bOffset = slotOffset(b, slot, d.b);
      auto aType = d.dot.getA().getType();
      auto shared = DotSharedOp::create(
          b, d.dot.getLoc(), d.dot.getType(), d.dot.getAcc(), aOffset, bOffset,
          TypeAttr::get(aType.getElementType()),
          TypeAttr::get(d.dot.getB().getType().getElementType()),
          b.getI64IntegerAttr(aType.getDimSize(1)), b.getI64IntegerAttr(d.pitch));
      d.dot.getResult().replaceAllUsesWith(shared.getResult());
      d.dot.erase();
      d.a.load.erase();
      d.b.load.erase();
    }
    eraseDeadOps(body);

    b.setInsertionPointAfter(loop_);
    AsyncWaitOp::create(b, loc, b.getI32IntegerAttr(0));
  }

  /// The address computations of the replaced loads, now unused.
  static void eraseDeadOps(Block *body) {
    bool erased = true;
    while (erased) {
      erased = false;
      for (Operation &op : llvm::make_early_inc_range(llvm::reverse(*body)))
        if (op.use_empty() && isMemoryEffectFree(&op) && !op.hasTrait<OpTrait::IsTerminator>()) {
          op.erase();
          erased = true;
        }
    }
  }

  scf::ForOp loop_;
  const AxisInfoAnalysis &axisInfo_;
  SmallVector<PipelinedDot> dots_;
  int stages_ = 0;
};

struct PipelineLoads : public tessel::impl::PipelineLoadsBase<PipelineLoads> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto target = module->getAttrOfType<StringAttr>(TileGPUDialect::kTargetAttrName);
    if (!target) {
      module.emitError("module has no tilegpu.target: run convert-tile-to-tilegpu first");
      return signalPassFailure();
    }
    AxisInfoAnalysis axisInfo(module);
    SmallVector<scf::ForOp> loops;
    module.walk([&](scf::ForOp loop) { loops.push_back(loop); });
    // Leave room for the scratch of single ops (reductions, conversions).
    int64_t limit =
        maxSharedBytesPerBlock(computeCapabilityOf(target.getValue())) - 16 * 1024;
    int64_t regionBytes = 0;
    for (scf::ForOp loop : loops)
      regionBytes = LoopPipeliner(loop, axisInfo).run(regionBytes, limit);
    if (regionBytes)
      module->setAttr(TileGPUDialect::kPipelineBytesAttrName,
                      Builder(module.getContext()).getI32IntegerAttr(int32_t(regionBytes)));
  }
};

} // namespace
