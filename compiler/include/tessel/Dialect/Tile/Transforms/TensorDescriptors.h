// Which tensor-descriptor loads the tensor memory accelerator (TMA) reads,
// and how the host encodes their tensor maps. Shared by the lowering of the
// other descriptor loads (tile-lower-tensor-descriptors), the load pipeliner
// that issues the bulk tensor copies, and the host that builds the maps.
#pragma once

#include "tessel/Dialect/Tile/IR/Tile.h"

#include <cstdint>
#include <vector>

namespace tessel::tile {

/// Whether `load` will be read through the TMA on a target that has it
/// (sm_90+): a bulk tensor copy of its block into shared memory, issued by
/// the load pipeliner for a later iteration of its loop. True exactly when
/// all of these hold:
///
/// (a) The descriptor is the result of a tile.make_tensor_descriptor in the
///     load's function: the tensor map is encoded on the host from that op's
///     base, shape and strides.
/// (b) That base is an argument of the function whose `tile.divisibility`
///     (kDivisibilityAttrName) is at least 16: a tensor map's global address
///     must be 16-byte aligned, and only an argument is known to the host.
/// (c) Each shape entry is an argument of the function or a positive
///     arith.constant: the host computes the map from the launch's arguments
///     alone, and a map's extents are at least 1.
/// (d) The last stride is the constant 1 (a map's innermost dimension is
///     dense), and every other stride is an argument whose divisibility times
///     the element's bytes is a multiple of 16, or a positive constant whose
///     value times the element's bytes is: a map's strides are multiples of
///     16 bytes.
/// (e) The block has rank 2, elements of 1 or 2 bytes (storageBytes), no
///     dimension above 256 (a copy's box limit), and rows (dimension 1) of
///     32, 64 or 128 bytes: one span of the TMA's swizzle, which is the
///     swizzle wgmma reads its operands with.
/// (f) The load lies directly in the body of an scf.for and its only use is
///     operand A (operand 0) of a tile.dot in the same block, or a
///     tile.transpose in the same block whose only use is operand B
///     (operand 1) of a tile.dot in the same block: the pipeliner stages
///     dot operands, K-major as the block holds them (B as the transpose of
///     an N x K block).
/// (g) Its indices depend only on the loop's induction variable and values
///     defined outside the loop, through memory-effect-free ops without
///     regions in the loop body: the pipeliner recomputes them for an
///     iteration ahead (as it does the addresses of the loads it copies with
///     cp.async).
/// (h) The loop does not ask for a single stage (tile.num_stages = 1): the
///     copies are issued for later iterations, of which such a loop has
///     none in flight.
///
/// Whether the target has a TMA is the caller's to decide.
bool qualifiesForTma(DescriptorLoadOp load);

/// Where the host finds one shape or stride value of a TMA descriptor: a
/// kernel argument or a constant.
struct HostExtent {
  int argument = -1; ///< >= 0: the position of the func argument holding it
  int64_t value = 0; ///< the value, when `argument` is negative
};

/// How the host builds a tensor map: from the pointer argument at
/// `baseArgument`, and a shape and strides (in elements, outermost first, as
/// the descriptor lists them).
struct HostTensorMap {
  unsigned baseArgument = 0;
  std::vector<HostExtent> shape, strides;
};

/// For a descriptor that a load qualifying for the TMA reads (qualifiesForTma
/// holds, so its base is an argument and its shape and strides are arguments
/// or constants): how to build its tensor map from the launch's arguments.
HostTensorMap hostTensorMap(MakeTensorDescriptorOp op);

} // namespace tessel::tile
