// act_quant: block-wise activation quantization to e4m3 with one f32 scale per
// 1 x 128 block (DeepSeek-V3's act_quant_kernel).
//
// Unlike the reference kernel, which gives each program one 128-element
// block, a program quantizes ROWS consecutive blocks: x is seen as a list of
// 1 x 128 blocks in row-major order (the order of s), one per tile row. When
// k is a multiple of 128 a program's blocks are one contiguous stretch of x,
// read and written as a copy would. Columns past k and blocks past the last
// are masked, so k need not be a multiple of 128.
#include "ScaleRules.h"
#include "tessel/kernels/Definitions.h"

namespace tessel::kernels {
namespace {

void actQuantBody(const dsl::KernelScope &kernel) {
  using namespace dsl;
  Value x = kernel.arg("x"), y = kernel.arg("y"), s = kernel.arg("s");
  Value m = kernel.arg("m"), k = kernel.arg("k");
  int64_t blocksPerProgram = kernel.constant("ROWS"), block = kernel.constant("BLOCK");
  bool ue8m0 = kernel.constant("UE8M0") != 0;

  // Block b covers row b / scaleColumns, columns from (b % scaleColumns) * 128.
  Value scaleColumns = cdiv(k, block);
  Value blocks = programId(0) * blocksPerProgram + arange(0, blocksPerProgram);
  Value rows = blocks / scaleColumns;
  Value cols = (blocks % scaleColumns * block).col() + arange(0, block).row();
  Value mask = (rows < m).col() & (cols < k);
  Value offsets = (rows * k).col() + cols;

  Value v = load(x + offsets, mask, 0).to(DType::F32);
  Value scale = detail::blockScale(max(abs(v), 1), ue8m0);
  Value quotient = detail::divideByScale(v, scale.col(), (1.0 / scale).col());
  store(y + offsets, quotient.to(DType::F8E4M3), mask);
  store(s + blocks, scale, rows < m);
}

dsl::KernelDefinition makeActQuant(DType inputType) {
  dsl::KernelDefinition kernel;
  kernel.name = inputType == DType::BF16 ? "act_quant" : "act_quant_" + std::string(name(inputType));
  kernel.description = "x[m, k] -> y e4m3[m, k], s f32[m, ceil(k/128)]: one scale per 1x128 block";
  kernel.params = {dsl::Param::pointer("x", inputType), dsl::Param::pointer("y", DType::F8E4M3),
                   dsl::Param::pointer("s", DType::F32), dsl::Param::scalar("m", DType::I32),
                   dsl::Param::scalar("k", DType::I32)};
  kernel.constants = {{"ROWS", 16, "1x128 blocks per program (consecutive, row-major)"},
                      {"BLOCK", 128, "columns per scale block"},
                      {"UE8M0", 0, "1: round scales up to powers of two"}};
  kernel.body = actQuantBody;
  // 16 blocks over 2 warps: 32 elements per thread, which reads at memory
  // speed, and tiles small enough for the CPU interpreter's caches.
  kernel.numWarps = 2;
  return kernel;
}

} // namespace

const dsl::KernelDefinition &actQuantKernel(DType inputType) {
  static const dsl::KernelDefinition bf16 = makeActQuant(DType::BF16);
  static const dsl::KernelDefinition f16 = makeActQuant(DType::F16);
  static const dsl::KernelDefinition f32 = makeActQuant(DType::F32);
  switch (inputType) {
  case DType::F16:
    return f16;
  case DType::F32:
    return f32;
  default:
    return bf16;
  }
}

} // namespace tessel::kernels
