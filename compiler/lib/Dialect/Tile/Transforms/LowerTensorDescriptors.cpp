// Lowers tensor-descriptor loads to masked loads through pointers (see
// Passes.td).
//
// Preconditions: tile IR before layouts are assigned (tiles have no
// encoding), block dimensions that are powers of two (as tile.make_range
// needs), and descriptors made by tile.make_tensor_descriptor in the same
// function; the pass reports a load that breaks one rather than guess.
//
// A block of shape [B0, ..., BR-1] at indices (i0, ..., iR-1) is built as
// a program would build it by hand: per tensor dimension d, the 1-D line
// i_d + [0, B_d), its offsets (the line times stride d, or the line itself
// for a stride of constant 1) and its bounds (0 <= line < shape_d), each
// expanded along the loaded tile's axis for d and broadcast to the tile.
// Working on the lines keeps the arithmetic per line, not per element, and
// in the forms the alignment analysis (AxisInfo) follows: a run of
// consecutive indices that starts at a multiple of 16, compared with a
// multiple of 16, gives a mask constant over runs of 16, so an fp8 row still
// loads in 16-byte vectors. Multiplying by a constant 1 would hide the run
// from it (its product rule keeps no contiguity); that product is not formed.
//
// A transposed block is the same construction with the two tensor
// dimensions on swapped axes of the tile: the load reads the transpose
// directly, contiguous along its first axis.
#include "tessel/Dialect/Tile/Transforms/Passes.h"
#include "tessel/Dialect/Tile/Transforms/TensorDescriptors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/STLExtras.h"

namespace tessel {
#define GEN_PASS_DEF_LOWERTENSORDESCRIPTORS
#include "tessel/Dialect/Tile/Transforms/Passes.h.inc"
} // namespace tessel

using namespace mlir;
using namespace tessel;
using namespace tessel::tile;

namespace {

bool isPowerOfTwo(int64_t value) { return value > 0 && (value & (value - 1)) == 0; }

/// Builds the tile.load that reads one descriptor load's block.
class BlockLoadBuilder {
public:
  BlockLoadBuilder(DescriptorLoadOp load, MakeTensorDescriptorOp make)
      : b_(load), loc_(load.getLoc()), load_(load), make_(make) {}

  /// The load of the block with tensor dimension d along axis `axes[d]` of
  /// the result.
  Value build(ArrayRef<unsigned> axes) {
    RankedTensorType block = make_.getType().getBlockType();
    unsigned rank = block.getRank();
    SmallVector<int64_t> shape(rank);
    for (unsigned d = 0; d < rank; ++d)
      shape[axes[d]] = block.getDimSize(d);
    Value zero = arith::ConstantIntOp::create(b_, loc_, 0, 32);
    Value offsets, mask;
    for (unsigned d = 0; d < rank; ++d) {
      int64_t extent = block.getDimSize(d);
      Value range = MakeRangeOp::create(b_, loc_, RankedTensorType::get({extent}, b_.getI32Type()),
                                        b_.getI32IntegerAttr(0), b_.getI32IntegerAttr(extent));
      Value line = arith::AddIOp::create(b_, loc_, splat(load_.getIndices()[d], {extent}), range);
      Value notBefore =
          arith::CmpIOp::create(b_, loc_, arith::CmpIPredicate::sge, line, splat(zero, {extent}));
      Value beforeEnd = arith::CmpIOp::create(b_, loc_, arith::CmpIPredicate::slt, line,
                                              splat(make_.getShape()[d], {extent}));
      Value inside = arith::AndIOp::create(b_, loc_, notBefore, beforeEnd);
      Value stride = make_.getStrides()[d];
      Value offset =
          matchPattern(stride, m_One())
              ? line
              : arith::MulIOp::create(b_, loc_, line, splat(stride, {extent})).getResult();
      offset = spread(offset, axes[d], shape);
      inside = spread(inside, axes[d], shape);
      offsets = offsets ? arith::AddIOp::create(b_, loc_, offsets, offset).getResult() : offset;
      mask = mask ? arith::AndIOp::create(b_, loc_, mask, inside).getResult() : inside;
    }
    Value base = make_.getBase();
    auto ptrType = RankedTensorType::get(shape, base.getType());
    Value ptrs = AddPtrOp::create(b_, loc_, ptrType, splat(base, shape), offsets);
    auto resultType = RankedTensorType::get(shape, block.getElementType());
    Value other = splat(zeroOf(block.getElementType()), shape);
    return LoadOp::create(b_, loc_, resultType, ptrs, mask, other).getResult();
  }

private:
  Value splat(Value scalar, ArrayRef<int64_t> shape) {
    return SplatOp::create(b_, loc_, RankedTensorType::get(shape, scalar.getType()), scalar);
  }

