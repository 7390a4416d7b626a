// tile.dot on the tensor cores with mma.sync.
//
// The operands arrive in whatever layouts their loads chose; the accumulator
// is in the mma layout (MmaEncodingAttr). The lowering:
//  1. writes A as [M][K] and B transposed as [N][K] to shared memory, the
//     16-byte chunks of each row swizzled (stagedOperandOffset) so that the
//     eight rows a fragment load touches fall in distinct banks;
//  2. per K step of one instruction, reads each warp's A and B fragments
//     with ldmatrix (4 fp8 or 2 bf16/f16 values along K per register);
//  3. issues mma.sync m16n8k32 (fp8 on sm_89) or m16n8k16 (bf16/f16, and
//     widened fp8) per 16 x 8 piece of the warp's share of the accumulator.
// Fragment registers (PTX ISA, "Matrix fragments for mma.m16n8k16/k32"), with
// g = lane / 4 and t = lane % 4: A holds (row g, K bytes 4t..4t+3),
// (g + 8, 4t..), (g, 16 + 4t..), (g + 8, 16 + 4t..) of a 32-byte K step; B
// holds (column g, 4t..) and (g, 16 + 4t..); C holds (g, 2t), (g, 2t + 1),
// (g + 8, 2t), (g + 8, 2t + 1). The byte pattern is the same for 4 fp8 and
// 2 16-bit values per register.
//
// fp8 elsewhere than sm_89 (sm_80 has no fp8 mma; on sm_90 ptxas emulates
// it, converting operands again for every instruction and adding partial
// results): each 32-bit register of four fp8 values is widened once to two
// f16x2 registers (exactly: e4m3 and e5m2 are subsets of f16), and a K step
// of 32 becomes two m16n8k16 f16 instructions. Which K value an instruction
// sees at which position changes, but identically for A and B, so every
// product a[m][k] * b[k][n] is still formed once.
#include "Lowering.h"

#include "tessel/Dialect/Tile/IR/Tile.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;
using namespace tessel::tilegpu;

namespace tessel::lowering {
namespace {

int64_t rowPitch(int64_t k, Type element) {
  return sharedOperandPitch(k, tile::storageBytes(element));
}

bool isFp8(Type type) { return isa<Float8E4M3FNType, Float8E5M2Type>(type); }

std::string ptxTypeName(Type type) {
  if (isa<Float8E4M3FNType>(type))
    return "e4m3";
  if (isa<Float8E5M2Type>(type))
    return "e5m2";
  return type.isBF16() ? "bf16" : "f16";
}

Value add(OpBuilder &b, Location loc, Value x, Value y) {
  return LLVM::AddOp::create(b, loc, x, y);
}
Value mul(OpBuilder &b, Location loc, Value x, int64_t c) {
  return LLVM::MulOp::create(b, loc, x, i32Constant(b, loc, c));
}
Value gep(OpBuilder &b, Location loc, Value base, Value byteOffset) {
  return LLVM::GEPOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext(), 3),
                             b.getI8Type(), base, ValueRange{byteOffset});
}
/// One PTX instruction as side-effect-free inline assembly.
Value inlinePtx(OpBuilder &b, Location loc, Type resultType, ValueRange operands,
                const std::string &text, const std::string &constraints) {
  return LLVM::InlineAsmOp::create(
             b, loc, resultType, operands, b.getStringAttr(text),
             b.getStringAttr(constraints), UnitAttr(), UnitAttr(),
             LLVM::TailCallKindAttr::get(b.getContext(), LLVM::tailcallkind::TailCallKind::None),
             LLVM::AsmDialectAttr(), ArrayAttr())
      .getRes();
}

