// tilegpu bulk tensor copies and mbarriers -> NVVM: tma_load becomes
// cp.async.bulk.tensor, the barrier ops mbarrier.init / arrive.expect_tx /
// try_wait.parity / inval, mbarrier_arrive mbarrier.arrive from each warp's
// first lane. The ops one thread performs for the CTA are guarded by a test
// of the thread index (and the op's predicate), so that the intrinsics need
// no PTX predicate of their own: the barriers are initialized and
// invalidated by thread 0, which every kernel has; copies are issued by the
// LoweringContext's issuing thread, the producer's in a warp-specialized
// kernel.
#include "Lowering.h"

#include "tessel/Dialect/TileGPU/IR/TileGPU.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace tessel::tilegpu;

namespace tessel::lowering {
namespace {

/// How long, in nanoseconds, a thread waiting on an mbarrier may be
/// suspended before it tests the phase again: a hint, the suspend time the
/// hardware uses when none is given is system dependent.
constexpr int32_t kWaitSuspendHintNs = 0x989680;

/// NVPTX's address space of shared::cluster memory.
constexpr unsigned kSharedClusterAddressSpace = 7;

/// Address of byte `offset` (an i32) of the pipeline region.
Value pipelineAddress(OpBuilder &b, Location loc, const LoweringContext &ctx, Value offset) {
  return LLVM::GEPOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext(), 3),
                             b.getI8Type(), pipelineBase(b, loc, ctx), ValueRange{offset});
}

/// Runs `body` in thread `thread` of the CTA only, and there only where
/// `pred` (an i1, may be null) holds.
void inThread(OpBuilder &b, Location loc, unsigned thread, Value pred,
              llvm::function_ref<void(OpBuilder &)> body) {
  Value tid = NVVM::ThreadIdXOp::create(b, loc, b.getI32Type());
  Value first =
      LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, tid, i32Constant(b, loc, thread));
  if (pred)
    first = LLVM::AndOp::create(b, loc, first, pred);
  scf::IfOp::create(b, loc, first, [&](OpBuilder &then, Location) {
    body(then);
    scf::YieldOp::create(then, loc);
  });
}

struct MBarrierInitOpLowering : public ConvertOpToLLVMPattern<MBarrierInitOp> {
  MBarrierInitOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}
  LogicalResult matchAndRewrite(MBarrierInitOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    inThread(rewriter, loc, 0, Value(), [&](OpBuilder &b) {
      for (uint32_t i = 0; i < op.getBarriers(); ++i) {
        Value offset = LLVM::AddOp::create(b, loc, adaptor.getOffset(), i32Constant(b, loc, 8 * i));
        NVVM::MBarrierInitOp::create(b, loc, pipelineAddress(b, loc, ctx_, offset),
                                     i32Constant(b, loc, op.getCount()), Value());
      }
    });
    // The copy engine must see the initialized barriers, and every thread
    // must see them before it waits: the whole CTA syncs, since a
    // warp-specialized kernel initializes its barriers before its warpgroups
    // part.
    NVVM::FenceMbarrierInitOp::create(rewriter, loc);
    NVVM::Barrier0Op::create(rewriter, loc);
    rewriter.eraseOp(op);
    return success();
  }
  const LoweringContext &ctx_;
};

struct MBarrierInvalOpLowering : public ConvertOpToLLVMPattern<MBarrierInvalOp> {
  MBarrierInvalOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}
  LogicalResult matchAndRewrite(MBarrierInvalOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    inThread(rewriter, loc, 0, Value(), [&](OpBuilder &b) {
      for (uint32_t i = 0; i < op.getBarriers(); ++i) {
        Value offset = LLVM::AddOp::create(b, loc, adaptor.getOffset(), i32Constant(b, loc, 8 * i));
        NVVM::MBarrierInvalOp::create(b, loc, pipelineAddress(b, loc, ctx_, offset));
      }
    });
    rewriter.eraseOp(op);
    return success();
  }
  const LoweringContext &ctx_;
};

