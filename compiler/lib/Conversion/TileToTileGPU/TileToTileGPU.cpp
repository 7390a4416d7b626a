// Assigns a distributed layout to every tile (see Passes.td).
//
// Layouts are solved, not guessed op by op:
//  0. Index computations (ranges, splats, integer arithmetic on them) get a
//     copy per use: they cost little to repeat and would otherwise tie
//     unrelated tiles together.
//  1. Tiles that must share one layout are grouped (union-find): the operands
//     and results of elementwise ops, memory ops and loop-carried values.
//  2. Reductions and expand_dims relate groups: the lower-rank side is a slice
//     of the higher-rank side along the reduced/inserted axis.
//  3. Groups are solved by propagating those relations from groups that are
//     already known; when nothing is derivable, the highest-rank unknown group
//     takes the default blocked layout for its largest shape and narrowest
//     memory element (so that each access moves 16 contiguous bytes).
//  4. Where a relation cannot hold (a loaded vector used both as a row and
//     as a column), a tilegpu.convert_layout restores it.
#include "tessel/Analysis/AxisInfo.h"
#include "tessel/Conversion/Passes.h"
#include "tessel/Dialect/TileGPU/IR/Layout.h"
#include "tessel/Dialect/TileGPU/IR/TargetInfo.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/SmallPtrSet.h"

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
  LayoutSolver(func::FuncOp func, unsigned numWarps, bool warpgroupMma)
      : func_(func), numWarps_(numWarps), warpgroupMma_(warpgroupMma) {}

  LogicalResult solve() {
    rematerializeIndices();
    axisInfo_.emplace(func_);
    collect();
    if (failed(assignMmaLayouts()))
      return failure();
    assignGroups();
    rewriteTypes();
    insertConversions();
    return success();
  }

