// tilegpu.async_copy, async_stage, load_staged, async_commit and async_wait:
// cp.async into the pipeline region of shared memory, and reads back.
//
// async_copy: a thread copies its elements in the vector runs a load would
// use (see AxisInfoAnalysis::vectorWidth), each run one cp.async of 4, 8 or
// 16 bytes; 16-byte copies bypass L1 (.cg). A run whose mask is false copies
// zero bytes from global memory and fills the destination with zeros (the
// src-size operand).
//
// async_stage: each element of a 4-byte type is one cp.async of 4 bytes,
// issued by the first of the threads holding it (a scalar: by thread 0) and
// predicated off in the others, inside one inline-assembly statement so
// that the loop body stays one basic block.
#include "Lowering.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace tessel::tilegpu;

namespace tessel::lowering {
namespace {

/// `offset` bytes past `base` in shared memory.
Value sharedAddress(OpBuilder &b, Location loc, Value base, Value offset) {
  return LLVM::GEPOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext(), 3),
                             b.getI8Type(), base, ValueRange{offset});
}

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
    Value region = sharedAddress(b, loc, pipelineBase(b, loc, ctx_), adaptor.getOffset());
    auto modifier = NVVM::LoadCacheModifierKindAttr::get(
        getContext(), runBytes == 16 ? NVVM::LoadCacheModifierKind::CG
                                     : NVVM::LoadCacheModifierKind::CA);
    for (size_t i = 0; i < ptrs.size(); i += width) {
      Value offset = stagedOperandOffset(b, loc, indices[i], kDim, op.getPitch(), bytes);
      Value dst = sharedAddress(b, loc, region, offset);
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

/// Byte offsets, from the start of a staged tile, of the thread's elements
/// at their row-major positions (a scalar at 0).
SmallVector<Value> stagedOffsets(OpBuilder &b, Location loc, Type original, int64_t bytes) {
  auto tensor = dyn_cast<RankedTensorType>(original);
  if (!tensor)
    return {i32Constant(b, loc, 0)};
  DistributedLayout layout = *DistributedLayout::get(tensor);
  SmallVector<Value> offsets;
  ThreadPlacement placement = placeThread(b, loc, layout);
  for (const SmallVector<Value> &index : elementIndices(b, loc, layout, placement))
    offsets.push_back(LLVM::MulOp::create(b, loc, rowMajorIndex(b, loc, tensor.getShape(), index),
                                          i32Constant(b, loc, bytes)));
  return offsets;
}

struct AsyncStageOpLowering : public ConvertOpToLLVMPattern<AsyncStageOp> {
  AsyncStageOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}

  LogicalResult matchAndRewrite(AsyncStageOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto &b = rewriter;
    Type original = op.getPtr().getType();
    int64_t bytes = tile::storageBytes(tile::getPointeeType(original));
    if (bytes != 4)
      return rewriter.notifyMatchFailure(op, "async_stage copies elements of 4 bytes");
    SmallVector<Value> ptrs = elementsOf(b, loc, adaptor.getPtr(), original);
    SmallVector<Value> mask;
    if (op.getMask())
      mask = elementsOf(b, loc, adaptor.getMask(), original);
    SmallVector<Value> offsets = stagedOffsets(b, loc, original, bytes);
    Value ownerBits =
        LLVM::ZExtOp::create(b, loc, b.getI32Type(), ownsElements(b, loc, original));
    Value region = sharedAddress(b, loc, pipelineBase(b, loc, ctx_), adaptor.getOffset());
    for (auto [i, ptr] : llvm::enumerate(ptrs)) {
      Value dst = sharedAddress(b, loc, region, offsets[i]);
      Value dstAddress = LLVM::PtrToIntOp::create(b, loc, b.getI32Type(), dst);
      Value sourceBytes = i32Constant(b, loc, bytes);
      if (!mask.empty())
        sourceBytes = LLVM::SelectOp::create(b, loc, mask[i], sourceBytes, i32Constant(b, loc, 0));
      LLVM::InlineAsmOp::create(
          b, loc, TypeRange{}, ValueRange{ownerBits, dstAddress, ptr, sourceBytes},
          "{ .reg .pred owner; setp.ne.b32 owner, $0, 0; "
          "@owner cp.async.ca.shared.global [$1], [$2], 4, $3; }",
          "r,r,l,r", /*has_side_effects=*/true, /*is_align_stack=*/false,
          LLVM::tailcallkind::TailCallKind::None, LLVM::AsmDialectAttr(), ArrayAttr());
    }
    rewriter.eraseOp(op);
    return success();
  }
  const LoweringContext &ctx_;
};

struct LoadStagedOpLowering : public ConvertOpToLLVMPattern<LoadStagedOp> {
  LoadStagedOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}

  LogicalResult matchAndRewrite(LoadStagedOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto &b = rewriter;
    Type original = op.getType();
    Type storage = getTypeConverter()->convertType(getElementTypeOrSelf(original));
    int64_t bytes = tile::storageBytes(getElementTypeOrSelf(original));
    Value region = sharedAddress(b, loc, pipelineBase(b, loc, ctx_), adaptor.getOffset());
    SmallVector<Value> values;
    for (Value offset : stagedOffsets(b, loc, original, bytes)) {
      Value address = sharedAddress(b, loc, region, offset);
      values.push_back(LLVM::LoadOp::create(b, loc, storage, address, unsigned(bytes)));
    }
    if (isa<RankedTensorType>(original))
      rewriter.replaceOp(op,
                         packElements(b, loc, getTypeConverter()->convertType(original), values));
    else
      rewriter.replaceOp(op, values.front());
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
  AsyncWaitOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}
  LogicalResult matchAndRewrite(AsyncWaitOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    NVVM::CpAsyncWaitGroupOp::create(rewriter, op.getLoc(), op.getPending());
    // cp.async writes through the generic proxy; wgmma reads the staged
    // operands through the async proxy, after this fence in every writer.
    if (ctx_.target.hasWarpgroupMma())
      fenceSharedForAsyncProxy(rewriter, op.getLoc());
    // Each thread waited for its own copies; the barrier publishes them all.
    syncComputeThreads(rewriter, op.getLoc(), ctx_);
    rewriter.eraseOp(op);
    return success();
  }
  const LoweringContext &ctx_;
};

} // namespace

void populateAsyncCopyOpPatterns(TileTypeConverter &converter, RewritePatternSet &patterns,
                                 const LoweringContext &ctx) {
  patterns.add<AsyncCopyOpLowering, AsyncStageOpLowering, LoadStagedOpLowering,
               AsyncWaitOpLowering>(converter, ctx);
  patterns.add<AsyncCommitOpLowering>(converter);
}

} // namespace tessel::lowering
