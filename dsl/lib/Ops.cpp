// The DSL's operations: each checks its operands, reports misuse with the
// caller's source line, and records tile-dialect IR.
#include "Trace.h"

#include "tessel/Dialect/Tile/IR/Tile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <fmt/format.h>

#include <bit>

namespace tessel::dsl {

using detail::Trace;

namespace {

bool isPowerOfTwo(int64_t n) { return n > 0 && std::has_single_bit(uint64_t(n)); }

std::string shapeText(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

/// The per-op context every helper below needs.
struct OpContext {
  Trace &trace;
  std::string_view op;
  std::source_location where;

  OpContext(std::string_view op, const std::source_location &where)
      : trace(Trace::current(op, where)), op(op), where(where) {}

  mlir::OpBuilder &b() { return trace.builder(); }
  mlir::Location loc() { return trace.location(where); }
  [[noreturn]] void fail(const std::string &message) { trace.fail(where, op, message); }
  mlir::Value ir(const Value &value) { return trace.unwrap(value, op, where); }
  Value wrap(mlir::Value value) { return trace.wrap(value); }

  Value scalarConstant(DType dtype, double real, int64_t integer, bool isReal) {
    mlir::Type type = trace.elementType(dtype);
    mlir::TypedAttr attr;
    if (isFloat(dtype)) {
      if (isFloat8(dtype)) // fp8 constants are built in f32 and converted.
        return convert(scalarConstant(DType::F32, real, integer, isReal), dtype);
      attr = b().getFloatAttr(type, isReal ? real : double(integer));
    } else {
      if (isReal)
        fail(fmt::format("the floating-point number {} cannot be used as {}; convert the other "
                         "operand with .to(f32) or write an integer",
                         real, name(dtype)));
      attr = b().getIntegerAttr(type, dtype == DType::I1 ? (integer != 0) : integer);
    }
    return wrap(mlir::arith::ConstantOp::create(b(), loc(), attr));
  }

  /// A number operand becomes a scalar of `like`'s dtype (an i32 offset for
  /// pointers).
  Value materialize(const Operand &operand, const ValueType &like) {
    if (operand.kind() == Operand::Kind::Value) {
      ir(operand.value()); // validity check
      return operand.value();
    }
    DType dtype = like.isPointer ? DType::I32 : like.dtype;
    return scalarConstant(dtype, operand.real(), operand.integer(),
                          operand.kind() == Operand::Kind::Float);
  }

  std::vector<int64_t> broadcastShape(const std::vector<std::vector<int64_t>> &shapes) {
    size_t rank = 0;
    for (const auto &shape : shapes)
      rank = std::max(rank, shape.size());
    std::vector<int64_t> result(rank, 1);
    for (const auto &shape : shapes) {
      for (size_t i = 0; i < shape.size(); ++i) {
        int64_t &dim = result[rank - shape.size() + i];
        if (dim == 1)
          dim = shape[i];
        else if (shape[i] != 1 && shape[i] != dim) {
          std::vector<std::string> texts;
          for (const auto &s : shapes)
            texts.push_back(shapeText(s));
          fail(fmt::format("shapes {} do not broadcast (dimension {} differs)",
                           fmt::join(texts, " and "), i));
        }
      }
    }
    return result;
  }

  /// Splats, expands and broadcasts `value` to `shape`.
  Value broadcastTo(const Value &value, const std::vector<int64_t> &shape) {
    if (value.shape() == shape)
      return value;
    if (shape.empty())
      fail(fmt::format("cannot broadcast {} to a scalar", value.type().str()));
    mlir::Value current = ir(value);
    ValueType type = value.type();
    if (type.isScalar()) {
      type.shape = shape;
      return wrap(tile::SplatOp::create(b(), loc(), trace.irType(type), current));
    }
    if (type.shape.size() > shape.size())
      fail(fmt::format("cannot broadcast {} to the lower-rank shape {}", type.str(),
                       shapeText(shape)));
    while (type.shape.size() < shape.size()) {
      type.shape.insert(type.shape.begin(), 1);
      current = tile::ExpandDimsOp::create(b(), loc(), trace.irType(type), current,
                                           b().getI32IntegerAttr(0));
    }
    for (size_t i = 0; i < shape.size(); ++i)
      if (type.shape[i] != shape[i] && type.shape[i] != 1)
        fail(fmt::format("cannot broadcast {} to {}", value.type().str(), shapeText(shape)));
    if (type.shape != shape) {
      type.shape = shape;
      current = tile::BroadcastOp::create(b(), loc(), trace.irType(type), current);
    }
    return wrap(current);
  }

  /// Materializes numbers and broadcasts operands to a common shape.
  std::vector<Value> unify(std::initializer_list<const Operand *> operands) {
    const ValueType *like = nullptr;
    for (const Operand *operand : operands)
      if (operand->kind() == Operand::Kind::Value && !like)
        like = &operand->value().type();
    if (!like)
      fail("needs at least one tile or scalar Value; all operands are C++ numbers");
    ValueType reference = *like;
    std::vector<Value> values;
    std::vector<std::vector<int64_t>> shapes;
    for (const Operand *operand : operands) {
      values.push_back(materialize(*operand, reference));
      shapes.push_back(values.back().shape());
    }
    std::vector<int64_t> shape = broadcastShape(shapes);
    for (Value &value : values)
      value = broadcastTo(value, shape);
    return values;
  }

  void requireSameDType(const Value &a, const Value &b) {
    if (a.dtype() != b.dtype() || a.isPointer() != b.isPointer())
      fail(fmt::format("operand dtypes differ: {} and {}; convert one with .to()",
                       a.type().str(), b.type().str()));
  }
  void requireNumber(const Value &value) {
    if (value.isPointer())
      fail(fmt::format("operand is a pointer ({}); only + and - with integer offsets apply "
                       "to pointers",
                       value.type().str()));
  }

  Value convert(const Value &value, DType to);
};

Value OpContext::convert(const Value &value, DType to) {
  DType from = value.dtype();
  if (value.isPointer())
    fail(fmt::format("cannot convert pointers ({}) to {}", value.type().str(), name(to)));
  if (from == to)
    return value;
  ValueType resultType = value.type();
  resultType.dtype = to;
  mlir::Type type = trace.irType(resultType);
  mlir::Value x = ir(value);
  auto bits = [](DType d) { return byteSize(d) * 8 - (d == DType::I1 ? 7 : 0); };
  mlir::Value result;
  if (isFloat(from) && isFloat(to)) {
    if (isFloat8(to))
      result = tile::FpTruncSatOp::create(b(), loc(), type, x);
    else if (isFloat8(from) || bits(to) > bits(from))
      result = mlir::arith::ExtFOp::create(b(), loc(), type, x);
    else if (bits(to) < bits(from))
      result = mlir::arith::TruncFOp::create(b(), loc(), type, x);
    else // f16 <-> bf16: through f32, exactly representable there.
      return convert(convert(value, DType::F32), to);
  } else if (isInteger(from) && isFloat(to)) {
    if (isFloat8(to))
      return convert(convert(value, DType::F32), to);
    if (from == DType::I1)
      result = mlir::arith::UIToFPOp::create(b(), loc(), type, x);
    else
      result = mlir::arith::SIToFPOp::create(b(), loc(), type, x);
  } else if (isFloat(from) && isInteger(to)) {
    if (isFloat8(from))
      return convert(convert(value, DType::F32), to);
    if (to == DType::I1)
      return wrap(mlir::arith::CmpFOp::create(
          b(), loc(), mlir::arith::CmpFPredicate::UNE, x,
          ir(broadcastTo(scalarConstant(from, 0, 0, true), value.shape()))));
    result = mlir::arith::FPToSIOp::create(b(), loc(), type, x);
  } else {
    if (to == DType::I1)
      return wrap(mlir::arith::CmpIOp::create(
          b(), loc(), mlir::arith::CmpIPredicate::ne, x,
          ir(broadcastTo(scalarConstant(from, 0, 0, false), value.shape()))));
    if (bits(to) > bits(from))
      result = from == DType::I1 ? mlir::arith::ExtUIOp::create(b(), loc(), type, x).getResult()
                                 : mlir::arith::ExtSIOp::create(b(), loc(), type, x).getResult();
    else
      result = mlir::arith::TruncIOp::create(b(), loc(), type, x);
  }
  return wrap(result);
}

enum class Arith { Add, Sub, Mul, Div, Rem, And, Or, Xor, Shl, Shr, Min, Max };

Value arithmetic(Arith kind, std::string_view opName, const Operand &a, const Operand &b) {
  OpContext c(opName, a.kind() == Operand::Kind::Value ? a.where() : b.where());
  std::vector<Value> v = c.unify({&a, &b});
  mlir::Value x = c.ir(v[0]), y = c.ir(v[1]);
  mlir::OpBuilder &bld = c.b();
  mlir::Location loc = c.loc();

  // Pointer arithmetic: pointer +/- integer offsets, in elements.
  if (v[0].isPointer() || v[1].isPointer()) {
    bool ok = (kind == Arith::Add || kind == Arith::Sub) && v[0].isPointer() &&
              !v[1].isPointer() && isInteger(v[1].dtype()) && v[1].dtype() != DType::I1;
    if (kind == Arith::Add && !ok && v[1].isPointer() && !v[0].isPointer() &&
        isInteger(v[0].dtype()) && v[0].dtype() != DType::I1) {
      std::swap(v[0], v[1]);
      std::swap(x, y);
      ok = true;
    }
    if (!ok)
      c.fail(fmt::format("pointer arithmetic takes a pointer and i8/i32/i64 offsets, got {} "
                         "and {}",
                         v[0].type().str(), v[1].type().str()));
    if (kind == Arith::Sub) {
      mlir::Value zero = c.ir(c.broadcastTo(c.scalarConstant(v[1].dtype(), 0, 0, false),
                                            v[1].shape()));
      y = mlir::arith::SubIOp::create(bld, loc, zero, y);
    }
    return c.wrap(tile::AddPtrOp::create(bld, loc, x.getType(), x, y));
  }

  c.requireSameDType(v[0], v[1]);
  DType dtype = v[0].dtype();
  if (isFloat8(dtype))
    c.fail(fmt::format("arithmetic on {} is not supported: convert to f32 first with .to(f32)",
                       v[0].type().str()));
  bool fp = isFloat(dtype);
  bool bitwise = kind == Arith::And || kind == Arith::Or || kind == Arith::Xor ||
                 kind == Arith::Shl || kind == Arith::Shr;
  if (fp && bitwise)
    c.fail(fmt::format("bitwise operations need integer or i1 operands, got {}; use .bitcast() "
                       "to operate on the bits",
                       v[0].type().str()));
  if (dtype == DType::I1 && !bitwise)
    c.fail(fmt::format("arithmetic on masks (i1) is not defined; use &, | and ^, or convert "
                       "with .to(i32)"));
  switch (kind) {
  case Arith::Add:
    return c.wrap(fp ? mlir::arith::AddFOp::create(bld, loc, x, y).getResult()
                     : mlir::arith::AddIOp::create(bld, loc, x, y).getResult());
  case Arith::Sub:
    return c.wrap(fp ? mlir::arith::SubFOp::create(bld, loc, x, y).getResult()
                     : mlir::arith::SubIOp::create(bld, loc, x, y).getResult());
  case Arith::Mul:
    return c.wrap(fp ? mlir::arith::MulFOp::create(bld, loc, x, y).getResult()
                     : mlir::arith::MulIOp::create(bld, loc, x, y).getResult());
  case Arith::Div:
    return c.wrap(fp ? mlir::arith::DivFOp::create(bld, loc, x, y).getResult()
                     : mlir::arith::DivSIOp::create(bld, loc, x, y).getResult());
  case Arith::Rem:
    return c.wrap(fp ? mlir::arith::RemFOp::create(bld, loc, x, y).getResult()
                     : mlir::arith::RemSIOp::create(bld, loc, x, y).getResult());
  case Arith::Min:
    return c.wrap(fp ? mlir::arith::MinNumFOp::create(bld, loc, x, y).getResult()
                     : mlir::arith::MinSIOp::create(bld, loc, x, y).getResult());
  case Arith::Max:
    return c.wrap(fp ? mlir::arith::MaxNumFOp::create(bld, loc, x, y).getResult()
                     : mlir::arith::MaxSIOp::create(bld, loc, x, y).getResult());
  case Arith::And:
    return c.wrap(mlir::arith::AndIOp::create(bld, loc, x, y));
  case Arith::Or:
    return c.wrap(mlir::arith::OrIOp::create(bld, loc, x, y));
  case Arith::Xor:
    return c.wrap(mlir::arith::XOrIOp::create(bld, loc, x, y));
  case Arith::Shl:
    return c.wrap(mlir::arith::ShLIOp::create(bld, loc, x, y));
  case Arith::Shr:
    return c.wrap(mlir::arith::ShRUIOp::create(bld, loc, x, y));
  }
  return {};
}

enum class Compare { Lt, Le, Gt, Ge, Eq, Ne };

Value comparison(Compare kind, std::string_view opName, const Operand &a, const Operand &b) {
  OpContext c(opName, a.kind() == Operand::Kind::Value ? a.where() : b.where());
  std::vector<Value> v = c.unify({&a, &b});
  c.requireNumber(v[0]);
  c.requireNumber(v[1]);
  c.requireSameDType(v[0], v[1]);
  if (isFloat8(v[0].dtype()))
    c.fail("comparing fp8 values is not supported: convert to f32 first");
  mlir::Value x = c.ir(v[0]), y = c.ir(v[1]);
  if (isFloat(v[0].dtype())) {
    using P = mlir::arith::CmpFPredicate;
    // Ordered comparisons are false on NaN; != is true on NaN (as in C++).
    P predicate[] = {P::OLT, P::OLE, P::OGT, P::OGE, P::OEQ, P::UNE};
    return c.wrap(mlir::arith::CmpFOp::create(c.b(), c.loc(), predicate[int(kind)], x, y));
  }
  using P = mlir::arith::CmpIPredicate;
  P predicate[] = {P::slt, P::sle, P::sgt, P::sge, P::eq, P::ne};
  return c.wrap(mlir::arith::CmpIOp::create(c.b(), c.loc(), predicate[int(kind)], x, y));
}

template <typename FloatOp>
Value floatMath(std::string_view opName, const Operand &x, const std::source_location &where) {
  OpContext c(opName, where);
  Value v = c.unify({&x})[0];
  if (v.isPointer() || v.dtype() != DType::F32)
    c.fail(fmt::format("needs an f32 operand, got {}{}", v.type().str(),
                       isFloat(v.dtype()) && !v.isPointer() ? "; convert with .to(f32)" : ""));
  return c.wrap(FloatOp::create(c.b(), c.loc(), c.ir(v)));
}

Value reduce(tile::ReduceKind kind, std::string_view opName, const Value &x, int axis,
             const std::source_location &where) {
  OpContext c(opName, where);
  mlir::Value src = c.ir(x);
  c.requireNumber(x);
  if (x.isScalar())
    c.fail(fmt::format("reduces a tile along an axis, got the scalar {}", x.type().str()));
  if (axis < 0 || axis >= x.rank())
    c.fail(fmt::format("axis {} does not exist in {} (rank {})", axis, x.type().str(),
                       x.rank()));
  if (x.dtype() != DType::F32 && x.dtype() != DType::I32)
    c.fail(fmt::format("reductions take f32 or i32 tiles, got {}; convert with .to(f32)",
                       x.type().str()));
  ValueType resultType = x.type();
  resultType.shape.erase(resultType.shape.begin() + axis);
  return c.wrap(tile::ReduceOp::create(c.b(), c.loc(), c.trace.irType(resultType), kind, src,
                                       uint32_t(axis)));
}

std::source_location whereOf(const Operand &a, const Operand &b) {
  return a.kind() == Operand::Kind::Value ? a.where() : b.where();
}

} // namespace

//===----------------------------------------------------------------------===//
// Value members
//===----------------------------------------------------------------------===//

Value Value::to(DType dtype, std::source_location where) const {
  OpContext c("to", where);
  c.ir(*this);
  return c.convert(*this, dtype);
}

Value Value::bitcast(DType dtype, std::source_location where) const {
  OpContext c("bitcast", where);
  mlir::Value x = c.ir(*this);
  if (isPointer() || byteSize(dtype) != byteSize(this->dtype()) || dtype == DType::I1 ||
      this->dtype() == DType::I1)
    c.fail(fmt::format("cannot reinterpret {} as {}: bitcasts keep the width of numbers",
                       type_.str(), name(dtype)));
  ValueType resultType = type_;
  resultType.dtype = dtype;
  return c.wrap(mlir::arith::BitcastOp::create(c.b(), c.loc(), c.trace.irType(resultType), x));
}

Value Value::expandDims(int axis, std::source_location where) const {
  OpContext c("expandDims", where);
  mlir::Value x = c.ir(*this);
  if (isScalar())
    c.fail(fmt::format("needs a tile, got the scalar {}", type_.str()));
  if (axis < 0 || axis > rank())
    c.fail(fmt::format("axis {} is out of range for {} (0..{})", axis, type_.str(), rank()));
  ValueType resultType = type_;
  resultType.shape.insert(resultType.shape.begin() + axis, 1);
  return c.wrap(tile::ExpandDimsOp::create(c.b(), c.loc(), c.trace.irType(resultType), x,
                                           c.b().getI32IntegerAttr(axis)));
}

Value Value::broadcastTo(std::vector<int64_t> shape, std::source_location where) const {
  OpContext c("broadcastTo", where);
  for (int64_t dim : shape)
    if (!isPowerOfTwo(dim))
      c.fail(fmt::format("tile shape {} has a dimension that is not a power of two",
                         shapeText(shape)));
  return c.broadcastTo(*this, shape);
}

//===----------------------------------------------------------------------===//
// Operators
//===----------------------------------------------------------------------===//

Value operator+(const Operand &a, const Operand &b) { return arithmetic(Arith::Add, "+", a, b); }
Value operator-(const Operand &a, const Operand &b) { return arithmetic(Arith::Sub, "-", a, b); }
Value operator*(const Operand &a, const Operand &b) { return arithmetic(Arith::Mul, "*", a, b); }
Value operator/(const Operand &a, const Operand &b) { return arithmetic(Arith::Div, "/", a, b); }
Value operator%(const Operand &a, const Operand &b) { return arithmetic(Arith::Rem, "%", a, b); }
Value operator&(const Operand &a, const Operand &b) { return arithmetic(Arith::And, "&", a, b); }
Value operator|(const Operand &a, const Operand &b) { return arithmetic(Arith::Or, "|", a, b); }
Value operator^(const Operand &a, const Operand &b) { return arithmetic(Arith::Xor, "^", a, b); }
Value operator<<(const Operand &a, const Operand &b) {
  return arithmetic(Arith::Shl, "<<", a, b);
}
Value operator>>(const Operand &a, const Operand &b) {
  return arithmetic(Arith::Shr, ">>", a, b);
}
Value operator-(const Operand &a) {
  OpContext c("-", a.where());
  Value v = c.unify({&a})[0];
  c.requireNumber(v);
  if (isFloat(v.dtype()) && !isFloat8(v.dtype()))
    return c.wrap(mlir::arith::NegFOp::create(c.b(), c.loc(), c.ir(v)));
  return arithmetic(Arith::Sub, "-", Operand(0, a.where()), a);
}
Value operator<(const Operand &a, const Operand &b) { return comparison(Compare::Lt, "<", a, b); }
Value operator<=(const Operand &a, const Operand &b) {
  return comparison(Compare::Le, "<=", a, b);
}
Value operator>(const Operand &a, const Operand &b) { return comparison(Compare::Gt, ">", a, b); }
Value operator>=(const Operand &a, const Operand &b) {
  return comparison(Compare::Ge, ">=", a, b);
}
Value operator==(const Operand &a, const Operand &b) {
  return comparison(Compare::Eq, "==", a, b);
}
Value operator!=(const Operand &a, const Operand &b) {
  return comparison(Compare::Ne, "!=", a, b);
}

//===----------------------------------------------------------------------===//
// Program coordinates and tile construction
//===----------------------------------------------------------------------===//

Value programId(int axis, Where where) {
  OpContext c("programId", where);
  if (axis < 0 || axis > 2)
    c.fail(fmt::format("grid axis {} does not exist (0, 1 or 2)", axis));
  return c.wrap(tile::ProgramIdOp::create(c.b(), c.loc(), c.b().getI32Type(), uint32_t(axis)));
}

Value numPrograms(int axis, Where where) {
  OpContext c("numPrograms", where);
  if (axis < 0 || axis > 2)
    c.fail(fmt::format("grid axis {} does not exist (0, 1 or 2)", axis));
  return c.wrap(tile::NumProgramsOp::create(c.b(), c.loc(), c.b().getI32Type(), uint32_t(axis)));
}

Value arange(int64_t start, int64_t end, Where where) {
  OpContext c("arange", where);
  if (!isPowerOfTwo(end - start))
    c.fail(fmt::format("arange({}, {}) has {} elements; tile extents must be powers of two",
                       start, end, end - start));
  if (start < INT32_MIN || end > INT32_MAX)
    c.fail(fmt::format("arange({}, {}) exceeds the i32 range", start, end));
  auto type = mlir::RankedTensorType::get({end - start}, c.b().getI32Type());
  return c.wrap(tile::MakeRangeOp::create(c.b(), c.loc(), type, uint32_t(start), uint32_t(end)));
}

Value full(std::vector<int64_t> shape, double value, DType dtype, Where where) {
  OpContext c("full", where);
  for (int64_t dim : shape)
    if (!isPowerOfTwo(dim))
      c.fail(fmt::format("tile shape {} has a dimension that is not a power of two",
                         shapeText(shape)));
  Value scalar = c.scalarConstant(dtype, value, int64_t(value), isFloat(dtype));
  return shape.empty() ? scalar : c.broadcastTo(scalar, shape);
}

Value zeros(std::vector<int64_t> shape, DType dtype, Where where) {
  return full(std::move(shape), 0.0, dtype, where);
}

Value constant(double value, DType dtype, Where where) { return full({}, value, dtype, where); }

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

namespace {

Value loadImpl(const Value &ptr, const Operand *mask, const Operand *other,
               const std::source_location &where) {
  OpContext c("load", where);
  c.ir(ptr);
  if (!ptr.isPointer())
    c.fail(fmt::format("loads through pointers, got {}", ptr.type().str()));
  ValueType valueType = ptr.type();
  valueType.isPointer = false;
  mlir::Value maskValue, otherValue;
  if (mask) {
    Value m = c.broadcastTo(c.materialize(*mask, {DType::I1, false, {}}), ptr.shape());
    if (m.dtype() != DType::I1 || m.isPointer())
      c.fail(fmt::format("mask must be i1 (a comparison), got {}", m.type().str()));
    maskValue = c.ir(m);
  }
  if (other) {
    Value o = c.broadcastTo(c.materialize(*other, valueType), ptr.shape());
    if (o.dtype() != valueType.dtype || o.isPointer())
      c.fail(fmt::format("other has dtype {} but the pointers load {}", o.type().str(),
                         name(valueType.dtype)));
    otherValue = c.ir(o);
  }
  return c.wrap(tile::LoadOp::create(c.b(), c.loc(), c.trace.irType(valueType), c.ir(ptr),
                                     maskValue, otherValue));
}

void storeImpl(const Value &ptr, const Operand &value, const Operand *mask,
               const std::source_location &where) {
  OpContext c("store", where);
  c.ir(ptr);
  if (!ptr.isPointer())
    c.fail(fmt::format("stores through pointers, got {}", ptr.type().str()));
  ValueType valueType = ptr.type();
  valueType.isPointer = false;
  Value v = c.materialize(value, valueType);
  if (v.isPointer() || v.dtype() != valueType.dtype)
    c.fail(fmt::format("value has dtype {} but the pointers hold {}; convert with .to({})",
                       v.type().str(), name(valueType.dtype), name(valueType.dtype)));
  if (v.rank() > ptr.rank() || (!v.isScalar() && v.shape() != ptr.shape() &&
                                c.broadcastShape({v.shape(), ptr.shape()}) != ptr.shape()))
    c.fail(fmt::format("value {} does not match the pointer tile {}", v.type().str(),
                       ptr.type().str()));
  v = c.broadcastTo(v, ptr.shape());
  mlir::Value maskValue;
  if (mask) {
    Value m = c.broadcastTo(c.materialize(*mask, {DType::I1, false, {}}), ptr.shape());
    if (m.dtype() != DType::I1 || m.isPointer())
      c.fail(fmt::format("mask must be i1 (a comparison), got {}", m.type().str()));
    maskValue = c.ir(m);
  }
  tile::StoreOp::create(c.b(), c.loc(), c.ir(ptr), c.ir(v), maskValue);
}

} // namespace

Value load(const Value &ptr, Where where) { return loadImpl(ptr, nullptr, nullptr, where); }
Value load(const Value &ptr, const Operand &mask, Where where) {
  return loadImpl(ptr, &mask, nullptr, where);
}
Value load(const Value &ptr, const Operand &mask, const Operand &other, Where where) {
  return loadImpl(ptr, &mask, &other, where);
}
void store(const Value &ptr, const Operand &value, Where where) {
  storeImpl(ptr, value, nullptr, where);
}
void store(const Value &ptr, const Operand &value, const Operand &mask, Where where) {
  storeImpl(ptr, value, &mask, where);
}

//===----------------------------------------------------------------------===//
// Tensor descriptors
//===----------------------------------------------------------------------===//

namespace {

/// Entry `index` of `list` (the shape, strides or indices of a descriptor)
/// as an i32 scalar: a Value that is one, or an integer made a constant.
mlir::Value i32Entry(OpContext &c, const Operand &entry, std::string_view list, size_t index) {
  switch (entry.kind()) {
  case Operand::Kind::Float:
    c.fail(fmt::format("{}[{}] is the floating-point number {}; it must be an i32 value or an "
                       "integer",
                       list, index, entry.real()));
  case Operand::Kind::Int:
    if (entry.integer() < INT32_MIN || entry.integer() > INT32_MAX)
      c.fail(fmt::format("{}[{}] = {} exceeds the i32 range", list, index, entry.integer()));
    return c.ir(c.scalarConstant(DType::I32, 0, entry.integer(), false));
  case Operand::Kind::Value:
    break;
  }
  const Value &value = entry.value();
  mlir::Value ir = c.ir(value);
  if (!value.isScalar() || value.isPointer() || value.dtype() != DType::I32) {
    bool otherInteger = value.isScalar() && !value.isPointer() && isInteger(value.dtype());
    c.fail(fmt::format("{}[{}] is {}; it must be an i32 scalar{}", list, index, value.type().str(),
                       otherInteger ? "; convert with .to(i32)" : ""));
  }
  return ir;
}

} // namespace

std::string TensorDescriptor::str() const {
  return fmt::format("tensordesc<{}x{}>", fmt::join(blockShape_, "x"), name(dtype_));
}

TensorDescriptor tensorDescriptor(const Value &base, const std::vector<Operand> &shape,
                                  const std::vector<Operand> &strides,
                                  std::vector<int64_t> blockShape, Where where) {
  OpContext c("tensorDescriptor", where);
  mlir::Value baseIr = c.ir(base);
  if (!base.isPointer() || !base.isScalar())
    c.fail(fmt::format("base must be one pointer (a kernel's pointer parameter, possibly "
                       "offset), got {}",
                       base.type().str()));
  if (base.dtype() == DType::I1)
    c.fail(fmt::format("descriptors hold numbers; base is {}", base.type().str()));
  // The limits of tile.tensordesc (and of a TMA tensor map).
  if (blockShape.empty() || blockShape.size() > 5)
    c.fail(fmt::format("block shape {} has rank {}; descriptor blocks have rank 1 to 5",
                       shapeText(blockShape), blockShape.size()));
  for (int64_t dim : blockShape)
    if (!isPowerOfTwo(dim))
      c.fail(fmt::format("block shape {} has a dimension that is not a power of two",
                         shapeText(blockShape)));
  if (shape.size() != blockShape.size() || strides.size() != blockShape.size())
    c.fail(fmt::format("a block of rank {} needs {} shape and {} stride entries, got {} and {}",
                       blockShape.size(), blockShape.size(), blockShape.size(), shape.size(),
                       strides.size()));
  std::vector<mlir::Value> shapeIr, strideIr;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d].kind() == Operand::Kind::Int && shape[d].integer() < 0)
      c.fail(fmt::format("shape[{}] is {}; extents are not negative", d, shape[d].integer()));
    shapeIr.push_back(i32Entry(c, shape[d], "shape", d));
  }
  for (size_t d = 0; d < strides.size(); ++d)
    strideIr.push_back(i32Entry(c, strides[d], "strides", d));
  auto blockType =
      mlir::cast<mlir::RankedTensorType>(c.trace.irType({base.dtype(), false, blockShape}));
  return c.trace.wrapDescriptor(tile::MakeTensorDescriptorOp::create(
      c.b(), c.loc(), tile::TensorDescType::get(blockType), baseIr, shapeIr, strideIr));
}