private:
  void unite(Value a, Value b) {
    if (isTile(a) && isTile(b))
      groups_.unionSets(a.getAsOpaquePointer(), b.getAsOpaquePointer());
  }
  const void *leader(Value v) { return groups_.getLeaderValue(v.getAsOpaquePointer()); }

  /// Whether `op` is a tile constant or splat, or computes an index tile
  /// from nothing but those, ranges and other index tiles (`indices`, the
  /// ones found before it): integer arithmetic that costs little to repeat
  /// (and is usually hoisted out of loops).
  static bool isIndexComputation(Operation *op,
                                 const llvm::SmallPtrSetImpl<Operation *> &indices) {
    if (op->getNumResults() != 1 || op->getNumRegions() != 0 || !isMemoryEffectFree(op))
      return false;
    auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!type)
      return false;
    // Constants and splats of any type are free (a load's zero `other`).
    if (isa<arith::ConstantOp, tile::SplatOp, tile::MakeRangeOp>(op))
      return true;
    if (!type.getElementType().isIntOrIndex())
      return false;
    if (op->getDialect() != op->getContext()->getLoadedDialect<arith::ArithDialect>() &&
        !isa<tile::BroadcastOp, tile::ExpandDimsOp>(op))
      return false;
    for (Value operand : op->getOperands())
      if (isTile(operand) && !indices.contains(operand.getDefiningOp()))
        return false;
    return true;
  }

  /// Gives every use of an index computation (a constant, range or splat,
  /// arithmetic on them) its own copy, so that one value shared by unrelated
  /// tiles (the column numbers that address both B and B's scales, the zero
  /// that masked loads of A and B return) does not force them into one
  /// layout, which would cost a conversion where they meet.
  void rematerializeIndices() {
    // Producers come before their users in the walk.
    llvm::SmallPtrSet<Operation *, 32> found;
    SmallVector<Operation *> indices;
    func_.walk([&](Operation *op) {
      if (isIndexComputation(op, found)) {
        found.insert(op);
        indices.push_back(op);
      }
    });
    OpBuilder builder(func_.getContext());
    // Users before producers: copying a user adds uses to its operands,
    // which are split in turn.
    for (Operation *op : llvm::reverse(indices)) {
      if (op->getResult(0).hasOneUse() || op->getResult(0).use_empty())
        continue;
      builder.setInsertionPointAfter(op);
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : op->getResult(0).getUses())
        uses.push_back(&use);
      for (OpOperand *use : llvm::drop_begin(uses))
        use->set(builder.clone(*op)->getResult(0));
    }
  }

  void noteMemoryAccess(Value ptr) {
    if (auto type = dyn_cast<RankedTensorType>(ptr.getType())) {
      unsigned bytes = tile::storageBytes(tile::getPointeeType(type));
      const void *key = ptr.getAsOpaquePointer();
      auto [it, inserted] = accessBytes_.try_emplace(key, bytes);
      if (!inserted)
        it->second = std::min(it->second, bytes);
      accessed_.push_back(ptr);
    }
  }

  /// The dimension along which a group's memory accesses are contiguous
  /// (a B operand read as [K, N] from an [N, K] matrix is contiguous along
  /// its first): the one with the longest proven run, the last on a tie.
  std::optional<unsigned> contiguousDimOf(const void *group) {
    std::optional<unsigned> best;
    int64_t bestRun = 1;
    for (Value ptr : accessed_) {
      if (leader(ptr) != group)
        continue;
      AxisInfo info = axisInfo_->get(ptr);
      for (unsigned d = info.rank(); d-- > 0;)
        if (info.contiguity[d] > bestRun) {
          bestRun = info.contiguity[d];
          best = d;
        }
    }
    return best;
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
      if (auto dot = dyn_cast<tile::DotOp>(op)) {
        // The accumulator and result share the mma layout; the operands keep
        // the layouts their loads want and travel through shared memory.
        unite(dot.getAcc(), dot.getResult());
        dots_.push_back(dot);
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
      // A transpose's operand and result are tiles of different shapes: each
      // keeps its own layout (the transposes that remain read a descriptor
      // block for a dot, which the load pipeliner folds into the copy).
      if (isa<tile::MakeRangeOp, tile::SplatOp, tilegpu::ConvertLayoutOp, tile::TransposeOp>(op))
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
    return getDefaultBlockedEncoding(func_.getContext(), shape, bytes, numWarps_,
                                     contiguousDimOf(group));
  }

  unsigned rankOf(const void *group) {
    for (Value value : values_)
      if (leader(value) == group)
        return cast<RankedTensorType>(value.getType()).getRank();
    return 0;
  }

  /// The accumulators of dots take the mma layout before anything else is
  /// decided (the tensor cores fix it), and their operands their default
  /// layouts; everything else adapts. Where the target has wgmma and the
  /// tile allows, the layout is the one warpgroups compute in.
  LogicalResult assignMmaLayouts() {
    for (tile::DotOp dot : dots_) {
      const void *group = leader(dot.getResult());
      auto type = dot.getType();
      int64_t m = type.getDimSize(0), n = type.getDimSize(1);
      MmaEncodingAttr mma;
      if (warpgroupMma_)
        mma = getWarpgroupMmaEncoding(func_.getContext(), m, n, numWarps_);
      if (!mma)
        mma = getMmaEncoding(func_.getContext(), m, n, numWarps_);
      if (!mma)
        return dot.emitOpError("a ")
               << type.getDimSize(0) << "x" << type.getDimSize(1)
               << " result has fewer 16x8 tensor-core pieces than the " << numWarps_
               << " warps: use a larger tile or fewer warps";
      auto [it, inserted] = layouts_.try_emplace(group, mma);
      if (!inserted && it->second != mma)
        return dot.emitOpError("its accumulator is also the accumulator of a dot of another "
                               "shape");
      // The operands' loads keep their memory-friendly layouts: decided now,
      // before the mma layout could spread to them through shared indices
      // (the row numbers that address both A and the row scales).
      for (Value operand : {dot.getA(), dot.getB()})
        layouts_.try_emplace(leader(operand), defaultFor(leader(operand)));
    }
    return success();
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
  bool warpgroupMma_;
  std::optional<AxisInfoAnalysis> axisInfo_; ///< of the IR after rematerialization
  SmallVector<Value> accessed_;
  llvm::EquivalenceClasses<const void *> groups_;
  SmallVector<Value> values_;
  SmallVector<SliceRelation> relations_;
  SmallVector<tile::DotOp> dots_;
  llvm::DenseMap<const void *, unsigned> accessBytes_;
  llvm::DenseMap<const void *, Attribute> layouts_;
};

struct ConvertTileToTileGPU
    : public tessel::impl::ConvertTileToTileGPUBase<ConvertTileToTileGPU> {
  using ConvertTileToTileGPUBase::ConvertTileToTileGPUBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (numWarps == 0 || (numWarps & (numWarps - 1)) != 0 || numWarps > 32) {
      module.emitError("num-warps must be a power of two in [1, 32], got ") << unsigned(numWarps);
      return signalPassFailure();
    }
    Builder builder(module.getContext());
    module->setAttr(TileGPUDialect::kNumWarpsAttrName, builder.getI32IntegerAttr(numWarps));
    module->setAttr(TileGPUDialect::kTargetAttrName, builder.getStringAttr(target));
    std::optional<TargetInfo> targetInfo = TargetInfo::ofModule(module);
    if (!targetInfo)
      return signalPassFailure();
    module.walk([&](func::FuncOp func) {
      if (failed(LayoutSolver(func, numWarps, targetInfo->hasWarpgroupMma()).solve()))
        signalPassFailure();
    });
  }
};

} // namespace
