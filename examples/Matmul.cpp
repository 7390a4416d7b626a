// Matrix multiplication, c = a · b, with bf16 operands a [m, k] and b [k, n]
// (both row-major), fp32 accumulation and a bf16 result: the fourth kernel
// of the guide.
//
// A program computes a BLOCK_M x BLOCK_N tile of c, stepping through k by
// BLOCK_K; each step loads a block of a and of b and adds their product on
// the tensor cores (dot) into an f32 accumulator carried by the loop. Loads
// are masked at every edge, so m, n and k are arbitrary.
//
// Tolerance, per element, against the exact product in double:
//   |c - exact| <= 2^-8 |exact| + 4 k 2^-24 sum_l |a[i][l] b[l][j]|
// Every product of two bf16 values is exact in f32, so the only errors are
// the f32 additions, at most (k - 1) 2^-24 of the sum of |products| in any
// order (the tensor core adds in its own; 4 k leaves room for it), and the
// final rounding to bf16, half an ulp: 2^-8 |exact|.
//
//   tessel-example-matmul                          the built-in shapes
//   tessel-example-matmul --m M --n N --k K        one random product
#include "ExampleSupport.h"

#include <random>

using namespace tessel;

namespace {

// [guide:matmul-body]
void matmulBody(const dsl::KernelScope &kernel) {
  using namespace dsl;
  Value a = kernel.arg("a"), b = kernel.arg("b"), c = kernel.arg("c");
  Value m = kernel.arg("m"), n = kernel.arg("n"), k = kernel.arg("k");
  int64_t blockM = kernel.constant("BLOCK_M"), blockN = kernel.constant("BLOCK_N");
  int64_t blockK = kernel.constant("BLOCK_K");

  Value rows = programId(0) * blockM + arange(0, blockM); // [BLOCK_M]
  Value cols = programId(1) * blockN + arange(0, blockN); // [BLOCK_N]
  Value ks = arange(0, blockK);                            // [BLOCK_K]

  Value acc = zeros({blockM, blockN}, DType::F32);
  acc = forRange(
      0, k, blockK, {acc},
      [&](const Value &kStart, const std::vector<Value> &carried) {
        Value kIndex = kStart + ks;
        // Elements past an edge read as 0, and a product with 0 adds nothing.
        Value aBlock = load(a + rows.col() * k + kIndex.row(),
                            (rows.col() < m) & (kIndex.row() < k), 0); // [BLOCK_M, BLOCK_K]
        Value bBlock = load(b + kIndex.col() * n + cols.row(),
                            (kIndex.col() < k) & (cols.row() < n), 0); // [BLOCK_K, BLOCK_N]
        return std::vector<Value>{dot(aBlock, bBlock, carried[0])};
      },
      LoopOptions{int(kernel.constant("NUM_STAGES"))})[0];

  store(c + rows.col() * n + cols.row(), acc.to(DType::BF16),
        (rows.col() < m) & (cols.row() < n));
}
// [end]

// [guide:matmul-definition]
const dsl::KernelDefinition &matmulKernel() {
  static const dsl::KernelDefinition kernel = [] {
    dsl::KernelDefinition kernel;
    kernel.name = "matmul_bf16";
    kernel.description = "c bf16[m, n] = a bf16[m, k] . b bf16[k, n], fp32 accumulation";
    kernel.params = {dsl::Param::pointer("a", DType::BF16), dsl::Param::pointer("b", DType::BF16),
                     dsl::Param::pointer("c", DType::BF16), dsl::Param::scalar("m", DType::I32),
                     dsl::Param::scalar("n", DType::I32), dsl::Param::scalar("k", DType::I32)};
    kernel.constants = {{"BLOCK_M", 64, "rows of c per program (>= 16)"},
                        {"BLOCK_N", 64, "columns of c per program (>= 16)"},
                        {"BLOCK_K", 32, "k per step (>= 16)"},
                        {"NUM_STAGES", 3, "k steps whose loads are in flight at once"}};
    kernel.body = matmulBody;
    kernel.numWarps = 4;
    return kernel;
  }();
  return kernel;
}
// [end]

// [guide:matmul-host]
/// c = a · b for bf16 tensors a [m, k], b [k, n] and c [m, n].
void matmul(const runtime::Tensor &a, const runtime::Tensor &b, const runtime::Tensor &c) {
  const int64_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
  const int64_t blockM = 64, blockN = 64;
  unsigned rowBlocks = unsigned((m + blockM - 1) / blockM);
  unsigned colBlocks = unsigned((n + blockN - 1) / blockN);
  examples::launch(matmulKernel(), {rowBlocks, colBlocks, 1},
                   {{"BLOCK_M", blockM}, {"BLOCK_N", blockN}},
                   {a.view(), b.view(), c.view(), dsl::LaunchArg::i32(int32_t(m)),
                    dsl::LaunchArg::i32(int32_t(n)), dsl::LaunchArg::i32(int32_t(k))});
}
// [end]

/// Random bf16 values, normal with deviation `scale`; a scale of 0 gives
/// zeros.
std::vector<uint16_t> randomBf16(int64_t count, float scale, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<uint16_t> values(count);
  for (uint16_t &v : values)
    v = f32ToBf16(normal(rng) * scale);
  return values;
}

bool check(int64_t m, int64_t n, int64_t k, float scale, std::mt19937 &rng) {
  std::vector<uint16_t> a = randomBf16(m * k, scale, rng), b = randomBf16(k * n, scale, rng);
  runtime::Tensor cd = examples::poisoned(DType::BF16, {m, n});
  matmul(examples::upload(DType::BF16, {m, k}, a), examples::upload(DType::BF16, {k, n}, b), cd);
  std::vector<uint16_t> c = examples::download<uint16_t>(cd);

  examples::Mismatches mismatches(fmt::format("matmul {}x{}x{}, scale {}", m, n, k, scale));
  double worst = 0; // the largest error as a fraction of its tolerance
  std::vector<double> exact(n), magnitude(n);
  // Every row, or 16 rows spread over c where the reference would take
  // minutes (a big product run on a GPU).
  std::vector<int64_t> checkedRows;
  const int64_t rowStep = m * n * k <= (int64_t(1) << 30) ? 1 : std::max<int64_t>(1, m / 16);
  for (int64_t i = 0; i < m; i += rowStep)
    checkedRows.push_back(i);
  if (checkedRows.back() != m - 1)
    checkedRows.push_back(m - 1);
  for (int64_t i : checkedRows) {
    std::fill(exact.begin(), exact.end(), 0.0);
    std::fill(magnitude.begin(), magnitude.end(), 0.0);
    for (int64_t l = 0; l < k; ++l) {
      double av = bf16ToF32(a[i * k + l]);
      for (int64_t j = 0; j < n; ++j) {
        double product = av * double(bf16ToF32(b[l * n + j]));
        exact[j] += product;
        magnitude[j] += std::abs(product);
      }
    }
    for (int64_t j = 0; j < n; ++j) {
      double got = bf16ToF32(c[i * n + j]);
      double tolerance = 0x1p-8 * std::abs(exact[j]) + 4.0 * double(k) * 0x1p-24 * magnitude[j];
      double error = std::abs(got - exact[j]);
      if (tolerance > 0)
        worst = std::max(worst, error / tolerance);
      if (!(error <= tolerance)) // NaN: never written
        mismatches.add("c[{}][{}] = {} but the exact sum is {}", i, j, got, exact[j]);
    }
  }
  fmt::print("  largest error {:.3f} of its tolerance\n", worst);
  return mismatches.report();
}

} // namespace