Value TensorDescriptor::load(const std::vector<Operand> &indices, Where where) const {
  OpContext c("TensorDescriptor::load", where);
  mlir::Value descriptor = c.trace.unwrap(*this, c.op, where);
  if (indices.size() != blockShape_.size())
    c.fail(
        fmt::format("the {} needs {} indices, got {}", str(), blockShape_.size(), indices.size()));
  std::vector<mlir::Value> indexIr;
  for (size_t d = 0; d < indices.size(); ++d)
    indexIr.push_back(i32Entry(c, indices[d], "indices", d));
  mlir::Type resultType = c.trace.irType({dtype_, false, blockShape_});
  return c.wrap(tile::DescriptorLoadOp::create(c.b(), c.loc(), resultType, descriptor, indexIr));
}

//===----------------------------------------------------------------------===//
// Math
//===----------------------------------------------------------------------===//

Value abs(const Operand &x, Where where) {
  OpContext c("abs", where);
  Value v = c.unify({&x})[0];
  c.requireNumber(v);
  if (isFloat(v.dtype())) {
    if (isFloat8(v.dtype()))
      c.fail("abs of fp8 values: convert to f32 first");
    return c.wrap(mlir::math::AbsFOp::create(c.b(), c.loc(), c.ir(v)));
  }
  return dsl::where(v < 0, -v, v, where);
}

