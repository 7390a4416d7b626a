// func.func -> an llvm.func marked as an NVVM kernel entry.
#include "Lowering.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;

namespace tessel::lowering {
namespace {

/// CUtensorMap's size and alignment.
constexpr unsigned kTensorMapBytes = 128;
constexpr int64_t kTensorMapAlignment = 64;

struct KernelFuncLowering : public ConvertOpToLLVMPattern<func::FuncOp> {
  KernelFuncLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}

  LogicalResult matchAndRewrite(func::FuncOp func, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (func.getNumResults() != 0)
      return rewriter.notifyMatchFailure(func, "kernels return nothing");
    TypeConverter::SignatureConversion signature(func.getNumArguments());
    for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
      Type converted = getTypeConverter()->convertType(type);
      if (!converted)
        return rewriter.notifyMatchFailure(func, "unsupported kernel argument type");
      signature.addInputs(i, converted);
    }
    auto llvmType = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(getContext()),
                                                signature.getConvertedTypes());
    auto kernel = LLVM::LLVMFuncOp::create(rewriter, func.getLoc(), func.getName(), llvmType);
    kernel->setAttr(NVVM::NVVMDialect::getKernelFuncAttrName(), rewriter.getUnitAttr());
    kernel->setAttr(NVVM::NVVMDialect::getMaxntidAttrName(),
                    rewriter.getDenseI32ArrayAttr({int32_t(ctx_.threadsPerBlock()), 1, 1}));
    // setmaxnreg needs a register cap at entry: the CTAs per multiprocessor
    // that the register budget was split for give ptxas one (65536
    // registers over their threads).
    if (ctx_.producerWarps)
      kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                      rewriter.getI32IntegerAttr(int32_t(ctx_.ctasPerMultiprocessor)));
    // Only alignment is promised to LLVM; pointers may alias (noalias is not
    // part of any kernel's contract).
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (auto divisibility = func.getArgAttrOfType<IntegerAttr>(i, kDivisibilityAttrName))
        if (isa<tile::PointerType>(func.getArgumentTypes()[i]))
          kernel.setArgAttr(i, LLVM::LLVMDialect::getAlignAttrName(), divisibility);
    // A tensor map is a 128-byte kernel parameter taken by value and read in
    // place (__grid_constant__): the copy engine reads it from the
    // parameter space, so its address must not be that of a local copy.
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (isa<tile::TensorDescType>(func.getArgumentTypes()[i])) {
        auto map = LLVM::LLVMArrayType::get(rewriter.getI8Type(), kTensorMapBytes);
        kernel.setArgAttr(i, LLVM::LLVMDialect::getByValAttrName(), TypeAttr::get(map));
        kernel.setArgAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                          rewriter.getI64IntegerAttr(kTensorMapAlignment));
        kernel.setArgAttr(i, NVVM::NVVMDialect::getGridConstantAttrName(),
                          rewriter.getUnitAttr());
      }
    rewriter.inlineRegionBefore(func.getBody(), kernel.getBody(), kernel.end());
    if (failed(rewriter.convertRegionTypes(&kernel.getBody(), *getTypeConverter(), &signature)))
      return failure();
    rewriter.eraseOp(func);
    return success();
  }
  const LoweringContext &ctx_;
};

struct ReturnOpLowering : public ConvertOpToLLVMPattern<func::ReturnOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(func::ReturnOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<LLVM::ReturnOp>(op, ValueRange{});
    return success();
  }
};

} // namespace

void populateFuncOpPatterns(TileTypeConverter &converter, RewritePatternSet &patterns,
                            const LoweringContext &ctx) {
  patterns.add<KernelFuncLowering>(converter, ctx);
  patterns.add<ReturnOpLowering>(converter);
}

} // namespace tessel::lowering