int main(int argc, char **argv) {
  try {
    examples::Flags flags(argc, argv);
    std::mt19937 rng(uint32_t(flags.get("seed", 1)));
    examples::chooseBackend();
    struct Shape {
      int64_t m, n, k;
      float scale;
    };
    // One element; a single row (decode); tails in every dimension, k below
    // one step; exact multiples of the tiles; zeros (c must be 0 exactly);
    // magnitudes near 2^60 whose products near 2^120 stay inside f32's range.
    std::vector<Shape> shapes = {{1, 1, 1, 1.0f},      {1, 300, 200, 1.0f}, {77, 70, 208, 1.0f},
                                 {130, 129, 20, 1.0f}, {128, 64, 96, 1.0f}, {33, 65, 40, 0.0f},
                                 {40, 50, 100, 0x1p60f}};
    if (flags.has("m") || flags.has("n") || flags.has("k"))
      shapes = {{flags.get("m", 4096), flags.get("n", 4096), flags.get("k", 4096), 1.0f}};
    bool ok = true;
    for (const Shape &shape : shapes)
      ok &= check(shape.m, shape.n, shape.k, shape.scale, rng);
    return ok ? 0 : 1;
  } catch (const Error &error) {
    fmt::print(stderr, "matmul failed: {}\n", error.message());
    return 1;
  }
}
