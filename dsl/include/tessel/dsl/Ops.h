// The operations of a kernel body besides operators (Value.h): program
// coordinates, tile construction, memory, math, reductions and loops.
// Each takes the caller's source line for its error messages.
#pragma once

#include "tessel/dsl/Value.h"

#include <functional>
#include <optional>

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
};
std::vector<Value> forRange(const Operand &begin, const Operand &end, const Operand &step,
                            const std::vector<Value> &initial, const LoopBody &body,
                            const LoopOptions &options, Where where = Where::current());

} // namespace tessel::dsl
