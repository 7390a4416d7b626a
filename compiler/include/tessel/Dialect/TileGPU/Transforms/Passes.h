// Transforms of tilegpu IR, declared in Passes.td.
#pragma once

#include "mlir/Pass/Pass.h"

namespace mlir::arith {
class ArithDialect;
}
namespace tessel::tilegpu {
class TileGPUDialect;
}

namespace tessel {
#define GEN_PASS_DECL
#include "tessel/Dialect/TileGPU/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tessel/Dialect/TileGPU/Transforms/Passes.h.inc"
} // namespace tessel
