// A dot whose operands wait in shared memory, on Hopper's warpgroup MMA
// (wgmma.mma_async, sm_90a).
//
// A warpgroup (4 consecutive warps, 128 threads) multiplies a 64-row block
// of A by all N columns of B in one instruction per K step (32 bytes of K:
// k32 for fp8, k16 for bf16/f16), reading both operands straight from
// shared memory through 64-bit matrix descriptors (PTX ISA, "Matrix
// Descriptor Format"). The accumulator stays in registers: in warp w of the
// warpgroup, for each 8-column block j, the registers 4j .. 4j + 3 hold rows
// 16w + lane / 4 and 16w + lane / 4 + 8 at columns 8j + 2 (lane % 4) and the
// next one, which is the mma layout with all warps stacked along M
// (getWarpgroupMmaEncoding) in another register order.
//
// The operands are staged as async_copy writes them: rows of K bytes
// (`pitch`: 32, 64 or 128), 16-byte chunks XORed with bits of the row
// (swizzleBits). For such pitches that permutation is exactly wgmma's 32-,
// 64- or 128-byte swizzle of K-major operands, which XORs address bits 4..6
// with bits 7..9 (8 rows of `pitch` bytes form one swizzle span): the
// descriptor says which, its stride byte offset is the 8-row span, and each
// K step starts 32 bytes further into the same rows. The hardware applies
// the swizzle to absolute addresses, so the operands start at
// kStagedOperandAlignment.
//
// wgmma reads shared memory through the async proxy: what ordinary stores or
// cp.async wrote must be fenced (fence.proxy.async) by the writing threads
// before the barrier that publishes it (see the async_wait lowering).
#include "Lowering.h"

#include "tessel/Dialect/Tile/IR/Tile.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace tessel::tilegpu;

namespace tessel::lowering {
namespace {

/// Rows of A one wgmma instruction computes, and of a warpgroup's threads.
constexpr int64_t kWarpgroupRows = 64;
constexpr int64_t kWarpgroupThreads = 128;
/// Bytes of K per instruction, for every operand type this path takes.
constexpr int64_t kStepBytes = 32;

std::optional<NVVM::WGMMATypes> wgmmaType(Type type) {
  if (isa<Float8E4M3FNType>(type))
    return NVVM::WGMMATypes::e4m3;
  if (isa<Float8E5M2Type>(type))
    return NVVM::WGMMATypes::e5m2;
  if (type.isBF16())
    return NVVM::WGMMATypes::bf16;
  if (type.isF16())
    return NVVM::WGMMATypes::f16;
  return std::nullopt;
}

bool isFp8(Type type) { return isa<Float8E4M3FNType, Float8E5M2Type>(type); }

/// The descriptor's swizzle mode for rows of `pitch` bytes (bits 62-63:
/// 1 = 128-byte, 2 = 64-byte, 3 = 32-byte swizzle).
uint64_t swizzleMode(int64_t pitch) { return pitch == 128 ? 1 : pitch == 64 ? 2 : 3; }

/// The matrix descriptor of K-major rows of `pitch` bytes at `address`:
/// start address >> 4 in bits 0-13, leading byte offset (unused by swizzled
/// K-major operands; 1 by convention) in 16-29, stride byte offset between
/// 8-row spans >> 4 in 32-45, base offset 0 (the operand is aligned), the
/// swizzle mode in 62-63.
Value matrixDescriptor(OpBuilder &b, Location loc, Value address, int64_t pitch) {
  Type i64 = b.getI64Type();
  Value bits = LLVM::PtrToIntOp::create(b, loc, b.getI32Type(), address);
  Value start = LLVM::AndOp::create(
      b, loc, LLVM::LShrOp::create(b, loc, bits, i32Constant(b, loc, 4)),
      i32Constant(b, loc, 0x3FFF));
  uint64_t fixed = (uint64_t(1) << 16) | (uint64_t(8 * pitch >> 4) << 32) |
                   (swizzleMode(pitch) << 62);
  Value fixedBits = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(int64_t(fixed)));
  return LLVM::OrOp::create(b, loc, LLVM::ZExtOp::create(b, loc, i64, start), fixedBits);
}

/// The descriptor `bytes` further along the same rows: the start address
/// field grows by bytes / 16, which stays inside its 14 bits because shared
/// addresses are below 2^18.
Value advanceDescriptor(OpBuilder &b, Location loc, Value descriptor, int64_t bytes) {
  if (bytes == 0)
    return descriptor;
  return LLVM::AddOp::create(
      b, loc, descriptor,
      LLVM::ConstantOp::create(b, loc, b.getI64Type(), b.getI64IntegerAttr(bytes >> 4)));
}

} // namespace

bool canUseWarpgroupMma(const LoweringContext &ctx, MmaEncodingAttr mma, int64_t m, int64_t n,
                        int64_t pitch, Type aElement, Type bElement) {
  if (!ctx.target.hasWarpgroupMma() || !isWarpgroupMmaLayout(mma, m, n))
    return false;
  if (pitch != 32 && pitch != 64 && pitch != 128)
    return false;
  if (!wgmmaType(aElement) || !wgmmaType(bElement))
    return false;
  // fp8 operands may mix e4m3 and e5m2; 16-bit ones must agree.
  return isFp8(aElement) ? isFp8(bElement) : aElement == bElement;
}

