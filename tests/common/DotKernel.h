// A test kernel over tile.dot: c[m, n] f32 = a[m, k] . b[n, k]^T for any
// operand types dot takes, masked on every edge, stepping BLOCK_K along k
// with NUM_STAGES stages. Shared by the GPU tests and the ptxas check.
#pragma once

#include "tessel/dsl/DSL.h"

#include <fmt/format.h>

#include <map>
#include <utility>

namespace tessel::kernels::test {

/// Rows and columns of c per program.
constexpr int64_t kDotBlockM = 64, kDotBlockN = 64;

/// c[m, n] f32 = a[m, k] . b[n, k]^T, masked on every edge.
inline void dotBody(const dsl::KernelScope &kernel) {
  using namespace dsl;
  Value a = kernel.arg("a"), b = kernel.arg("b"), c = kernel.arg("c");
  Value m = kernel.arg("m"), n = kernel.arg("n"), k = kernel.arg("k");
  int64_t blockK = kernel.constant("BLOCK_K");
  Value rows = programId(0) * kDotBlockM + arange(0, kDotBlockM);
  Value cols = programId(1) * kDotBlockN + arange(0, kDotBlockN);
  Value ks = arange(0, blockK);
  Value acc = zeros({kDotBlockM, kDotBlockN}, DType::F32);
  acc = forRange(0, k, blockK, {acc},
                 [&](const Value &kStart, const std::vector<Value> &carried) {
                   Value kIndex = kStart + ks;
                   Value av = load(a + rows.col() * k + kIndex.row(),
                                   (rows.col() < m) & (kIndex.row() < k), 0);
                   Value bv = load(b + cols.row() * k + kIndex.col(),
                                   (cols.row() < n) & (kIndex.col() < k), 0);
                   return std::vector<Value>{dot(av, bv, carried[0])};
                 },
                 LoopOptions{int(kernel.constant("NUM_STAGES"))})[0];
  store(c + rows.col() * n + cols.row(), acc, (rows.col() < m) & (cols.row() < n));
}

inline const dsl::KernelDefinition &dotKernel(DType aType, DType bType) {
  static std::map<std::pair<DType, DType>, dsl::KernelDefinition> kernels;
  auto [it, inserted] = kernels.try_emplace({aType, bType});
  if (inserted) {
    dsl::KernelDefinition &kernel = it->second;
    kernel.name = fmt::format("dot_{}_{}", name(aType), name(bType));
    kernel.params = {dsl::Param::pointer("a", aType), dsl::Param::pointer("b", bType),
                     dsl::Param::pointer("c", DType::F32), dsl::Param::scalar("m", DType::I32),
                     dsl::Param::scalar("n", DType::I32), dsl::Param::scalar("k", DType::I32)};
    kernel.constants = {{"BLOCK_K", 32, "k per step"}, {"NUM_STAGES", 1, "stages"}};
    kernel.body = dotBody;
  }
  return it->second;
}

} // namespace tessel::kernels::test
