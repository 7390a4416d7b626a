#include "Lowering.h"

#include "tessel/Dialect/TileGPU/IR/TileGPU.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/Matchers.h"

#include <algorithm>

using namespace mlir;
using namespace tessel::tilegpu;

namespace tessel::lowering {

TileTypeConverter::TileTypeConverter(MLIRContext *context) : LLVMTypeConverter(context) {
  addConversion([context](tile::PointerType) {
    return LLVM::LLVMPointerType::get(context, /*addressSpace=*/1);
  });
  // A descriptor is the kernel argument holding its TMA tensor map, passed
  // by value; its address is what the copies take (see FuncOpToLLVM.cpp).
  addConversion([context](tile::TensorDescType) { return LLVM::LLVMPointerType::get(context); });
  addConversion([context](Float8E4M3FNType) { return IntegerType::get(context, 8); });
  addConversion([context](Float8E5M2Type) { return IntegerType::get(context, 8); });
  addConversion([this](RankedTensorType type) -> std::optional<Type> {
    auto layout = DistributedLayout::get(type);
    if (!layout)
      return std::nullopt;
    Type element = convertType(type.getElementType());
    if (!element)
      return std::nullopt;
    SmallVector<Type> fields(layout->elemsPerThread(), element);
    return LLVM::LLVMStructType::getLiteral(type.getContext(), fields);
  });
}

namespace {
/// Marks the casts packElements creates, so that they are not taken for the
/// conversion framework's own.
constexpr llvm::StringLiteral kPackedElementsAttr = "tessel.packed_elements";

UnrealizedConversionCastOp packingCast(Value packed) {
  auto cast = packed.getDefiningOp<UnrealizedConversionCastOp>();
  return cast && cast->hasAttr(kPackedElementsAttr) ? cast : UnrealizedConversionCastOp();
}
} // namespace

SmallVector<Value> unpackElements(OpBuilder &b, Location loc, Value packed) {
  if (UnrealizedConversionCastOp cast = packingCast(packed))
    return llvm::to_vector(cast.getInputs());
  // A struct that crossed a block boundary (a loop-carried tile).
  auto structType = cast<LLVM::LLVMStructType>(packed.getType());
  SmallVector<Value> elements;
  for (int64_t i = 0, e = structType.getBody().size(); i < e; ++i)
    elements.push_back(LLVM::ExtractValueOp::create(b, loc, packed, i));
  return elements;
}

Value packElements(OpBuilder &b, Location loc, Type structType, ValueRange elements) {
  auto cast = UnrealizedConversionCastOp::create(b, loc, structType, elements);
  cast->setAttr(kPackedElementsAttr, b.getUnitAttr());
  return cast.getResult(0);
}

void materializePackedElements(Operation *root) {
  root->walk([](UnrealizedConversionCastOp cast) {
    if (!cast->hasAttr(kPackedElementsAttr))
      return;
    if (!cast->use_empty()) {
      OpBuilder b(cast);
      Value packed = LLVM::UndefOp::create(b, cast.getLoc(), cast.getResult(0).getType());
      for (auto [i, element] : llvm::enumerate(cast.getInputs()))
        packed = LLVM::InsertValueOp::create(b, cast.getLoc(), packed, element, i);
      cast.getResult(0).replaceAllUsesWith(packed);
    }
    cast->erase();
  });
}

SmallVector<Value> elementsOf(OpBuilder &b, Location loc, Value converted, Type original) {
  if (isa<RankedTensorType>(original))
    return unpackElements(b, loc, converted);
  return {converted};
}

Value i32Constant(OpBuilder &b, Location loc, int64_t value) {
  return LLVM::ConstantOp::create(b, loc, b.getI32Type(), b.getI32IntegerAttr(value));
}

Value rowMajorIndex(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, ArrayRef<Value> index) {
  Value linear = i32Constant(b, loc, 0);
  for (unsigned d = 0; d < shape.size(); ++d)
    linear = LLVM::AddOp::create(
        b, loc, LLVM::MulOp::create(b, loc, linear, i32Constant(b, loc, shape[d])), index[d]);
  return linear;
}

namespace {
/// Splits `linear` into coordinates over `extents`, enumerating dimensions in
/// `order` (fastest first).
SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                               ArrayRef<unsigned> extents, ArrayRef<unsigned> order) {
  SmallVector<Value> coords(extents.size());
  for (unsigned d : order) {
    // Extents are powers of two: mask and shift.
    unsigned extent = extents[d];
    coords[d] = LLVM::AndOp::create(b, loc, linear, i32Constant(b, loc, extent - 1));
    linear = LLVM::LShrOp::create(b, loc, linear, i32Constant(b, loc, llvm::Log2_32(extent)));
  }
  return coords;
}
} // namespace

