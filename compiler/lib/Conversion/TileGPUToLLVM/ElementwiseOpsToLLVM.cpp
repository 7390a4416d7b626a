// Ops that compute each element from the same elements of their operands
// (arith, math, casts), and the ops that build tiles without moving data
// between threads (make_range, splat, broadcast, expand_dims, constants).
#include "Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace tessel::tilegpu;

namespace tessel::lowering {
namespace {

DistributedLayout layoutOf(Type type) {
  return *DistributedLayout::get(cast<RankedTensorType>(type));
}

struct MakeRangeOpLowering : public ConvertOpToLLVMPattern<tile::MakeRangeOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(tile::MakeRangeOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    DistributedLayout layout = layoutOf(op.getType());
    ThreadPlacement placement = placeThread(rewriter, loc, layout);
    SmallVector<Value> elements;
    Value start = i32Constant(rewriter, loc, op.getStart());
    for (auto &index : elementIndices(rewriter, loc, layout, placement))
      elements.push_back(LLVM::AddOp::create(rewriter, loc, index[0], start));
    rewriter.replaceOp(op, packElements(rewriter, loc,
                                        getTypeConverter()->convertType(op.getType()), elements));
    return success();
  }
};

struct SplatOpLowering : public ConvertOpToLLVMPattern<tile::SplatOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(tile::SplatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    int64_t count = layoutOf(op.getType()).elemsPerThread();
    SmallVector<Value> elements(count, adaptor.getSrc());
    rewriter.replaceOp(op, packElements(rewriter, op.getLoc(),
                                        getTypeConverter()->convertType(op.getType()), elements));
    return success();
  }
};

/// Broadcasting keeps the layout: a thread already holds the copies it needs
/// (the operand's extent-1 dimensions are replicated), so element k of the
/// result is the operand's element with the broadcast coordinates at 0.
struct BroadcastOpLowering : public ConvertOpToLLVMPattern<tile::BroadcastOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(tile::BroadcastOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    DistributedLayout from = layoutOf(op.getSrc().getType()), to = layoutOf(op.getType());
    SmallVector<Value> src = unpackElements(rewriter, op.getLoc(), adaptor.getSrc());
    SmallVector<Value> elements;
    for (int64_t i = 0, e = to.elemsPerThread(); i < e; ++i) {
      SmallVector<int64_t> coords = to.elementCoords(i);
      for (unsigned d = 0; d < coords.size(); ++d)
        coords[d] %= from.elemsPerThread(d);
      elements.push_back(src[from.linearElement(coords)]);
    }
    rewriter.replaceOp(op, packElements(rewriter, op.getLoc(),
                                        getTypeConverter()->convertType(op.getType()), elements));
    return success();
  }
};

/// expand_dims from the slice of its result's layout holds the same elements.
struct ExpandDimsOpLowering : public ConvertOpToLLVMPattern<tile::ExpandDimsOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(tile::ExpandDimsOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto slice = dyn_cast<SliceEncodingAttr>(op.getSrc().getType().getEncoding());
    if (!slice || slice.getDim() != op.getAxis() ||
        slice.getParent() != op.getType().getEncoding())
      return rewriter.notifyMatchFailure(op, "operand is not the slice of the result layout");
    rewriter.replaceOp(op, adaptor.getSrc());
    return success();
  }
};

