#include "tessel/Dialect/Tile/Transforms/TensorDescriptors.h"

#include "tessel/Analysis/AxisInfo.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <cassert>
#include <optional>

using namespace mlir;

namespace tessel::tile {
namespace {

/// Bytes of a tensor map's address and stride alignment (CUDA driver API,
/// cuTensorMapEncodeTiled).
constexpr int64_t kTensorMapAlignment = 16;

/// Elements of a tensor map's box along one dimension, at most.
constexpr int64_t kMaxBoxDim = 256;

/// `value` as an argument of `func`'s entry block, if it is one.
std::optional<unsigned> argumentOf(func::FuncOp func, Value value) {
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || arg.getOwner() != &func.getBody().front())
    return std::nullopt;
  return arg.getArgNumber();
}

/// The value of an integer arith.constant.
std::optional<int64_t> constantOf(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto integer = dyn_cast<IntegerAttr>(constant.getValue());
  if (!integer)
    return std::nullopt;
  return integer.getInt();
}

/// The specialization's divisibility of argument `index` of `func` (1 when
/// it promises none).
int64_t divisibilityOf(func::FuncOp func, unsigned index) {
  if (auto attr = func.getArgAttrOfType<IntegerAttr>(index, kDivisibilityAttrName))
    return attr.getInt();
  return 1;
}

/// (c): the host can compute a shape entry.
bool hostKnowsExtent(func::FuncOp func, Value extent) {
  if (argumentOf(func, extent))
    return true;
  std::optional<int64_t> constant = constantOf(extent);
  return constant && *constant > 0;
}

/// (d): a stride other than the last is a multiple of 16 bytes the host knows.
bool isAlignedStride(func::FuncOp func, Value stride, int64_t elementBytes) {
  if (std::optional<unsigned> arg = argumentOf(func, stride))
    return divisibilityOf(func, *arg) * elementBytes % kTensorMapAlignment == 0;
  std::optional<int64_t> constant = constantOf(stride);
  return constant && *constant > 0 && *constant * elementBytes % kTensorMapAlignment == 0;
}

/// (e): one box of the map, its rows one swizzle span.
bool isTmaBlock(RankedTensorType block) {
  if (block.getRank() != 2)
    return false;
  int64_t bytes = storageBytes(block.getElementType());
  if (bytes != 1 && bytes != 2)
    return false;
  if (llvm::any_of(block.getShape(), [](int64_t dim) { return dim > kMaxBoxDim; }))
    return false;
  int64_t rowBytes = block.getDimSize(1) * bytes;
  return rowBytes == 32 || rowBytes == 64 || rowBytes == 128;
}

/// (f): the block is a dot operand of the same iteration, A as loaded or B
/// transposed.
bool feedsDotOperand(DescriptorLoadOp load) {
  Value result = load.getResult();
  if (!result.hasOneUse())
    return false;
  OpOperand &use = *result.use_begin();
  Operation *user = use.getOwner();
  if (user->getBlock() != load->getBlock())
    return false;
  if (isa<DotOp>(user))
    return use.getOperandNumber() == 0;
  auto transpose = dyn_cast<TransposeOp>(user);
  if (!transpose || !transpose.getResult().hasOneUse())
    return false;
  OpOperand &transposedUse = *transpose.getResult().use_begin();
  return isa<DotOp>(transposedUse.getOwner()) &&
         transposedUse.getOwner()->getBlock() == load->getBlock() &&
         transposedUse.getOperandNumber() == 1;
}

/// (g): `value` can be computed for another iteration of `loop` (the rule of
/// the load pipeliner's `recomputable`). `visited` holds the loop-body ops
/// found to qualify so far.
bool recomputable(scf::ForOp loop, Value value, llvm::SmallPtrSetImpl<Operation *> &visited) {
  if (value == loop.getInductionVar())
    return true;
  Operation *def = value.getDefiningOp();
  if (!def)
    return !loop->isAncestor(value.getParentBlock()->getParentOp());
  if (!loop->isAncestor(def))
    return true;
  if (def->getBlock() != loop.getBody() || def->getNumRegions() != 0 || !isMemoryEffectFree(def))
    return false;
  if (visited.contains(def))
    return true;
  for (Value operand : def->getOperands())
    if (!recomputable(loop, operand, visited))
      return false;
  visited.insert(def);
  return true;
}

HostExtent hostExtent(func::FuncOp func, Value extent) {
  if (std::optional<unsigned> arg = argumentOf(func, extent))
    return {int(*arg), 0};
  std::optional<int64_t> constant = constantOf(extent);
  assert(constant && "a TMA descriptor's shape and strides are arguments or constants");
  return {-1, constant.value_or(0)};
}

} // namespace

bool qualifiesForTma(DescriptorLoadOp load) {
  auto func = load->getParentOfType<func::FuncOp>();
  auto make = load.getDesc().getDefiningOp<MakeTensorDescriptorOp>();
  // (a)
  if (!func || !make || make->getParentOfType<func::FuncOp>() != func)
    return false;
  // (b)
  std::optional<unsigned> base = argumentOf(func, make.getBase());
  if (!base || divisibilityOf(func, *base) < kTensorMapAlignment)
    return false;
  // (c)
  if (!llvm::all_of(make.getShape(), [&](Value extent) { return hostKnowsExtent(func, extent); }))
    return false;
  // (d)
  RankedTensorType block = make.getType().getBlockType();
  int64_t elementBytes = storageBytes(block.getElementType());
  if (constantOf(make.getStrides().back()) != 1)
    return false;
  for (Value stride : make.getStrides().drop_back())
    if (!isAlignedStride(func, stride, elementBytes))
      return false;
  // (e)
  if (!isTmaBlock(block))
    return false;
  // (f)
  auto loop = dyn_cast<scf::ForOp>(load->getParentOp());
  if (!loop || !feedsDotOperand(load))
    return false;
  // (h) A loop asked for a single stage loads each block where it is used:
  // there is no later iteration to copy for.
  if (auto stages = loop->getAttrOfType<IntegerAttr>(kNumStagesAttrName);
      stages && stages.getInt() < 2)
    return false;
  // (g)
  llvm::SmallPtrSet<Operation *, 8> visited;
  return llvm::all_of(load.getIndices(),
                      [&](Value index) { return recomputable(loop, index, visited); });
}

HostTensorMap hostTensorMap(MakeTensorDescriptorOp op) {
  auto func = op->getParentOfType<func::FuncOp>();
  std::optional<unsigned> base = argumentOf(func, op.getBase());
  assert(base && "a TMA descriptor's base is a kernel argument");
  HostTensorMap map;
  map.baseArgument = base.value_or(0);
  for (Value extent : op.getShape())
    map.shape.push_back(hostExtent(func, extent));
  for (Value stride : op.getStrides())
    map.strides.push_back(hostExtent(func, stride));
  return map;
}

} // namespace tessel::tile
