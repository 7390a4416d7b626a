// tile.addptr, tile.load and tile.store.
//
// A thread's elements that are consecutive in memory are moved with one
// vector access of up to 16 bytes (AxisInfoAnalysis::vectorWidth: the
// largest power of two that the layout gives the thread contiguously, that
// AxisInfo proves contiguous and aligned for the pointers, and over which the
// mask is constant). Masked vectors are guarded by a branch (scf.if), which ptxas
// turns into predicated loads and stores.
#include "Lowering.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace tessel::tilegpu;

namespace tessel::lowering {

namespace {


struct AddPtrOpLowering : public ConvertOpToLLVMPattern<tile::AddPtrOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(tile::AddPtrOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type storage = getTypeConverter()->convertType(tile::getPointeeType(op.getType()));
    auto ptrType = LLVM::LLVMPointerType::get(getContext(), 1);
    SmallVector<Value> ptrs = elementsOf(rewriter, loc, adaptor.getPtr(), op.getType());
    SmallVector<Value> offsets = elementsOf(rewriter, loc, adaptor.getOffset(), op.getType());
    SmallVector<Value> results;
    for (auto [ptr, offset] : llvm::zip(ptrs, offsets))
      results.push_back(
          LLVM::GEPOp::create(rewriter, loc, ptrType, storage, ptr, ValueRange{offset}));
    if (!isa<RankedTensorType>(op.getType()))
      rewriter.replaceOp(op, results[0]);
    else
      rewriter.replaceOp(op, packElements(rewriter, loc,
                                          getTypeConverter()->convertType(op.getType()), results));
    return success();
  }
};

Value zeroOf(OpBuilder &b, Location loc, Type type) {
  return LLVM::ZeroOp::create(b, loc, type);
}

/// The vector<2xi8> that `first` and `second` are elements 0 and 1 of, if
/// they are: a pair an fp8 conversion produced together.
Value sourcePair(Value first, Value second) {
  auto lo = first.getDefiningOp<LLVM::ExtractElementOp>();
  auto hi = second.getDefiningOp<LLVM::ExtractElementOp>();
  if (!lo || !hi || lo.getVector() != hi.getVector() ||
      lo.getVector().getType() != VectorType::get({2}, first.getType()))
    return {};
  auto positionOf = [](LLVM::ExtractElementOp extract) -> std::optional<int64_t> {
    IntegerAttr attr;
    if (!matchPattern(extract.getPosition(), m_Constant(&attr)))
      return std::nullopt;
    return attr.getInt();
  };
  if (positionOf(lo) != 0 || positionOf(hi) != 1)
    return {};
  return lo.getVector();
}

/// The vector a store of `elements` writes. Bytes that fp8 conversions
/// produced in pairs travel as the pairs' 16 bits: the backend otherwise
/// assembles them one byte at a time, with byte permutes.
Value storedVector(OpBuilder &b, Location loc, ArrayRef<Value> elements, Type storage) {
  auto vectorOf = [&](ArrayRef<Value> parts, Type partType) {
    Value vector = zeroOf(b, loc, VectorType::get({int64_t(parts.size())}, partType));
    for (auto [j, part] : llvm::enumerate(parts))
      vector = LLVM::InsertElementOp::create(b, loc, vector, part, i32Constant(b, loc, j));
    return vector;
  };
  int64_t width = elements.size();
  if (storage.isInteger(8) && width % 2 == 0) {
    SmallVector<Value> pairs;
    for (int64_t j = 0; j < width; j += 2)
      if (Value pair = sourcePair(elements[j], elements[j + 1]))
        pairs.push_back(LLVM::BitcastOp::create(b, loc, b.getI16Type(), pair));
    if (int64_t(pairs.size()) == width / 2)
      return vectorOf(pairs, b.getI16Type());
  }
  return vectorOf(elements, storage);
}

struct LoadOpLowering : public ConvertOpToLLVMPattern<tile::LoadOp> {
  LoadOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}