/// Any arith or math op on tiles: the scalar op once per element. The scalar
/// ops are then lowered by the arith/math patterns, which must not see tiles:
/// hence the higher benefit.
struct ElementwiseOpLowering : public ConversionPattern {
  ElementwiseOpLowering(TileTypeConverter &converter, MLIRContext *context,
                        const LoweringContext &ctx)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/2, context), ctx_(ctx) {}
  const LoweringContext &ctx_;

  LogicalResult matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                                ConversionPatternRewriter &rewriter) const override {
    if (!isa<arith::ArithDialect, math::MathDialect>(op->getDialect()) ||
        op->getNumResults() != 1 || !isa<RankedTensorType>(op->getResult(0).getType()))
      return failure();
    Location loc = op->getLoc();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    Type structType = getTypeConverter()->convertType(resultType);
    Type scalarType = getTypeConverter()->convertType(resultType.getElementType());
    int64_t count = layoutOf(resultType).elemsPerThread();

    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      auto splat = dyn_cast<SplatElementsAttr>(constant.getValue());
      if (!splat)
        return rewriter.notifyMatchFailure(op, "only splat tile constants are supported");
      TypedAttr scalar = cast<TypedAttr>(splat.getSplatValue<Attribute>());
      if (isa<Float8E4M3FNType, Float8E5M2Type>(scalar.getType()))
        return rewriter.notifyMatchFailure(op, "fp8 tile constants are not supported");
      Value value = LLVM::ConstantOp::create(rewriter, loc, scalarType, scalar);
      SmallVector<Value> elements(count, value);
      rewriter.replaceOp(op, packElements(rewriter, loc, structType, elements));
      return success();
    }

    SmallVector<SmallVector<Value>> unpacked;
    for (Value operand : operands)
      unpacked.push_back(unpackElements(rewriter, loc, operand));

    // Widening fp8: decode the stored bytes (exact, no rounding involved).
    if (auto extf = dyn_cast<arith::ExtFOp>(op)) {
      Type from = getElementTypeOrSelf(extf.getIn().getType());
      if (isa<Float8E4M3FNType, Float8E5M2Type>(from)) {
        SmallVector<Value> elements = extendFp8ToF32(rewriter, loc, unpacked[0], from, ctx_);
        if (!scalarType.isF32())
          for (Value &element : elements)
            element = LLVM::FPTruncOp::create(rewriter, loc, scalarType, element);
        rewriter.replaceOp(op, packElements(rewriter, loc, structType, elements));
        return success();
      }
    }
    for (Value operand : op->getOperands())
      if (isa<Float8E4M3FNType, Float8E5M2Type>(getElementTypeOrSelf(operand.getType())) &&
          !isa<arith::SelectOp>(op))
        return rewriter.notifyMatchFailure(op, "fp8 arithmetic: widen to f32 first");

    SmallVector<Value> elements;
    for (int64_t i = 0; i < count; ++i) {
      SmallVector<Value> scalarOperands;
      for (auto &list : unpacked)
        scalarOperands.push_back(list[i]);
      OperationState state(loc, op->getName().getStringRef(), scalarOperands, {scalarType},
                           op->getAttrs());
      elements.push_back(rewriter.create(state)->getResult(0));
    }
    rewriter.replaceOp(op, packElements(rewriter, loc, structType, elements));
    return success();
  }
};

struct FpTruncSatOpLowering : public ConvertOpToLLVMPattern<tile::FpTruncSatOp> {
  FpTruncSatOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}
  LogicalResult matchAndRewrite(tile::FpTruncSatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type to = getElementTypeOrSelf(op.getType());
    if (!isa<Float8E4M3FNType, Float8E5M2Type>(to))
      return rewriter.notifyMatchFailure(op, "only saturating conversions to fp8 are lowered");
    bool isTile = isa<RankedTensorType>(op.getType());
    SmallVector<Value> values =
        isTile ? unpackElements(rewriter, loc, adaptor.getSrc()) : SmallVector<Value>{adaptor.getSrc()};
    for (Value &value : values)
      if (!value.getType().isF32())
        value = LLVM::FPExtOp::create(rewriter, loc, rewriter.getF32Type(), value);
    SmallVector<Value> converted = truncateToFp8(rewriter, loc, values, to, ctx_);
    if (!isTile) {
      rewriter.replaceOp(op, converted[0]);
      return success();
    }
    rewriter.replaceOp(op, packElements(rewriter, loc,
                                        getTypeConverter()->convertType(op.getType()), converted));
    return success();
  }
  const LoweringContext &ctx_;
};