/// ldmatrix .x`count` (2 or 4): each lane names the 16-byte row of one 8 x 8
/// b16 matrix (lanes 8i..8i+7 the rows of matrix i) and receives, per
/// matrix, the 32 bits at row lane / 4, bytes 4 (lane % 4)..+3: exactly an
/// mma fragment register, for fp8 and 16-bit operands alike.
SmallVector<Value> loadMatrices(OpBuilder &b, Location loc, Value base, Value laneOffset,
                                int64_t constantOffset, int count) {
  Value offset = add(b, loc, laneOffset, i32Constant(b, loc, constantOffset));
  // A shared-window address: 32 bits (the backend's shared pointers are too).
  Value address = LLVM::PtrToIntOp::create(b, loc, b.getI32Type(), gep(b, loc, base, offset));
  SmallVector<Type> results(count, b.getI32Type());
  auto resultType = LLVM::LLVMStructType::getLiteral(b.getContext(), results);
  std::string registers;
  std::string constraints;
  for (int i = 0; i < count; ++i) {
    registers += (i ? ", $" : "$") + std::to_string(i);
    constraints += "=r,";
  }
  std::string text = "ldmatrix.sync.aligned.m8n8.x" + std::to_string(count) +
                     ".shared.b16 {" + registers + "}, [$" + std::to_string(count) + "];";
  return unpackElements(
      b, loc, inlinePtx(b, loc, resultType, ValueRange{address}, text, constraints + "r"));
}

std::string instructionName(Type a, Type b) {
  if (isFp8(a))
    return "mma.sync.aligned.m16n8k32.row.col.f32." + ptxTypeName(a) + "." + ptxTypeName(b) +
           ".f32";
  return "mma.sync.aligned.m16n8k16.row.col.f32." + ptxTypeName(a) + "." + ptxTypeName(b) +
         ".f32";
}

/// One mma.sync with four A, two B and four C registers; returns D.
SmallVector<Value> mmaSync(OpBuilder &b, Location loc, const std::string &instruction,
                                  ArrayRef<Value> a, ArrayRef<Value> bFragment,
                                  ArrayRef<Value> c) {
  SmallVector<Value> operands(a.begin(), a.end());
  operands.append(bFragment.begin(), bFragment.end());
  operands.append(c.begin(), c.end());
  Type f32 = b.getF32Type();
  auto resultType = LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  std::string text = instruction +
                     " {$0, $1, $2, $3}, {$4, $5, $6, $7}, {$8, $9}, {$10, $11, $12, $13};";
  // C is not tied to D: a first instruction on a zero accumulator then
  // reads zero registers instead of copying zeros into D.
  return unpackElements(b, loc,
                        inlinePtx(b, loc, resultType, operands, text,
                                  "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f"));
}

/// An f16x2 register from two fp8 values (byte 0 -> half 0, byte 1 -> half
/// 1 of `pair`, which holds them in bits 0-7 and 16-23), exactly: e4m3 and
/// e5m2 are subsets of f16.
Value pairToF16x2(OpBuilder &b, Location loc, Type fp8, Value pair) {
  if (isa<Float8E5M2Type>(fp8)) // e5m2 is f16 without its low byte
    return LLVM::ShlOp::create(b, loc, pair, i32Constant(b, loc, 8));
  // e4m3 s.eeee.mmm -> f16 s.0eeee.mmm0000000 is the value * 2^-8.
  Value sign = LLVM::AndOp::create(b, loc, pair, i32Constant(b, loc, 0x00800080));
  Value magnitude = LLVM::AndOp::create(b, loc, pair, i32Constant(b, loc, 0x007F007F));
  Value bits = LLVM::OrOp::create(b, loc, LLVM::ShlOp::create(b, loc, sign, i32Constant(b, loc, 8)),
                                  LLVM::ShlOp::create(b, loc, magnitude, i32Constant(b, loc, 7)));
  auto vectorType = VectorType::get({2}, b.getF16Type());
  APFloat twoTo8 = b.getF16FloatAttr(256.0).getValue();
  Value scale = LLVM::ConstantOp::create(b, loc, vectorType,
                                         DenseElementsAttr::get(vectorType, {twoTo8, twoTo8}));
  Value scaled =
      LLVM::FMulOp::create(b, loc, LLVM::BitcastOp::create(b, loc, vectorType, bits), scale);
  return LLVM::BitcastOp::create(b, loc, b.getI32Type(), scaled);
}

