// The tile dialect: program-level tile operations (see TileDialect.td).
#pragma once

#include <optional>
#include <string>

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "tessel/support/DType.h"

#include "tessel/Dialect/Tile/IR/TileDialect.h.inc"
#include "tessel/Dialect/Tile/IR/TileEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "tessel/Dialect/Tile/IR/TileTypes.h.inc"

#define GET_OP_CLASSES
#include "tessel/Dialect/Tile/IR/TileOps.h.inc"

namespace tessel::tile {
/// The pointee of a pointer or of a tile of pointers.
mlir::Type getPointeeType(mlir::Type ptrLike);
/// Bytes one element of `element` occupies in memory: i1 and the fp8 types
/// take a byte, pointers eight.
unsigned storageBytes(mlir::Type element);
/// The element type of a dtype, and the dtype of an element type (nullopt
/// for one that is not a dtype): the DSL's and the runtime's names for the
/// IR's types.
mlir::Type elementTypeOf(DType dtype, mlir::MLIRContext *context);
std::optional<DType> dtypeOf(mlir::Type element);

/// Attribute of an scf.for: how many iterations' loads the compiler may keep
/// in flight (the DSL's LoopOptions::numStages).
inline constexpr llvm::StringLiteral kNumStagesAttrName = "tile.num_stages";
/// Unit attribute of an scf.for: its loads are issued by a producer
/// warpgroup of their own while the kernel's warps compute (the DSL's
/// LoopOptions::warpSpecialize; honoured where the copies use the TMA).
inline constexpr llvm::StringLiteral kWarpSpecializeAttrName = "tile.warp_specialize";

/// What is wrong with `a` x `b` + `acc` as a tile.dot (see its description),
/// or the empty string when nothing is. Shared by the verifier and the DSL.
std::string diagnoseDot(mlir::RankedTensorType a, mlir::RankedTensorType b,
                        mlir::RankedTensorType acc);
/// K of the smallest tensor-core instruction for an operand element type.
int64_t minDotK(mlir::Type operandElement);
} // namespace tessel::tile
