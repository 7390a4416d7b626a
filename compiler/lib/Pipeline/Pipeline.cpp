#include "tessel/Compiler/Pipeline.h"

#include "tessel/Compiler/Registration.h"
#include "tessel/Conversion/Passes.h"
#include "tessel/Dialect/Tile/Transforms/Passes.h"
#include "tessel/Dialect/TileGPU/IR/TargetInfo.h"
#include "tessel/Dialect/TileGPU/IR/TileGPU.h"
#include "tessel/Dialect/TileGPU/Transforms/Passes.h"
#include "tessel/Target/PTX.h"

#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace tessel {

const std::vector<std::string> &supportedArchitectures() {
  static const std::vector<std::string> archs(tilegpu::TargetInfo::supportedTargets().begin(),
                                              tilegpu::TargetInfo::supportedTargets().end());
  return archs;
}

Expected<int> parseArchitecture(std::string_view arch) {
  if (std::optional<tilegpu::TargetInfo> target =
          tilegpu::TargetInfo::parse(llvm::StringRef(arch.data(), arch.size())))
    return target->computeCapability();
  return Error(fmt::format("unsupported target architecture '{}': Tessel compiles for {}", arch,
                           fmt::join(supportedArchitectures(), ", ")));
}

std::string CompileOptions::cacheKeyText() const {
  return fmt::format("arch={};num_warps={}", arch, numWarps);
}

std::string CompileOptions::dumpDirectoryFromEnvironment() {
  const char *dir = std::getenv("TESSEL_DUMP_IR");
  return dir ? dir : "";
}

std::string_view stageName(Stage stage) {
  switch (stage) {
  case Stage::Tile:
    return "tile";
  case Stage::TileGPU:
    return "tilegpu";
  case Stage::LLVMDialect:
    return "llvm";
  case Stage::LLVMIR:
    return "llvm-ir";
  case Stage::PTX:
    return "ptx";
  }
  return "?";
}

namespace detail {
extern const char kCompilerSourceDigest[]; // CompilerSourceDigest.cpp, generated
} // namespace detail

std::string_view compilerIdentity() {
  static const std::string identity =
      fmt::format("tessel-{}+llvm-{}+src-{}", TESSEL_VERSION, LLVM_VERSION_STRING,
                  std::string_view(detail::kCompilerSourceDigest).substr(0, 16));
  return identity;
}

namespace {

/// The passes of each MLIR stage. One definition serves the compile and
/// `passPipelineText`, so what is printed is what runs.
void addTileStagePasses(mlir::OpPassManager &passes, const CompileOptions &options) {
  passes.addPass(mlir::createCanonicalizerPass());
  passes.addPass(mlir::createCSEPass());
  // Descriptor loads become pointer loads, except those the tensor memory
  // accelerator copies where the target has one.
  std::optional<tilegpu::TargetInfo> target = tilegpu::TargetInfo::parse(options.arch);
  passes.addPass(createLowerTensorDescriptors(
      LowerTensorDescriptorsOptions{target && target->hasTensorMemoryAccelerator()}));
  passes.addPass(mlir::createCSEPass());
}

void addTileGPUStagePasses(mlir::OpPassManager &passes, const CompileOptions &options) {
  passes.addPass(
      createConvertTileToTileGPU(ConvertTileToTileGPUOptions{options.numWarps, options.arch}));
  passes.addPass(createPipelineLoads());
}

void addLLVMStagePasses(mlir::OpPassManager &passes) {
  passes.addPass(createConvertTileGPUToLLVM());
  // NVVM ops without an LLVM intrinsic (wgmma.mma_async) become inline PTX.
  passes.addPass(mlir::createConvertNVVMToLLVMPass());
  passes.addPass(mlir::createReconcileUnrealizedCastsPass());
  passes.addPass(mlir::createCanonicalizerPass());
}

template <typename Printable> std::string print(Printable &&printable) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  if constexpr (std::is_same_v<std::decay_t<Printable>, llvm::Module>)
    printable.print(stream, /*AAW=*/nullptr);
  else
    printable.print(stream);
  return text;
}

/// Collects MLIR diagnostics so that a failure returns them in its Error
/// instead of printing them on stderr.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext *context)
      : handler_(context, [this](mlir::Diagnostic &diagnostic) {
          messages_ += fmt::format("\n  {}: {}", print(diagnostic.getLocation()),
                                   diagnostic.str());
          for (const mlir::Diagnostic &note : diagnostic.getNotes())
            messages_ += fmt::format("\n    note: {}", note.str());
          return mlir::success();
        }) {}
  const std::string &messages() const { return messages_; }

