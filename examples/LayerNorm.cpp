// Layer normalization, forward: for each row of a bf16 matrix x,
//   y = (x - mean) * rstd * weight + bias,   rstd = 1 / sqrt(variance + eps),
// with the mean and the (biased) variance over the row, computed in f32; the
// third kernel of the guide. The kernel also writes each row's mean and rstd
// (f32), which a backward pass would read.
//
// A program holds ROWS whole rows in one tile, as the softmax does, so the
// variance is taken of the centered values in registers (two passes over the
// tile, not E[x^2] - E[x]^2, which cancels).
//
// Tolerance, per element, against the exact result in double:
//   |y - exact| <= 2^-8 |exact| + e_n (|xhat * weight| + |bias| + |weight| * rstd * mean|x|)
// 2^-8 |exact| is bf16's rounding of the result (half an ulp). e_n =
// (n + 8) * 2^-24 bounds the relative error of an f32 sum of n terms (n - 1
// roundings, in any order) and of the few roundings after it, which reach
// xhat through the variance, and the mean's error times rstd, which reaches
// it through x - mean. The mean must be within e_n mean|x| of the exact
// mean, rstd within 2 e_n of the exact rstd.
//
//   tessel-example-layer-norm                        the built-in shapes
//   tessel-example-layer-norm --rows M --cols N      one random M x N matrix
#include "ExampleSupport.h"

#include <random>

using namespace tessel;

