// fp8 conversions.
//
// Narrowing follows PTX `cvt.rn.satfinite.{e4m3,e5m2}x2.f32` (PTX ISA,
// "cvt"): round to nearest, ties to even; finite magnitudes beyond the
// largest finite fp8 value and infinities saturate to it with their sign;
// NaN becomes the canonical NaN 0x7F (sign dropped). On sm_89 and later the
// instruction itself is used; before, the same rules are computed on the f32
// bits with integer operations, so that A100s produce identical bytes.
//
// Widening is exact and done on the bits everywhere: it involves no rounding.
#include "Lowering.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;

namespace tessel::lowering {
namespace {

struct Fp8Format {
  unsigned mantissaBits;  // 3 (e4m3) or 2 (e5m2)
  int exponentBias;       // 7 or 15
  uint32_t maxFiniteF32;  // bits of 448.0f or 57344.0f
  uint8_t maxFiniteByte;  // 0x7E or 0x7B
  int minNormalExponent;  // -6 or -14 (unbiased)
};

Fp8Format formatOf(Type fp8Type) {
  if (isa<Float8E4M3FNType>(fp8Type))
    return {3, 7, 0x43E00000u, 0x7E, -6};
  return {2, 15, 0x47600000u, 0x7B, -14};
}

Value i32c(OpBuilder &b, Location loc, int64_t v) { return i32Constant(b, loc, v); }

/// The integer emulation of cvt.rn.satfinite for one f32 value.
Value emulateTruncate(OpBuilder &b, Location loc, Value x, const Fp8Format &fmt) {
  Type i32 = b.getI32Type(), i8 = b.getIntegerType(8);
  Value bits = b.create<LLVM::BitcastOp>(loc, i32, x);
  Value sign = b.create<LLVM::AndOp>(
      loc, b.create<LLVM::LShrOp>(loc, bits, i32c(b, loc, 24)), i32c(b, loc, 0x80));
  Value magnitude = b.create<LLVM::AndOp>(loc, bits, i32c(b, loc, 0x7FFFFFFF));

  // Normal range: round the 23-bit mantissa to `mantissaBits`, ties to even,
  // by adding half an ulp minus one plus the lowest kept bit, then truncating.
  unsigned dropped = 23 - fmt.mantissaBits;
  Value lowestKept = b.create<LLVM::AndOp>(
      loc, b.create<LLVM::LShrOp>(loc, magnitude, i32c(b, loc, dropped)), i32c(b, loc, 1));
  Value rounded = b.create<LLVM::AddOp>(
      loc, b.create<LLVM::AddOp>(loc, magnitude, i32c(b, loc, (1 << (dropped - 1)) - 1)),
      lowestKept);
  rounded = b.create<LLVM::AndOp>(loc, rounded, i32c(b, loc, ~((1 << dropped) - 1)));
  // Rebias the exponent: f32 bias 127 -> fp8 bias.
  Value normal = b.create<LLVM::SubOp>(
      loc, b.create<LLVM::LShrOp>(loc, rounded, i32c(b, loc, dropped)),
      i32c(b, loc, (127 - fmt.exponentBias) << fmt.mantissaBits));
  Value overflow =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ugt, rounded, i32c(b, loc, fmt.maxFiniteF32));
  normal = b.create<LLVM::SelectOp>(loc, overflow, i32c(b, loc, fmt.maxFiniteByte), normal);

  // Subnormal range (below the smallest normal): the result is
  // round-half-even(|x| / smallest subnormal), computed exactly in f32 since
  // scaling by a power of two is exact and roundeven is cvt.rni.
  int subnormalShift = -(fmt.minNormalExponent - int(fmt.mantissaBits)); // 9 or 16
  Value absX = b.create<LLVM::BitcastOp>(loc, b.getF32Type(), magnitude);
  Value scaled = b.create<LLVM::FMulOp>(
      loc, absX,
      b.create<LLVM::ConstantOp>(loc, b.getF32Type(),
                                 b.getF32FloatAttr(std::ldexp(1.0f, subnormalShift))));
  Value subnormal = b.create<LLVM::FPToUIOp>(loc, i32, b.create<LLVM::RoundEvenOp>(loc, scaled));
  uint32_t minNormalF32 = uint32_t(fmt.minNormalExponent + 127) << 23;
  Value isSubnormal =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ult, magnitude, i32c(b, loc, minNormalF32));
  Value result = b.create<LLVM::SelectOp>(loc, isSubnormal, subnormal, normal);
  result = b.create<LLVM::OrOp>(loc, result, sign);

  Value isNaN =
      b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ugt, magnitude, i32c(b, loc, 0x7F800000));
  result = b.create<LLVM::SelectOp>(loc, isNaN, i32c(b, loc, 0x7F), result);
  return b.create<LLVM::TruncOp>(loc, i8, result);
}

} // namespace