/// Two f16x2 registers holding the four fp8 values of `word`: bytes 0 and
/// 1, then bytes 2 and 3. sm_89 and later convert a pair in one
/// instruction (cvt.rn.f16x2.e4m3x2, exact); earlier targets use integer
/// arithmetic.
std::pair<Value, Value> fp8ToF16x2(OpBuilder &b, Location loc, Type fp8, Value word,
                                   const tilegpu::TargetInfo &target) {
  auto shr = [&](Value x, int64_t bits) {
    return Value(LLVM::LShrOp::create(b, loc, x, i32Constant(b, loc, bits)));
  };
  if (target.hasFp8Conversions()) {
    std::string text = "cvt.rn.f16x2." + ptxTypeName(fp8) + "x2 $0, $1;";
    auto convert = [&](Value pairBits) {
      Value half = LLVM::TruncOp::create(b, loc, b.getI16Type(), pairBits);
      return inlinePtx(b, loc, b.getI32Type(), ValueRange{half}, text, "=r,h");
    };
    return {convert(word), convert(shr(word, 16))};
  }
  auto shl = [&](Value x, int64_t bits) {
    return Value(LLVM::ShlOp::create(b, loc, x, i32Constant(b, loc, bits)));
  };
  auto mask = [&](Value x, int64_t bits) {
    return Value(LLVM::AndOp::create(b, loc, x, i32Constant(b, loc, bits)));
  };
  Value lo = LLVM::OrOp::create(b, loc, mask(word, 0xFF), shl(mask(word, 0xFF00), 8));
  Value hi = LLVM::OrOp::create(b, loc, mask(shr(word, 16), 0xFF), shl(shr(word, 24), 16));
  return {pairToF16x2(b, loc, fp8, lo), pairToF16x2(b, loc, fp8, hi)};
}

/// A fragment of fp8 registers widened to f16x2 registers: each register
/// r becomes (r lo, r hi).
SmallVector<Value> widenFragment(OpBuilder &b, Location loc, Type fp8, ArrayRef<Value> fragment,
                                 const tilegpu::TargetInfo &target) {
  SmallVector<Value> wide;
  for (Value word : fragment) {
    auto [lo, hi] = fp8ToF16x2(b, loc, fp8, word, target);
    wide.push_back(lo);
    wide.push_back(hi);
  }
  return wide;
}

/// One fp8 K step of 32 as two f16 m16n8k16 instructions over widened
/// fragments (a: a0lo, a0hi, ..., a3hi; b: b0lo, b0hi, b1lo, b1hi).
SmallVector<Value> mmaWidenedFp8(OpBuilder &b, Location loc, ArrayRef<Value> a,
                                 ArrayRef<Value> bWide, SmallVector<Value> c) {
  const std::string f16 = "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32";
  c = mmaSync(b, loc, f16, {a[0], a[2], a[1], a[3]}, {bWide[0], bWide[1]}, c);
  return mmaSync(b, loc, f16, {a[4], a[6], a[5], a[7]}, {bWide[2], bWide[3]}, c);
}

} // namespace

