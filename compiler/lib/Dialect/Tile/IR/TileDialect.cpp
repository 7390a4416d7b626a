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
} // namespace tessel::tile
