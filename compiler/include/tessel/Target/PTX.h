// LLVM IR -> PTX through LLVM's NVPTX target machine, in-process.
#pragma once

#include "tessel/support/Error.h"

#include <string>

namespace llvm {
class Module;
}

namespace tessel {

/// Runs LLVM's O3 pipeline for the NVPTX target `arch` ("sm_90a", ...) over
/// `module` (in place: the dumps show the optimized IR) and prints it as PTX.
Expected<std::string> emitPTX(llvm::Module &module, const std::string &arch);

} // namespace tessel
