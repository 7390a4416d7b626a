// The convert-tilegpu-to-llvm pass (see Passes.td): assembles the op-family
// patterns and runs them, then lowers the structured control flow the
// patterns emit (guarded accesses, loops) to LLVM branches.
#include "Lowering.h"
#include "tessel/Conversion/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Transforms/DialectConversion.h"

namespace tessel {
#define GEN_PASS_DEF_CONVERTTILEGPUTOLLVM
#include "tessel/Conversion/Passes.h.inc"
} // namespace tessel

using namespace mlir;
using namespace tessel;
using namespace tessel::lowering;

namespace {

constexpr llvm::StringLiteral kScratchSymbol = "tessel_scratch";

struct ConvertTileGPUToLLVM
    : public tessel::impl::ConvertTileGPUToLLVMBase<ConvertTileGPUToLLVM> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    auto numWarpsAttr = module->getAttrOfType<IntegerAttr>(tilegpu::TileGPUDialect::kNumWarpsAttrName);
    if (!numWarpsAttr) {
      module.emitError("module has no tilegpu.num_warps: run convert-tile-to-tilegpu first");
      return signalPassFailure();
    }
    std::optional<tilegpu::TargetInfo> target = tilegpu::TargetInfo::ofModule(module);
    if (!target)
      return signalPassFailure();

    // The shared-memory scratch serves one op at a time: size it for the
    // largest. It is dynamic shared memory (`.extern .shared`), so that it
    // may exceed the 48 KiB of static shared memory; every launch provides
    // the size recorded on the module.
    int64_t transient = 0;
    module.walk([&](Operation *op) { transient = std::max(transient, scratchBytes(op)); });
    // The pipeline region (buffers that live across a loop) follows, at the
    // alignment of staged dot operands (the buffer itself is aligned so).
    int64_t pipelineOffset = llvm::alignTo(transient, tilegpu::kStagedOperandAlignment);
    int64_t pipelineBytes = 0;
    if (auto attr = module->getAttrOfType<IntegerAttr>(
            tilegpu::TileGPUDialect::kPipelineBytesAttrName))
      pipelineBytes = attr.getInt();
    int64_t scratch = pipelineBytes ? pipelineOffset + pipelineBytes : transient;
    int64_t limit = target->maxSharedBytesPerBlock();
    if (scratch > limit) {
      module.emitError("the kernel needs ")
          << scratch << " bytes of shared memory, more than the " << limit << " a block of "
          << target->name() << " may use: use smaller tiles or fewer stages";
      return signalPassFailure();
    }
    OpBuilder builder(module.getBodyRegion());
    module->setAttr(tilegpu::TileGPUDialect::kSharedBytesAttrName,
                    builder.getI32IntegerAttr(int32_t(scratch)));
    if (scratch > 0) {
      auto arrayType = LLVM::LLVMArrayType::get(builder.getIntegerType(8), 0);
      LLVM::GlobalOp::create(builder, module.getLoc(), arrayType, /*isConstant=*/false,
                             LLVM::Linkage::External, kScratchSymbol, Attribute(),
                             /*alignment=*/tilegpu::kStagedOperandAlignment,
                             /*addrSpace=*/3);
    }

    AxisInfoAnalysis axisInfo(module);
    LoweringContext ctx{axisInfo, *target, unsigned(numWarpsAttr.getInt()), kScratchSymbol,
                        pipelineOffset};
    if (auto producer =
            module->getAttrOfType<IntegerAttr>(tilegpu::TileGPUDialect::kProducerWarpsAttrName))
      ctx.producerWarps = unsigned(producer.getInt());
    if (auto ctas = module->getAttrOfType<IntegerAttr>(
            tilegpu::TileGPUDialect::kCtasPerMultiprocessorAttrName))
      ctx.ctasPerMultiprocessor = unsigned(ctas.getInt());
    TileTypeConverter converter(context);

    RewritePatternSet patterns(context);
    populateGridOpPatterns(converter, patterns, ctx);
    populateElementwiseOpPatterns(converter, patterns, ctx);
    populateLoadStoreOpPatterns(converter, patterns, ctx);
    populateReduceOpPatterns(converter, patterns, ctx);
    populateDotOpPatterns(converter, patterns, ctx);
    populateAsyncCopyOpPatterns(converter, patterns, ctx);
    populateTmaOpPatterns(converter, patterns, ctx);
    populateConvertLayoutOpPatterns(converter, patterns, ctx);
    populateFuncOpPatterns(converter, patterns, ctx);
    arith::populateArithToLLVMConversionPatterns(converter, patterns);

    ConversionTarget legality(*context);
    legality.addLegalDialect<LLVM::LLVMDialect, NVVM::NVVMDialect>();
    // The patterns' packed tiles (see packElements).
    legality.addLegalOp<UnrealizedConversionCastOp>();
    legality.addIllegalDialect<tile::TileDialect, tilegpu::TileGPUDialect, arith::ArithDialect,
                             math::MathDialect, func::FuncDialect>();
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns, legality);
    if (failed(applyPartialConversion(module, legality, std::move(patterns))))
      return signalPassFailure();

    // Guarded accesses and loops -> blocks and branches, in two steps:
    // structured control flow to cf, then cf to LLVM.
    RewritePatternSet scfPatterns(context);
    populateSCFToControlFlowConversionPatterns(scfPatterns);
    ConversionTarget scfTarget(*context);
    scfTarget.addIllegalDialect<scf::SCFDialect>();
    scfTarget.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(module, scfTarget, std::move(scfPatterns))))
      return signalPassFailure();

    // Loops lowered to branches compare and step their counter with arith.
    RewritePatternSet cfPatterns(context);
    cf::populateControlFlowToLLVMConversionPatterns(converter, cfPatterns);
    arith::populateArithToLLVMConversionPatterns(converter, cfPatterns);
    ConversionTarget cfTarget(*context);
    cfTarget.addLegalDialect<LLVM::LLVMDialect, NVVM::NVVMDialect>();
    cfTarget.addIllegalDialect<cf::ControlFlowDialect, arith::ArithDialect>();
    cfTarget.addLegalOp<UnrealizedConversionCastOp>();
    if (failed(applyPartialConversion(module, cfTarget, std::move(cfPatterns))))
      return signalPassFailure();
    materializePackedElements(module);
  }
};

} // namespace
