#include "tessel/Dialect/Tile/IR/Tile.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace tessel::tile;

namespace {
/// The shape of a tile, or the empty shape for a scalar.
ArrayRef<int64_t> shapeOf(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.getShape();
  return {};
}

bool isPowerOfTwo(int64_t value) { return value > 0 && (value & (value - 1)) == 0; }

std::string shapeString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleave(shapeOf(type), os, ",");
  os << "]";
  return text;
}
} // namespace

LogicalResult MakeRangeOp::verify() {
  int64_t start = getStart(), end = getEnd();
  if (end <= start)
    return emitOpError("needs start < end, got [") << start << ", " << end << ")";
  auto type = getType();
  if (type.getRank() != 1 || type.getDimSize(0) != end - start)
    return emitOpError("result must be tensor<") << (end - start) << "xi32>";
  if (!isPowerOfTwo(end - start))
    return emitOpError("length ") << (end - start) << " is not a power of two";
  return success();
}

LogicalResult BroadcastOp::verify() {
  auto src = getSrc().getType(), result = getType();
  if (src.getRank() != result.getRank())
    return emitOpError("operand rank ") << src.getRank() << " differs from result rank "
                                        << result.getRank();
  for (auto [from, to] : llvm::zip(src.getShape(), result.getShape()))
    if (from != to && from != 1)
      return emitOpError("cannot broadcast shape ")
             << shapeString(src) << " to " << shapeString(result);
  return success();
}

OpFoldResult BroadcastOp::fold(FoldAdaptor) {
  if (getSrc().getType() == getType())
    return getSrc();
  return {};
}

LogicalResult ExpandDimsOp::verify() {
  auto src = getSrc().getType(), result = getType();
  int64_t axis = getAxis();
  if (axis < 0 || axis > src.getRank())
    return emitOpError("axis ") << axis << " out of range for rank " << src.getRank();
  SmallVector<int64_t> expected(src.getShape());
  expected.insert(expected.begin() + axis, 1);
  if (result.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape ") << shapeString(result) << " should be "
                                        << "the operand's with 1 inserted at " << axis;
  return success();
}

LogicalResult AddPtrOp::verify() {
  if (shapeOf(getPtr().getType()) != shapeOf(getOffset().getType()))
    return emitOpError("pointer shape ") << shapeString(getPtr().getType())
                                         << " differs from offset shape "
                                         << shapeString(getOffset().getType());
  return success();
}

LogicalResult LoadOp::verify() {
  Type pointee = getPointeeType(getPtr().getType());
  if (getElementTypeOrSelf(getType()) != pointee)
    return emitOpError("result element type ") << getElementTypeOrSelf(getType())
                                               << " differs from pointee type " << pointee;
  if (shapeOf(getType()) != shapeOf(getPtr().getType()))
    return emitOpError("result shape differs from pointer shape");
  if (getMask() && shapeOf(getMask().getType()) != shapeOf(getType()))
    return emitOpError("mask shape ") << shapeString(getMask().getType())
                                      << " differs from result shape " << shapeString(getType());
  if (getOther()) {
    if (!getMask())
      return emitOpError("`other` needs a mask");
    if (getOther().getType() != getType())
      return emitOpError("`other` type ") << getOther().getType() << " differs from result type "
                                          << getType();
  }
  return success();
}

LogicalResult StoreOp::verify() {
  Type pointee = getPointeeType(getPtr().getType());
  if (getElementTypeOrSelf(getValue().getType()) != pointee)
    return emitOpError("stored element type ")
           << getElementTypeOrSelf(getValue().getType()) << " differs from pointee type "
           << pointee;
  if (shapeOf(getValue().getType()) != shapeOf(getPtr().getType()))
    return emitOpError("value shape ") << shapeString(getValue().getType())
                                       << " differs from pointer shape "
                                       << shapeString(getPtr().getType());
  if (getMask() && shapeOf(getMask().getType()) != shapeOf(getValue().getType()))
    return emitOpError("mask shape differs from value shape");
  return success();
}

LogicalResult MakeTensorDescriptorOp::verify() {
  RankedTensorType block = getType().getBlockType();
  if (getShape().size() != size_t(block.getRank()) ||
      getStrides().size() != size_t(block.getRank()))
    return emitOpError("needs ") << block.getRank() << " shape and " << block.getRank()
                                 << " stride values for a block of rank " << block.getRank()
                                 << ", got " << getShape().size() << " and "
                                 << getStrides().size();
  if (getBase().getType().getPointeeType() != block.getElementType())
    return emitOpError("base pointee type ")
           << getBase().getType().getPointeeType() << " differs from the block's element type "
           << block.getElementType();
  return success();
}

LogicalResult DescriptorLoadOp::verify() {
  RankedTensorType block = getDesc().getType().getBlockType();
  if (getIndices().size() != size_t(block.getRank()))
    return emitOpError("needs ") << block.getRank() << " indices, got " << getIndices().size();
  if (getType().getShape() != block.getShape() ||
      getType().getElementType() != block.getElementType())
    return emitOpError("result type ") << getType() << " differs from the descriptor's block "
                                       << block;
  return success();
}

LogicalResult TransposeOp::verify() {
  auto src = getSrc().getType(), result = getType();
  if (src.getRank() != 2)
    return emitOpError("transposes 2-D tiles, got shape ") << shapeString(src);
  if (result.getRank() != 2 || result.getDimSize(0) != src.getDimSize(1) ||
      result.getDimSize(1) != src.getDimSize(0))
    return emitOpError("result shape ") << shapeString(result) << " should be "
                                        << "the operand's " << shapeString(src) << " reversed";
  return success();
}

LogicalResult ReduceOp::verify() {
  auto src = getSrc().getType();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= src.getRank())
    return emitOpError("axis ") << axis << " out of range for operand of shape "
                                << shapeString(src);
  SmallVector<int64_t> expected(src.getShape());
  expected.erase(expected.begin() + axis);
  if (shapeOf(getType()) != ArrayRef<int64_t>(expected))
    return emitOpError("result shape ") << shapeString(getType()) << " should be "
                                        << "the operand's without axis " << axis;
  if (expected.empty() && isa<RankedTensorType>(getType()))
    return emitOpError("reducing a rank-1 tile yields a scalar");
  return success();
}