Value minimum(const Operand &a, const Operand &b, Where where) {
  return arithmetic(Arith::Min, "minimum", a, b);
}
Value maximum(const Operand &a, const Operand &b, Where where) {
  return arithmetic(Arith::Max, "maximum", a, b);
}
Value exp(const Operand &x, Where where) { return floatMath<mlir::math::ExpOp>("exp", x, where); }
Value exp2(const Operand &x, Where where) {
  return floatMath<mlir::math::Exp2Op>("exp2", x, where);
}
Value log(const Operand &x, Where where) { return floatMath<mlir::math::LogOp>("log", x, where); }
Value sqrt(const Operand &x, Where where) {
  return floatMath<mlir::math::SqrtOp>("sqrt", x, where);
}
Value rsqrt(const Operand &x, Where where) {
  return floatMath<mlir::math::RsqrtOp>("rsqrt", x, where);
}

Value fma(const Operand &a, const Operand &b, const Operand &c3, Where where) {
  OpContext c("fma", where);
  std::vector<Value> v = c.unify({&a, &b, &c3});
  for (const Value &operand : v)
    if (operand.isPointer() || operand.dtype() != DType::F32)
      c.fail(fmt::format("needs f32 operands, got {}", operand.type().str()));
  return c.wrap(mlir::math::FmaOp::create(c.b(), c.loc(), c.ir(v[0]), c.ir(v[1]), c.ir(v[2])));
}