  /// A 1-D tile placed along `axis` of a tile of `shape`: expanded to its
  /// rank, then repeated along the other axes.
  Value spread(Value line, unsigned axis, ArrayRef<int64_t> shape) {
    Type element = cast<RankedTensorType>(line.getType()).getElementType();
    SmallVector<int64_t> current = {shape[axis]};
    for (unsigned p = 0; p < shape.size(); ++p) {
      if (p == axis)
        continue;
      // Axes before `axis` go in front of the line, the others after it.
      current.insert(current.begin() + p, 1);
      line = ExpandDimsOp::create(b_, loc_, RankedTensorType::get(current, element), line,
                                  b_.getI32IntegerAttr(int32_t(p)));
    }
    if (ArrayRef<int64_t>(current) != shape)
      line = BroadcastOp::create(b_, loc_, RankedTensorType::get(shape, element), line);
    return line;
  }

  /// Zero of a block's element type. fp8 zeros are built in f32 and
  /// converted, as the DSL builds fp8 constants (the lowering has no fp8
  /// constants).
  Value zeroOf(Type element) {
    if (isa<Float8E4M3FNType, Float8E5M2Type>(element)) {
      Value zero = arith::ConstantOp::create(b_, loc_, b_.getF32FloatAttr(0));
      return FpTruncSatOp::create(b_, loc_, element, zero);
    }
    return arith::ConstantOp::create(b_, loc_, b_.getZeroAttr(element));
  }

  OpBuilder b_;
  Location loc_;
  DescriptorLoadOp load_;
  MakeTensorDescriptorOp make_;
};

/// What keeps `load` from being lowered, or the empty string.
std::string diagnoseLowering(DescriptorLoadOp load) {
  if (load.getType().getEncoding())
    return "is lowered before layouts are assigned; its result already has one";
  auto make = load.getDesc().getDefiningOp<MakeTensorDescriptorOp>();
  if (!make)
    return "reads a descriptor that no tile.make_tensor_descriptor of this function makes: "
           "its base, shape and strides are unknown";
  for (int64_t dim : make.getType().getBlockType().getShape())
    if (!isPowerOfTwo(dim))
      return "has a block dimension of " + std::to_string(dim) +
             ", not a power of two as tile.make_range needs";
  return "";
}

struct LowerTensorDescriptors
    : public tessel::impl::LowerTensorDescriptorsBase<LowerTensorDescriptors> {
  using LowerTensorDescriptorsBase::LowerTensorDescriptorsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Decide every load before rewriting any, so that each is judged on the
    // program as written.
    SmallVector<DescriptorLoadOp> lowered;
    WalkResult walk = module.walk([&](DescriptorLoadOp load) {
      if (keepTmaLoads && qualifiesForTma(load))
        return WalkResult::advance();
      std::string problem = diagnoseLowering(load);
      if (!problem.empty()) {
        load.emitOpError(problem);
        return WalkResult::interrupt();
      }
      lowered.push_back(load);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    for (DescriptorLoadOp load : lowered) {
      auto make = load.getDesc().getDefiningOp<MakeTensorDescriptorOp>();
      BlockLoadBuilder builder(load, make);
      TransposeOp transpose;
      if (load->hasOneUse())
        transpose = dyn_cast<TransposeOp>(*load->user_begin());
      if (transpose) {
        transpose.getResult().replaceAllUsesWith(builder.build({1, 0}));
        transpose.erase();
      } else {
        load.getResult().replaceAllUsesWith(
            builder.build(llvm::to_vector(llvm::seq<unsigned>(0, load.getType().getRank()))));
      }
      load.erase();
    }

    module.walk([](MakeTensorDescriptorOp make) {
      if (make->use_empty())
        make.erase();
    });
  }
};

} // namespace
