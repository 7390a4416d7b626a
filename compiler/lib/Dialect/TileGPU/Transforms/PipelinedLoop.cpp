// The pieces of PipelinedLoop.h that the load pipeliner and the
// warp-specialized schedule both build with.
#include "PipelinedLoop.h"

#include "tessel/Dialect/Tile/Transforms/TensorDescriptors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace tessel::tilegpu::pipelining {

Value TensorMapArguments::get(tile::MakeTensorDescriptorOp make) {
  if (Value arg = arguments_.lookup(make))
    return arg;
  auto func = make->getParentOfType<func::FuncOp>();
  tile::HostTensorMap host = tile::hostTensorMap(make);
  Builder b(make.getContext());
  auto split = [&](const std::vector<tile::HostExtent> &extents, StringRef name,
                   SmallVectorImpl<NamedAttribute> &into) {
    SmallVector<int64_t> args, values;
    for (const tile::HostExtent &extent : extents) {
      args.push_back(extent.argument);
      values.push_back(extent.argument >= 0 ? 0 : extent.value);
    }
    into.push_back(b.getNamedAttr((name + "_args").str(), b.getDenseI64ArrayAttr(args)));
    into.push_back(b.getNamedAttr((name + "_values").str(), b.getDenseI64ArrayAttr(values)));
  };
  RankedTensorType block = make.getType().getBlockType();
  SmallVector<NamedAttribute> fields;
  fields.push_back(b.getNamedAttr("base", b.getI64IntegerAttr(host.baseArgument)));
  split(host.shape, "shape", fields);
  split(host.strides, "strides", fields);
  fields.push_back(b.getNamedAttr("box", b.getDenseI64ArrayAttr(block.getShape())));
  int64_t rowBytes = block.getShape().back() * tile::storageBytes(block.getElementType());
  fields.push_back(b.getNamedAttr("swizzle", b.getI64IntegerAttr(rowBytes)));
  unsigned index = func.getNumArguments();
  NamedAttribute map(b.getStringAttr(TileGPUDialect::kTensorMapAttrName),
                     b.getDictionaryAttr(fields));
  (void)func.insertArgument(index, make.getType(), b.getDictionaryAttr({map}), make.getLoc());
  Value arg = func.getArgument(index);
  arguments_[make] = arg;
  return arg;
}

Value i32Value(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIntOp::create(b, loc, value, 32);
}

Value ringSlot(OpBuilder &b, Location loc, int64_t ring, int64_t slotBytes, Value slot) {
  return arith::AddIOp::create(b, loc, i32Value(b, loc, ring),
                               arith::MulIOp::create(b, loc, slot, i32Value(b, loc, slotBytes)));
}

Value iterationIndex(OpBuilder &b, scf::ForOp loop) {
  Location loc = loop.getLoc();
  return arith::DivSIOp::create(
      b, loc, arith::SubIOp::create(b, loc, loop.getInductionVar(), loop.getLowerBound()),
      loop.getStep());
}

void copyThroughTma(OpBuilder &b, const PipelinedLoad &pipelined, IRMapping &mapping,
                    Value slotOffset, Value barrierOffset, Value pred,
                    TensorMapArguments &tensorMaps) {
  tile::DescriptorLoadOp load = pipelined.tmaLoad;
  for (Operation *op : pipelined.slice)
    b.clone(*op, mapping);
  SmallVector<Value> indices;
  for (Value index : load.getIndices())
    indices.push_back(mapping.lookupOrDefault(index));
  Value desc = tensorMaps.get(load.getDesc().getDefiningOp<tile::MakeTensorDescriptorOp>());
  TmaLoadOp::create(b, load.getLoc(), desc, indices, slotOffset, barrierOffset, pred);
}

int64_t tmaBytesPerStage(ArrayRef<PipelinedDot> dots) {
  int64_t bytes = 0;
  for (const PipelinedDot &d : dots)
    for (const PipelinedLoad *load : {&d.a, &d.b})
      if (load->tmaLoad)
        bytes += load->slotBytes;
  return bytes;
}

Value dotShared(OpBuilder &b, const PipelinedDot &d, Value acc, Value aOffset, Value bOffset,
                int64_t begin, int64_t count) {
  tile::DotOp dot = d.dot;
  return DotSharedOp::create(b, dot.getLoc(), dot.getType(), acc, aOffset, bOffset,
                             TypeAttr::get(dot.getA().getType().getElementType()),
                             TypeAttr::get(dot.getB().getType().getElementType()),
                             b.getI64IntegerAttr(begin), b.getI64IntegerAttr(count),
                             b.getI64IntegerAttr(d.pitch))
      .getResult();
}

void replaceDot(PipelinedDot &d, Value result) {
  d.dot.getResult().replaceAllUsesWith(result);
  d.dot.erase();
  for (PipelinedLoad *load : {&d.a, &d.b}) {
    if (load->transpose)
      load->transpose.erase();
    load->op()->erase();
  }
}

void eraseDeadOps(Block *body) {
  bool erased = true;
  while (erased) {
    erased = false;
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(*body)))
      if (op.use_empty() && isMemoryEffectFree(&op) && !op.hasTrait<OpTrait::IsTerminator>()) {
        op.erase();
        erased = true;
      }
  }
}

} // namespace tessel::tilegpu::pipelining