SmallVector<Value> emitMmaFromShared(OpBuilder &b, Location loc, const LoweringContext &ctx,
                                     MmaEncodingAttr mma, Value base, Value bBase, int64_t pitch,
                                     int64_t m, int64_t n, int64_t kBegin, int64_t k,
                                     Type aElement, Type bElement, SmallVector<Value> acc) {
  Value tid = NVVM::ThreadIdXOp::create(b, loc, b.getI32Type());
  Value lane = LLVM::AndOp::create(b, loc, tid, i32Constant(b, loc, 31));
  Value warp = LLVM::LShrOp::create(b, loc, tid, i32Constant(b, loc, 5));
  unsigned wm = mma.getWarpsPerCTA()[0], wn = mma.getWarpsPerCTA()[1];
  Value warpM = LLVM::UDivOp::create(b, loc, warp, i32Constant(b, loc, wn));
  Value warpN = LLVM::URemOp::create(b, loc, warp, i32Constant(b, loc, wn));
  // ldmatrix addressing: lane l names row l % 8 of matrix l / 8. For A the
  // four matrices of a 16-row piece are (rows 0-7 | 8-15) x (bytes 0-15 |
  // 16-31) in fragment order; for B, two 8-row pieces side by side, each
  // (bytes 0-15, bytes 16-31).
  Value matrix = LLVM::LShrOp::create(b, loc, lane, i32Constant(b, loc, 3));
  Value matrixRow = LLVM::AndOp::create(b, loc, lane, i32Constant(b, loc, 7));
  Value low = LLVM::AndOp::create(b, loc, matrix, i32Constant(b, loc, 1));
  Value high = LLVM::LShrOp::create(b, loc, matrix, i32Constant(b, loc, 1));
  Value aRow = add(b, loc, add(b, loc, mul(b, loc, warpM, 16), mul(b, loc, low, 8)), matrixRow);
  Value bRow = add(b, loc, add(b, loc, mul(b, loc, warpN, 8), mul(b, loc, high, 8 * wn)),
                   matrixRow);
  // A lane reads, at K step s, its row's bytes s * 32 + c (c = 0 or 16),
  // which the swizzle XORs with bits x of the row; the other repetitions lie
  // a multiple of 16 rows further, with the same x (see swizzleBits). The
  // XOR splits, s * 32 + c ^ x = s * 32 ^ (c ^ x), with c ^ x fixed per lane.
  Value aChunk =
      LLVM::XOrOp::create(b, loc, mul(b, loc, high, 16), swizzleBits(b, loc, aRow, pitch));
  Value bChunk =
      LLVM::XOrOp::create(b, loc, mul(b, loc, low, 16), swizzleBits(b, loc, bRow, pitch));
  Value aRowStart = mul(b, loc, aRow, pitch), bRowStart = mul(b, loc, bRow, pitch);
  auto laneOffset = [&](Value rowStart, Value chunk, int64_t stepBytes) {
    return add(b, loc, rowStart,
               LLVM::XOrOp::create(b, loc, chunk, i32Constant(b, loc, stepBytes)));
  };

  int64_t repsM = m / (16 * wm), repsN = n / (8 * wn);
  int64_t firstStep = kBegin * tile::storageBytes(aElement) / kMmaStepBytes;
  int64_t endStep = firstStep + k * tile::storageBytes(aElement) / kMmaStepBytes;
  auto accIndex = [&](int64_t repM, int64_t half, int64_t repN, int64_t e) {
    return (repN * 2 + e) + repsN * 2 * (repM * 2 + half);
  };
  // Only sm_89 has fp8 mma.sync in hardware. On sm_90 ptxas emulates it
  // with f16 instructions plus extra adds per instruction, and sm_80 lacks
  // it: there each fragment is widened to f16 once and reused.
  bool widenFp8 = isFp8(aElement) && !ctx.target.hasNativeFp8MmaSync();

  for (int64_t step = firstStep; step < endStep; ++step) {
    int64_t stepBytes = step * kMmaStepBytes;
    Value aLane = laneOffset(aRowStart, aChunk, stepBytes);
    Value bLane = laneOffset(bRowStart, bChunk, stepBytes);
    SmallVector<SmallVector<Value>> aFragments, bFragments;
    for (int64_t repM = 0; repM < repsM; ++repM)
      aFragments.push_back(loadMatrices(b, loc, base, aLane, repM * 16 * wm * pitch, 4));
    for (int64_t repN = 0; repN < repsN; repN += 2) {
      int count = repN + 1 < repsN ? 4 : 2;
      SmallVector<Value> regs =
          loadMatrices(b, loc, bBase, bLane, repN * 8 * wn * pitch, count);
      for (int i = 0; i < count; i += 2)
        bFragments.push_back({regs[i], regs[i + 1]});
    }
    if (widenFp8) {
      for (SmallVector<Value> &fragment : aFragments)
        fragment = widenFragment(b, loc, aElement, fragment, ctx.target);
      for (SmallVector<Value> &fragment : bFragments)
        fragment = widenFragment(b, loc, bElement, fragment, ctx.target);
    }
    for (int64_t repM = 0; repM < repsM; ++repM)
      for (int64_t repN = 0; repN < repsN; ++repN) {
        int64_t slots[4] = {accIndex(repM, 0, repN, 0), accIndex(repM, 0, repN, 1),
                            accIndex(repM, 1, repN, 0), accIndex(repM, 1, repN, 1)};
        SmallVector<Value> c;
        for (int64_t slot : slots)
          c.push_back(acc[slot]);
        if (widenFp8)
          c = mmaWidenedFp8(b, loc, aFragments[repM], bFragments[repN], c);
        else
          c = mmaSync(b, loc, instructionName(aElement, bElement), aFragments[repM],
                      bFragments[repN], c);
        for (auto [slot, value] : llvm::zip(slots, c))
          acc[slot] = value;
      }
  }
  return acc;
}

