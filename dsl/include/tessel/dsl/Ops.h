// The operations of a kernel body besides operators (Value.h): program
// coordinates, tile construction, memory (pointers and tensor descriptors),
// math, reductions and loops.
// Each takes the caller's source line for its error messages.
#pragma once

#include "tessel/dsl/Value.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tessel::dsl {

using Where = std::source_location;

/// This program's index along grid axis 0, 1 or 2 (i32).
Value programId(int axis, Where where = Where::current());
/// The grid's extent along axis 0, 1 or 2 (i32).
Value numPrograms(int axis, Where where = Where::current());
/// The i32 tile [start, start + 1, ..., end - 1]; end - start must be a
/// power of two.
Value arange(int64_t start, int64_t end, Where where = Where::current());
/// A tile of `shape` filled with `value` converted to `dtype`.
Value full(std::vector<int64_t> shape, double value, DType dtype, Where where = Where::current());
Value zeros(std::vector<int64_t> shape, DType dtype, Where where = Where::current());
/// A scalar constant.
Value constant(double value, DType dtype, Where where = Where::current());

/// Loads the elements `ptr` points to. Where `mask` is false nothing is read
/// and the element is `other` (zero when absent).
Value load(const Value &ptr, Where where = Where::current());
Value load(const Value &ptr, const Operand &mask, Where where = Where::current());
Value load(const Value &ptr, const Operand &mask, const Operand &other,
           Where where = Where::current());
/// Stores `value` (of the pointee dtype) where `mask` is true (everywhere
/// without a mask). A number is converted to the pointee dtype.
void store(const Value &ptr, const Operand &value, Where where = Where::current());
void store(const Value &ptr, const Operand &value, const Operand &mask,
           Where where = Where::current());

/// A strided tensor in global memory that a kernel reads a block at a time
/// (tile.make_tensor_descriptor), made by tensorDescriptor(). Every load
/// reads a block of the same shape, so the compiler may copy it with the
/// tensor memory accelerator where the target has one (sm_90a). Cheap to
/// copy; valid only while its kernel is being built, like a Value.
class TensorDescriptor {
public:
  TensorDescriptor() = default;

  /// The block whose first element is at `indices` (one per dimension, i32
  /// values or integers): elements past the tensor's edges, on either side,
  /// read as zero and nothing is read for them (tile.descriptor_load).
  Value load(const std::vector<Operand> &indices, Where where = Where::current()) const;

  const std::vector<int64_t> &blockShape() const { return blockShape_; }
  DType dtype() const { return dtype_; }
  int rank() const { return int(blockShape_.size()); }
  bool valid() const { return trace_ != nullptr; }
  /// "tensordesc<64x128xf8e4m3>".
  std::string str() const;

private:
  friend class detail::Trace;
  TensorDescriptor(detail::Trace *trace, uint64_t traceId, const void *handle,
                   std::vector<int64_t> blockShape, DType dtype)
      : trace_(trace), traceId_(traceId), handle_(handle), blockShape_(std::move(blockShape)),
        dtype_(dtype) {}

  detail::Trace *trace_ = nullptr;
  uint64_t traceId_ = 0; ///< which build made it (see Value)
  const void *handle_ = nullptr;
  std::vector<int64_t> blockShape_;
  DType dtype_ = DType::F32;
};

/// The tensor of `shape` whose element (i0, i1, ...) lies at
/// `base + i0 * strides[0] + i1 * strides[1] + ...`. `base` is a pointer (a
/// kernel's pointer parameter, possibly offset); `shape` and `strides` hold
/// one i32 value or integer per dimension (strides in elements); every load
/// reads a block of `blockShape` (rank 1 to 5, powers of two). Offsets are
/// computed in 32 bits: every element must lie within 2^31 elements of base.
TensorDescriptor tensorDescriptor(const Value &base, const std::vector<Operand> &shape,
                                  const std::vector<Operand> &strides,
                                  std::vector<int64_t> blockShape, Where where = Where::current());

