// Assigns a distributed layout to every tile (see Passes.td).
//
// Layouts are solved, not guessed op by op:
//  1. Tiles that must share one layout are grouped (union-find): the operands
//     and results of elementwise ops, memory ops and loop-carried values.
//  2. Reductions and expand_dims relate groups: the lower-rank side is a slice
//     of the higher-rank side along the reduced/inserted axis.
//  3. Groups are solved by propagating those relations from groups that are
//     already known; when nothing is derivable, the highest-rank unknown group
//     takes the default blocked layout for its largest shape and narrowest
//     memory element (so that each access moves 16 contiguous bytes).
//  4. Where a relation cannot hold (a range used both as a row and as a
//     column index), a tilegpu.convert_layout restores it.
#include "tessel/Conversion/Passes.h"
#include "tessel/Dialect/TileGPU/IR/Layout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/EquivalenceClasses.h"

namespace tessel {
#define GEN_PASS_DEF_CONVERTTILETOTILEGPU
#include "tessel/Conversion/Passes.h.inc"
} // namespace tessel

using namespace mlir;
using namespace tessel;
using namespace tessel::tilegpu;

namespace {

bool isTile(Value value) { return isa<RankedTensorType>(value.getType()); }

/// A slice relation: `child` is `parent` with dimension `axis` removed.
struct SliceRelation {
  Value parent;
  Value child;
  unsigned axis;
};

class LayoutSolver {
public:
  LayoutSolver(func::FuncOp func, unsigned numWarps) : func_(func), numWarps_(numWarps) {}

  void solve() {
    collect();
    assignGroups();
    rewriteTypes();
    insertConversions();
  }

private:
  void unite(Value a, Value b) {
    if (isTile(a) && isTile(b))
      groups_.unionSets(a.getAsOpaquePointer(), b.getAsOpaquePointer());
  }
  const void *leader(Value v) { return groups_.getLeaderValue(v.getAsOpaquePointer()); }

  void noteMemoryAccess(Value ptr) {
    if (auto type = dyn_cast<RankedTensorType>(ptr.getType())) {
      auto pointee = tile::getPointeeType(type);
      unsigned bytes = std::max<unsigned>(1, pointee.getIntOrFloatBitWidth() / 8);
      const void *key = ptr.getAsOpaquePointer();
      auto [it, inserted] = accessBytes_.try_emplace(key, bytes);
      if (!inserted)
        it->second = std::min(it->second, bytes);
    }
  }

  void collect() {
    func_.walk([&](Operation *op) {
      for (Value result : op->getResults())
        if (isTile(result)) {
          groups_.insert(result.getAsOpaquePointer());
          values_.push_back(result);
        }
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments())
            if (isTile(arg)) {
              groups_.insert(arg.getAsOpaquePointer());
              values_.push_back(arg);
            }

      if (auto reduce = dyn_cast<tile::ReduceOp>(op)) {
        if (isTile(reduce.getResult()))
          relations_.push_back({reduce.getSrc(), reduce.getResult(), unsigned(reduce.getAxis())});
        return;
      }
      if (auto expand = dyn_cast<tile::ExpandDimsOp>(op)) {
        relations_.push_back({expand.getResult(), expand.getSrc(), unsigned(expand.getAxis())});
        return;
      }
      if (auto forOp = dyn_cast<scf::ForOp>(op)) {
        for (auto [init, arg, result] :
             llvm::zip(forOp.getInitArgs(), forOp.getRegionIterArgs(), forOp.getResults())) {
          unite(init, arg);
          unite(arg, result);
        }
        return;
      }
      if (auto yield = dyn_cast<scf::YieldOp>(op)) {
        if (auto forOp = dyn_cast<scf::ForOp>(op->getParentOp()))
          for (auto [operand, arg] : llvm::zip(yield.getOperands(), forOp.getRegionIterArgs()))
            unite(operand, arg);
        return;
      }
      if (isa<tile::MakeRangeOp, tile::SplatOp, tilegpu::ConvertLayoutOp>(op))
        return;
      if (auto load = dyn_cast<tile::LoadOp>(op))
        noteMemoryAccess(load.getPtr());
      if (auto store = dyn_cast<tile::StoreOp>(op))
        noteMemoryAccess(store.getPtr());
      // Elementwise and memory ops: every tile operand and result shares one layout.
      Value first;
      for (Value value : llvm::concat<Value>(op->getOperands(), op->getResults())) {
        if (!isTile(value))
          continue;
        if (first)
          unite(first, value);
        else
          first = value;
      }
    });
  }

  /// Default layout of a group: its largest shape, sized for its widest
  /// access. A thread then holds 16 bytes of the widest dtype, so every load
  /// and store of the group is one access per element run that the warp
  /// covers contiguously (an fp8 load of 8 bytes beside a bf16 store of 16),
  /// rather than several strided 16-byte pieces for the wider dtype.
  BlockedEncodingAttr defaultFor(const void *group) {
    SmallVector<int64_t> shape;
    unsigned bytes = 0;
    for (Value value : values_) {
      if (leader(value) != group)
        continue;
      auto type = cast<RankedTensorType>(value.getType());
      if (shape.empty())
        shape.assign(type.getShape().begin(), type.getShape().end());
      for (auto [mine, theirs] : llvm::zip(shape, type.getShape()))
        mine = std::max(mine, theirs);
      if (auto it = accessBytes_.find(value.getAsOpaquePointer()); it != accessBytes_.end())
        bytes = std::max(bytes, it->second);
    }
    if (!bytes)
      bytes = 4;
    return getDefaultBlockedEncoding(func_.getContext(), shape, bytes, numWarps_);
  }

