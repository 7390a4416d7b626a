// Registers exactly the dialects, passes and translations the compiler uses
// (registering all of MLIR's would triple the size of a static binary).
#pragma once

namespace mlir {
class DialectRegistry;
}

namespace tessel {
void registerCompilerDialects(mlir::DialectRegistry &registry);
void registerCompilerPasses();
} // namespace tessel
