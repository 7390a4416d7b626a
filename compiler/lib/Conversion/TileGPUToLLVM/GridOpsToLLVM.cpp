// tile.program_id and tile.num_programs: the CTA's coordinates in the grid;
// tilegpu.thread_id and set_max_registers: a thread's place in the CTA and
// its warpgroup's share of the register file, for warp-specialized kernels.
#include "Lowering.h"

#include "tessel/Dialect/TileGPU/IR/TileGPU.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;

namespace tessel::lowering {
namespace {

Value readGridRegister(OpBuilder &b, Location loc, unsigned axis, bool extent) {
  Type i32 = b.getI32Type();
  switch (axis) {
  case 0:
    return extent ? Value(NVVM::GridDimXOp::create(b, loc, i32))
                  : Value(NVVM::BlockIdXOp::create(b, loc, i32));
  case 1:
    return extent ? Value(NVVM::GridDimYOp::create(b, loc, i32))
                  : Value(NVVM::BlockIdYOp::create(b, loc, i32));
  default:
    return extent ? Value(NVVM::GridDimZOp::create(b, loc, i32))
                  : Value(NVVM::BlockIdZOp::create(b, loc, i32));
  }
}

struct ProgramIdOpLowering : public ConvertOpToLLVMPattern<tile::ProgramIdOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(tile::ProgramIdOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, readGridRegister(rewriter, op.getLoc(), op.getAxis(), false));
    return success();
  }
};

struct NumProgramsOpLowering : public ConvertOpToLLVMPattern<tile::NumProgramsOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(tile::NumProgramsOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, readGridRegister(rewriter, op.getLoc(), op.getAxis(), true));
    return success();
  }
};

struct ThreadIdOpLowering : public ConvertOpToLLVMPattern<tilegpu::ThreadIdOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(tilegpu::ThreadIdOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, NVVM::ThreadIdXOp::create(rewriter, op.getLoc(), rewriter.getI32Type()));
    return success();
  }
};

struct SetMaxRegistersOpLowering : public ConvertOpToLLVMPattern<tilegpu::SetMaxRegistersOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(tilegpu::SetMaxRegistersOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    NVVM::SetMaxRegisterOp::create(rewriter, op.getLoc(), op.getRegisters(),
                                   op.getIncrease() ? NVVM::SetMaxRegisterAction::increase
                                                    : NVVM::SetMaxRegisterAction::decrease);
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void populateGridOpPatterns(TileTypeConverter &converter, RewritePatternSet &patterns,
                            const LoweringContext &) {
  patterns.add<ProgramIdOpLowering, NumProgramsOpLowering, ThreadIdOpLowering,
               SetMaxRegistersOpLowering>(converter);
}

} // namespace tessel::lowering
