// The warp-specialized schedule of a pipelined loop (tile.warp_specialize),
// for targets with the TMA and wgmma.
//
// The CTA gets one warpgroup more than the kernel's tilegpu.num_warps: the
// producer, after the consumers. The kernel body splits by role:
//
//   init the full and the empty mbarrier rings (S barriers each); sync the CTA
//   if thread >= consumer threads:         the producer warpgroup
//     set_max_registers 40                 (its registers go to the consumers)
//     if thread == consumer threads:       one thread issues every copy
//       for each iteration i:
//         wait for phase (i / S + 1) & 1 of empty[i % S]  (fresh barriers pass)
//         expect_tx full[i % S], the stage's bytes
//         tma_load each dot operand of iteration i into slot i % S
//   else:                                  the consumers: the kernel as written
//     set_max_registers R increase
//     ... in each iteration i of the loop:
//       the loop's other loads (a GEMM's scales), issued before the wait
//       wait for phase (i / S) & 1 of full[i % S]
//       dot_shared on slot i % S, which waits for its wgmmas
//       mbarrier_arrive empty[i % S]       (each warp, once done with the slot)
//
// The producer runs up to S iterations ahead of the slowest consumer warp,
// with no CTA-wide sync in the loop, and the consumers never issue a copy:
// the copies leave the tensor cores' critical path. The producer recomputes
// what the copies' indices and the loop's bounds are computed from (cloned
// from the kernel's body); the rest of the kernel runs in the consumer branch
// only, which is why the lowering makes every CTA barrier of a
// warp-specialized kernel a named barrier of the consumer threads.
//
// Registers: the CTA is capped at entry (its threads' share of the
// multiprocessor's registers), then the producer drops to kProducerRegisters
// and the consumers take what that frees, up to kMaxConsumerRegisters: a
// 128-row tile's fp32 accumulators and their per-step partial sums fit
// without spilling. Two CTAs share a multiprocessor where one warpgroup
// computes and both fit (residentCtas): one CTA's prologue and epilogue, and
// its wgmma waits, then overlap the other's main loop.
#include "PipelinedLoop.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace tessel::tilegpu::pipelining {
namespace {

constexpr unsigned kProducerWarps = kWarpsPerWarpgroup;
constexpr unsigned kProducerRegisters = 40;
constexpr unsigned kMaxConsumerRegisters = 232;
/// Registers a consumer thread needs besides two accumulators' worth (the
/// carried sum and a dot's result): addresses, indices, scales.
constexpr int64_t kConsumerRegisterHeadroom = 48;
/// Shared memory the kernel's other ops (reductions, layout conversions)
/// may take beside the rings, as the pipeliner leaves them.
constexpr int64_t kScratchAllowance = 16 * 1024;

/// Registers per consumer thread once the producer gave its own back, with
/// `ctas` CTAs per multiprocessor: a multiple of 8 (setmaxnreg's granule).
unsigned consumerRegisters(unsigned consumerWarps, unsigned ctas, const TargetInfo &target) {
  int64_t threads = int64_t(consumerWarps) * TileGPUDialect::kThreadsPerWarp;
  int64_t producerThreads = int64_t(kProducerWarps) * TileGPUDialect::kThreadsPerWarp;
  int64_t perCta = target.registersPerMultiprocessor() / ctas;
  int64_t available = (perCta - producerThreads * kProducerRegisters) / threads;
  return unsigned(std::min<int64_t>(kMaxConsumerRegisters, available / 8 * 8));
}

/// CTAs per multiprocessor: two where the consumers' accumulators still fit
/// the registers half a multiprocessor leaves them, and two CTAs' rings and
/// scratch fit its shared memory; else one.
unsigned residentCtas(ArrayRef<PipelinedDot> dots, const WarpSpecializedRings &rings,
                      unsigned consumerWarps, const TargetInfo &target) {
  int64_t threads = int64_t(consumerWarps) * TileGPUDialect::kThreadsPerWarp;
  int64_t accumulators = 0;
  for (const PipelinedDot &d : dots) {
    tile::DotOp dot = d.dot; // an op handle's accessors are not const
    accumulators += dot.getType().getNumElements() / threads;
  }
  bool registersFit = consumerRegisters(consumerWarps, 2, target) >=
                      2 * accumulators + kConsumerRegisterHeadroom;
  bool sharedFits = 2 * (rings.endOffset + kScratchAllowance + 1024) <=
                    target.sharedBytesPerMultiprocessor();
  return registersFit && sharedFits ? 2 : 1;
}

bool definedInLoop(scf::ForOp loop, Value value) {
  return value == loop.getInductionVar() || loop->isAncestor(value.getParentBlock()->getParentOp());
}

/// The values from outside `loop` that the producer needs: the loop's
/// bounds and what the copies' indices are computed from.
SmallVector<Value> producerInputs(scf::ForOp loop, ArrayRef<PipelinedDot> dots) {
  llvm::SetVector<Value> inputs;
  inputs.insert(loop.getLowerBound());
  inputs.insert(loop.getUpperBound());
  inputs.insert(loop.getStep());
  for (const PipelinedDot &d : dots)
    for (const PipelinedLoad *load : {&d.a, &d.b}) {
      for (Operation *op : load->slice)
        for (Value operand : op->getOperands())
          if (!definedInLoop(loop, operand))
            inputs.insert(operand);
      tile::DescriptorLoadOp tmaLoad = load->tmaLoad;
      for (Value index : tmaLoad.getIndices())
        if (!definedInLoop(loop, index))
          inputs.insert(index);
    }
  return inputs.takeVector();
}

/// Whether the producer can compute `value`: a kernel argument, or the
/// result of side-effect-free ops of the kernel's body over such values.
bool recomputableByProducer(Value value, Block *kernelBody) {
  if (auto arg = dyn_cast<BlockArgument>(value))
    return arg.getOwner() == kernelBody;
  Operation *def = value.getDefiningOp();
  if (def->getBlock() != kernelBody || def->getNumRegions() != 0 || !isMemoryEffectFree(def))
    return false;
  return llvm::all_of(def->getOperands(),
                      [&](Value operand) { return recomputableByProducer(operand, kernelBody); });
}

/// Clones the ops computing `value` (recomputableByProducer) at `b`,
/// recording the copies in `mapping`.
Value cloneForProducer(OpBuilder &b, Value value, IRMapping &mapping) {
  if (Value mapped = mapping.lookupOrNull(value))
    return mapped;
  if (isa<BlockArgument>(value))
    return value;
  Operation *def = value.getDefiningOp();
  for (Value operand : def->getOperands())
    cloneForProducer(b, operand, mapping);
  b.clone(*def, mapping);
  return mapping.lookup(value);
}

/// The producer's loop: one thread waits for each slot to be free, then
/// copies the iteration's operands into it.
void buildProducerLoop(OpBuilder &b, scf::ForOp loop, ArrayRef<PipelinedDot> dots,
                       const WarpSpecializedRings &rings, TensorMapArguments &tensorMaps) {
  Location loc = loop.getLoc();
  IRMapping mapping;
  for (Value input : producerInputs(loop, dots))
    cloneForProducer(b, input, mapping);
  auto producer = scf::ForOp::create(b, loc, mapping.lookup(loop.getLowerBound()),
                                     mapping.lookup(loop.getUpperBound()),
                                     mapping.lookup(loop.getStep()));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(producer.getBody());
  mapping.map(loop.getInductionVar(), producer.getInductionVar());
  Value stages = i32Value(b, loc, rings.stages);
  Value iteration = iterationIndex(b, producer);
  Value slot = arith::RemSIOp::create(b, loc, iteration, stages);
  // Round r of a slot waits for the consumers' release of round r - 1: the
  // phase of parity (r - 1) & 1, which a fresh barrier reports complete.
  Value round = arith::DivSIOp::create(b, loc, iteration, stages);
  Value parity = arith::XOrIOp::create(
      b, loc, arith::AndIOp::create(b, loc, round, i32Value(b, loc, 1)), i32Value(b, loc, 1));
  MBarrierWaitOp::create(b, loc, ringSlot(b, loc, rings.emptyBarriers, kMBarrierBytes, slot),
                         parity);
  Value full = ringSlot(b, loc, rings.fullBarriers, kMBarrierBytes, slot);
  Value always = arith::ConstantIntOp::create(b, loc, 1, 1);
  MBarrierExpectTxOp::create(b, loc, full, always,
                             b.getI32IntegerAttr(int32_t(tmaBytesPerStage(dots))));
  for (const PipelinedDot &d : dots)
    for (const PipelinedLoad *load : {&d.a, &d.b})
      copyThroughTma(b, *load, mapping, ringSlot(b, loc, load->ring, load->slotBytes, slot),
                     full, always, tensorMaps);
}

/// The consumers' loop: each dot reads its operands from the slot of the
/// iteration once the slot's copies landed, and the warps release the slot
/// after the last dot.
void rewriteConsumerLoop(scf::ForOp loop, MutableArrayRef<PipelinedDot> dots,
                         const WarpSpecializedRings &rings) {
  Location loc = loop.getLoc();
  OpBuilder b(loop.getBody(), loop.getBody()->begin());
  Value stages = i32Value(b, loc, rings.stages);
  Value iteration = iterationIndex(b, loop);
  Value slot = arith::RemSIOp::create(b, loc, iteration, stages);
  Value parity = arith::AndIOp::create(b, loc, arith::DivSIOp::create(b, loc, iteration, stages),
                                       i32Value(b, loc, 1));
  Value lastDot;
  for (PipelinedDot &d : dots) {
    b.setInsertionPoint(d.dot);
    if (!lastDot)
      MBarrierWaitOp::create(b, loc, ringSlot(b, loc, rings.fullBarriers, kMBarrierBytes, slot),
                             parity);
    int64_t k = d.dot.getA().getType().getDimSize(1);
    lastDot = dotShared(b, d, d.dot.getAcc(), ringSlot(b, loc, d.a.ring, d.a.slotBytes, slot),
                        ringSlot(b, loc, d.b.ring, d.b.slotBytes, slot), 0, k);
    replaceDot(d, lastDot);
  }
  b.setInsertionPointAfter(lastDot.getDefiningOp());
  MBarrierArriveOp::create(b, loc, ringSlot(b, loc, rings.emptyBarriers, kMBarrierBytes, slot));
  eraseDeadOps(loop.getBody());
}

} // namespace

