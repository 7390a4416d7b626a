#include "tessel/Dialect/TileGPU/IR/TargetInfo.h"

#include "tessel/Dialect/TileGPU/IR/TileGPU.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace tessel::tilegpu {

ArrayRef<StringRef> TargetInfo::supportedTargets() {
  static const StringRef targets[] = {"sm_80", "sm_86", "sm_89", "sm_90", "sm_90a"};
  return targets;
}

std::optional<TargetInfo> TargetInfo::parse(StringRef name) {
  const StringRef *known = llvm::find(supportedTargets(), name);
  if (known == supportedTargets().end())
    return std::nullopt;
  StringRef digits = known->drop_front(3); // "sm_"
  bool archSpecific = digits.consume_back("a");
  int capability = 0;
  digits.getAsInteger(10, capability);
  return TargetInfo(*known, capability, archSpecific);
}

std::optional<TargetInfo> TargetInfo::ofModule(Operation *op) {
  auto module = isa<ModuleOp>(op) ? cast<ModuleOp>(op) : op->getParentOfType<ModuleOp>();
  auto attr = module ? module->getAttrOfType<StringAttr>(TileGPUDialect::kTargetAttrName)
                     : StringAttr();
  if (!attr) {
    op->emitError("the module has no tilegpu.target: run convert-tile-to-tilegpu first");
    return std::nullopt;
  }
  std::optional<TargetInfo> target = parse(attr.getValue());
  if (!target)
    module.emitError("tilegpu.target '")
        << attr.getValue() << "' is not a target of Tessel: it compiles for "
        << llvm::join(supportedTargets(), ", ");
  return target;
}

int64_t TargetInfo::maxSharedBytesPerBlock() const {
  if (computeCapability_ >= 90)
    return 227 * 1024;
  if (computeCapability_ == 80 || computeCapability_ == 87)
    return 163 * 1024;
  return 99 * 1024;
}

} // namespace tessel::tilegpu
