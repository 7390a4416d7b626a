// The tile dialect: program-level tile operations (see TileDialect.td).
#pragma once

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tessel/Dialect/Tile/IR/TileDialect.h.inc"
#include "tessel/Dialect/Tile/IR/TileEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "tessel/Dialect/Tile/IR/TileTypes.h.inc"

#define GET_OP_CLASSES
#include "tessel/Dialect/Tile/IR/TileOps.h.inc"

namespace tessel::tile {
/// The pointee of a pointer or of a tile of pointers.
mlir::Type getPointeeType(mlir::Type ptrLike);
} // namespace tessel::tile
