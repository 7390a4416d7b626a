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
  Value bits = LLVM::BitcastOp::create(b, loc, i32, x);
  Value sign = LLVM::AndOp::create(b, loc, LLVM::LShrOp::create(b, loc, bits, i32c(b, loc, 24)),
                                   i32c(b, loc, 0x80));
  Value magnitude = LLVM::AndOp::create(b, loc, bits, i32c(b, loc, 0x7FFFFFFF));

  // Normal range: round the 23-bit mantissa to `mantissaBits`, ties to even,
  // by adding half an ulp minus one plus the lowest kept bit, then truncating.
  unsigned dropped = 23 - fmt.mantissaBits;
  Value lowestKept = LLVM::AndOp::create(
      b, loc, LLVM::LShrOp::create(b, loc, magnitude, i32c(b, loc, dropped)), i32c(b, loc, 1));
  Value rounded = LLVM::AddOp::create(
      b, loc, LLVM::AddOp::create(b, loc, magnitude, i32c(b, loc, (1 << (dropped - 1)) - 1)),
      lowestKept);
  rounded = LLVM::AndOp::create(b, loc, rounded, i32c(b, loc, ~((1 << dropped) - 1)));
  // Rebias the exponent: f32 bias 127 -> fp8 bias.
  Value normal =
      LLVM::SubOp::create(b, loc, LLVM::LShrOp::create(b, loc, rounded, i32c(b, loc, dropped)),
                          i32c(b, loc, (127 - fmt.exponentBias) << fmt.mantissaBits));
  Value overflow = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ugt, rounded,
                                        i32c(b, loc, fmt.maxFiniteF32));
  normal = LLVM::SelectOp::create(b, loc, overflow, i32c(b, loc, fmt.maxFiniteByte), normal);

  // Subnormal range (below the smallest normal): the result is
  // round-half-even(|x| / smallest subnormal), computed exactly in f32 since
  // scaling by a power of two is exact and roundeven is cvt.rni.
  int subnormalShift = -(fmt.minNormalExponent - int(fmt.mantissaBits)); // 9 or 16
  Value absX = LLVM::BitcastOp::create(b, loc, b.getF32Type(), magnitude);
  Value scaled = LLVM::FMulOp::create(
      b, loc, absX,
      LLVM::ConstantOp::create(b, loc, b.getF32Type(),
                               b.getF32FloatAttr(std::ldexp(1.0f, subnormalShift))));
  Value subnormal = LLVM::FPToUIOp::create(b, loc, i32, LLVM::RoundEvenOp::create(b, loc, scaled));
  uint32_t minNormalF32 = uint32_t(fmt.minNormalExponent + 127) << 23;
  Value isSubnormal =
      LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ult, magnitude, i32c(b, loc, minNormalF32));
  Value result = LLVM::SelectOp::create(b, loc, isSubnormal, subnormal, normal);
  result = LLVM::OrOp::create(b, loc, result, sign);

  Value isNaN =
      LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ugt, magnitude, i32c(b, loc, 0x7F800000));
  result = LLVM::SelectOp::create(b, loc, isNaN, i32c(b, loc, 0x7F), result);
  return LLVM::TruncOp::create(b, loc, i8, result);
}

} // namespace

SmallVector<Value> truncateToFp8(OpBuilder &b, Location loc, ValueRange values, Type fp8Type,
                                 const LoweringContext &ctx) {
  SmallVector<Value> result;
  if (!ctx.target.hasFp8Conversions()) {
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
    Value pair = NVVM::ConvertF32x2ToF8x2Op::create(
        b, loc, pairType, hi, lo, NVVM::FPRoundingMode::RN, NVVM::SaturationMode::SATFINITE,
        /*relu=*/false, fp8Type);
    result.push_back(LLVM::ExtractElementOp::create(b, loc, pair, i32Constant(b, loc, 0)));
    if (i + 1 < values.size())
      result.push_back(LLVM::ExtractElementOp::create(b, loc, pair, i32Constant(b, loc, 1)));
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
  Value byte = LLVM::ZExtOp::create(b, loc, i32, storage);
  Value sign = LLVM::ShlOp::create(b, loc, LLVM::AndOp::create(b, loc, byte, i32c(b, loc, 0x80)),
                                   i32c(b, loc, 24));
  Value magnitude = LLVM::AndOp::create(b, loc, byte, i32c(b, loc, 0x7F));
  Value placed = LLVM::BitcastOp::create(
      b, loc, f32, LLVM::ShlOp::create(b, loc, magnitude, i32c(b, loc, 23 - fmt.mantissaBits)));
  float rebias = std::ldexp(1.0f, 127 - fmt.exponentBias);
  Value value = LLVM::FMulOp::create(
      b, loc, placed, LLVM::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(rebias)));

  // Specials: e4m3fn has only NaN (0x7F); e5m2 has Inf (0x7C) and NaN (> 0x7C).
  Value nan = LLVM::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(std::nanf("")));
  if (isa<Float8E4M3FNType>(fp8Type)) {
    Value isNaN =
        LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, magnitude, i32c(b, loc, 0x7F));
    value = LLVM::SelectOp::create(b, loc, isNaN, nan, value);
  } else {
    Value inf = LLVM::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(INFINITY));
    Value isInf =
        LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, magnitude, i32c(b, loc, 0x7C));
    Value isNaN =
        LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ugt, magnitude, i32c(b, loc, 0x7C));
    value = LLVM::SelectOp::create(b, loc, isInf, inf, value);
    value = LLVM::SelectOp::create(b, loc, isNaN, nan, value);
  }
  // The sign goes on the bits, so that -0 and negative NaN keep it.
  Value bits = LLVM::OrOp::create(b, loc, LLVM::BitcastOp::create(b, loc, i32, value), sign);
  return LLVM::BitcastOp::create(b, loc, f32, bits);
}

} // namespace

SmallVector<Value> extendFp8ToF32(OpBuilder &b, Location loc, ValueRange storage, Type fp8Type,
                                  const LoweringContext &ctx) {
  SmallVector<Value> result;
  if (!ctx.target.hasFp8Conversions()) {
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
    Value pair = LLVM::UndefOp::create(b, loc, pairType);
    Value second = i + 1 < storage.size()
                       ? storage[i + 1]
                       : LLVM::ConstantOp::create(b, loc, i8, b.getI8IntegerAttr(0)).getResult();
    pair = LLVM::InsertElementOp::create(b, loc, pair, storage[i], i32Constant(b, loc, 0));
    pair = LLVM::InsertElementOp::create(b, loc, pair, second, i32Constant(b, loc, 1));
    Value halves = NVVM::ConvertF8x2ToF16x2Op::create(b, loc, halfPairType, pair,
                                                      /*relu=*/false, fp8Type);
    for (int j = 0; j < 2 && i + j < storage.size(); ++j)
      result.push_back(LLVM::FPExtOp::create(
          b, loc, b.getF32Type(),
          LLVM::ExtractElementOp::create(b, loc, halves, i32Constant(b, loc, j))));
  }
  return result;
}

} // namespace tessel::lowering