Value where(const Operand &condition, const Operand &a, const Operand &b, Where where) {
  OpContext c("where", where);
  // Numbers take the dtype of the value operand among a and b.
  std::vector<Value> ab = c.unify({&a, &b});
  c.requireSameDType(ab[0], ab[1]);
  Value cond = c.materialize(condition, {DType::I1, false, {}});
  if (cond.dtype() != DType::I1 || cond.isPointer())
    c.fail(fmt::format("condition must be i1 (a comparison), got {}", cond.type().str()));
  std::vector<int64_t> shape = c.broadcastShape({cond.shape(), ab[0].shape()});
  return c.wrap(mlir::arith::SelectOp::create(c.b(), c.loc(), c.ir(c.broadcastTo(cond, shape)),
                                              c.ir(c.broadcastTo(ab[0], shape)),
                                              c.ir(c.broadcastTo(ab[1], shape))));
}

Value cdiv(const Operand &a, const Operand &b, Where where) {
  OpContext c("cdiv", where);
  std::vector<Value> v = c.unify({&a, &b});
  // Checked here in full: an error from the operations below would name this
  // file instead of the caller's line.
  for (const Value &operand : v)
    if (!isInteger(operand.dtype()) || operand.dtype() == DType::I1 || operand.isPointer())
      c.fail(fmt::format("needs i8, i32 or i64 integers, got {}", operand.type().str()));
  c.requireSameDType(v[0], v[1]);
  return (v[0] + v[1] - Operand(1, where)) / v[1];
}

