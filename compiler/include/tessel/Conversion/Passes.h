// Conversion passes of the compiler, declared in Passes.td.
#pragma once

#include "mlir/Pass/Pass.h"

namespace mlir::LLVM {
class LLVMDialect;
}
namespace mlir::NVVM {
class NVVMDialect;
}
namespace mlir::scf {
class SCFDialect;
}
namespace mlir::cf {
class ControlFlowDialect;
}
namespace tessel::tilegpu {
class TileGPUDialect;
}

namespace tessel {
#define GEN_PASS_DECL
#include "tessel/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tessel/Conversion/Passes.h.inc"
} // namespace tessel
