// Transforms of tile IR, declared in Passes.td.
#pragma once

#include "mlir/Pass/Pass.h"

namespace mlir::arith {
class ArithDialect;
}
namespace tessel::tile {
class TileDialect;
}

namespace tessel {
#define GEN_PASS_DECL
#include "tessel/Dialect/Tile/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tessel/Dialect/Tile/Transforms/Passes.h.inc"
} // namespace tessel
