#include "tessel/Analysis/AxisInfo.h"

#include "tessel/Dialect/Tile/IR/Tile.h"
#include "tessel/Dialect/TileGPU/IR/Layout.h"
#include "tessel/Dialect/TileGPU/IR/TileGPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <bit>
#include <numeric>

using namespace mlir;

namespace tessel {
namespace {

// Facts never claim more than this, so that products cannot overflow.
constexpr int64_t kMaxDivisibility = int64_t(1) << 30;

SmallVector<int64_t> shapeOf(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return SmallVector<int64_t>(tensor.getShape());
  return {1};
}

int64_t powerOfTwoFactor(int64_t value) {
  if (value == 0)
    return kMaxDivisibility;
  return std::min<int64_t>(kMaxDivisibility, value & -value);
}

/// Natural alignment of a pointer's pointee, the least a pointer can promise.
int64_t pointeeBytes(Type type) {
  Type element = getElementTypeOrSelf(type);
  if (auto ptr = dyn_cast<tile::PointerType>(element))
    return tile::storageBytes(ptr.getPointeeType());
  return 1;
}

AxisInfo unknown(Type type) {
  auto shape = shapeOf(type);
  AxisInfo info;
  info.contiguity.assign(shape.size(), 1);
  info.divisibility.assign(shape.size(), pointeeBytes(type));
  info.constancy.assign(shape.size(), 1);
  return info;
}

AxisInfo constantTile(Type type, int64_t divisibility) {
  auto shape = shapeOf(type);
  AxisInfo info;
  info.contiguity.assign(shape.size(), 1);
  info.divisibility.assign(shape.size(), divisibility);
  info.constancy = shape;
  return info;
}

int64_t gcd(int64_t a, int64_t b) { return std::gcd(a, b); }

} // namespace

int64_t AxisInfo::elementDivisibility() const {
  int64_t result = kMaxDivisibility;
  for (unsigned d = 0; d < rank(); ++d)
    result = std::min(result, contiguity[d] > 1 ? 1 : divisibility[d]);
  return result;
}

AxisInfoAnalysis::AxisInfoAnalysis(Operation *root) {
  root->walk([&](func::FuncOp func) {
    for (BlockArgument arg : func.getArguments()) {
      AxisInfo info = unknown(arg.getType());
      if (auto attr = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(),
                                                         kDivisibilityAttrName))
        info.divisibility[0] = std::max<int64_t>(info.divisibility[0], attr.getInt());
      facts_[arg] = info;
    }
  });
  // Pre-order: a loop's induction variable is known before its body.
  root->walk<WalkOrder::PreOrder>([&](Operation *op) { visit(op); });
}

int64_t AxisInfoAnalysis::vectorWidth(Value ptr, Value mask) const {
  auto type = dyn_cast<RankedTensorType>(ptr.getType());
  if (!type)
    return 1;
  tilegpu::DistributedLayout layout = *tilegpu::DistributedLayout::get(type);
  unsigned rootDim = layout.root().getOrder()[0];
  auto tileDim = llvm::find(layout.tileDimToRootDim(), rootDim);
  if (tileDim == layout.tileDimToRootDim().end())
    return 1;
  unsigned d = tileDim - layout.tileDimToRootDim().begin();
  int64_t bytes = tile::storageBytes(tile::getPointeeType(type));
  AxisInfo info = get(ptr);
  int64_t width = std::min<int64_t>(layout.contiguousPerThread(rootDim), info.contiguity[d]);
  width = std::min<int64_t>(width, std::max<int64_t>(1, info.divisibility[d] / bytes));
  width = std::min<int64_t>(width, 16 / bytes);
  if (mask)
    width = std::min<int64_t>(width, get(mask).constancy[d]);
  return std::max<int64_t>(1, std::bit_floor(uint64_t(width)));
}

AxisInfo AxisInfoAnalysis::get(Value value) const {
  if (auto it = facts_.find(value); it != facts_.end())
    return it->second;
  return unknown(value.getType());
}

