// tile.reduce.
//
// Order of combination, which fixes the rounding of `sum` (the CPU
// interpreter follows the same order):
//  1. each thread combines the elements it holds along the axis, in
//     increasing index order;
//  2. the lanes of a warp combine by a butterfly over the lane-id bits of the
//     axis, lowest bit first (shfl.sync.bfly);
//  3. if several warps span the axis, each writes its partial result to
//     shared memory and every thread combines the warps' partials in
//     increasing warp order.
// Afterwards every thread holds the full result for its elements, which is
// the slice layout the reduction produces.
#include "Lowering.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace tessel::tilegpu;

namespace tessel::lowering {
namespace {

Value combine(OpBuilder &b, Location loc, tile::ReduceKind kind, Value lhs, Value rhs) {
  bool isFloat = isa<FloatType>(lhs.getType());
  switch (kind) {
  case tile::ReduceKind::Sum:
    return isFloat ? Value(LLVM::FAddOp::create(b, loc, lhs, rhs))
                   : Value(LLVM::AddOp::create(b, loc, lhs, rhs));
  case tile::ReduceKind::Max:
    return isFloat ? Value(LLVM::MaxNumOp::create(b, loc, lhs, rhs))
                   : Value(LLVM::SMaxOp::create(b, loc, lhs, rhs));
  case tile::ReduceKind::Min:
    return isFloat ? Value(LLVM::MinNumOp::create(b, loc, lhs, rhs))
                   : Value(LLVM::SMinOp::create(b, loc, lhs, rhs));
  }
  llvm_unreachable("unknown reduce kind");
}

/// Position of the first lane-id (or warp-id) bit that encodes root dim `d`.
unsigned firstBitOf(ArrayRef<unsigned> extents, ArrayRef<unsigned> order, unsigned d) {
  unsigned bit = 0;
  for (unsigned dim : order) {
    if (dim == d)
      return bit;
    bit += llvm::Log2_32(extents[dim]);
  }
  return bit;
}

struct ReduceOpLowering : public ConvertOpToLLVMPattern<tile::ReduceOp> {
  ReduceOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}

  LogicalResult matchAndRewrite(tile::ReduceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type element = op.getSrc().getType().getElementType();
    if (!element.isF32() && !element.isInteger(32))
      return rewriter.notifyMatchFailure(op, "reductions are lowered for f32 and i32 tiles");
    DistributedLayout src = *DistributedLayout::get(op.getSrc().getType());
    unsigned axisDim = src.tileDimToRootDim()[op.getAxis()];
    BlockedEncodingAttr root = src.root();
    SmallVector<Value> elements = unpackElements(rewriter, loc, adaptor.getSrc());

    // 1. Within the thread. Result elements are the source elements with the
    // axis coordinate 0, enumerated in the source's element order.
    SmallVector<Value> partials;
    SmallVector<SmallVector<int64_t>> resultCoords;
    for (int64_t i = 0, e = src.elemsPerThread(); i < e; ++i) {
      SmallVector<int64_t> coords = src.elementCoords(i);
      if (coords[axisDim] != 0)
        continue;
      Value acc = elements[i];
      for (int64_t k = 1; k < src.elemsPerThread(axisDim); ++k) {
        coords[axisDim] = k;
        acc = combine(rewriter, loc, op.getKind(), acc, elements[src.linearElement(coords)]);
      }
      coords[axisDim] = 0;
      partials.push_back(acc);
      resultCoords.push_back(coords);
    }

    // 2. Across lanes.
    unsigned laneBit = firstBitOf(root.getThreadsPerWarp(), root.getOrder(), axisDim);
    for (int64_t step = 1; step < src.distinctLanes(axisDim); step *= 2) {
      Value offset = i32Constant(rewriter, loc, step << laneBit);
      for (Value &partial : partials) {
        Value other = NVVM::ShflOp::create(
            rewriter, loc, partial.getType(), i32Constant(rewriter, loc, -1), partial, offset,
            i32Constant(rewriter, loc, 0x1f), NVVM::ShflKind::bfly, UnitAttr());
        partial = combine(rewriter, loc, op.getKind(), partial, other);
      }
    }

    // 3. Across warps, through shared memory.
    int64_t warps = src.distinctWarps(axisDim);
    if (warps > 1) {
      ThreadPlacement placement = placeThread(rewriter, loc, src);
      auto indices = elementIndices(rewriter, loc, src, placement);
      Value base = scratchBase(rewriter, loc, ctx_);
      auto sharedPtr = LLVM::LLVMPointerType::get(getContext(), 3);
      // Slot of result element r from warp w: (row-major index of r) * warps + w.
      auto slot = [&](size_t r, Value warp) {
        SmallVector<int64_t> coords = resultCoords[r];
        auto &index = indices[src.linearElement(coords)];
        Value linear = i32Constant(rewriter, loc, 0);
        auto shape = op.getSrc().getType().getShape();
        for (unsigned d = 0; d < shape.size(); ++d) {
          if (d == op.getAxis())
            continue;
          linear = LLVM::AddOp::create(
              rewriter, loc,
              LLVM::MulOp::create(rewriter, loc, linear, i32Constant(rewriter, loc, shape[d])),
              index[d]);
        }
        Value position = LLVM::AddOp::create(
            rewriter, loc,
            LLVM::MulOp::create(rewriter, loc, linear, i32Constant(rewriter, loc, warps)), warp);
        return LLVM::GEPOp::create(rewriter, loc, sharedPtr, element, base, ValueRange{position});
      };
      syncComputeThreads(rewriter, loc, ctx_);
      for (size_t r = 0; r < partials.size(); ++r)
        LLVM::StoreOp::create(rewriter, loc, partials[r], slot(r, placement.warpCoord[axisDim]));
      syncComputeThreads(rewriter, loc, ctx_);
      for (size_t r = 0; r < partials.size(); ++r) {
        Value acc =
            LLVM::LoadOp::create(rewriter, loc, element, slot(r, i32Constant(rewriter, loc, 0)));
        for (int64_t w = 1; w < warps; ++w)
          acc = combine(
              rewriter, loc, op.getKind(), acc,
              LLVM::LoadOp::create(rewriter, loc, element, slot(r, i32Constant(rewriter, loc, w))));
        partials[r] = acc;
      }
    }

    if (!isa<RankedTensorType>(op.getType())) {
      rewriter.replaceOp(op, partials[0]);
      return success();
    }
    rewriter.replaceOp(op, packElements(rewriter, loc,
                                        getTypeConverter()->convertType(op.getType()), partials));
    return success();
  }
  const LoweringContext &ctx_;
};

} // namespace

void populateReduceOpPatterns(TileTypeConverter &converter, RewritePatternSet &patterns,
                              const LoweringContext &ctx) {
  patterns.add<ReduceOpLowering>(converter, ctx);
}

} // namespace tessel::lowering
