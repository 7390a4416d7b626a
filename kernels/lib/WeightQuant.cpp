// weight_quant: 128 x 128 block quantization of a bf16 weight to e4m3 with
// one f32 scale per block, the act_quant rules over square blocks. Edge
// blocks (n, k not multiples of 128) are masked.
#include "ProgramOrder.h"
#include "ScaleRules.h"
#include "tessel/kernels/Definitions.h"

namespace tessel::kernels {
namespace {

void weightQuantBody(const dsl::KernelScope &kernel) {
  using namespace dsl;
  Value w = kernel.arg("w"), q = kernel.arg("q"), s = kernel.arg("s");
  Value n = kernel.arg("n"), k = kernel.arg("k");
  int64_t block = kernel.constant("BLOCK"), chunk = kernel.constant("CHUNK");
  bool ue8m0 = kernel.constant("UE8M0") != 0;

  // Programs are numbered like the scales: row-major over the blocks.
  auto [rowTile, columnTile] = detail::rowMajorTile(cdiv(k, block));
  Value firstRow = rowTile * block;
  Value cols = columnTile * block + arange(0, block);
  auto chunkAt = [&](const Value &offset) {
    Value rows = firstRow + offset + arange(0, chunk);
    Value mask = (rows.col() < n) & (cols.row() < k) & (offset < block);
    return std::pair{rows.col() * k + cols.row(), mask};
  };
  auto loadChunk = [&](const Value &offset) {
    auto [offsets, mask] = chunkAt(offset);
    return load(w + offsets, mask, 0);
  };
  auto quantizeChunk = [&](const Value &offset, const Value &values, const Value &scale,
                           const Value &inverse) {
    auto [offsets, mask] = chunkAt(offset);
    Value quotient = detail::divideByScale(values.to(DType::F32), scale, inverse);
    store(q + offsets, quotient.to(DType::F8E4M3), mask);
  };
  // The block's scale from its elements' magnitudes (masked elements load as
  // 0, which no amax is below).
  auto scaleOf = [&](const Value &magnitudes) {
    return detail::blockScale(max(max(magnitudes, 1), 0), ue8m0);
  };

  Value zero = constant(0, DType::I32);
  if (chunk == block) {
    // The default: the block is read once and stays in registers, in
    // straight-line code.
    Value values = loadChunk(zero);
    Value scale = scaleOf(abs(values.to(DType::F32)));
    quantizeChunk(zero, values, scale, 1.0 / scale);
    store(s + programId(0), scale);
    return;
  }

  // Smaller chunks walk the block twice, once for its amax and once to
  // quantize, trading a second read, from L2, for fewer registers. Each loop
  // loads the next chunk before it works on the current one (software
  // pipelining by hand), so that two loads per program are in flight.
  Value runningMax =
      forRange(0, block, chunk, {zeros({chunk, block}, DType::F32), loadChunk(zero)},
               [&](const Value &offset, const std::vector<Value> &carried) {
                 Value next = loadChunk(offset + chunk);
                 return std::vector<Value>{maximum(carried[0], abs(carried[1].to(DType::F32))),
                                           next};
               })[0];
  Value scale = scaleOf(runningMax);
  Value inverse = 1.0 / scale;
  forRange(0, block, chunk, {loadChunk(zero)},
           [&](const Value &offset, const std::vector<Value> &carried) {
             Value next = loadChunk(offset + chunk);
             quantizeChunk(offset, carried[0], scale, inverse);
             return std::vector<Value>{next};
           });
  store(s + programId(0), scale);
}

} // namespace

const dsl::KernelDefinition &weightQuantKernel() {
  static const dsl::KernelDefinition kernel = [] {
    dsl::KernelDefinition kernel;
    kernel.name = "weight_quant";
    kernel.description =
        "w bf16[n, k] -> q e4m3[n, k], s f32[ceil(n/128), ceil(k/128)]: one scale per 128x128 block";
    kernel.params = {dsl::Param::pointer("w", DType::BF16), dsl::Param::pointer("q", DType::F8E4M3),
                     dsl::Param::pointer("s", DType::F32), dsl::Param::scalar("n", DType::I32),
                     dsl::Param::scalar("k", DType::I32)};
    kernel.constants = {{"BLOCK", 128, "rows and columns per scale block"},
                        {"CHUNK", 128, "rows per loop step (divides BLOCK)"},
                        {"UE8M0", 0, "1: round scales up to powers of two"}};
    kernel.body = weightQuantBody;
    // 16 warps: 32 elements per thread (59 registers). 8 warps read about a
    // point of bandwidth faster, but twice the code per thread doubles the
    // time to compile it.
    kernel.numWarps = 16;
    return kernel;
  }();
  return kernel;
}

} // namespace tessel::kernels