void AxisInfoAnalysis::visit(Operation *op) {
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    // lower + i * step: divisible by what divides both.
    AxisInfo info = unknown(loop.getInductionVar().getType());
    info.divisibility[0] = gcd(get(loop.getLowerBound()).divisibility[0],
                               get(loop.getStep()).divisibility[0]);
    facts_[loop.getInductionVar()] = info;
    return;
  }
  if (op->getNumResults() != 1)
    return;
  Value result = op->getResult(0);
  Type type = result.getType();
  auto shape = shapeOf(type);
  unsigned rank = shape.size();
  auto binary = [&](auto combine) {
    AxisInfo lhs = get(op->getOperand(0)), rhs = get(op->getOperand(1));
    if (lhs.rank() != rank || rhs.rank() != rank)
      return unknown(type);
    AxisInfo info = unknown(type);
    for (unsigned d = 0; d < rank; ++d)
      combine(lhs, rhs, info, d);
    return info;
  };
  auto addLike = [&](int64_t rhsScale) {
    return binary([&](const AxisInfo &l, const AxisInfo &r, AxisInfo &o, unsigned d) {
      // A run stays a run when the other side is constant over it.
      o.contiguity[d] = std::max(gcd(l.contiguity[d], r.constancy[d]),
                                 gcd(l.constancy[d], r.contiguity[d]));
      o.divisibility[d] = gcd(l.divisibility[d], r.divisibility[d] * rhsScale);
      o.constancy[d] = gcd(l.constancy[d], r.constancy[d]);
    });
  };

  AxisInfo info =
      llvm::TypeSwitch<Operation *, AxisInfo>(op)
          .Case([&](arith::ConstantOp constant) {
            Attribute value = constant.getValue();
            if (auto integer = dyn_cast<IntegerAttr>(value))
              return constantTile(type, powerOfTwoFactor(integer.getInt()));
            if (auto dense = dyn_cast<SplatElementsAttr>(value))
              if (dense.getElementType().isInteger())
                return constantTile(type,
                                    powerOfTwoFactor(dense.getSplatValue<APInt>().getSExtValue()));
            return unknown(type);
          })
          .Case([&](tile::MakeRangeOp range) {
            AxisInfo out = unknown(type);
            out.contiguity[0] = shape[0];
            out.divisibility[0] = powerOfTwoFactor(range.getStart());
            return out;
          })
          .Case([&](tile::SplatOp splat) {
            return constantTile(type, get(splat.getSrc()).elementDivisibility());
          })
          .Case([&](tile::BroadcastOp broadcast) {
            AxisInfo src = get(broadcast.getSrc());
            auto srcShape = shapeOf(broadcast.getSrc().getType());
            AxisInfo out = src;
            for (unsigned d = 0; d < rank; ++d)
              if (srcShape[d] == 1 && shape[d] != 1) {
                out.contiguity[d] = 1;
                out.constancy[d] = shape[d];
                out.divisibility[d] = src.elementDivisibility();
              }
            return out;
          })
          .Case([&](tile::ExpandDimsOp expand) {
            AxisInfo out = get(expand.getSrc());
            unsigned axis = expand.getAxis();
            out.contiguity.insert(out.contiguity.begin() + axis, 1);
            out.constancy.insert(out.constancy.begin() + axis, 1);
            out.divisibility.insert(out.divisibility.begin() + axis, get(expand.getSrc()).elementDivisibility());
            return out;
          })
          .Case([&](tilegpu::ConvertLayoutOp convert) { return get(convert.getSrc()); })
          .Case([&](arith::AddIOp) { return addLike(1); })
          .Case([&](tile::AddPtrOp addptr) { return addLike(pointeeBytes(addptr.getType())); })
          .Case([&](arith::SubIOp) {
            return binary([&](const AxisInfo &l, const AxisInfo &r, AxisInfo &o, unsigned d) {
              o.contiguity[d] = gcd(l.contiguity[d], r.constancy[d]);
              o.divisibility[d] = gcd(l.divisibility[d], r.divisibility[d]);
              o.constancy[d] = gcd(l.constancy[d], r.constancy[d]);
            });
          })
          .Case([&](arith::MulIOp) {
            return binary([&](const AxisInfo &l, const AxisInfo &r, AxisInfo &o, unsigned d) {
              int64_t ld = l.contiguity[d] > 1 ? 1 : l.divisibility[d];
              int64_t rd = r.contiguity[d] > 1 ? 1 : r.divisibility[d];
              o.divisibility[d] = std::min(kMaxDivisibility, ld * rd);
              o.constancy[d] = gcd(l.constancy[d], r.constancy[d]);
            });
          })
          .Case([&](arith::CmpIOp) {
            return binary([&](const AxisInfo &l, const AxisInfo &r, AxisInfo &o, unsigned d) {
              o.constancy[d] = gcd(l.constancy[d], r.constancy[d]);
              // A run compared with a constant flips at most at a boundary
              // both sides are aligned to.
              if (r.constancy[d] >= l.contiguity[d] && l.contiguity[d] > 1)
                o.constancy[d] = std::max(
                    o.constancy[d],
                    std::min(l.contiguity[d], gcd(l.divisibility[d], r.divisibility[d])));
              if (l.constancy[d] >= r.contiguity[d] && r.contiguity[d] > 1)
                o.constancy[d] = std::max(
                    o.constancy[d],
                    std::min(r.contiguity[d], gcd(l.divisibility[d], r.divisibility[d])));
            });
          })
          .Case<arith::AndIOp, arith::OrIOp>([&](Operation *) {
            return binary([&](const AxisInfo &l, const AxisInfo &r, AxisInfo &o, unsigned d) {
              o.constancy[d] = gcd(l.constancy[d], r.constancy[d]);
            });
          })
          .Case<arith::ExtSIOp, arith::ExtUIOp, arith::TruncIOp, arith::IndexCastOp>(
              [&](Operation *cast) { return get(cast->getOperand(0)); })
          .Default([&](Operation *) { return unknown(type); });
  if (info.rank() == rank)
    facts_[result] = info;
}

} // namespace tessel
