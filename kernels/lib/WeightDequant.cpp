// weight_dequant: e4m3 weight times its 128 x 128 block scale, to bf16
// (DeepSeek-V3's weight_dequant_kernel). A program converts BLOCK_M rows of
// one scale block, so that the grid has enough programs to fill the GPU.
#include "ProgramOrder.h"
#include "tessel/kernels/Definitions.h"

namespace tessel::kernels {
namespace {

void weightDequantBody(const dsl::KernelScope &kernel) {
  using namespace dsl;
  Value q = kernel.arg("q"), s = kernel.arg("s"), out = kernel.arg("out");
  Value n = kernel.arg("n"), k = kernel.arg("k");
  int64_t rowsPerProgram = kernel.constant("BLOCK_M"), block = kernel.constant("BLOCK");

  Value scaleColumns = cdiv(k, block);
  auto [rowTile, columnTile] = detail::rowMajorTile(scaleColumns);
  Value rows = rowTile * rowsPerProgram + arange(0, rowsPerProgram);
  Value cols = columnTile * block + arange(0, block);
  Value mask = (rows.col() < n) & (cols.row() < k);
  Value offsets = rows.col() * k + cols.row();

  // Every row of this program lies in one scale block: BLOCK_M divides BLOCK.
  Value scaleRow = rowTile * rowsPerProgram / block;
  Value scale = load(s + scaleRow * scaleColumns + columnTile);
  Value v = load(q + offsets, mask, 0).to(DType::F32);
  store(out + offsets, (v * scale).to(DType::BF16), mask);
}

} // namespace

const dsl::KernelDefinition &weightDequantKernel() {
  static const dsl::KernelDefinition kernel = [] {
    dsl::KernelDefinition kernel;
    kernel.name = "weight_dequant";
    kernel.description =
        "q e4m3[n, k], s f32[ceil(n/128), ceil(k/128)] -> bf16[n, k]: q * s per 128x128 block";
    kernel.params = {dsl::Param::pointer("q", DType::F8E4M3), dsl::Param::pointer("s", DType::F32),
                     dsl::Param::pointer("out", DType::BF16), dsl::Param::scalar("n", DType::I32),
                     dsl::Param::scalar("k", DType::I32)};
    kernel.constants = {{"BLOCK_M", 32, "rows per program (divides BLOCK)"},
                        {"BLOCK", 128, "rows and columns per scale block"}};
    kernel.body = weightDequantBody;
    return kernel;
  }();
  return kernel;
}

} // namespace tessel::kernels