Value max(const Value &x, int axis, Where where) {
  return reduce(tile::ReduceKind::Max, "max", x, axis, where);
}
Value min(const Value &x, int axis, Where where) {
  return reduce(tile::ReduceKind::Min, "min", x, axis, where);
}
Value sum(const Value &x, int axis, Where where) {
  return reduce(tile::ReduceKind::Sum, "sum", x, axis, where);
}

//===----------------------------------------------------------------------===//
// Transposition and matrix multiplication
//===----------------------------------------------------------------------===//

Value transpose(const Value &x, Where where) {
  OpContext c("transpose", where);
  mlir::Value src = c.ir(x);
  if (x.rank() != 2)
    c.fail(fmt::format("transposes 2-D tiles, got {}", x.type().str()));
  ValueType resultType = x.type();
  std::swap(resultType.shape[0], resultType.shape[1]);
  return c.wrap(tile::TransposeOp::create(c.b(), c.loc(), c.trace.irType(resultType), src));
}

Value Value::T(std::source_location where) const { return transpose(*this, where); }

Value dot(const Value &a, const Value &b, const Value &acc, Where where) {
  OpContext c("dot", where);
  for (const Value *operand : {&a, &b, &acc}) {
    c.ir(*operand); // a stale or foreign Value is reported first
    if (operand->isPointer() || operand->rank() != 2)
      c.fail(fmt::format("operands are 2-D tiles of numbers; got a {}, b {}, acc {}",
                         a.type().str(), b.type().str(), acc.type().str()));
  }
  auto tileType = [&](const Value &v) {
    return mlir::cast<mlir::RankedTensorType>(c.trace.irType(v.type()));
  };
  std::string problem = tile::diagnoseDot(tileType(a), tileType(b), tileType(acc));
  if (!problem.empty())
    c.fail(fmt::format("{} (a {}, b {}, acc {})", problem, a.type().str(), b.type().str(),
                       acc.type().str()));
  return c.wrap(tile::DotOp::create(c.b(), c.loc(), c.ir(a), c.ir(b), c.ir(acc)));
}

