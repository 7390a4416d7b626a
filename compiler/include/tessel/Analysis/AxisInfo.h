// What the compiler can prove about the integer and pointer values of a
// kernel, per tile dimension, so that memory accesses can be vectorized:
//
//  - contiguity[d]: elements come in runs of this length along d whose
//    values increase by exactly one (pointers: by one element);
//  - divisibility[d]: the first value of every such run is a multiple of
//    this power of two (pointers: in bytes, i.e. the alignment);
//  - constancy[d]: elements come in runs of this length along d that are
//    all equal.
//
// Scalars are treated as tiles of shape [1]. The facts start from the
// kernel's argument specialization (`tile.divisibility` on arguments: 16 for
// pointers aligned to 16 bytes and integers divisible by 16), ranges and
// constants, and propagate forward through the ops that preserve them.
#pragma once

#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir {
class Operation;
}

namespace tessel {

struct AxisInfo {
  llvm::SmallVector<int64_t> contiguity;
  llvm::SmallVector<int64_t> divisibility;
  llvm::SmallVector<int64_t> constancy;

  unsigned rank() const { return contiguity.size(); }
  /// The largest power of two dividing every element.
  int64_t elementDivisibility() const;
};

/// Name of the argument attribute that records specialization facts.
inline constexpr const char *kDivisibilityAttrName = "tile.divisibility";

class AxisInfoAnalysis {
public:
  /// Analyzes every function nested in `root`.
  explicit AxisInfoAnalysis(mlir::Operation *root);

  /// Facts for `value`; conservative (all ones) when nothing is known.
  AxisInfo get(mlir::Value value) const;

  /// Elements per vector access through `ptr`, a tile of pointers with a
  /// tilegpu layout, under `mask` (or none): the largest power of two that
  /// the layout gives a thread contiguously along its fastest dimension,
  /// that these facts prove contiguous and aligned, over which the mask is
  /// constant, and that fits 16 bytes. 1 for a scalar pointer, or when the
  /// fastest dimension was sliced away.
  int64_t vectorWidth(mlir::Value ptr, mlir::Value mask) const;

private:
  void visit(mlir::Operation *op);
  llvm::DenseMap<mlir::Value, AxisInfo> facts_;
};

} // namespace tessel