namespace {

struct DotOpLowering : public ConvertOpToLLVMPattern<tile::DotOp> {
  DotOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}

  LogicalResult matchAndRewrite(tile::DotOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto accType = op.getAcc().getType();
    auto mma = dyn_cast<MmaEncodingAttr>(accType.getEncoding());
    if (!mma)
      return rewriter.notifyMatchFailure(op, "the accumulator is not in the mma layout");
    Type aElement = op.getA().getType().getElementType();
    Type bElement = op.getB().getType().getElementType();
    int64_t m = accType.getDimSize(0), n = accType.getDimSize(1);
    int64_t k = op.getA().getType().getDimSize(1);
    int64_t pitch = rowPitch(k, aElement);
    auto &b = rewriter;

    // 1. Operands to shared memory: A at [row][k], B at [column][k].
    Value base = scratchBase(b, loc, ctx_);
    Value bBase = gep(b, loc, base, i32Constant(b, loc, m * pitch));
    syncComputeThreads(b, loc, ctx_);
    stageOperand(b, loc, op.getA().getType(), adaptor.getA(), base, pitch, /*kDim=*/1);
    stageOperand(b, loc, op.getB().getType(), adaptor.getB(), bBase, pitch, /*kDim=*/0);
    bool warpgroupMma = canUseWarpgroupMma(ctx_, mma, m, n, pitch, aElement, bElement);
    if (warpgroupMma) // wgmma reads the operands through the async proxy
      fenceSharedForAsyncProxy(b, loc);
    syncComputeThreads(b, loc, ctx_);

    SmallVector<Value> acc = unpackElements(b, loc, adaptor.getAcc());
    if (warpgroupMma) {
      acc = emitWarpgroupMmaFromShared(b, loc, mma, base, bBase, pitch, m, n, /*kBegin=*/0, k,
                                       aElement, bElement, acc, isZeroTile(op.getAcc()),
                                       /*wait=*/true);
    } else {
      acc = emitMmaFromShared(b, loc, ctx_, mma, base, bBase, pitch, m, n, /*kBegin=*/0, k,
                              aElement, bElement, acc);
    }
    rewriter.replaceOp(op, packElements(b, loc, getTypeConverter()->convertType(accType), acc));
    return success();
  }

private:
  /// Writes an operand's elements to shared memory at [row][k] with pitch
  /// `pitch` bytes (swizzled), where `kDim` is the operand's K dimension.
  /// Runs of elements consecutive along K go out as one vector store of up
  /// to 16 bytes.
  void stageOperand(OpBuilder &b, Location loc, RankedTensorType type, Value packed, Value base,
                    int64_t pitch, unsigned kDim) const {
    DistributedLayout layout = *DistributedLayout::get(type);
    Type storage = getTypeConverter()->convertType(type.getElementType());
    int64_t bytes = tile::storageBytes(type.getElementType());
    SmallVector<Value> elements = unpackElements(b, loc, packed);
    auto indices = elementIndices(b, loc, layout, placeThread(b, loc, layout));
    int64_t run = 1;
    if (layout.root().getOrder()[0] == kDim && !layout.stridedElements(kDim))
      run = std::min<int64_t>(layout.contiguousPerThread(kDim), 16 / bytes);
    for (size_t i = 0; i < elements.size(); i += run) {
      Value offset = stagedOperandOffset(b, loc, indices[i], kDim, pitch, bytes);
      Value value = elements[i];
      if (run > 1) {
        auto vectorType = VectorType::get({run}, storage);
        value = LLVM::UndefOp::create(b, loc, vectorType);
        for (int64_t e = 0; e < run; ++e)
          value = LLVM::InsertElementOp::create(b, loc, value, elements[i + e],
                                                i32Constant(b, loc, e));
      }
      LLVM::StoreOp::create(b, loc, value, gep(b, loc, base, offset),
                            /*alignment=*/unsigned(run * bytes));
    }
  }