namespace {

// [guide:layer-norm-body]
void layerNormBody(const dsl::KernelScope &kernel) {
  using namespace dsl;
  Value x = kernel.arg("x"), weight = kernel.arg("weight"), bias = kernel.arg("bias");
  Value y = kernel.arg("y"), mean = kernel.arg("mean"), rstd = kernel.arg("rstd");
  Value m = kernel.arg("m"), n = kernel.arg("n"), eps = kernel.arg("eps");
  int64_t rowsPerProgram = kernel.constant("ROWS"), block = kernel.constant("BLOCK");

  Value rows = programId(0) * rowsPerProgram + arange(0, rowsPerProgram); // [ROWS]
  Value cols = arange(0, block);                                           // [BLOCK]
  Value rowMask = rows < m, colMask = cols < n;
  Value mask = rowMask.col() & colMask.row(); // [ROWS, BLOCK]
  Value offsets = (rows * n).col() + cols.row();

  Value v = load(x + offsets, mask, 0).to(DType::F32);
  Value count = n.to(DType::F32);
  Value rowMean = sum(v, 1) / count; // [ROWS]
  // Zero past n, so that those columns add nothing to the variance.
  Value centered = where(mask, v - rowMean.col(), 0.0f);
  Value variance = sum(centered * centered, 1) / count;
  Value rowRstd = rsqrt(variance + eps); // [ROWS]

  Value w = load(weight + cols, colMask, 0).to(DType::F32); // [BLOCK]
  Value b = load(bias + cols, colMask, 0).to(DType::F32);
  Value normalized = centered * rowRstd.col();
  store(y + offsets, (normalized * w.row() + b.row()).to(DType::BF16), mask);
  store(mean + rows, rowMean, rowMask);
  store(rstd + rows, rowRstd, rowMask);
}
// [end]

const dsl::KernelDefinition &layerNormKernel() {
  static const dsl::KernelDefinition kernel = [] {
    dsl::KernelDefinition kernel;
    kernel.name = "layer_norm";
    kernel.description = "y bf16[m, n] = (x - mean) * rstd * weight + bias per row of x bf16[m, n]; "
                         "mean, rstd f32[m]";
    kernel.params = {dsl::Param::pointer("x", DType::BF16),
                     dsl::Param::pointer("weight", DType::BF16),
                     dsl::Param::pointer("bias", DType::BF16),
                     dsl::Param::pointer("y", DType::BF16),
                     dsl::Param::pointer("mean", DType::F32),
                     dsl::Param::pointer("rstd", DType::F32),
                     dsl::Param::scalar("m", DType::I32),
                     dsl::Param::scalar("n", DType::I32),
                     dsl::Param::scalar("eps", DType::F32)};
    kernel.constants = {{"ROWS", 1, "rows per program"},
                        {"BLOCK", 1024, "columns per tile: a power of two >= n"}};
    kernel.body = layerNormBody;
    return kernel;
  }();
  return kernel;
}

struct LayerNormOutputs {
  runtime::Tensor y, mean, rstd;
};

// [guide:layer-norm-host]
/// Normalizes each row of the bf16 [m, n] tensor x; weight and bias are bf16 [n].
LayerNormOutputs layerNorm(const runtime::Tensor &x, const runtime::Tensor &weight,
                           const runtime::Tensor &bias, float eps) {
  const int64_t m = x.shape()[0], n = x.shape()[1];
  LayerNormOutputs out{examples::poisoned(DType::BF16, {m, n}),
                       examples::poisoned(DType::F32, {m}), examples::poisoned(DType::F32, {m})};
  int64_t block = examples::nextPowerOfTwo(n);
  int64_t rows = std::max<int64_t>(1, 1024 / block);
  unsigned warps = unsigned(std::clamp<int64_t>(rows * block / 1024, 4, 16));
  unsigned programs = unsigned((m + rows - 1) / rows);
  examples::launch(layerNormKernel(), {programs, 1, 1}, {{"ROWS", rows}, {"BLOCK", block}},
                   {x.view(), weight.view(), bias.view(), out.y.view(), out.mean.view(),
                    out.rstd.view(), dsl::LaunchArg::i32(int32_t(m)),
                    dsl::LaunchArg::i32(int32_t(n)), dsl::LaunchArg::f32(eps)},
                   warps);
  return out;
}
// [end]

std::vector<uint16_t> randomBf16(int64_t count, float mean, float deviation, std::mt19937 &rng) {
  std::normal_distribution<float> normal(mean, deviation);
  std::vector<uint16_t> values(count);
  for (uint16_t &v : values)
    v = f32ToBf16(normal(rng));
  return values;
}

/// x, normal with deviation 1, with hard rows mixed in where there are
/// enough rows: zeros, a constant (variance 0: y is the bias), a large
/// offset beside a small deviation, and large magnitudes.
std::vector<uint16_t> layerNormInput(int64_t m, int64_t n, std::mt19937 &rng) {
  std::vector<uint16_t> x = randomBf16(m * n, 0.0f, 1.0f, rng);
  if (m >= 5) {
    std::fill_n(&x[1 * n], n, f32ToBf16(0.0f));
    std::fill_n(&x[2 * n], n, f32ToBf16(-3.25f));
    std::vector<uint16_t> offset = randomBf16(n, 100.0f, 1.0f, rng);
    std::copy(offset.begin(), offset.end(), &x[3 * n]);
    std::vector<uint16_t> large = randomBf16(n, 0.0f, 1.0e4f, rng);
    std::copy(large.begin(), large.end(), &x[4 * n]);
  }
  return x;
}

bool check(int64_t m, int64_t n, std::mt19937 &rng) {
  const float eps = 1e-5f;
  std::vector<uint16_t> x = layerNormInput(m, n, rng);
  std::vector<uint16_t> weight = randomBf16(n, 1.0f, 0.5f, rng);
  std::vector<uint16_t> bias = randomBf16(n, 0.0f, 0.5f, rng);
  LayerNormOutputs out = layerNorm(examples::upload(DType::BF16, {m, n}, x),
                                   examples::upload(DType::BF16, {n}, weight),
                                   examples::upload(DType::BF16, {n}, bias), eps);
  std::vector<uint16_t> y = examples::download<uint16_t>(out.y);
  std::vector<float> mean = examples::download<float>(out.mean);
  std::vector<float> rstd = examples::download<float>(out.rstd);

  examples::Mismatches mismatches(fmt::format("layer_norm {}x{}", m, n));
  const double en = double(n + 8) * 0x1p-24;
  double worst = 0; // the largest error as a fraction of its tolerance
  auto within = [&](double got, double exact, double tolerance) {
    double error = std::abs(got - exact);
    worst = std::max(worst, error / tolerance);
    return error <= tolerance; // false for NaN
  };
  for (int64_t row = 0; row < m; ++row) {
    const uint16_t *in = &x[row * n];
    double exactMean = 0, meanMagnitude = 0, variance = 0;
    for (int64_t col = 0; col < n; ++col) {
      exactMean += bf16ToF32(in[col]);
      meanMagnitude += std::abs(bf16ToF32(in[col]));
    }
    exactMean /= double(n), meanMagnitude /= double(n);
    for (int64_t col = 0; col < n; ++col)
      variance += std::pow(bf16ToF32(in[col]) - exactMean, 2);
    double exactRstd = 1.0 / std::sqrt(variance / double(n) + double(eps));

    if (!within(mean[row], exactMean, en * meanMagnitude + 1e-30))
      mismatches.add("mean[{}] = {} but the exact mean is {}", row, mean[row], exactMean);
    if (!within(rstd[row], exactRstd, 2 * en * exactRstd))
      mismatches.add("rstd[{}] = {} but the exact rstd is {}", row, rstd[row], exactRstd);
    for (int64_t col = 0; col < n; ++col) {
      double w = bf16ToF32(weight[col]), b = bf16ToF32(bias[col]);
      double scaled = (bf16ToF32(in[col]) - exactMean) * exactRstd * w;
      double exact = scaled + b;
      double tolerance = 0x1p-8 * std::abs(exact) +
                         en * (std::abs(scaled) + std::abs(b) + std::abs(w) * exactRstd * meanMagnitude);
      double got = bf16ToF32(y[row * n + col]);
      if (!within(got, exact, tolerance + 1e-30))
        mismatches.add("y[{}][{}] = {} but the exact value is {}", row, col, got, exact);
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
    // One element (y is the bias); one row with a tail; short rows sharing
    // programs; tails; powers of two; long rows.
    std::vector<std::pair<int64_t, int64_t>> shapes = {
        {1, 1}, {1, 1000}, {37, 100}, {6, 781}, {5, 2048}, {64, 4096}, {5, 16384}};
    if (flags.has("rows") || flags.has("cols"))
      shapes = {{flags.get("rows", 4096), flags.get("cols", 4096)}};
    bool ok = true;
    for (auto [m, n] : shapes)
      ok &= check(m, n, rng);
    return ok ? 0 : 1;
  } catch (const Error &error) {
    fmt::print(stderr, "layer_norm failed: {}\n", error.message());
    return 1;
  }
}