LogicalResult FpTruncSatOp::verify() {
  auto from = cast<FloatType>(getElementTypeOrSelf(getSrc().getType()));
  auto to = cast<FloatType>(getElementTypeOrSelf(getType()));
  if (to.getWidth() >= from.getWidth())
    return emitOpError("result type ") << to << " is not narrower than " << from;
  return success();
}

namespace tessel::tile {

int64_t minDotK(Type operandElement) {
  return operandElement.getIntOrFloatBitWidth() == 8 ? 32 : 16;
}

std::string diagnoseDot(RankedTensorType a, RankedTensorType b, RankedTensorType acc) {
  auto shapeText = [](RankedTensorType type) { return shapeString(type); };
  if (a.getRank() != 2 || b.getRank() != 2 || acc.getRank() != 2)
    return "operands must be 2-D tiles, got a " + shapeText(a) + ", b " + shapeText(b) +
           " and acc " + shapeText(acc);
  int64_t m = a.getDimSize(0), k = a.getDimSize(1), n = b.getDimSize(1);
  if (b.getDimSize(0) != k)
    return "a is " + shapeText(a) + " and b is " + shapeText(b) +
           ": a's columns must equal b's rows";
  if (acc.getDimSize(0) != m || acc.getDimSize(1) != n)
    return "acc is " + shapeText(acc) + " but a x b is [" + std::to_string(m) + "," +
           std::to_string(n) + "]";
  if (!acc.getElementType().isF32())
    return "the accumulator must be f32";
  Type ea = a.getElementType(), eb = b.getElementType();
  auto isFp8 = [](Type t) { return isa<Float8E4M3FNType, Float8E5M2Type>(t); };
  bool ok = (isFp8(ea) && isFp8(eb)) || (ea.isBF16() && eb.isBF16()) || (ea.isF16() && eb.isF16());
  if (!ok) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "operands are " << ea << " and " << eb
       << "; dot takes fp8 x fp8 (e4m3/e5m2), bf16 x bf16 or f16 x f16";
    return text;
  }
  if (m < 16 || n < 16 || k < minDotK(ea))
    return "a " + shapeText(a) + " x b " + shapeText(b) + " is smaller than one tensor-core "
           "instruction: M and N must be at least 16 and K at least " +
           std::to_string(minDotK(ea));
  return "";
}

} // namespace tessel::tile

LogicalResult DotOp::verify() {
  std::string problem = diagnoseDot(getA().getType(), getB().getType(), getAcc().getType());
  if (!problem.empty())
    return emitOpError(problem);
  return success();
}

#define GET_OP_CLASSES
#include "tessel/Dialect/Tile/IR/TileOps.cpp.inc"