ThreadPlacement placeThread(OpBuilder &b, Location loc, const DistributedLayout &layout) {
  ThreadPlacement placement;
  Value tid = NVVM::ThreadIdXOp::create(b, loc, b.getI32Type());
  placement.laneId = LLVM::AndOp::create(b, loc, tid, i32Constant(b, loc, 31));
  placement.warpId = LLVM::LShrOp::create(b, loc, tid, i32Constant(b, loc, 5));
  BlockedEncodingAttr root = layout.root();
  placement.laneCoord =
      delinearize(b, loc, placement.laneId, root.getThreadsPerWarp(), root.getOrder());
  placement.warpCoord =
      delinearize(b, loc, placement.warpId, root.getWarpsPerCTA(), root.getOrder());
  for (unsigned d = 0; d < layout.rootRank(); ++d) {
    int64_t lanes = root.getThreadsPerWarp()[d], perThread = root.getSizePerThread()[d];
    if (layout.stridedElements(d)) {
      // warpCoord * (lanes * perThread) + laneCoord: the thread's elements
      // follow at multiples of `lanes` (elementOffset).
      placement.firstIndex.push_back(LLVM::AddOp::create(
          b, loc,
          LLVM::MulOp::create(b, loc, placement.warpCoord[d], i32Constant(b, loc, lanes * perThread)),
          placement.laneCoord[d]));
      continue;
    }
    Value threadCoord = LLVM::AddOp::create(
        b, loc, LLVM::MulOp::create(b, loc, placement.warpCoord[d], i32Constant(b, loc, lanes)),
        placement.laneCoord[d]);
    placement.firstIndex.push_back(
        LLVM::MulOp::create(b, loc, threadCoord, i32Constant(b, loc, perThread)));
  }
  return placement;
}

SmallVector<SmallVector<Value>> elementIndices(OpBuilder &b, Location loc,
                                               const DistributedLayout &layout,
                                               const ThreadPlacement &placement) {
  SmallVector<SmallVector<Value>> indices;
  for (int64_t i = 0, e = layout.elemsPerThread(); i < e; ++i) {
    SmallVector<int64_t> coords = layout.elementCoords(i);
    SmallVector<Value> index;
    for (unsigned rootDim : layout.tileDimToRootDim()) {
      int64_t extent = layout.rootShape()[rootDim];
      Value value =
          LLVM::AddOp::create(b, loc, placement.firstIndex[rootDim],
                              i32Constant(b, loc, layout.elementOffset(rootDim, coords[rootDim])));
      // Replicated layouts wrap around the tile: index mod extent.
      index.push_back(LLVM::AndOp::create(b, loc, value, i32Constant(b, loc, extent - 1)));
    }
    indices.push_back(std::move(index));
  }
  return indices;
}

Value isFirstReplica(OpBuilder &b, Location loc, const DistributedLayout &layout,
                     const ThreadPlacement &placement) {
  Value result = LLVM::ConstantOp::create(b, loc, b.getI1Type(), b.getBoolAttr(true));
  for (unsigned d = 0; d < layout.rootRank(); ++d) {
    auto check = [&](Value coord, int64_t distinct, int64_t extent) {
      if (distinct >= extent)
        return;
      Value ok = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ult, coord,
                                      i32Constant(b, loc, distinct));
      result = LLVM::AndOp::create(b, loc, result, ok);
    };
    check(placement.laneCoord[d], layout.distinctLanes(d),
          layout.root().getThreadsPerWarp()[d]);
    check(placement.warpCoord[d], layout.distinctWarps(d), layout.root().getWarpsPerCTA()[d]);
  }
  return result;
}

