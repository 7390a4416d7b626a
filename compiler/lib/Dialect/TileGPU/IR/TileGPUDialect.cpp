#include "tessel/Dialect/TileGPU/IR/TileGPU.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tessel::tilegpu;

#include "tessel/Dialect/TileGPU/IR/TileGPUDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "tessel/Dialect/TileGPU/IR/TileGPUAttrDefs.cpp.inc"

#define GET_OP_CLASSES
#include "tessel/Dialect/TileGPU/IR/TileGPUOps.cpp.inc"

namespace {
/// Prints layouts as `#blocked`, `#mma`, `#slice` aliases at the top of a module, so
/// that IR with many tiles stays readable.
struct TileGPUOpAsmInterface : public OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;
  AliasResult getAlias(Attribute attr, raw_ostream &os) const override {
    if (isa<BlockedEncodingAttr>(attr)) {
      os << "blocked";
      return AliasResult::FinalAlias;
    }
    if (isa<SliceEncodingAttr>(attr)) {
      os << "slice";
      return AliasResult::FinalAlias;
    }
    if (isa<MmaEncodingAttr>(attr)) {
      os << "mma";
      return AliasResult::FinalAlias;
    }
    return AliasResult::NoAlias;
  }
};
} // namespace

void TileGPUDialect::initialize() {
  registerAttributes();
  addInterfaces<TileGPUOpAsmInterface>();
  addOperations<
#define GET_OP_LIST
#include "tessel/Dialect/TileGPU/IR/TileGPUOps.cpp.inc"
      >();
}

void TileGPUDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tessel/Dialect/TileGPU/IR/TileGPUAttrDefs.cpp.inc"
      >();
}

namespace {
bool isPowerOfTwo(unsigned value) { return value > 0 && (value & (value - 1)) == 0; }
} // namespace

LogicalResult BlockedEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                          ArrayRef<unsigned> sizePerThread,
                                          ArrayRef<unsigned> threadsPerWarp,
                                          ArrayRef<unsigned> warpsPerCTA,
                                          ArrayRef<unsigned> order) {
  size_t rank = order.size();
  if (rank == 0 || sizePerThread.size() != rank || threadsPerWarp.size() != rank ||
      warpsPerCTA.size() != rank)
    return emitError() << "blocked layout needs sizePerThread, threadsPerWarp, warpsPerCTA and "
                          "order of one rank";
  unsigned lanes = 1;
  for (unsigned value : threadsPerWarp)
    lanes *= value;
  if (lanes != TileGPUDialect::kThreadsPerWarp)
    return emitError() << "threadsPerWarp must multiply to 32, got " << lanes;
  for (size_t d = 0; d < rank; ++d)
    if (!isPowerOfTwo(sizePerThread[d]) || !isPowerOfTwo(threadsPerWarp[d]) ||
        !isPowerOfTwo(warpsPerCTA[d]))
      return emitError() << "blocked layout extents must be powers of two";
  SmallVector<unsigned> sorted(order);
  llvm::sort(sorted);
  for (size_t d = 0; d < rank; ++d)
    if (sorted[d] != d)
      return emitError() << "order must be a permutation of 0.." << rank - 1;
  return success();
}

LogicalResult MmaEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                      ArrayRef<unsigned> warpsPerCTA) {
  if (warpsPerCTA.size() != 2)
    return emitError() << "mma layout is 2-D: warpsPerCTA needs 2 entries";
  if (!isPowerOfTwo(warpsPerCTA[0]) || !isPowerOfTwo(warpsPerCTA[1]))
    return emitError() << "mma warpsPerCTA must be powers of two";
  return success();
}

LogicalResult SliceEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                        unsigned dim, Attribute parent) {
  unsigned parentRank;
  if (auto blocked = dyn_cast<BlockedEncodingAttr>(parent))
    parentRank = blocked.getRank();
  else if (isa<MmaEncodingAttr>(parent))
    parentRank = 2;
  else if (auto slice = dyn_cast<SliceEncodingAttr>(parent))
    parentRank = 0; // checked through the tile's rank by DistributedLayout
  else
    return emitError() << "slice parent must be a tilegpu layout";
  if (isa<BlockedEncodingAttr, MmaEncodingAttr>(parent) && dim >= parentRank)
    return emitError() << "slice dim " << dim << " out of range for parent of rank "
                       << parentRank;
  return success();
}

OpFoldResult ConvertLayoutOp::fold(FoldAdaptor) {
  if (getSrc().getType() == getType())
    return getSrc();
  if (auto producer = getSrc().getDefiningOp<ConvertLayoutOp>())
    if (producer.getSrc().getType() == getType())
      return producer.getSrc();
  return {};
}

LogicalResult SetMaxRegistersOp::verify() {
  uint32_t registers = getRegisters();
  if (registers < 24 || registers > 256 || registers % 8 != 0)
    return emitOpError("registers must be a multiple of 8 in [24, 256], got ") << registers;
  return success();
}