private:
  std::string messages_;
  mlir::ScopedDiagnosticHandler handler_;
};

class Pipeline {
public:
  Pipeline(mlir::ModuleOp module, const CompileOptions &options)
      : module_(module), options_(options), kernelName_(findKernelName(module)) {}

  Expected<CompiledKernel> run(Stage stopAfter) {
    DiagnosticCollector diagnostics(module_.getContext());
    auto fail = [&](Stage stage, std::string_view what) {
      return Error(fmt::format("compiling {} for {} failed at stage '{}': {}{}", kernelName_,
                               options_.arch, stageName(stage), what,
                               diagnostics.messages()));
    };

    Expected<int> capability = parseArchitecture(options_.arch);
    if (!capability)
      return capability.error();
    // The module may come from a context that knows only the tile-level
    // dialects (the DSL's, kept light for fast cache lookups).
    mlir::DialectRegistry registry;
    registerCompilerDialects(registry);
    module_.getContext()->appendDialectRegistry(registry);

    mlir::PassManager tilePasses(module_.getContext());
    addTileStagePasses(tilePasses, options_);
    if (mlir::failed(module_.verify()) || mlir::failed(tilePasses.run(module_)))
      return fail(Stage::Tile, "invalid tile IR");
    dump(Stage::Tile, print(module_), "mlir");
    if (stopAfter == Stage::Tile)
      return finishEarly();

    mlir::PassManager gpuPasses(module_.getContext());
    addTileGPUStagePasses(gpuPasses, options_);
    if (mlir::failed(gpuPasses.run(module_)))
      return fail(Stage::TileGPU, "layout assignment failed");
    dump(Stage::TileGPU, print(module_), "mlir");
    if (Status read = readTensorMaps(); !read)
      return fail(Stage::TileGPU, read.error().message());
    if (stopAfter == Stage::TileGPU)
      return finishEarly();

    mlir::PassManager llvmPasses(module_.getContext());
    addLLVMStagePasses(llvmPasses);
    // The conversion's output is several times the size of what
    // canonicalization leaves: verify once, at the end of the stage, instead
    // of after every pass.
    llvmPasses.enableVerifier(false);
    if (mlir::failed(llvmPasses.run(module_)) || mlir::failed(module_.verify()))
      return fail(Stage::LLVMDialect, "lowering to LLVM failed");
    dump(Stage::LLVMDialect, print(module_), "mlir");
    if (stopAfter == Stage::LLVMDialect)
      return finishEarly();

    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule =
        mlir::translateModuleToLLVMIR(module_, llvmContext, kernelName_);
    if (!llvmModule)
      return fail(Stage::LLVMIR, "translation to LLVM IR failed");
    Expected<std::string> ptx = emitPTX(*llvmModule, options_.arch);
    // emitPTX optimizes in place: the dump shows what the backend compiled.
    dump(Stage::LLVMIR, print(*llvmModule), "ll");
    if (!ptx)
      return fail(Stage::PTX, ptx.error().message());
    dump(Stage::PTX, *ptx, "ptx");

    CompiledKernel kernel = describeKernel();
    if (stopAfter == Stage::LLVMIR)
      kernel.stageText = print(*llvmModule);
    else
      kernel.ptx = std::move(*ptx);
    return kernel;
  }

private:
  /// The kernel's symbol, read before lowering multiplies the ops to walk.
  static std::string findKernelName(mlir::ModuleOp module) {
    std::string name = "kernel";
    module.walk([&](mlir::Operation *op) {
      if (auto symbol = op->getAttrOfType<mlir::StringAttr>("sym_name"))
        name = symbol.str();
    });
    return name;
  }

