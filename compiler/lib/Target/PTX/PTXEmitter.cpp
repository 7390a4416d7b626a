#include "tessel/Target/PTX.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>
#include <mutex>

// Declared by LLVM's generated Targets.def; only the NVPTX backend is linked.
extern "C" {
void LLVMInitializeNVPTXTargetInfo();
void LLVMInitializeNVPTXTarget();
void LLVMInitializeNVPTXTargetMC();
void LLVMInitializeNVPTXAsmPrinter();
}

namespace tessel {
namespace {

const llvm::Triple &nvptxTriple() {
  static const llvm::Triple triple("nvptx64-nvidia-cuda");
  return triple;
}

void initializeNVPTXBackend() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
    // 32-bit pointers to shared memory (and constant and local), which is
    // all they address: each one kept live in a loop, such as the shared
    // destination of every asynchronous copy, then takes one register
    // instead of two. The backend reads this option, registered by
    // LLVMInitializeNVPTXTarget, when it builds the data layout.
    auto &options = llvm::cl::getRegisteredOptions();
    if (auto it = options.find("nvptx-short-ptr"); it != options.end())
      static_cast<llvm::cl::opt<bool> *>(it->second)->setValue(true);
  });
}

/// Middle-end optimization: Tessel's lowering emits one struct per tile and
/// scalar code per element; SROA, instcombine and GVN turn that into
/// registers and vector accesses.
void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  llvm::ModulePassManager pipeline =
      builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  pipeline.run(module, modules);
}

} // namespace

Expected<std::string> emitPTX(llvm::Module &module, const std::string &arch) {
  initializeNVPTXBackend();
  std::string lookupError;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(nvptxTriple(), lookupError);
  if (!target)
    return Error("NVPTX backend unavailable: " + lookupError);

  llvm::TargetOptions targetOptions;
  // PTX ISA 8.4 for every architecture: sm_90a needs 8.0, LLVM selects the
  // fp8 conversions (cvt.rn.satfinite.e4m3x2.f32) on sm_89 only from 8.1 on,
  // and mma.sync with fp8 operands (tile.dot) needs 8.4; the default for a
  // target is older. CUDA 12.4+ drivers load it. The default code generation
  // level: the aggressive one emits the same PTX here, more slowly (and
  // ptxas schedules and allocates registers again either way).
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      nvptxTriple(), arch, /*Features=*/"+ptx84", targetOptions, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Default));
  if (!machine)
    return Error("cannot create an NVPTX target machine for " + arch);

  module.setTargetTriple(nvptxTriple());
  module.setDataLayout(machine->createDataLayout());
  std::string verifierMessages;
  llvm::raw_string_ostream verifierStream(verifierMessages);
  if (llvm::verifyModule(module, &verifierStream))
    return Error("internal compiler error: invalid LLVM IR for " + arch + ": " + verifierMessages);

  optimize(module, *machine);

  llvm::SmallString<0> ptx;
  llvm::raw_svector_ostream stream(ptx);
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, stream, nullptr, llvm::CodeGenFileType::AssemblyFile))
    return Error("NVPTX target machine cannot emit PTX for " + arch);
  codegen.run(module);
  return std::string(ptx.str());
}

} // namespace tessel
