// Vector addition, out = x + y over f32 vectors of any length: the first
// kernel of the guide (docs/guide.md).
//
// Each program adds one BLOCK-long stretch; the last stretch is masked where
// it runs past n. f32 addition is exact up to its one IEEE rounding, which the
// GPU, the interpreter and the CPU reference all do alike, so the check is
// bit for bit.
//
//   tessel-example-vector-add            the built-in sizes (tails, one element)
//   tessel-example-vector-add --n N      one vector of N elements
#include "ExampleSupport.h"

#include <random>

using namespace tessel;

namespace {

// [guide:vector-add-body]
void vectorAddBody(const dsl::KernelScope &kernel) {
  using namespace dsl;
  Value x = kernel.arg("x"), y = kernel.arg("y"), out = kernel.arg("out");
  Value n = kernel.arg("n");
  int64_t block = kernel.constant("BLOCK");

  Value offsets = programId(0) * block + arange(0, block); // [BLOCK] i32
  Value mask = offsets < n;                                // [BLOCK] i1
  Value sum = load(x + offsets, mask) + load(y + offsets, mask);
  store(out + offsets, sum, mask);
}
// [end]

// [guide:vector-add-definition]
const dsl::KernelDefinition &vectorAddKernel() {
  static const dsl::KernelDefinition kernel = [] {
    dsl::KernelDefinition kernel;
    kernel.name = "vector_add";
    kernel.description = "out f32[n] = x f32[n] + y f32[n]";
    kernel.params = {dsl::Param::pointer("x", DType::F32), dsl::Param::pointer("y", DType::F32),
                     dsl::Param::pointer("out", DType::F32), dsl::Param::scalar("n", DType::I32)};
    kernel.constants = {{"BLOCK", 1024, "elements per program"}};
    kernel.body = vectorAddBody;
    return kernel;
  }();
  return kernel;
}
// [end]

// [guide:vector-add-host]
/// out = x + y on the device; x and y are f32 tensors of n elements.
void vectorAdd(const runtime::Tensor &x, const runtime::Tensor &y, const runtime::Tensor &out) {
  const int64_t block = 1024;
  const int64_t n = x.numel();
  unsigned programs = unsigned((n + block - 1) / block);
  examples::launch(vectorAddKernel(), {programs, 1, 1}, {{"BLOCK", block}},
                   {x.view(), y.view(), out.view(), dsl::LaunchArg::i32(int32_t(n))});
}
// [end]

/// Adds two random vectors of n elements and compares every bit with the
/// CPU's sums.
bool check(int64_t n, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n), y(n);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = normal(rng);
    y[i] = normal(rng);
  }
  // The extremes, where the vector is long enough to hold them: overflow to
  // infinity, cancellation to zero, subnormals (the GPU code keeps them).
  if (n >= 4) {
    x[0] = 3.0e38f, y[0] = 3.0e38f;
    x[1] = 1.5f, y[1] = -1.5f;
    x[2] = 1.0e-40f, y[2] = 2.0e-40f;
    x[3] = -0.0f, y[3] = -0.0f;
  }
  runtime::Tensor xd = examples::upload(DType::F32, {n}, x);
  runtime::Tensor yd = examples::upload(DType::F32, {n}, y);
  runtime::Tensor outd = examples::poisoned(DType::F32, {n});
  vectorAdd(xd, yd, outd);
  std::vector<float> out = examples::download<float>(outd);

  examples::Mismatches mismatches(fmt::format("vector_add n={}", n));
  for (int64_t i = 0; i < n; ++i) {
    float expected = x[i] + y[i];
    if (std::bit_cast<uint32_t>(out[i]) != std::bit_cast<uint32_t>(expected))
      mismatches.add("out[{}] = {} but {} + {} = {}", i, out[i], x[i], y[i], expected);
  }
  return mismatches.report();
}

} // namespace

int main(int argc, char **argv) {
  try {
    examples::Flags flags(argc, argv);
    std::mt19937 rng(uint32_t(flags.get("seed", 1)));
    examples::chooseBackend();
    // One element, a tail shorter than a block, exactly two blocks, and a
    // tail after several blocks.
    std::vector<int64_t> sizes = {1, 1000, 2048, 5000};
    if (flags.has("n"))
      sizes = {flags.get("n", 0)};
    bool ok = true;
    for (int64_t n : sizes)
      ok &= check(n, rng);
    return ok ? 0 : 1;
  } catch (const Error &error) {
    fmt::print(stderr, "vector_add failed: {}\n", error.message());
    return 1;
  }
}