Value ownsElements(OpBuilder &b, Location loc, Type original) {
  if (auto tensor = dyn_cast<RankedTensorType>(original)) {
    DistributedLayout layout = *DistributedLayout::get(tensor);
    return isFirstReplica(b, loc, layout, placeThread(b, loc, layout));
  }
  Value tid = NVVM::ThreadIdXOp::create(b, loc, b.getI32Type());
  return LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, tid, i32Constant(b, loc, 0));
}

void syncComputeThreads(OpBuilder &b, Location loc, const LoweringContext &ctx) {
  if (!ctx.producerWarps) {
    NVVM::Barrier0Op::create(b, loc);
    return;
  }
  // Barrier 0 is the CTA's (__syncthreads); 1 is the first free one.
  NVVM::BarrierOp::create(b, loc, TypeRange{}, i32Constant(b, loc, 1),
                          i32Constant(b, loc, int64_t(ctx.numWarps) * 32),
                          NVVM::BarrierReductionAttr(), Value());
}

Value scratchBase(OpBuilder &b, Location loc, const LoweringContext &ctx) {
  return LLVM::AddressOfOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext(), 3),
                                   ctx.scratchSymbol);
}

Value swizzleBits(OpBuilder &b, Location loc, Value row, int64_t pitch) {
  // A bank group is 16 bytes; eight of them make the 128 bytes the banks
  // span. A row of `pitch` bytes holds `chunks` of them (up to 8 count), so
  // 8 / chunks consecutive rows fill the banks once: rows of one such band
  // share an XOR, and successive bands take successive ones.
  int64_t chunks = std::clamp<int64_t>(pitch / 16, 1, 8);
  int64_t rowsPerBand = 8 / chunks;
  Value band = LLVM::LShrOp::create(b, loc, row, i32Constant(b, loc, llvm::Log2_64(rowsPerBand)));
  Value chunk = LLVM::AndOp::create(b, loc, band, i32Constant(b, loc, chunks - 1));
  return LLVM::ShlOp::create(b, loc, chunk, i32Constant(b, loc, 4));
}

Value stagedOperandOffset(OpBuilder &b, Location loc, ArrayRef<Value> index, unsigned kDim,
                          int64_t pitch, int64_t bytes) {
  Value rowIndex = index[1 - kDim];
  Value row = LLVM::MulOp::create(b, loc, rowIndex, i32Constant(b, loc, pitch));
  Value column = LLVM::MulOp::create(b, loc, index[kDim], i32Constant(b, loc, bytes));
  // Accesses of at most 16 aligned bytes stay within one chunk.
  column = LLVM::XOrOp::create(b, loc, column, swizzleBits(b, loc, rowIndex, pitch));
  return LLVM::AddOp::create(b, loc, row, column);
}

void fenceSharedForAsyncProxy(OpBuilder &b, Location loc) {
  NVVM::FenceProxyOp::create(
      b, loc, NVVM::ProxyKind::async_shared,
      NVVM::SharedSpaceAttr::get(b.getContext(), NVVM::SharedSpace::shared_cta));
}

bool isZeroTile(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (!isa<tile::SplatOp, tile::BroadcastOp, tilegpu::ConvertLayoutOp>(def))
      break;
    value = def->getOperand(0);
  }
  return matchPattern(value, m_AnyZeroFloat());
}

Value pipelineBase(OpBuilder &b, Location loc, const LoweringContext &ctx) {
  return LLVM::GEPOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext(), 3),
                             b.getI8Type(), scratchBase(b, loc, ctx),
                             ValueRange{i32Constant(b, loc, ctx.pipelineOffset)});
}

} // namespace tessel::lowering