SmallVector<Value> emitWarpgroupMmaFromShared(OpBuilder &b, Location loc, MmaEncodingAttr mma,
                                              Value aBase, Value bBase, int64_t pitch, int64_t m,
                                              int64_t n, int64_t kBegin, int64_t k,
                                              Type aElement, Type bElement,
                                              SmallVector<Value> acc, bool accIsZero,
                                              bool wait) {
  MLIRContext *context = b.getContext();
  Type f32 = b.getF32Type();
  auto i8Shared = [&](Value base, Value byteOffset) {
    return Value(LLVM::GEPOp::create(b, loc, LLVM::LLVMPointerType::get(context, 3),
                                     b.getI8Type(), base, ValueRange{byteOffset}));
  };
  int64_t elementBytes = tile::storageBytes(aElement);
  int64_t warpsM = mma.getWarpsPerCTA()[0];
  // Instructions along M per warpgroup: the layout's repetitions of its
  // warps' 16-row blocks, 16 * warpsM rows apart.
  int64_t repsM = m / (16 * warpsM), repsN = n / 8;
  int64_t firstStep = kBegin * elementBytes / kStepBytes;
  int64_t endStep = firstStep + k * elementBytes / kStepBytes;

  // Warpgroup g computes rows 64 g (+ 16 warpsM per repetition) of A.
  Value tid = NVVM::ThreadIdXOp::create(b, loc, b.getI32Type());
  Value warpgroup =
      LLVM::UDivOp::create(b, loc, tid, i32Constant(b, loc, kWarpgroupThreads));
  Value groupRowBytes = LLVM::MulOp::create(b, loc, warpgroup,
                                            i32Constant(b, loc, kWarpgroupRows * pitch));
  SmallVector<Value> aDescriptors;
  for (int64_t repM = 0; repM < repsM; ++repM) {
    Value offset = LLVM::AddOp::create(b, loc, groupRowBytes,
                                       i32Constant(b, loc, repM * 16 * warpsM * pitch));
    aDescriptors.push_back(matrixDescriptor(b, loc, i8Shared(aBase, offset), pitch));
  }
  Value bDescriptor = matrixDescriptor(b, loc, bBase, pitch);

  // The thread's accumulator elements of repetition repM in wgmma's
  // register order, and where each sits in the mma layout's order.
  auto accIndex = [&](int64_t repM, int64_t half, int64_t repN, int64_t e) {
    return (repN * 2 + e) + repsN * 2 * (repM * 2 + half);
  };
  SmallVector<Type> fields(n / 2, f32);
  auto structType = LLVM::LLVMStructType::getLiteral(context, fields);
  SmallVector<Value> inouts;
  for (int64_t repM = 0; repM < repsM; ++repM) {
    Value packed = LLVM::UndefOp::create(b, loc, structType);
    for (int64_t repN = 0; repN < repsN; ++repN)
      for (int64_t half = 0; half < 2; ++half)
        for (int64_t e = 0; e < 2; ++e) {
          Value value = accIsZero ? Value(LLVM::ZeroOp::create(b, loc, f32))
                                  : acc[accIndex(repM, half, repN, e)];
          packed = LLVM::InsertValueOp::create(b, loc, packed, value,
                                               ArrayRef<int64_t>{4 * repN + 2 * half + e});
        }
    inouts.push_back(packed);
  }

  auto shape = NVVM::MMAShapeAttr::get(context, kWarpgroupRows, n, kStepBytes / elementBytes);
  // Orders the accumulator registers' last writes before the wgmmas read them.
  NVVM::WgmmaFenceAlignedOp::create(b, loc);
  for (int64_t step = firstStep; step < endStep; ++step) {
    // The first instruction on a zero accumulator does not read it.
    auto scaleD = accIsZero && step == firstStep ? NVVM::WGMMAScaleOut::zero
                                                 : NVVM::WGMMAScaleOut::one;
    for (int64_t repM = 0; repM < repsM; ++repM)
      inouts[repM] = NVVM::WgmmaMmaAsyncOp::create(
          b, loc, structType, inouts[repM],
          advanceDescriptor(b, loc, aDescriptors[repM], step * kStepBytes),
          advanceDescriptor(b, loc, bDescriptor, step * kStepBytes), shape,
          *wgmmaType(aElement), *wgmmaType(bElement), NVVM::WGMMATypes::f32, scaleD,
          NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row,
          NVVM::MMALayout::col, /*satfinite=*/nullptr);
  }
  NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
  if (wait)
    NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);

  for (int64_t repM = 0; repM < repsM; ++repM)
    for (int64_t repN = 0; repN < repsN; ++repN)
      for (int64_t half = 0; half < 2; ++half)
        for (int64_t e = 0; e < 2; ++e)
          acc[accIndex(repM, half, repN, e)] = LLVM::ExtractValueOp::create(
              b, loc, inouts[repM], ArrayRef<int64_t>{4 * repN + 2 * half + e});
  return acc;
}

} // namespace tessel::lowering
