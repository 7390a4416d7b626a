#include "tessel/Dialect/Tile/IR/Tile.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tessel::tile;

#include "tessel/Dialect/Tile/IR/TileDialect.cpp.inc"
#include "tessel/Dialect/Tile/IR/TileEnums.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "tessel/Dialect/Tile/IR/TileTypes.cpp.inc"

void TileDialect::initialize() {
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "tessel/Dialect/Tile/IR/TileOps.cpp.inc"
      >();
}

void TileDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "tessel/Dialect/Tile/IR/TileTypes.cpp.inc"
      >();
}

LogicalResult TensorDescType::verify(function_ref<InFlightDiagnostic()> emitError,
                                     RankedTensorType blockType) {
  if (blockType.getEncoding())
    return emitError() << "a descriptor's block type has no layout, got " << blockType;
  if (blockType.getRank() < 1 || blockType.getRank() > 5)
    return emitError() << "a descriptor's block has rank 1 to 5, got " << blockType.getRank();
  Type element = blockType.getElementType();
  if (isa<PointerType>(element) || element.isInteger(1))
    return emitError() << "a descriptor's elements are numbers, got " << element;
  return success();
}

namespace tessel::tile {
Type getPointeeType(Type ptrLike) {
  return cast<PointerType>(getElementTypeOrSelf(ptrLike)).getPointeeType();
}

unsigned storageBytes(Type element) {
  if (isa<PointerType>(element))
    return 8;
  return std::max(1u, element.getIntOrFloatBitWidth() / 8);
}

Type elementTypeOf(DType dtype, MLIRContext *context) {
  switch (dtype) {
  case DType::F32:
    return Float32Type::get(context);
  case DType::F16:
    return Float16Type::get(context);
  case DType::BF16:
    return BFloat16Type::get(context);
  case DType::F8E4M3:
    return Float8E4M3FNType::get(context);
  case DType::F8E5M2:
    return Float8E5M2Type::get(context);
  case DType::I1:
    return IntegerType::get(context, 1);
  case DType::I8:
    return IntegerType::get(context, 8);
  case DType::I32:
    return IntegerType::get(context, 32);
  case DType::I64:
    return IntegerType::get(context, 64);
  }
  return {};
}

std::optional<DType> dtypeOf(Type element) {
  if (element.isF32())
    return DType::F32;
  if (element.isF16())
    return DType::F16;
  if (element.isBF16())
    return DType::BF16;
  if (isa<Float8E4M3FNType>(element))
    return DType::F8E4M3;
  if (isa<Float8E5M2Type>(element))
    return DType::F8E5M2;
  for (auto [bits, dtype] : {std::pair{1u, DType::I1}, std::pair{8u, DType::I8},
                             std::pair{32u, DType::I32}, std::pair{64u, DType::I64}})
    if (element.isInteger(bits))
      return dtype;
  return std::nullopt;
}
} // namespace tessel::tile
