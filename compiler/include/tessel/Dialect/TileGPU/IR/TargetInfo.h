// What code generation knows about the GPU it compiles for, in one place:
// the target name a module carries (tilegpu.target, "sm_90a") parsed once,
// and every question the passes ask of it answered here rather than by
// comparing names or capability numbers where the answer is needed.
#pragma once

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace mlir {
class Operation;
} // namespace mlir

namespace tessel::tilegpu {

class TargetInfo {
public:
  /// The targets Tessel compiles for: "sm_80", "sm_86", "sm_89", "sm_90",
  /// "sm_90a".
  static llvm::ArrayRef<llvm::StringRef> supportedTargets();
  /// The target of that name; nullopt for one not in supportedTargets().
  static std::optional<TargetInfo> parse(llvm::StringRef name);
  /// The target of the module that holds (or is) `op`, from its
  /// tilegpu.target; nullopt, after an error on the module naming what is
  /// wrong, when the attribute is missing or names no supported target.
  static std::optional<TargetInfo> ofModule(mlir::Operation *op);

  llvm::StringRef name() const { return name_; }
  /// Compute capability as major * 10 + minor: 80, 86, 89, 90.
  int computeCapability() const { return computeCapability_; }
  /// Whether the name ends in "a": the architecture-specific instructions
  /// of that one capability (wgmma, setmaxnreg on sm_90a) are available.
  bool archSpecific() const { return archSpecific_; }

  /// wgmma.mma_async, warpgroup MMA from shared memory (sm_90a).
  bool hasWarpgroupMma() const { return computeCapability_ == 90 && archSpecific_; }
  /// The tensor memory accelerator: bulk tensor copies (cp.async.bulk.tensor)
  /// completing on mbarriers (sm_90 and later).
  bool hasTensorMemoryAccelerator() const { return computeCapability_ >= 90; }
  /// cvt between fp8 pairs and f16x2 / f32 pairs (sm_89 and later); earlier
  /// targets convert with integer arithmetic.
  bool hasFp8Conversions() const { return computeCapability_ >= 89; }
  /// mma.sync on fp8 operands in hardware: sm_89 only (ptxas emulates it on
  /// sm_90, and sm_80 lacks it), so elsewhere fp8 operands are widened to
  /// f16 once per fragment.
  bool hasNativeFp8MmaSync() const { return computeCapability_ == 89; }
  /// Shared memory one block may use after opting in (CUDA C Programming
  /// Guide, "Technical Specifications per Compute Capability").
  int64_t maxSharedBytesPerBlock() const;
  /// Shared memory of one multiprocessor, which its resident blocks share
  /// (each also holds 1 KiB the system reserves).
  int64_t sharedBytesPerMultiprocessor() const { return maxSharedBytesPerBlock() + 1024; }
  /// 32-bit registers of one multiprocessor (every target from sm_80 on).
  int64_t registersPerMultiprocessor() const { return 64 * 1024; }

private:
  TargetInfo(llvm::StringRef name, int computeCapability, bool archSpecific)
      : name_(name), computeCapability_(computeCapability), archSpecific_(archSpecific) {}

  llvm::StringRef name_; // one of supportedTargets(), which outlive every TargetInfo
  int computeCapability_;
  bool archSpecific_;
};

} // namespace tessel::tilegpu