SmallVector<Value> truncateToFp8(OpBuilder &b, Location loc, ValueRange values, Type fp8Type,
                                 const LoweringContext &ctx) {
  SmallVector<Value> result;
  if (ctx.computeCapability < 89) {
    Fp8Format fmt = formatOf(fp8Type);
    for (Value value : values)
      result.push_back(emulateTruncate(b, loc, value, fmt));
    return result;
  }
  // cvt.rn.satfinite converts pairs; an odd tail pairs with itself.
  Type i8 = b.getIntegerType(8);
  auto pairType = VectorType::get({2}, i8);
  for (size_t i = 0; i < values.size(); i += 2) {
    Value lo = values[i], hi = i + 1 < values.size() ? values[i + 1] : values[i];
    // The op packs its first operand into the high byte: element 1.
    Value pair = b.create<NVVM::ConvertF32x2ToF8x2Op>(
        loc, pairType, hi, lo, NVVM::FPRoundingMode::RN, NVVM::SaturationMode::SATFINITE,
        /*relu=*/false, fp8Type);
    result.push_back(b.create<LLVM::ExtractElementOp>(loc, pair, i32Constant(b, loc, 0)));
    if (i + 1 < values.size())
      result.push_back(b.create<LLVM::ExtractElementOp>(loc, pair, i32Constant(b, loc, 1)));
  }
  return result;
}

namespace {

/// One fp8 value widened exactly with integer and one multiplication, for
/// targets without fp8 conversions: the 7 magnitude bits placed at the top
/// of an f32's exponent/mantissa read as 2^(e - 127) * 1.m (or the f32
/// subnormal 0.m * 2^-126); multiplying by 2^(127 - bias) rebiases exactly,
/// subnormal fp8 values included. Specials are then selected on the bits.
Value widenFp8WithIntegers(OpBuilder &b, Location loc, Value storage, Type fp8Type) {
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  Fp8Format fmt = formatOf(fp8Type);
  Value byte = b.create<LLVM::ZExtOp>(loc, i32, storage);
  Value sign = b.create<LLVM::ShlOp>(
      loc, b.create<LLVM::AndOp>(loc, byte, i32c(b, loc, 0x80)), i32c(b, loc, 24));
  Value magnitude = b.create<LLVM::AndOp>(loc, byte, i32c(b, loc, 0x7F));
  Value placed = b.create<LLVM::BitcastOp>(
      loc, f32, b.create<LLVM::ShlOp>(loc, magnitude, i32c(b, loc, 23 - fmt.mantissaBits)));
  float rebias = std::ldexp(1.0f, 127 - fmt.exponentBias);
  Value value = b.create<LLVM::FMulOp>(
      loc, placed, b.create<LLVM::ConstantOp>(loc, f32, b.getF32FloatAttr(rebias)));

  // Specials: e4m3fn has only NaN (0x7F); e5m2 has Inf (0x7C) and NaN (> 0x7C).
  Value nan = b.create<LLVM::ConstantOp>(loc, f32, b.getF32FloatAttr(std::nanf("")));
  if (isa<Float8E4M3FNType>(fp8Type)) {
    Value isNaN =
        b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, magnitude, i32c(b, loc, 0x7F));
    value = b.create<LLVM::SelectOp>(loc, isNaN, nan, value);
  } else {
    Value inf = b.create<LLVM::ConstantOp>(loc, f32, b.getF32FloatAttr(INFINITY));
    Value isInf =
        b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq, magnitude, i32c(b, loc, 0x7C));
    Value isNaN =
        b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ugt, magnitude, i32c(b, loc, 0x7C));
    value = b.create<LLVM::SelectOp>(loc, isInf, inf, value);
    value = b.create<LLVM::SelectOp>(loc, isNaN, nan, value);
  }
  // The sign goes on the bits, so that -0 and negative NaN keep it.
  Value bits = b.create<LLVM::OrOp>(loc, b.create<LLVM::BitcastOp>(loc, i32, value), sign);
  return b.create<LLVM::BitcastOp>(loc, f32, bits);
}

} // namespace

SmallVector<Value> extendFp8ToF32(OpBuilder &b, Location loc, ValueRange storage, Type fp8Type,
                                  const LoweringContext &ctx) {
  SmallVector<Value> result;
  if (ctx.computeCapability < 89) {
    for (Value byte : storage)
      result.push_back(widenFp8WithIntegers(b, loc, byte, fp8Type));
    return result;
  }
  // sm_89+: cvt.rn.f16x2.{e4m3x2,e5m2x2} widens two values at once, exactly
  // (every fp8 value is an f16 value); f16 -> f32 is exact too.
  Type i8 = b.getI8Type();
  auto pairType = VectorType::get({2}, i8);
  auto halfPairType = VectorType::get({2}, b.getF16Type());
  for (size_t i = 0; i < storage.size(); i += 2) {
    Value pair = b.create<LLVM::UndefOp>(loc, pairType);
    Value second = i + 1 < storage.size() ? storage[i + 1]
                                          : b.create<LLVM::ConstantOp>(loc, i8, b.getI8IntegerAttr(0)).getResult();
    pair = b.create<LLVM::InsertElementOp>(loc, pair, storage[i], i32Constant(b, loc, 0));
    pair = b.create<LLVM::InsertElementOp>(loc, pair, second, i32Constant(b, loc, 1));
    Value halves = b.create<NVVM::ConvertF8x2ToF16x2Op>(loc, halfPairType, pair,
                                                        /*relu=*/false, fp8Type);
    for (int j = 0; j < 2 && i + j < storage.size(); ++j)
      result.push_back(b.create<LLVM::FPExtOp>(
          loc, b.getF32Type(),
          b.create<LLVM::ExtractElementOp>(loc, halves, i32Constant(b, loc, j))));
  }
  return result;
}

} // namespace tessel::lowering