/// Elementwise math. minimum/maximum ignore a NaN operand (PTX min/max.f32);
/// exp, exp2 and log use the GPU's fast approximations; sqrt is IEEE
/// rounded; rsqrt is 1 / sqrt.
Value abs(const Operand &x, Where where = Where::current());
Value minimum(const Operand &a, const Operand &b, Where where = Where::current());
Value maximum(const Operand &a, const Operand &b, Where where = Where::current());
Value exp(const Operand &x, Where where = Where::current());
Value exp2(const Operand &x, Where where = Where::current());
Value log(const Operand &x, Where where = Where::current());
Value sqrt(const Operand &x, Where where = Where::current());
Value rsqrt(const Operand &x, Where where = Where::current());
/// a * b + c with one rounding.
Value fma(const Operand &a, const Operand &b, const Operand &c, Where where = Where::current());
/// Elementwise select: `a` where `condition` (i1) is true, else `b`.
Value where(const Operand &condition, const Operand &a, const Operand &b,
            Where where = Where::current());
/// ceil(a / b) for positive integers.
Value cdiv(const Operand &a, const Operand &b, Where where = Where::current());

/// Reductions of a tile along `axis`, which disappears from the shape.
/// max/min ignore NaN elements; sum adds in a tree (lanes, then warps).
Value max(const Value &x, int axis, Where where = Where::current());
Value min(const Value &x, int axis, Where where = Where::current());
Value sum(const Value &x, int axis, Where where = Where::current());

/// x transposed: result[i, j] = x[j, i] for a 2-D tile (tile.transpose). A
/// dot reads a B operand stored N-major (an N x K weight) as the transpose of
/// its N x K block; the compiler folds the transpose into the load where it
/// can.
Value transpose(const Value &x, Where where = Where::current());

/// Matrix product on the tensor cores: acc + a · b, with a [M, K], b [K, N]
/// and acc [M, N] f32. a and b are both fp8 (e4m3/e5m2), both bf16 or both
/// f16; products are exact and summed in fp32 (in the tensor core's order).
/// M, N >= 16 and K >= 16 (32 for fp8). Without acc, the sum starts at 0.
Value dot(const Value &a, const Value &b, const Value &acc, Where where = Where::current());
Value dot(const Value &a, const Value &b, Where where = Where::current());

/// A counted loop: for i = begin; i < end; i += step, carrying `initial`
/// values from one iteration to the next. `body(i, carried)` returns the
/// next carried values (same types); the loop returns the last ones.
using LoopBody = std::function<std::vector<Value>(const Value &index,
                                                  const std::vector<Value> &carried)>;
std::vector<Value> forRange(const Operand &begin, const Operand &end, const Operand &step,
                            const std::vector<Value> &initial, const LoopBody &body,
                            Where where = Where::current());

/// Options of a loop beyond its bounds.
struct LoopOptions {
  /// Iterations whose loads are in flight at once (Triton's num_stages): the
  /// compiler may start the loads of the next stages - 1 iterations while
  /// this one computes. 1 runs the body as written; 0 lets the compiler pick.
  int numStages = 0;
  /// Issue the loop's pipelined loads from a producer warpgroup of their own
  /// (warp specialization): the CTA gets 4 warps more than the kernel's, one
  /// thread of which copies each iteration's dot operands into shared memory
  /// (TMA) while the kernel's warps compute with most of the registers,
  /// synchronized per stage by mbarriers instead of CTA-wide syncs. Taken
  /// where every dot operand of the loop is copied by the TMA and wgmma
  /// computes (sm_90a), the kernel's warps are whole warpgroups, and the
  /// loop is the kernel's only one, at its top level; ignored elsewhere.
  bool warpSpecialize = false;
};
std::vector<Value> forRange(const Operand &begin, const Operand &end, const Operand &step,
                            const std::vector<Value> &initial, const LoopBody &body,
                            const LoopOptions &options, Where where = Where::current());

} // namespace tessel::dsl