/// Scalar math the NVPTX backend cannot take as LLVM intrinsics. exp/exp2/log
/// use the SFU's approximations (ex2.approx, lg2.approx), as Triton does;
/// sqrt and rsqrt are IEEE-rounded (sqrt.rn, then div.rn).
template <typename MathOp>
struct ScalarMathLowering : public ConvertOpToLLVMPattern<MathOp> {
  using ConvertOpToLLVMPattern<MathOp>::ConvertOpToLLVMPattern;
  using OpAdaptor = typename MathOp::Adaptor;

  static Value callIntrinsic(OpBuilder &b, Location loc, StringRef name, Value x) {
    return LLVM::CallIntrinsicOp::create(b, loc, x.getType(), b.getStringAttr(name), ValueRange{x})
        .getResult(0);
  }

  LogicalResult matchAndRewrite(MathOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getOperands()[0];
    if (!x.getType().isF32())
      return rewriter.notifyMatchFailure(op, "math on tiles is lowered for f32 only");
    auto f32 = [&](double v) {
      return LLVM::ConstantOp::create(rewriter, loc, rewriter.getF32Type(),
                                      rewriter.getF32FloatAttr(v));
    };
    Value result;
    if constexpr (std::is_same_v<MathOp, math::ExpOp>)
      result = callIntrinsic(rewriter, loc, "llvm.nvvm.ex2.approx.f32",
                             LLVM::FMulOp::create(rewriter, loc, x, f32(1.4426950408889634)));
    else if constexpr (std::is_same_v<MathOp, math::Exp2Op>)
      result = callIntrinsic(rewriter, loc, "llvm.nvvm.ex2.approx.f32", x);
    else if constexpr (std::is_same_v<MathOp, math::LogOp>)
      result = LLVM::FMulOp::create(rewriter, loc,
                                    callIntrinsic(rewriter, loc, "llvm.nvvm.lg2.approx.f", x),
                                    f32(0.6931471805599453));
    else if constexpr (std::is_same_v<MathOp, math::Log2Op>)
      result = callIntrinsic(rewriter, loc, "llvm.nvvm.lg2.approx.f", x);
    else if constexpr (std::is_same_v<MathOp, math::SqrtOp>)
      result = LLVM::SqrtOp::create(rewriter, loc, x);
    else if constexpr (std::is_same_v<MathOp, math::RsqrtOp>)
      result =
          LLVM::FDivOp::create(rewriter, loc, f32(1.0), LLVM::SqrtOp::create(rewriter, loc, x));
    else if constexpr (std::is_same_v<MathOp, math::AbsFOp>)
      result = LLVM::FAbsOp::create(rewriter, loc, x);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ScalarFmaLowering : public ConvertOpToLLVMPattern<math::FmaOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(math::FmaOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (isa<RankedTensorType>(op.getType()))
      return failure();
    rewriter.replaceOpWithNewOp<LLVM::FMAOp>(op, adaptor.getA(), adaptor.getB(), adaptor.getC());
    return success();
  }
};

} // namespace

void populateElementwiseOpPatterns(TileTypeConverter &converter, RewritePatternSet &patterns,
                                   const LoweringContext &ctx) {
  MLIRContext *context = patterns.getContext();
  patterns.add<MakeRangeOpLowering, SplatOpLowering, BroadcastOpLowering, ExpandDimsOpLowering,
               ScalarMathLowering<math::ExpOp>, ScalarMathLowering<math::Exp2Op>,
               ScalarMathLowering<math::LogOp>, ScalarMathLowering<math::Log2Op>,
               ScalarMathLowering<math::SqrtOp>, ScalarMathLowering<math::RsqrtOp>,
               ScalarMathLowering<math::AbsFOp>, ScalarFmaLowering>(converter);
  patterns.add<ElementwiseOpLowering>(converter, context, ctx);
  patterns.add<FpTruncSatOpLowering>(converter, ctx);
}

} // namespace tessel::lowering