bool canWarpSpecialize(scf::ForOp loop, ArrayRef<PipelinedDot> dots) {
  auto func = dyn_cast<func::FuncOp>(loop->getParentOp());
  if (!func)
    return false;
  int loops = 0;
  func.walk([&](scf::ForOp) { ++loops; });
  if (loops != 1)
    return false;
  Block *kernelBody = &func.getBody().front();
  return llvm::all_of(producerInputs(loop, dots),
                      [&](Value input) { return recomputableByProducer(input, kernelBody); });
}

void warpSpecialize(scf::ForOp loop, MutableArrayRef<PipelinedDot> dots,
                    const WarpSpecializedRings &rings, unsigned consumerWarps,
                    const TargetInfo &target, TensorMapArguments &tensorMaps) {
  unsigned ctas = residentCtas(dots, rings, consumerWarps, target);
  auto func = cast<func::FuncOp>(loop->getParentOp());
  Location loc = loop.getLoc();
  Block *kernelBody = &func.getBody().front();
  Operation *terminator = kernelBody->getTerminator();
  OpBuilder b(kernelBody, kernelBody->begin());
  MBarrierInitOp::create(b, loc, i32Value(b, loc, rings.fullBarriers),
                         b.getI32IntegerAttr(rings.stages), b.getI32IntegerAttr(1));
  MBarrierInitOp::create(b, loc, i32Value(b, loc, rings.emptyBarriers),
                         b.getI32IntegerAttr(rings.stages),
                         b.getI32IntegerAttr(int32_t(consumerWarps)));
  int64_t consumerThreads = int64_t(consumerWarps) * TileGPUDialect::kThreadsPerWarp;
  Value thread = ThreadIdOp::create(b, loc, b.getI32Type());
  Value isProducer = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, thread,
                                           i32Value(b, loc, consumerThreads));
  auto roles = scf::IfOp::create(b, loc, TypeRange{}, isProducer, /*withElseRegion=*/true);

  b.setInsertionPointToStart(roles.thenBlock());
  SetMaxRegistersOp::create(b, loc, kProducerRegisters, /*increase=*/false);
  Value issuer = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, thread,
                                       i32Value(b, loc, consumerThreads));
  auto issuing = scf::IfOp::create(b, loc, TypeRange{}, issuer, /*withElseRegion=*/false);
  b.setInsertionPointToStart(issuing.thenBlock());
  buildProducerLoop(b, loop, dots, rings, tensorMaps);

  // Everything the kernel did runs in the consumers' branch.
  Block *consumers = roles.elseBlock();
  for (Operation &op : llvm::make_early_inc_range(
           llvm::make_range(std::next(roles->getIterator()), terminator->getIterator())))
    op.moveBefore(consumers->getTerminator());
  b.setInsertionPointToStart(consumers);
  SetMaxRegistersOp::create(b, loc, consumerRegisters(consumerWarps, ctas, target),
                            /*increase=*/true);
  rewriteConsumerLoop(loop, dots, rings);

  auto module = func->getParentOfType<ModuleOp>();
  module->setAttr(TileGPUDialect::kProducerWarpsAttrName,
                  b.getI32IntegerAttr(int32_t(kProducerWarps)));
  module->setAttr(TileGPUDialect::kCtasPerMultiprocessorAttrName,
                  b.getI32IntegerAttr(int32_t(ctas)));
}

} // namespace tessel::tilegpu::pipelining