struct MBarrierExpectTxOpLowering : public ConvertOpToLLVMPattern<MBarrierExpectTxOp> {
  MBarrierExpectTxOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}
  LogicalResult matchAndRewrite(MBarrierExpectTxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    inThread(rewriter, loc, ctx_.issuingThread(), adaptor.getPred(), [&](OpBuilder &b) {
      NVVM::MBarrierArriveExpectTxOp::create(
          b, loc, Type(), pipelineAddress(b, loc, ctx_, adaptor.getOffset()),
          i32Constant(b, loc, op.getBytes()), NVVM::MemScopeKind::CTA, /*relaxed=*/false,
          /*predicate=*/Value());
    });
    rewriter.eraseOp(op);
    return success();
  }
  const LoweringContext &ctx_;
};

struct TmaLoadOpLowering : public ConvertOpToLLVMPattern<TmaLoadOp> {
  TmaLoadOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}
  LogicalResult matchAndRewrite(TmaLoadOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    // The tensor map counts dimensions innermost first.
    SmallVector<Value> coordinates(llvm::reverse(adaptor.getIndices()));
    inThread(rewriter, loc, ctx_.issuingThread(), adaptor.getPred(), [&](OpBuilder &b) {
      // The copy's destination is in the cluster's shared memory window,
      // where the CTA's own shared memory has the same addresses (the
      // shared::cta form of the instruction needs a newer PTX ISA).
      Value destination = LLVM::AddrSpaceCastOp::create(
          b, loc, LLVM::LLVMPointerType::get(b.getContext(), kSharedClusterAddressSpace),
          pipelineAddress(b, loc, ctx_, adaptor.getOffset()));
      NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
          b, loc, destination, adaptor.getDesc(),
          coordinates, pipelineAddress(b, loc, ctx_, adaptor.getBarrier()),
          /*im2colOffsets=*/ValueRange{}, /*multicastMask=*/Value(), /*l2CacheHint=*/Value(),
          NVVM::TMALoadMode::TILE, /*isCTAOnly=*/false, /*group=*/nullptr,
          /*predicate=*/Value());
    });
    rewriter.eraseOp(op);
    return success();
  }
  const LoweringContext &ctx_;
};

struct MBarrierWaitOpLowering : public ConvertOpToLLVMPattern<MBarrierWaitOp> {
  MBarrierWaitOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}
  LogicalResult matchAndRewrite(MBarrierWaitOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    NVVM::MBarrierTryWaitParityOp::create(rewriter, loc,
                                          pipelineAddress(rewriter, loc, ctx_, adaptor.getOffset()),
                                          adaptor.getPhase(),
                                          i32Constant(rewriter, loc, kWaitSuspendHintNs));
    rewriter.eraseOp(op);
    return success();
  }
  const LoweringContext &ctx_;
};

struct MBarrierArriveOpLowering : public ConvertOpToLLVMPattern<MBarrierArriveOp> {
  MBarrierArriveOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}
  LogicalResult matchAndRewrite(MBarrierArriveOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value tid = NVVM::ThreadIdXOp::create(rewriter, loc, rewriter.getI32Type());
    Value lane = LLVM::AndOp::create(rewriter, loc, tid, i32Constant(rewriter, loc, 31));
    Value first = LLVM::ICmpOp::create(rewriter, loc, LLVM::ICmpPredicate::eq, lane,
                                       i32Constant(rewriter, loc, 0));
    scf::IfOp::create(rewriter, loc, first, [&](OpBuilder &b, Location) {
      NVVM::MBarrierArriveOp::create(b, loc, Type(),
                                     pipelineAddress(b, loc, ctx_, adaptor.getOffset()),
                                     /*count=*/Value());
      scf::YieldOp::create(b, loc);
    });
    rewriter.eraseOp(op);
    return success();
  }
  const LoweringContext &ctx_;
};

} // namespace

void populateTmaOpPatterns(TileTypeConverter &converter, RewritePatternSet &patterns,
                           const LoweringContext &ctx) {
  patterns.add<MBarrierInitOpLowering, MBarrierInvalOpLowering, MBarrierExpectTxOpLowering,
               TmaLoadOpLowering, MBarrierWaitOpLowering, MBarrierArriveOpLowering>(converter,
                                                                                      ctx);
}

} // namespace tessel::lowering