  const LoweringContext &ctx_;
};

/// tilegpu.dot_shared: the operands are already in the pipeline region,
/// written by async copies that an async_wait has completed.
struct DotSharedOpLowering : public ConvertOpToLLVMPattern<DotSharedOp> {
  DotSharedOpLowering(TileTypeConverter &converter, const LoweringContext &ctx)
      : ConvertOpToLLVMPattern(converter), ctx_(ctx) {}

  LogicalResult matchAndRewrite(DotSharedOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto accType = op.getAcc().getType();
    auto mma = dyn_cast<MmaEncodingAttr>(accType.getEncoding());
    if (!mma)
      return rewriter.notifyMatchFailure(op, "the accumulator is not in the mma layout");
    Value region = pipelineBase(rewriter, loc, ctx_);
    Value aBase = gep(rewriter, loc, region, adaptor.getAOffset());
    Value bBase = gep(rewriter, loc, region, adaptor.getBOffset());
    int64_t m = accType.getDimSize(0), n = accType.getDimSize(1);
    int64_t pitch = int64_t(op.getPitch()), kBegin = int64_t(op.getKBegin());
    int64_t k = int64_t(op.getK());
    SmallVector<Value> acc = unpackElements(rewriter, loc, adaptor.getAcc());
    if (canUseWarpgroupMma(ctx_, mma, m, n, pitch, op.getAType(), op.getBType())) {
      // The part of a split dot that ends K waits for all of its wgmmas;
      // earlier parts leave theirs in flight over the work between them.
      bool endsK = (kBegin + k) * tile::storageBytes(op.getAType()) == pitch;
      acc = emitWarpgroupMmaFromShared(rewriter, loc, mma, aBase, bBase, pitch, m, n, kBegin, k,
                                       op.getAType(), op.getBType(), acc,
                                       isZeroTile(op.getAcc()), /*wait=*/endsK);
    } else {
      acc = emitMmaFromShared(rewriter, loc, ctx_, mma, aBase, bBase, pitch, m, n, kBegin, k,
                              op.getAType(), op.getBType(), acc);
    }
    rewriter.replaceOp(
        op, packElements(rewriter, loc, getTypeConverter()->convertType(accType), acc));
    return success();
  }
  const LoweringContext &ctx_;
};

} // namespace

int64_t dotScratchBytes(tile::DotOp op) {
  auto a = op.getA().getType();
  int64_t rows = a.getDimSize(0) + op.getB().getType().getDimSize(1);
  return rows * rowPitch(a.getDimSize(1), a.getElementType());
}

void populateDotOpPatterns(TileTypeConverter &converter, RewritePatternSet &patterns,
                           const LoweringContext &ctx) {
  patterns.add<DotOpLowering, DotSharedOpLowering>(converter, ctx);
}

} // namespace tessel::lowering
