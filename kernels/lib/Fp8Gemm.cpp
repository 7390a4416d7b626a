// fp8_gemm: c = a · bᵀ with DeepSeek-V3's fine-grained scales (the seed's
// fp8_gemm_kernel). A program computes a BLOCK_M x BLOCK_N tile of c, stepping
// through K by BLOCK_K; each step's product is scaled by the a and b scales of
// its 128-wide K block and added into fp32 registers, outside the tensor
// core's accumulator (whose own accumulation of fp8 products is not fp32 on
// every GPU).
#include "tessel/dsl/DSL.h"
#include "tessel/kernels/Definitions.h"

#include <optional>

namespace tessel::kernels {
namespace {

/// Rows and columns of a, b and their scales per scale block.
constexpr int64_t kScaleBlock = 128;

/// A load whose masked-off elements read nothing and are zero.
dsl::Value loadWhere(const dsl::Value &ptr, const std::optional<dsl::Value> &mask) {
  return mask ? dsl::load(ptr, *mask, 0) : dsl::load(ptr);
}

void fp8GemmBody(const dsl::KernelScope &kernel) {
  using namespace dsl;
  Value a = kernel.arg("a"), aScale = kernel.arg("a_s"), b = kernel.arg("b");
  Value bScale = kernel.arg("b_s"), c = kernel.arg("c");
  Value m = kernel.arg("m"), n = kernel.arg("n"), k = kernel.arg("k");
  int64_t blockM = kernel.constant("BLOCK_M"), blockN = kernel.constant("BLOCK_N");
  int64_t blockK = kernel.constant("BLOCK_K");
  int stages = int(kernel.constant("NUM_STAGES"));
  bool evenM = kernel.constant("EVEN_M") != 0;
  bool warpSpecialize = kernel.constant("WARP_SPECIALIZE") != 0;
  int64_t groupM = kernel.constant("GROUP_M");

  // a and b are read a block at a time through descriptors: a block that
  // overhangs m, n or k reads zeros there, so the loop needs no masks of its
  // own, and on Hopper the copy engine moves the blocks (TMA).
  TensorDescriptor aBlocks = tensorDescriptor(a, {m, k}, {k, 1}, {blockM, blockK});
  TensorDescriptor bBlocks = tensorDescriptor(b, {n, k}, {k, 1}, {blockN, blockK});
  // The grid is one line of programs. With GROUP_M = 0 they walk c's tiles
  // in column order (all tile rows of a column, then the next column);
  // otherwise in bands of GROUP_M tile rows, down each band's columns in
  // turn. The programs running at once then read other blocks of a and b:
  // a wave of 132 128 x 128 programs at M = 4096 reads all 32 tile rows of a
  // for 4 columns of b in column order, 8 rows for 16 columns in bands of 8.
  Value tilesM = cdiv(m, blockM);
  Value program = programId(0);
  Value firstRow, firstCol;
  if (groupM == 0) {
    firstRow = program % tilesM * blockM;
    firstCol = program / tilesM * blockN;
  } else {
    Value bandPrograms = cdiv(n, blockN) * groupM;
    Value firstBandRow = program / bandPrograms * groupM;
    Value bandRows = minimum(tilesM - firstBandRow, groupM);
    Value inBand = program % bandPrograms;
    firstRow = (firstBandRow + inBand % bandRows) * blockM;
    firstCol = inBand / bandRows * blockN;
  }

  Value rows = firstRow + arange(0, blockM);
  Value cols = firstCol + arange(0, blockN);
  // The scales of rows past m are those of the last row, so that every
  // address is in bounds; the store drops what those rows compute. Where m
  // is not a multiple of BLOCK_M (no EVEN_M), the rows past the end are
  // masked as well, so that they read nothing: a tile of 16 rows over a
  // decode batch of one would otherwise read that row's scales 16 times.
  Value loadRows = minimum(rows, m - 1);
  std::optional<Value> rowMask;
  if (!evenM)
    rowMask = rows < m; // [BLOCK_M]
  Value scaleBlocksK = cdiv(k, kScaleBlock);
  Value aScales = aScale + loadRows * scaleBlocksK; // [BLOCK_M]
  // A tile of at most 128 columns lies in one 128-row block of b: its b scale
  // is one scalar per step. A wider tile spans blocks and loads a scale per
  // column.
  bool oneScaleBlock = kScaleBlock % blockN == 0;
  Value bScales = oneScaleBlock
                      ? bScale + firstCol / int64_t(kScaleBlock) * scaleBlocksK
                      : bScale + minimum(cols, n - 1) / int64_t(kScaleBlock) * scaleBlocksK;

  Value acc = zeros({blockM, blockN}, DType::F32);
  acc = forRange(
      0, cdiv(k, blockK), 1, {acc},
      [&](const Value &step, const std::vector<Value> &carried) {
        Value offset = step * blockK;
        Value av = aBlocks.load({firstRow, offset});            // [BLOCK_M, BLOCK_K]
        Value bv = transpose(bBlocks.load({firstCol, offset})); // [BLOCK_K, BLOCK_N]
        // BLOCK_K divides the scale block: one scale column per step. The
        // compiler prefetches these loads with the operands' (see the
        // pipeliner), so they wait in shared memory when the step needs them.
        Value scaleColumn = step * blockK / int64_t(kScaleBlock);
        Value sa = loadWhere(aScales + scaleColumn, rowMask);
        Value sb = load(bScales + scaleColumn);
        // The block's product, scaled, joins the fp32 sum in one rounding:
        // acc + (a_blk . b_blk^T) * (a_s * b_s).
        Value scales = oneScaleBlock ? (sa * sb).col() : sa.col() * sb.row();
        return std::vector<Value>{fma(dot(av, bv), scales, carried[0])};
      },
      LoopOptions{stages, warpSpecialize})[0];

  store(c + rows.col() * n + cols.row(), acc.to(DType::BF16),
        (rows.col() < m) & (cols.row() < n));
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
                        {"NUM_STAGES", 2, "k steps whose loads are in flight at once"},
                        {"EVEN_M", 0, "1 when m is a multiple of BLOCK_M: no row mask (from m)"},
                        {"WARP_SPECIALIZE", 0,
                         "1: a producer warpgroup issues the TMA copies while the kernel's "
                         "warps (whole warpgroups) compute (sm_90a; ignored elsewhere)"},
                        {"GROUP_M", 0,
                         "tile rows per band of the programs' walk over c (L2 reuse); 0: "
                         "column order"}};
    kernel.body = fp8GemmBody;
    kernel.numWarps = 4;
    return kernel;
  }();
  return kernel;
}

} // namespace tessel::kernels
