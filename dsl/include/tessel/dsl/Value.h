// Symbolic values of a kernel body: scalars and tiles of numbers or pointers.
//
// A kernel body is ordinary C++ run once per set of compile-time constants;
// every operation on a Value appends tile IR to the kernel being built. The
// shapes and dtypes are known as the body runs, so misuse is reported there,
// as a tessel::Error naming the source line, the operation and its operands.
#pragma once

#include "tessel/support/DType.h"

#include <cstdint>
#include <source_location>
#include <string>
#include <vector>

namespace tessel::dsl {

namespace detail {
class Trace;
}

/// The type of a Value: an element type (a number, or a pointer to numbers in
/// global memory) and a shape. A scalar has the empty shape; tile
/// dimensions are powers of two.
struct ValueType {
  DType dtype = DType::F32;  ///< the number, or what the pointer points to
  bool isPointer = false;
  std::vector<int64_t> shape;

  bool isScalar() const { return shape.empty(); }
  int rank() const { return int(shape.size()); }
  /// "f32", "ptr<bf16>", "tile<128x64xf32>", "tile<128xptr<bf16>>".
  std::string str() const;
  bool operator==(const ValueType &) const = default;
};

/// A scalar or tile in a kernel body. Cheap to copy; valid only while its
/// kernel is being built.
class Value {
public:
  Value() = default;

  const ValueType &type() const { return type_; }
  DType dtype() const { return type_.dtype; }
  bool isPointer() const { return type_.isPointer; }
  const std::vector<int64_t> &shape() const { return type_.shape; }
  int rank() const { return type_.rank(); }
  bool isScalar() const { return type_.isScalar(); }
  bool valid() const { return trace_ != nullptr; }

  /// Converts the elements to `dtype`: float <-> float with round to nearest
  /// even (to fp8: saturated to the finite range, as PTX cvt.rn.satfinite),
  /// int <-> float, int <-> int (sign-extending, truncating).
  Value to(DType dtype, std::source_location where = std::source_location::current()) const;
  /// Reinterprets the bits as `dtype` of the same width (f32 <-> i32, ...).
  Value bitcast(DType dtype, std::source_location where = std::source_location::current()) const;
  /// Inserts a dimension of extent 1 at `axis`.
  Value expandDims(int axis, std::source_location where = std::source_location::current()) const;
  /// Repeats the extent-1 dimensions (and a scalar) up to `shape`.
  Value broadcastTo(std::vector<int64_t> shape,
                    std::source_location where = std::source_location::current()) const;
  /// [n] -> [n, 1]: a column to broadcast along rows.
  Value col(std::source_location where = std::source_location::current()) const {
    return expandDims(1, where);
  }
  /// [n] -> [1, n]: a row to broadcast along columns.
  Value row(std::source_location where = std::source_location::current()) const {
    return expandDims(0, where);
  }
  /// [m, n] -> [n, m]: transpose(*this).
  Value T(std::source_location where = std::source_location::current()) const;

private:
  friend class detail::Trace;
  Value(detail::Trace *trace, uint64_t traceId, const void *handle, ValueType type)
      : trace_(trace), traceId_(traceId), handle_(handle), type_(std::move(type)) {}

  detail::Trace *trace_ = nullptr;
  /// Which build made the Value: a later build may reuse a finished trace's
  /// address, so trace_ alone cannot tell a stale Value from a live one.
  uint64_t traceId_ = 0;
  const void *handle_ = nullptr; ///< the IR value, opaque to users
  ValueType type_;
};

/// An operand of an overloaded operator: a Value or a C++ number, with the
/// source line of the expression (operators cannot take a
/// std::source_location parameter; a converting constructor can). A number
/// takes the dtype of the Value it meets (an integer literal with a float
/// tile becomes a float).
class Operand {
public:
  Operand(const Value &value, std::source_location where = std::source_location::current())
      : value_(value), where_(where) {}
  Operand(int number, std::source_location where = std::source_location::current())
      : kind_(Kind::Int), integer_(number), where_(where) {}
  Operand(int64_t number, std::source_location where = std::source_location::current())
      : kind_(Kind::Int), integer_(number), where_(where) {}
  Operand(float number, std::source_location where = std::source_location::current())
      : kind_(Kind::Float), real_(number), where_(where) {}
  Operand(double number, std::source_location where = std::source_location::current())
      : kind_(Kind::Float), real_(number), where_(where) {}

  enum class Kind { Value, Int, Float };
  Kind kind() const { return kind_; }
  const Value &value() const { return value_; }
  int64_t integer() const { return integer_; }
  double real() const { return real_; }
  const std::source_location &where() const { return where_; }

private:
  Kind kind_ = Kind::Value;
  Value value_;
  int64_t integer_ = 0;
  double real_ = 0;
  std::source_location where_;
};

// Elementwise arithmetic with numpy-style broadcasting: shapes are aligned
// at their last dimension and extent-1 dimensions (and scalars) repeat.
// Both operands must have the same dtype (convert with .to()); numbers adapt.
// `/` on floats is IEEE division rounded to nearest (PTX div.rn), on integers
// it truncates toward zero, as in C++. Pointer + integer offsets (in
// elements) gives pointers.
Value operator+(const Operand &a, const Operand &b);
Value operator-(const Operand &a, const Operand &b);
Value operator*(const Operand &a, const Operand &b);
Value operator/(const Operand &a, const Operand &b);
Value operator%(const Operand &a, const Operand &b);
Value operator-(const Operand &a);
// Comparisons give i1 tiles (masks); &, | and ^ combine masks and integers.
Value operator<(const Operand &a, const Operand &b);
Value operator<=(const Operand &a, const Operand &b);
Value operator>(const Operand &a, const Operand &b);
Value operator>=(const Operand &a, const Operand &b);
Value operator==(const Operand &a, const Operand &b);
Value operator!=(const Operand &a, const Operand &b);
Value operator&(const Operand &a, const Operand &b);
Value operator|(const Operand &a, const Operand &b);
Value operator^(const Operand &a, const Operand &b);
Value operator<<(const Operand &a, const Operand &b);
/// Logical (unsigned) shift right on integers.
Value operator>>(const Operand &a, const Operand &b);

} // namespace tessel::dsl