  /// The tensor maps the pipeliner made kernel arguments of (see
  /// TileGPUDialect::kTensorMapAttrName), read before the lowering to LLVM
  /// drops their description.
  Status readTensorMaps() {
    Status status = Status::success();
    module_.walk([&](mlir::func::FuncOp func) {
      for (unsigned i = 0; i < func.getNumArguments(); ++i) {
        auto map = func.getArgAttrOfType<mlir::DictionaryAttr>(
            i, tilegpu::TileGPUDialect::kTensorMapAttrName);
        if (!map)
          continue;
        auto desc = mlir::cast<tile::TensorDescType>(func.getArgumentTypes()[i]);
        std::optional<DType> dtype = tile::dtypeOf(desc.getBlockType().getElementType());
        auto base = map.getAs<mlir::IntegerAttr>("base");
        auto box = map.getAs<mlir::DenseI64ArrayAttr>("box");
        auto swizzle = map.getAs<mlir::IntegerAttr>("swizzle");
        std::optional<std::vector<TensorMapParam::Extent>> shape = extents(map, "shape");
        std::optional<std::vector<TensorMapParam::Extent>> strides = extents(map, "strides");
        if (!dtype || !base || !box || !swizzle || !shape || !strides) {
          status = Error(fmt::format("argument {} has a malformed {}", i,
                                     tilegpu::TileGPUDialect::kTensorMapAttrName.str()));
          return;
        }
        tensorMaps_.push_back({unsigned(base.getInt()), *dtype, std::move(*shape),
                               std::move(*strides),
                               std::vector<int64_t>(box.asArrayRef().begin(),
                                                    box.asArrayRef().end()),
                               unsigned(swizzle.getInt())});
      }
    });
    return status;
  }

  static std::optional<std::vector<TensorMapParam::Extent>> extents(mlir::DictionaryAttr map,
                                                                    llvm::StringRef name) {
    auto args = map.getAs<mlir::DenseI64ArrayAttr>((name + "_args").str());
    auto values = map.getAs<mlir::DenseI64ArrayAttr>((name + "_values").str());
    if (!args || !values || args.size() != values.size())
      return std::nullopt;
    std::vector<TensorMapParam::Extent> result;
    for (auto [arg, value] : llvm::zip(args.asArrayRef(), values.asArrayRef()))
      result.push_back({int(arg), value});
    return result;
  }

  /// The launch metadata, without IR text.
  CompiledKernel describeKernel() {
    CompiledKernel kernel;
    kernel.tensorMaps = tensorMaps_;
    kernel.name = kernelName_;
    kernel.arch = options_.arch;
    unsigned producerWarps = 0;
    if (auto producer = module_->getAttrOfType<mlir::IntegerAttr>(
            tessel::tilegpu::TileGPUDialect::kProducerWarpsAttrName))
      producerWarps = unsigned(producer.getInt());
    kernel.numThreads = (options_.numWarps + producerWarps) * 32;
    if (auto bytes = module_->getAttrOfType<mlir::IntegerAttr>(
            tessel::tilegpu::TileGPUDialect::kSharedBytesAttrName))
      kernel.sharedBytes = unsigned(bytes.getInt());
    return kernel;
  }

  CompiledKernel finishEarly() {
    CompiledKernel kernel = describeKernel();
    kernel.stageText = print(module_);
    return kernel;
  }

  void dump(Stage stage, const std::string &text, std::string_view extension) {
    if (options_.dumpDirectory.empty())
      return;
    std::filesystem::path dir(options_.dumpDirectory);
    std::error_code ignored;
    std::filesystem::create_directories(dir, ignored);
    std::ofstream(dir / fmt::format("{}.{}-{}.{}", kernelName_, int(stage), stageName(stage),
                                    extension))
        << text;
  }

  mlir::ModuleOp module_;
  const CompileOptions &options_;
  std::string kernelName_;
  std::vector<TensorMapParam> tensorMaps_;
};

} // namespace

Expected<CompiledKernel> compileModule(mlir::ModuleOp module, const CompileOptions &options,
                                       Stage stopAfter) {
  return Pipeline(module, options).run(stopAfter);
}

Expected<std::string> passPipelineText(const CompileOptions &options) {
  if (Expected<int> capability = parseArchitecture(options.arch); !capability)
    return capability.error();
  mlir::MLIRContext context;
  std::string text;
  llvm::raw_string_ostream stream(text);
  auto printStage = [&](Stage stage, auto addPasses) {
    mlir::PassManager passes(&context, mlir::ModuleOp::getOperationName());
    addPasses(passes);
    stream << stageName(stage) << ": ";
    passes.printAsTextualPipeline(stream);
    stream << "\n";
  };
  printStage(Stage::Tile,
             [&](mlir::OpPassManager &passes) { addTileStagePasses(passes, options); });
  printStage(Stage::TileGPU,
             [&](mlir::OpPassManager &passes) { addTileGPUStagePasses(passes, options); });
  printStage(Stage::LLVMDialect, addLLVMStagePasses);
  stream << stageName(Stage::LLVMIR) << ": translate the llvm dialect to LLVM IR\n";
  stream << stageName(Stage::PTX) << ": LLVM's NVPTX backend for " << options.arch << "\n";
  return text;
}

} // namespace tessel
