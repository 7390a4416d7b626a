// tile.program_id and tile.num_programs: the CTA's coordinates in the grid.
#include "Lowering.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;

namespace tessel::lowering {
namespace {

Value readGridRegister(OpBuilder &b, Location loc, unsigned axis, bool extent) {
  Type i32 = b.getI32Type();
  switch (axis) {
  case 0:
    return extent ? Value(b.create<NVVM::GridDimXOp>(loc, i32))
                  : Value(b.create<NVVM::BlockIdXOp>(loc, i32));
  case 1:
    return extent ? Value(b.create<NVVM::GridDimYOp>(loc, i32))
                  : Value(b.create<NVVM::BlockIdYOp>(loc, i32));
  default:
    return extent ? Value(b.create<NVVM::GridDimZOp>(loc, i32))
                  : Value(b.create<NVVM::BlockIdZOp>(loc, i32));
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

} // namespace

void populateGridOpPatterns(TileTypeConverter &converter, RewritePatternSet &patterns,
                            const LoweringContext &) {
  patterns.add<ProgramIdOpLowering, NumProgramsOpLowering>(converter);
}

} // namespace tessel::lowering