Value dot(const Value &a, const Value &b, Where where) {
  if (a.valid() && b.valid() && a.rank() == 2 && b.rank() == 2 && !a.isPointer() &&
      !b.isPointer())
    return dot(a, b, zeros({a.shape()[0], b.shape()[1]}, DType::F32, where), where);
  // Let the full form report the misuse.
  return dot(a, b, Value(), where);
}

//===----------------------------------------------------------------------===//
// Loops
//===----------------------------------------------------------------------===//

std::vector<Value> forRange(const Operand &begin, const Operand &end, const Operand &step,
                            const std::vector<Value> &initial, const LoopBody &body,
                            Where where) {
  return forRange(begin, end, step, initial, body, LoopOptions{}, where);
}

std::vector<Value> forRange(const Operand &begin, const Operand &end, const Operand &step,
                            const std::vector<Value> &initial, const LoopBody &body,
                            const LoopOptions &options, Where where) {
  OpContext c("forRange", where);
  if (options.numStages < 0 || options.numStages > 8)
    c.fail(fmt::format("numStages must be in [0, 8], got {}", options.numStages));
  ValueType i32{DType::I32, false, {}};
  Value bounds[] = {c.materialize(begin, i32), c.materialize(end, i32),
                    c.materialize(step, i32)};
  for (const Value &bound : bounds)
    if (!bound.isScalar() || bound.isPointer() || bound.dtype() != DType::I32)
      c.fail(fmt::format("loop bounds and step are i32 scalars, got {}", bound.type().str()));
  std::vector<mlir::Value> inits;
  for (const Value &value : initial)
    inits.push_back(c.ir(value));
  auto loop = mlir::scf::ForOp::create(c.b(), c.loc(), c.ir(bounds[0]), c.ir(bounds[1]),
                                       c.ir(bounds[2]), inits);
  if (options.numStages > 0)
    loop->setAttr(tile::kNumStagesAttrName, c.b().getI32IntegerAttr(options.numStages));
  if (options.warpSpecialize)
    loop->setAttr(tile::kWarpSpecializeAttrName, c.b().getUnitAttr());
  {
    mlir::OpBuilder::InsertionGuard guard(c.b());
    mlir::Block *block = loop.getBody();
    c.b().setInsertionPointToStart(block);
    std::vector<Value> carried;
    for (mlir::Value arg : loop.getRegionIterArgs())
      carried.push_back(c.wrap(arg));
    std::vector<Value> next = body(c.wrap(loop.getInductionVar()), carried);
    if (next.size() != initial.size())
      c.fail(fmt::format("the body returned {} values for {} carried values", next.size(),
                         initial.size()));
    std::vector<mlir::Value> yielded;
    for (size_t i = 0; i < next.size(); ++i) {
      if (next[i].type() != initial[i].type())
        c.fail(fmt::format("carried value {} enters the loop as {} but the body returns {}",
                           i, initial[i].type().str(), next[i].type().str()));
      yielded.push_back(c.ir(next[i]));
    }
    // scf.for's builder adds an empty yield when there are no carried values.
    if (!block->empty() && mlir::isa<mlir::scf::YieldOp>(block->back()))
      block->back().erase();
    c.b().setInsertionPointToEnd(block);
    mlir::scf::YieldOp::create(c.b(), c.loc(), yielded);
  }
  std::vector<Value> results;
  for (mlir::Value result : loop.getResults())
    results.push_back(c.wrap(result));
  return results;
}

} // namespace tessel::dsl
