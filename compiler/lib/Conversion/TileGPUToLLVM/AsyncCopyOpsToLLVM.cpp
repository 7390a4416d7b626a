// tilegpu.async_copy, async_commit and async_wait: cp.async into the
// pipeline region of shared memory.
//
// A thread copies its elements in the vector runs a load would use (see
// AxisInfoAnalysis::vectorWidth), each run one cp.async of 4, 8 or 16 bytes; 16-byte
// copies bypass L1 (.cg). A run whose mask is false copies zero bytes from
// global memory and fills the destination with zeros (the src-size operand).
#include "Lowering.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace tessel::tilegpu;

namespace tessel::lowering {
namespace {

struct AsyncCopyOpLowering : public ConvertOpToLLVMPattern<AsyncCopyOp> {
  AsyncCopyOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}

  LogicalResult matchAndRewrite(AsyncCopyOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto &b = rewriter;
    auto type = op.getPtr().getType();
    DistributedLayout layout = *DistributedLayout::get(type);
    unsigned kDim = op.getKDim();
    int64_t bytes = tile::storageBytes(tile::getPointeeType(type));
    int64_t width = ctx_.axisInfo.vectorWidth(op.getPtr(), op.getMask());
    int64_t runBytes = width * bytes;
    if (runBytes != 4 && runBytes != 8 && runBytes != 16)
      return rewriter.notifyMatchFailure(op, "cp.async moves 4, 8 or 16 bytes per copy");

    SmallVector<Value> ptrs = unpackElements(b, loc, adaptor.getPtr());
    SmallVector<Value> mask;
    if (op.getMask())
      mask = unpackElements(b, loc, adaptor.getMask());
    auto indices = elementIndices(b, loc, layout, placeThread(b, loc, layout));
    Value region = LLVM::GEPOp::create(b, loc, LLVM::LLVMPointerType::get(getContext(), 3),
                                       b.getI8Type(), pipelineBase(b, loc, ctx_),
                                       ValueRange{adaptor.getOffset()});
    auto modifier = NVVM::LoadCacheModifierKindAttr::get(
        getContext(), runBytes == 16 ? NVVM::LoadCacheModifierKind::CG
                                     : NVVM::LoadCacheModifierKind::CA);
    for (size_t i = 0; i < ptrs.size(); i += width) {
      Value offset = stagedOperandOffset(b, loc, indices[i], kDim, op.getPitch(), bytes);
      Value dst = LLVM::GEPOp::create(b, loc, LLVM::LLVMPointerType::get(getContext(), 3),
                                      b.getI8Type(), region, ValueRange{offset});
      Value sourceBytes;
      if (!mask.empty())
        sourceBytes = LLVM::SelectOp::create(b, loc, mask[i], i32Constant(b, loc, runBytes),
                                             i32Constant(b, loc, 0));
      NVVM::CpAsyncOp::create(b, loc, dst, ptrs[i], b.getI32IntegerAttr(int32_t(runBytes)),
                              modifier, sourceBytes);
    }
    rewriter.eraseOp(op);
    return success();
  }
  const LoweringContext &ctx_;
};

struct AsyncCommitOpLowering : public ConvertOpToLLVMPattern<AsyncCommitOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(AsyncCommitOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    NVVM::CpAsyncCommitGroupOp::create(rewriter, op.getLoc());
    rewriter.eraseOp(op);
    return success();
  }
};

struct AsyncWaitOpLowering : public ConvertOpToLLVMPattern<AsyncWaitOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(AsyncWaitOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    NVVM::CpAsyncWaitGroupOp::create(rewriter, op.getLoc(), op.getPending());
    // Each thread waited for its own copies; the barrier publishes them all.
    NVVM::Barrier0Op::create(rewriter, op.getLoc());
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void populateAsyncCopyOpPatterns(TileTypeConverter &converter, RewritePatternSet &patterns,
                                 const LoweringContext &ctx) {
  patterns.add<AsyncCopyOpLowering>(converter, ctx);
  patterns.add<AsyncCommitOpLowering, AsyncWaitOpLowering>(converter);
}

} // namespace tessel::lowering
