// tilegpu.convert_layout: every thread writes the elements it holds to shared
// memory at their row-major position, and reads back those the new layout
// gives it. Replicas write the same value to the same place.
#include "Lowering.h"

#include "tessel/Dialect/Tile/IR/Tile.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace tessel::tilegpu;

namespace tessel::lowering {
namespace {

struct ConvertLayoutOpLowering : public ConvertOpToLLVMPattern<ConvertLayoutOp> {
  ConvertLayoutOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}

  LogicalResult matchAndRewrite(ConvertLayoutOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto srcType = op.getSrc().getType();
    DistributedLayout from = *DistributedLayout::get(srcType);
    DistributedLayout to = *DistributedLayout::get(op.getType());
    Type storage = getTypeConverter()->convertType(srcType.getElementType());
    // Booleans travel as bytes.
    Type slotType = storage.isInteger(1) ? rewriter.getIntegerType(8) : storage;
    auto sharedPtr = LLVM::LLVMPointerType::get(getContext(), 3);
    Value base = scratchBase(rewriter, loc, ctx_);
    auto address = [&](ArrayRef<Value> index) {
      Value linear = rowMajorIndex(rewriter, loc, srcType.getShape(), index);
      return LLVM::GEPOp::create(rewriter, loc, sharedPtr, slotType, base, ValueRange{linear});
    };

    SmallVector<Value> elements = unpackElements(rewriter, loc, adaptor.getSrc());
    auto fromIndices = elementIndices(rewriter, loc, from, placeThread(rewriter, loc, from));
    syncComputeThreads(rewriter, loc, ctx_);
    for (auto [value, index] : llvm::zip(elements, fromIndices)) {
      Value slotValue = value;
      if (slotType != storage)
        slotValue = LLVM::ZExtOp::create(rewriter, loc, slotType, value);
      LLVM::StoreOp::create(rewriter, loc, slotValue, address(index));
    }
    syncComputeThreads(rewriter, loc, ctx_);
    SmallVector<Value> results;
    for (auto &index : elementIndices(rewriter, loc, to, placeThread(rewriter, loc, to))) {
      Value value = LLVM::LoadOp::create(rewriter, loc, slotType, address(index));
      if (slotType != storage)
        value = LLVM::TruncOp::create(rewriter, loc, storage, value);
      results.push_back(value);
    }
    rewriter.replaceOp(op, packElements(rewriter, loc,
                                        getTypeConverter()->convertType(op.getType()), results));
    return success();
  }
  const LoweringContext &ctx_;
};

} // namespace

int64_t scratchBytes(Operation *op) {
  if (auto convert = dyn_cast<ConvertLayoutOp>(op)) {
    auto type = convert.getSrc().getType();
    unsigned bytes = tile::storageBytes(type.getElementType());
    return type.getNumElements() * bytes;
  }
  if (auto dot = dyn_cast<tile::DotOp>(op))
    return dotScratchBytes(dot);
  if (auto reduce = dyn_cast<tile::ReduceOp>(op)) {
    auto type = reduce.getSrc().getType();
    auto layout = DistributedLayout::get(type);
    if (!layout)
      return 0;
    int64_t warps = layout->distinctWarps(layout->tileDimToRootDim()[reduce.getAxis()]);
    if (warps <= 1)
      return 0;
    return type.getNumElements() / type.getDimSize(reduce.getAxis()) * warps * 4;
  }
  return 0;
}

void populateConvertLayoutOpPatterns(TileTypeConverter &converter, RewritePatternSet &patterns,
                                     const LoweringContext &ctx) {
  patterns.add<ConvertLayoutOpLowering>(converter, ctx);
}

} // namespace tessel::lowering