  unsigned rankOf(const void *group) {
    for (Value value : values_)
      if (leader(value) == group)
        return cast<RankedTensorType>(value.getType()).getRank();
    return 0;
  }

  void assignGroups() {
    SmallVector<const void *> unknown;
    for (Value value : values_)
      if (!llvm::is_contained(unknown, leader(value)))
        unknown.push_back(leader(value));
    while (true) {
      bool progress = true;
      while (progress) {
        progress = false;
        for (const SliceRelation &rel : relations_) {
          const void *parent = leader(rel.parent), *child = leader(rel.child);
          if (layouts_.count(parent) && !layouts_.count(child)) {
            layouts_[child] = SliceEncodingAttr::get(func_.getContext(), rel.axis, layouts_[parent]);
            progress = true;
          } else if (!layouts_.count(parent) && layouts_.count(child)) {
            auto slice = dyn_cast<SliceEncodingAttr>(layouts_[child]);
            if (slice && slice.getDim() == rel.axis) {
              layouts_[parent] = slice.getParent();
              progress = true;
            }
          }
        }
      }
      const void *next = nullptr;
      unsigned bestRank = 0;
      for (const void *group : unknown)
        if (!layouts_.count(group) && rankOf(group) > bestRank) {
          next = group;
          bestRank = rankOf(group);
        }
      if (!next)
        break;
      layouts_[next] = defaultFor(next);
    }
  }

  void rewriteTypes() {
    for (Value value : values_) {
      auto type = cast<RankedTensorType>(value.getType());
      auto encoded = withEncoding(type, layouts_.lookup(leader(value)));
      value.setType(encoded);
      // A tile constant's attribute carries the type too.
      if (auto constant = value.getDefiningOp<arith::ConstantOp>())
        if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
          constant.setValueAttr(dense.reshape(encoded));
    }
  }

  Value convert(OpBuilder &builder, Location loc, Value value, Attribute encoding) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getEncoding() == encoding)
      return value;
    return ConvertLayoutOp::create(builder, loc, withEncoding(type, encoding), value);
  }

  void insertConversions() {
    OpBuilder builder(func_.getContext());
    func_.walk([&](Operation *op) {
      if (auto reduce = dyn_cast<tile::ReduceOp>(op)) {
        auto result = dyn_cast<RankedTensorType>(reduce.getType());
        if (!result)
          return;
        auto srcEncoding = reduce.getSrc().getType().getEncoding();
        auto wanted = SliceEncodingAttr::get(op->getContext(), reduce.getAxis(), srcEncoding);
        if (result.getEncoding() == wanted)
          return;
        // The reduction yields the slice; convert it to the layout its users need.
        builder.setInsertionPointAfter(op);
        Attribute needed = result.getEncoding();
        reduce.getResult().setType(withEncoding(result, wanted));
        Value converted = convert(builder, op->getLoc(), reduce.getResult(), needed);
        reduce.getResult().replaceAllUsesExcept(converted, converted.getDefiningOp());
        return;
      }
      if (auto expand = dyn_cast<tile::ExpandDimsOp>(op)) {
        auto wanted = SliceEncodingAttr::get(op->getContext(), expand.getAxis(),
                                             expand.getType().getEncoding());
        builder.setInsertionPoint(op);
        expand.getSrcMutable().assign(convert(builder, op->getLoc(), expand.getSrc(), wanted));
      }
    });
  }

  func::FuncOp func_;
  unsigned numWarps_;
  llvm::EquivalenceClasses<const void *> groups_;
  SmallVector<Value> values_;
  SmallVector<SliceRelation> relations_;
  llvm::DenseMap<const void *, unsigned> accessBytes_;
  llvm::DenseMap<const void *, Attribute> layouts_;
};

struct ConvertTileToTileGPU
    : public tessel::impl::ConvertTileToTileGPUBase<ConvertTileToTileGPU> {
  using ConvertTileToTileGPUBase::ConvertTileToTileGPUBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (numWarps == 0 || (numWarps & (numWarps - 1)) != 0 || numWarps > 32) {
      module.emitError("num-warps must be a power of two in [1, 32], got ") << numWarps;
      return signalPassFailure();
    }
    Builder builder(module.getContext());
    module->setAttr(TileGPUDialect::kNumWarpsAttrName, builder.getI32IntegerAttr(numWarps));
    module->setAttr(TileGPUDialect::kTargetAttrName, builder.getStringAttr(target));
    module.walk([&](func::FuncOp func) { LayoutSolver(func, numWarps).solve(); });
  }
};

} // namespace