  LogicalResult matchAndRewrite(tile::LoadOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type original = op.getType();
    Type storage = getTypeConverter()->convertType(getElementTypeOrSelf(original));
    SmallVector<Value> ptrs = elementsOf(rewriter, loc, adaptor.getPtr(), original);
    SmallVector<Value> masks, others;
    if (op.getMask())
      masks = elementsOf(rewriter, loc, adaptor.getMask(), original);
    if (op.getOther())
      others = elementsOf(rewriter, loc, adaptor.getOther(), original);
    int64_t width = ctx_.axisInfo.vectorWidth(op.getPtr(), op.getMask());
    unsigned bytes = tile::storageBytes(storage);
    Type vectorType = VectorType::get({width}, storage);

    SmallVector<Value> results;
    for (size_t i = 0; i < ptrs.size(); i += width) {
      // What a masked-off vector yields: `other`, or zeros.
      Value fallback = zeroOf(rewriter, loc, vectorType);
      if (!others.empty())
        for (int64_t j = 0; j < width; ++j)
          fallback = LLVM::InsertElementOp::create(rewriter, loc, fallback, others[i + j],
                                                   i32Constant(rewriter, loc, j));
      auto emitLoad = [&](OpBuilder &b) -> Value {
        return LLVM::LoadOp::create(b, loc, vectorType, ptrs[i], /*alignment=*/width * bytes);
      };
      Value vector;
      if (masks.empty()) {
        vector = emitLoad(rewriter);
      } else {
        auto guarded = scf::IfOp::create(
            rewriter, loc, masks[i],
            [&](OpBuilder &b, Location) { scf::YieldOp::create(b, loc, emitLoad(b)); },
            [&](OpBuilder &b, Location) { scf::YieldOp::create(b, loc, fallback); });
        vector = guarded.getResult(0);
      }
      for (int64_t j = 0; j < width; ++j)
        results.push_back(
            LLVM::ExtractElementOp::create(rewriter, loc, vector, i32Constant(rewriter, loc, j)));
    }
    if (!isa<RankedTensorType>(original))
      rewriter.replaceOp(op, results[0]);
    else
      rewriter.replaceOp(op, packElements(rewriter, loc,
                                          getTypeConverter()->convertType(original), results));
    return success();
  }
  const LoweringContext &ctx_;
};

struct StoreOpLowering : public ConvertOpToLLVMPattern<tile::StoreOp> {
  StoreOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}

  LogicalResult matchAndRewrite(tile::StoreOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type original = op.getValue().getType();
    Type storage = getTypeConverter()->convertType(getElementTypeOrSelf(original));
    SmallVector<Value> ptrs = elementsOf(rewriter, loc, adaptor.getPtr(), original);
    SmallVector<Value> values = elementsOf(rewriter, loc, adaptor.getValue(), original);
    SmallVector<Value> masks;
    if (op.getMask())
      masks = elementsOf(rewriter, loc, adaptor.getMask(), original);
    int64_t width = ctx_.axisInfo.vectorWidth(op.getPtr(), op.getMask());
    unsigned bytes = tile::storageBytes(storage);

    // Threads that hold replicas of other threads' elements do not store
    // them again; a scalar is stored by thread 0 alone.
    Value owner = ownsElements(rewriter, loc, original);

    for (size_t i = 0; i < ptrs.size(); i += width) {
      Value vector = storedVector(rewriter, loc, ArrayRef(values).slice(i, width), storage);
      Value predicate = owner;
      if (!masks.empty())
        predicate = LLVM::AndOp::create(rewriter, loc, predicate, masks[i]);
      auto guarded = scf::IfOp::create(rewriter, loc, predicate, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(guarded.thenBlock());
      LLVM::StoreOp::create(rewriter, loc, vector, ptrs[i], /*alignment=*/width * bytes);
    }
    rewriter.eraseOp(op);
    return success();
  }
  const LoweringContext &ctx_;
};

} // namespace

void populateLoadStoreOpPatterns(TileTypeConverter &converter, RewritePatternSet &patterns,
                                 const LoweringContext &ctx) {
  patterns.add<AddPtrOpLowering>(converter);
  patterns.add<LoadOpLowering, StoreOpLowering>(converter, ctx);
}

} // namespace tessel::lowering
