// Fused row softmax, y = exp(x - max(x)) / sum(exp(x - max(x))) along each
// row of a bf16 matrix, computed in f32: the second kernel of the guide.
//
// A program holds ROWS whole rows in one [ROWS, BLOCK] tile, BLOCK the row
// length rounded up to a power of two, so x is read once and y written once.
// Rows longer than a tile holds would need a loop over column blocks (an
// online softmax); this kernel does not have one.
//
// Tolerance: at most one bf16 ulp from the exact softmax rounded to bf16.
// The f32 work before the final rounding (exp, on the GPU ex2.approx with
// about 2 ulp of f32 error; a sum of up to 16384 terms; one division) is off
// by well under 2^-12 of the result, far less than bf16's half ulp (2^-9 of
// it), so the result can only land on the other side of a rounding boundary
// that lies that close: one ulp away.
//
//   tessel-example-softmax                          the built-in shapes
//   tessel-example-softmax --rows M --cols N        one random M x N matrix
#include "ExampleSupport.h"

#include <random>

using namespace tessel;

namespace {

// [guide:softmax-body]
void softmaxBody(const dsl::KernelScope &kernel) {
  using namespace dsl;
  Value x = kernel.arg("x"), y = kernel.arg("y");
  Value m = kernel.arg("m"), n = kernel.arg("n");
  int64_t rowsPerProgram = kernel.constant("ROWS"), block = kernel.constant("BLOCK");

  Value rows = programId(0) * rowsPerProgram + arange(0, rowsPerProgram); // [ROWS]
  Value cols = arange(0, block);                                           // [BLOCK]
  Value mask = (rows < m).col() & (cols < n).row();                        // [ROWS, BLOCK]
  Value offsets = (rows * n).col() + cols.row();

  // Columns past n read as -inf: they leave the maximum alone and exp makes
  // them 0, so they add nothing to the sum.
  Value v = load(x + offsets, mask, -INFINITY).to(DType::F32);
  Value numerator = exp(v - max(v, 1).col()); // every exponent <= 0: no overflow
  Value denominator = sum(numerator, 1);      // [ROWS]
  store(y + offsets, (numerator / denominator.col()).to(DType::BF16), mask);
}
// [end]

const dsl::KernelDefinition &softmaxKernel() {
  static const dsl::KernelDefinition kernel = [] {
    dsl::KernelDefinition kernel;
    kernel.name = "softmax";
    kernel.description = "y bf16[m, n] = softmax of each row of x bf16[m, n], in f32";
    kernel.params = {dsl::Param::pointer("x", DType::BF16), dsl::Param::pointer("y", DType::BF16),
                     dsl::Param::scalar("m", DType::I32), dsl::Param::scalar("n", DType::I32)};
    kernel.constants = {{"ROWS", 1, "rows per program"},
                        {"BLOCK", 1024, "columns per tile: a power of two >= n"}};
    kernel.body = softmaxBody;
    return kernel;
  }();
  return kernel;
}

// [guide:softmax-host]
/// y = softmax(x) along the rows of the bf16 [m, n] tensors x and y.
void softmax(const runtime::Tensor &x, const runtime::Tensor &y) {
  const int64_t m = x.shape()[0], n = x.shape()[1];
  // A whole row in one tile; short rows share a program, so that each
  // program has at least 1024 elements to work on.
  int64_t block = examples::nextPowerOfTwo(n);
  int64_t rows = std::max<int64_t>(1, 1024 / block);
  // About 32 elements per thread: 4 warps up to 4096, 16 at 16384.
  unsigned warps = unsigned(std::clamp<int64_t>(rows * block / 1024, 4, 16));
  unsigned programs = unsigned((m + rows - 1) / rows);
  examples::launch(softmaxKernel(), {programs, 1, 1}, {{"ROWS", rows}, {"BLOCK", block}},
                   {x.view(), y.view(), dsl::LaunchArg::i32(int32_t(m)),
                    dsl::LaunchArg::i32(int32_t(n))},
                   warps);
}
// [end]

/// The exact softmax of each row of x, in double, rounded to bf16.
std::vector<uint16_t> softmaxReference(const std::vector<uint16_t> &x, int64_t m, int64_t n) {
  std::vector<uint16_t> y(x.size());
  for (int64_t row = 0; row < m; ++row) {
    const uint16_t *in = &x[row * n];
    double maximum = -INFINITY, sum = 0;
    for (int64_t col = 0; col < n; ++col)
      maximum = std::max(maximum, double(bf16ToF32(in[col])));
    for (int64_t col = 0; col < n; ++col)
      sum += std::exp(double(bf16ToF32(in[col])) - maximum);
    for (int64_t col = 0; col < n; ++col)
      y[row * n + col] = f32ToBf16(float(std::exp(double(bf16ToF32(in[col])) - maximum) / sum));
  }
  return y;
}

/// A random matrix, normal with deviation 3, with hard rows mixed in where
/// there are enough rows: -inf entries (a causal mask), a constant row, and
/// values near bf16's largest, whose differences overflow f32 to -inf.
std::vector<uint16_t> softmaxInput(int64_t m, int64_t n, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<uint16_t> x(m * n);
  for (uint16_t &v : x)
    v = f32ToBf16(normal(rng));
  if (m >= 4) {
    for (int64_t col = n / 2 + 1; col < n; ++col)
      x[1 * n + col] = f32ToBf16(-INFINITY);
    for (int64_t col = 0; col < n; ++col)
      x[2 * n + col] = f32ToBf16(7.5f);
    for (int64_t col = 0; col < n; ++col)
      x[3 * n + col] = f32ToBf16(col % 2 ? 3.0e38f : -3.0e38f);
  }
  return x;
}

bool check(int64_t m, int64_t n, std::mt19937 &rng) {
  std::vector<uint16_t> x = softmaxInput(m, n, rng);
  runtime::Tensor xd = examples::upload(DType::BF16, {m, n}, x);
  runtime::Tensor yd = examples::poisoned(DType::BF16, {m, n});
  softmax(xd, yd);
  std::vector<uint16_t> y = examples::download<uint16_t>(yd);
  std::vector<uint16_t> expected = softmaxReference(x, m, n);

  examples::Mismatches mismatches(fmt::format("softmax {}x{}", m, n));
  int64_t offByOne = 0;
  for (int64_t i = 0; i < m * n; ++i) {
    int64_t ulps = examples::bf16UlpDistance(y[i], expected[i]);
    offByOne += ulps == 1;
    if (ulps > 1)
      mismatches.add("y[{}][{}] = {} but the exact softmax is {}", i / n, i % n,
                     bf16ToF32(y[i]), bf16ToF32(expected[i]));
  }
  fmt::print("  {} of {} elements one bf16 ulp from the exact result, the rest equal\n",
             offByOne, m * n);
  return mismatches.report();
}

} // namespace

int main(int argc, char **argv) {
  try {
    examples::Flags flags(argc, argv);
    std::mt19937 rng(uint32_t(flags.get("seed", 1)));
    examples::chooseBackend();
    // One element; one row with a tail; many short rows sharing programs,
    // with a last program half full; rows of exactly a power of two; long
    // rows.
    std::vector<std::pair<int64_t, int64_t>> shapes = {
        {1, 1}, {1, 1000}, {37, 100}, {6, 781}, {5, 2048}, {64, 4096}, {4, 16384}};
    if (flags.has("rows") || flags.has("cols"))
      shapes = {{flags.get("rows", 4096), flags.get("cols", 4096)}};
    bool ok = true;
    for (auto [m, n] : shapes)
      ok &= check(m, n, rng);
    return ok ? 0 : 1;
  } catch (const Error &error) {
    fmt::print(stderr, "softmax failed: {}\n", error.message());
    return 1;
  }
}
