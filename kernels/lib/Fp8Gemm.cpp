// fp8_gemm: c = a · bᵀ with DeepSeek-V3's fine-grained scales (the seed's
// fp8_gemm_kernel). A program computes a BLOCK_M x BLOCK_N tile of c, stepping
// through K by BLOCK_K; each step's product is scaled by the a and b scales of
// its 128-wide K block and added into fp32 registers, outside the tensor
// core's accumulator (whose own accumulation of fp8 products is not fp32 on
// every GPU).
#include "tessel/dsl/DSL.h"
#include "tessel/kernels/Definitions.h"

namespace tessel::kernels {
namespace {

/// Rows and columns of a, b and their scales per scale block.
constexpr int64_t kScaleBlock = 128;

void fp8GemmBody(const dsl::KernelScope &kernel) {
  using namespace dsl;
  Value a = kernel.arg("a"), aScale = kernel.arg("a_s"), b = kernel.arg("b");
  Value bScale = kernel.arg("b_s"), c = kernel.arg("c");
  Value m = kernel.arg("m"), n = kernel.arg("n"), k = kernel.arg("k");
  int64_t blockM = kernel.constant("BLOCK_M"), blockN = kernel.constant("BLOCK_N");
  int64_t blockK = kernel.constant("BLOCK_K");
  int stages = int(kernel.constant("NUM_STAGES"));

  // Rows and columns past the edges are masked: their loads give zeros and
  // the store drops what they compute. (The seed wraps them around with % m
  // instead, which makes every row's address independent of the others and
  // costs the main loop registers.)
  Value rows = programId(0) * blockM + arange(0, blockM);
  Value cols = programId(1) * blockN + arange(0, blockN);
  Value rowMask = rows.col() < m, colMask = cols.row() < n;
  Value ks = arange(0, blockK);
  Value scaleBlocksK = cdiv(k, kScaleBlock);

  // What the loop keeps of the addresses is 32-bit offsets; the pointers are
  // formed in each step, so a thread's row costs one register across the
  // loop instead of two.
  Value aOffsets = rows.col() * k + ks.row(); // [BLOCK_M, BLOCK_K]
  Value bOffsets = cols.row() * k + ks.col(); // [BLOCK_K, BLOCK_N]: b transposed
  Value aScales = aScale + rows * scaleBlocksK; // [BLOCK_M]
  // A tile of at most 128 columns lies in one 128-row block of b: its b scale
  // is one scalar per step. A wider tile spans blocks and loads a scale per
  // column.
  bool oneScaleBlock = kScaleBlock % blockN == 0;
  Value bScales = oneScaleBlock
                      ? bScale + programId(1) * blockN / int64_t(kScaleBlock) * scaleBlocksK
                      : bScale + cols / int64_t(kScaleBlock) * scaleBlocksK;

  Value steps = cdiv(k, blockK);
  // A step's scales are loaded one step ahead and carried to it: their
  // latency (a load from L2 or memory) then hides behind a step of tensor-core
  // work, where loaded within the step it stalled the promotion at its end.
  // BLOCK_K divides the scale block: one scale column per step.
  auto loadScales = [&](const Value &step) {
    Value scaleColumn = step * blockK / int64_t(kScaleBlock);
    Value inRange = step < steps;
    Value sa = load(aScales + scaleColumn, (rows < m) & inRange, 0);
    Value sb = oneScaleBlock ? load(bScales + scaleColumn, inRange, 0)
                             : load(bScales + scaleColumn, (cols < n) & inRange, 0);
    return std::vector<Value>{sa, sb};
  };
  std::vector<Value> firstScales = loadScales(constant(0, DType::I32));
  Value acc = zeros({blockM, blockN}, DType::F32);
  acc = forRange(0, steps, 1, {acc, firstScales[0], firstScales[1]},
                 [&](const Value &step, const std::vector<Value> &carried) {
                   Value offset = step * blockK;
                   Value kLeft = k - offset;
                   Value av = load(a + (aOffsets + offset), (ks.row() < kLeft) & rowMask, 0);
                   Value bv = load(b + (bOffsets + offset), (ks.col() < kLeft) & colMask, 0);
                   std::vector<Value> nextScales = loadScales(step + 1);
                   Value sa = carried[1], sb = carried[2];
                   // The block's product, scaled, joins the fp32 sum in one
                   // rounding: acc + (a_blk . b_blk^T) * (a_s * b_s).
                   Value scales = oneScaleBlock ? (sa * sb).col() : sa.col() * sb.row();
                   return std::vector<Value>{fma(dot(av, bv), scales, carried[0]),
                                             nextScales[0], nextScales[1]};
                 },
                 LoopOptions{stages})[0];

  store(c + rows.col() * n + cols.row(), acc.to(DType::BF16), rowMask & colMask);
}

} // namespace

const dsl::KernelDefinition &fp8GemmKernel() {
  static const dsl::KernelDefinition kernel = [] {
    dsl::KernelDefinition kernel;
    kernel.name = "fp8_gemm";
    kernel.description = "a e4m3[m, k], a_s f32[m, ceil(k/128)], b e4m3[n, k], "
                         "b_s f32[ceil(n/128), ceil(k/128)] -> c bf16[m, n] = "
                         "sum over 128-wide k blocks of (a_blk . b_blk^T) * a_s * b_s";
    kernel.params = {dsl::Param::pointer("a", DType::F8E4M3),
                     dsl::Param::pointer("a_s", DType::F32),
                     dsl::Param::pointer("b", DType::F8E4M3),
                     dsl::Param::pointer("b_s", DType::F32),
                     dsl::Param::pointer("c", DType::BF16),
                     dsl::Param::scalar("m", DType::I32),
                     dsl::Param::scalar("n", DType::I32),
                     dsl::Param::scalar("k", DType::I32)};
    kernel.constants = {{"BLOCK_M", 64, "rows of c per program (>= 16)"},
                        {"BLOCK_N", 128, "columns of c per program (>= 16)"},
                        {"BLOCK_K", 128, "k per step: 32, 64 or 128 (divides the scale block)"},
                        {"NUM_STAGES", 2, "k steps whose loads are in flight at once"}};
    kernel.body = fp8GemmBody;
    kernel.numWarps = 4;
    return kernel;
  }();
  return kernel;
}

} // namespace tessel::kernels
