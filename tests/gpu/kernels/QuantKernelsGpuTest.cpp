// act_quant, weight_quant and weight_dequant on the GPU against the CPU
// references (tessel/kernels/Reference.h), bit for bit, on fresh random
// inputs and on edge cases: zeros, values at +-448 * s, tiny and huge
// magnitudes, tails. Outputs are poisoned before each launch, so that an
// element the kernel does not write fails the comparison.
//
// The same tests run with TESSEL_INTERPRET=1 (ctest label `interpreter`): the
// same host code, on the CPU interpreter, with host memory as device memory.
#include "KernelTestSupport.h"
#include "tessel/Compiler/Pipeline.h"

#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/kernels/Kernels.h"
#include "tessel/kernels/Reference.h"
#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Tensor.h"
#include "tessel/support/Float8.h"

#include <fmt/format.h>

#include <bit>
#include <filesystem>
#include <fstream>

#include <unistd.h>
#include <cmath>
#include <cstring>
#include <random>

namespace tessel::kernels {
namespace {

using runtime::Tensor;
using test::download;
using test::firstMismatch;
using test::KernelBackendTest;
using test::poisoned;
using test::upload;

/// How the values of a test input are drawn.
enum class Fill {
  Normal,        ///< N(0, 1) times a per-row magnitude from 2^-40 to 2^40
  Zeros,         ///< every element 0 (the scale floor keeps NaN out)
  AtRangeEdges,  ///< each block holds +-amax exactly and values near it
  Extremes,      ///< bf16 max, min normal, subnormals, +-0 mixed in
};

std::vector<float> makeValues(int64_t rows, int64_t cols, Fill fill, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> exponent(-40, 40);
  std::vector<float> values(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    float magnitude = std::ldexp(1.0f, exponent(rng));
    for (int64_t c = 0; c < cols; ++c) {
      float &v = values[r * cols + c];
      switch (fill) {
      case Fill::Normal:
        v = normal(rng) * magnitude;
        break;
      case Fill::Zeros:
        v = (c % 2) ? 0.0f : -0.0f;
        break;
      case Fill::AtRangeEdges:
        // amax = 448 * magnitude / 448-ish: the largest element maps to
        // exactly +-448 after scaling, its neighbours land on ties.
        v = (c % 128 == 0) ? magnitude : magnitude * (float(c % 128) / 128.0f) * (c % 3 ? 1 : -1);
        break;
      case Fill::Extremes: {
        const float specials[] = {3.3895e38f, -3.3895e38f, 1.1754944e-38f, 9.2e-41f,
                                  -9.2e-41f,  0.0f,        -0.0f,          1.0f};
        v = specials[(r + c) % 8];
        break;
      }
      }
    }
  }
  return values;
}

std::vector<uint16_t> toBf16(const std::vector<float> &values) {
  std::vector<uint16_t> bits(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    bits[i] = f32ToBf16(values[i]);
  return bits;
}

struct Shape {
  int64_t rows, cols;
};

class QuantGpuTest : public KernelBackendTest {};

class ActQuantGpuTest : public KernelBackendTest,
                        public ::testing::WithParamInterface<std::tuple<Shape, Fill, bool>> {};

TEST_P(ActQuantGpuTest, MatchesReferenceBitForBit) {
  auto [shape, fill, ue8m0] = GetParam();
  std::vector<float> values = makeValues(shape.rows, shape.cols, fill, std::random_device{}());
  std::vector<uint16_t> x = toBf16(values);
  int64_t blocks = (shape.cols + 127) / 128;
  std::vector<uint8_t> yRef(x.size());
  std::vector<float> sRef(shape.rows * blocks);
  actQuantReference(x.data(), shape.rows, shape.cols, yRef.data(), sRef.data(), 128, ue8m0);

  Tensor xd = upload(DType::BF16, {shape.rows, shape.cols}, x);
  Tensor yd = poisoned(DType::F8E4M3, {shape.rows, shape.cols});
  Tensor sd = poisoned(DType::F32, {shape.rows, blocks});
  QuantizeOptions options;
  options.ue8m0Scales = ue8m0;
  Status launched = actQuant(xd.view(), yd.view(), sd.view(), options);
  ASSERT_TRUE(launched) << launched.error().message();
  std::vector<uint8_t> y = download<uint8_t>(yd);
  std::vector<float> s = download<float>(sd);
  int64_t bad = firstMismatch(s, sRef);
  ASSERT_EQ(bad, -1) << "scale " << bad << ": gpu " << s[bad] << " reference " << sRef[bad];
  bad = firstMismatch(y, yRef);
  ASSERT_EQ(bad, -1) << "element " << bad << " (x bits 0x" << std::hex << x[bad] << "): gpu 0x"
                     << int(y[bad]) << " reference 0x" << int(yRef[bad]);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ActQuantGpuTest,
    ::testing::Combine(::testing::Values(Shape{1, 128}, Shape{7, 7168}, Shape{33, 300},
                                         Shape{512, 7168}, Shape{3, 1}),
                       ::testing::Values(Fill::Normal, Fill::Zeros, Fill::AtRangeEdges,
                                         Fill::Extremes),
                       ::testing::Bool()));

TEST_F(QuantGpuTest, ActQuantAcceptsF16AndF32InputsAndLeadingDimensions) {
  for (DType dtype : {DType::F16, DType::F32}) {
    std::vector<float> values = makeValues(6, 384, Fill::Normal, 7);
    std::vector<int64_t> shape = {2, 3, 384};
    std::vector<uint8_t> yRef(values.size());
    std::vector<float> sRef(6 * 3);
    Tensor xd = Tensor::empty(dtype, shape).value();
    if (dtype == DType::F32) {
      xd.copyFromHost(values).check();
      actQuantReference(DType::F32, values.data(), 6, 384, yRef.data(), sRef.data());
    } else {
      std::vector<uint16_t> half(values.size());
      for (size_t i = 0; i < values.size(); ++i)
        half[i] = f32ToF16(values[i]);
      xd.copyFromHost(half).check();
      actQuantReference(DType::F16, half.data(), 6, 384, yRef.data(), sRef.data());
    }
    Expected<Quantized> q = actQuant(xd.view());
    ASSERT_TRUE(q) << q.error().message();
    EXPECT_EQ(q->scales.view().shape, (std::vector<int64_t>{2, 3, 3}));
    EXPECT_EQ(firstMismatch(download<uint8_t>(q->values), yRef), -1) << name(dtype);
    EXPECT_EQ(firstMismatch(download<float>(q->scales), sRef), -1) << name(dtype);
  }
}

class WeightGpuTest : public KernelBackendTest,
                      public ::testing::WithParamInterface<std::tuple<Shape, Fill>> {};

TEST_P(WeightGpuTest, QuantizeMatchesReferenceBitForBit) {
  auto [shape, fill] = GetParam();
  std::vector<uint16_t> w = toBf16(makeValues(shape.rows, shape.cols, fill, std::random_device{}()));
  int64_t nb = (shape.rows + 127) / 128, kb = (shape.cols + 127) / 128;
  std::vector<uint8_t> qRef(w.size());
  std::vector<float> sRef(nb * kb);
  weightQuantReference(w.data(), shape.rows, shape.cols, qRef.data(), sRef.data());

  Tensor wd = upload(DType::BF16, {shape.rows, shape.cols}, w);
  Tensor qd = poisoned(DType::F8E4M3, {shape.rows, shape.cols});
  Tensor sd = poisoned(DType::F32, {nb, kb});
  Status launched = weightQuant(wd.view(), qd.view(), sd.view());
  ASSERT_TRUE(launched) << launched.error().message();
  std::vector<float> s = download<float>(sd);
  int64_t bad = firstMismatch(s, sRef);
  ASSERT_EQ(bad, -1) << "scale " << bad << ": gpu " << s[bad] << " reference " << sRef[bad];
  std::vector<uint8_t> q = download<uint8_t>(qd);
  bad = firstMismatch(q, qRef);
  ASSERT_EQ(bad, -1) << "element " << bad << ": gpu " << int(q[bad]) << " reference "
                     << int(qRef[bad]);
}

TEST_P(WeightGpuTest, DequantizeMatchesReferenceBitForBit) {
  auto [shape, fill] = GetParam();
  int64_t nb = (shape.rows + 127) / 128, kb = (shape.cols + 127) / 128;
  // Quantize on the CPU to get realistic codes and scales, then add every
  // finite e4m3 code in the first rows.
  std::vector<uint16_t> w = toBf16(makeValues(shape.rows, shape.cols, fill, std::random_device{}()));
  std::vector<uint8_t> q(w.size());
  std::vector<float> s(nb * kb);
  weightQuantReference(w.data(), shape.rows, shape.cols, q.data(), s.data());
  for (size_t i = 0; i < q.size() && i < 256; ++i)
    if ((i & 0x7F) != 0x7F) // 0x7F and 0xFF are NaN
      q[i] = uint8_t(i);
  std::vector<uint16_t> ref(q.size());
  weightDequantReference(q.data(), s.data(), shape.rows, shape.cols, ref.data());

  Tensor qd = upload(DType::F8E4M3, {shape.rows, shape.cols}, q);
  Tensor sd = upload(DType::F32, {nb, kb}, s);
  Tensor out = poisoned(DType::BF16, {shape.rows, shape.cols});
  Status launched = weightDequant(qd.view(), sd.view(), out.view());
  ASSERT_TRUE(launched) << launched.error().message();
  std::vector<uint16_t> got = download<uint16_t>(out);
  int64_t bad = firstMismatch(got, ref);
  ASSERT_EQ(bad, -1) << "element " << bad << ": gpu 0x" << std::hex << got[bad]
                     << " reference 0x" << ref[bad];
}

INSTANTIATE_TEST_SUITE_P(Shapes, WeightGpuTest,
                         ::testing::Combine(::testing::Values(Shape{128, 128}, Shape{300, 200},
                                                              Shape{1, 7}, Shape{1024, 7168},
                                                              Shape{2112, 7168}),
                                            ::testing::Values(Fill::Normal, Fill::Zeros,
                                                              Fill::AtRangeEdges,
                                                              Fill::Extremes)));

TEST_F(QuantGpuTest, BadArgumentsLaunchNothing) {
  Tensor x = Tensor::empty(DType::BF16, {4, 256}).value();
  Tensor y = poisoned(DType::F8E4M3, {4, 256});
  Tensor wrongScales = poisoned(DType::F32, {4, 3});
  Status status = actQuant(x.view(), y.view(), wrongScales.view());
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("argument s"), std::string::npos)
      << status.error().message();
  std::vector<uint8_t> untouched = download<uint8_t>(y);
  EXPECT_EQ(firstMismatch(untouched, std::vector<uint8_t>(untouched.size(), 0xFF)), -1);
}

} // namespace
} // namespace tessel::kernels

namespace tessel::kernels {
namespace {

/// Every bf16 bit pattern (NaN, Inf, subnormals, both zeros) through
/// act_quant and back through weight_dequant, compiled for each target the
/// H100 can run: sm_90a uses the hardware fp8 conversions, sm_80 the integer
/// ones; both must give the reference's bits.
class AllBf16PatternsGpuTest : public KernelBackendTest,
                               public ::testing::WithParamInterface<const char *> {};

TEST_P(AllBf16PatternsGpuTest, ActQuantAndDequantMatchReference) {
  constexpr int64_t kRows = 512, kCols = 128; // 2^16 values, one block per row
  std::vector<uint16_t> x(kRows * kCols);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = uint16_t(i);
  std::vector<uint8_t> yRef(x.size());
  std::vector<float> sRef(kRows);
  actQuantReference(x.data(), kRows, kCols, yRef.data(), sRef.data());
  // Dequantize the codes with the row's scale as a 1 x 128 "weight" block.
  std::vector<uint16_t> backRef(x.size());
  for (int64_t r = 0; r < kRows; ++r)
    weightDequantReference(yRef.data() + r * kCols, &sRef[r], 1, kCols, backRef.data() + r * kCols);

  dsl::JitOptions options;
  options.arch = GetParam();
  options.cacheDirectory = "";
  std::unique_ptr<dsl::Jit> jit = dsl::Jit::create(options).value();
  Tensor xd = upload(DType::BF16, {kRows, kCols}, x);
  Tensor yd = poisoned(DType::F8E4M3, {kRows, kCols});
  Tensor sd = poisoned(DType::F32, {kRows, 1});
  dsl::LaunchSpec spec;
  spec.grid = {kRows / 16, 1, 1};
  spec.constants = {{"ROWS", 16}};
  std::vector<dsl::LaunchArg> args = {xd.view(), yd.view(), sd.view(), dsl::LaunchArg::i32(kRows),
                                      dsl::LaunchArg::i32(kCols)};
  Status launched = jit->launch(actQuantKernel(), spec, args);
  ASSERT_TRUE(launched) << launched.error().message();
  std::vector<uint8_t> y = download<uint8_t>(yd);
  std::vector<float> s = download<float>(sd);
  int64_t bad = firstMismatch(s, sRef);
  ASSERT_EQ(bad, -1) << GetParam() << ": scale of row " << bad << ": gpu " << s[bad]
                     << " reference " << sRef[bad];
  bad = firstMismatch(y, yRef);
  ASSERT_EQ(bad, -1) << GetParam() << ": bf16 0x" << std::hex << x[bad] << ": gpu 0x" << int(y[bad])
                     << " reference 0x" << int(yRef[bad]);

  // The interpreter on the same 2^16 patterns gives the GPU's bits directly.
  std::vector<uint8_t> yInterpreted(x.size());
  std::vector<float> sInterpreted(kRows);
  InterpreterArg hostArgs[] = {InterpreterArg::hostPointer(x.data()),
                               InterpreterArg::hostPointer(yInterpreted.data()),
                               InterpreterArg::hostPointer(sInterpreted.data()),
                               InterpreterArg::i32(kRows), InterpreterArg::i32(kCols)};
  MemoryRegion hostRegions[] = {{x.data(), x.size() * 2, "x"},
                                {yInterpreted.data(), yInterpreted.size(), "y"},
                                {sInterpreted.data(), sInterpreted.size() * 4, "s"}};
  InterpretOptions interpretOptions;
  interpretOptions.grid = spec.grid;
  Status interpreted = dsl::build(actQuantKernel(), spec.constants)
                           .value()
                           .interpret(hostArgs, hostRegions, interpretOptions);
  ASSERT_TRUE(interpreted) << interpreted.error().message();
  EXPECT_EQ(firstMismatch(yInterpreted, y), -1) << GetParam();
  EXPECT_EQ(firstMismatch(sInterpreted, s), -1) << GetParam();

}

TEST_P(AllBf16PatternsGpuTest, DequantOfEveryE4M3CodeMatchesReference) {
  // [128, 256]: every row holds all 256 codes; two scale blocks per row.
  constexpr int64_t kRows = 128, kCols = 256;
  std::vector<uint8_t> q(kRows * kCols);
  for (size_t i = 0; i < q.size(); ++i)
    q[i] = uint8_t(i);
  std::vector<float> scales = {1.0f, 3.7e-3f};
  std::vector<uint16_t> ref(q.size());
  weightDequantReference(q.data(), scales.data(), kRows, kCols, ref.data());

  dsl::JitOptions options;
  options.arch = GetParam();
  options.cacheDirectory = "";
  std::unique_ptr<dsl::Jit> jit = dsl::Jit::create(options).value();
  Tensor qd = upload(DType::F8E4M3, {kRows, kCols}, q);
  Tensor sd = upload(DType::F32, {1, 2}, scales);
  Tensor out = poisoned(DType::BF16, {kRows, kCols});
  dsl::LaunchSpec spec;
  spec.constants = {{"BLOCK_M", 32}};
  spec.grid = {kRows / 32 * (kCols / 128), 1, 1};
  std::vector<dsl::LaunchArg> args = {qd.view(), sd.view(), out.view(), dsl::LaunchArg::i32(kRows),
                                      dsl::LaunchArg::i32(kCols)};
  Status launched = jit->launch(weightDequantKernel(), spec, args);
  ASSERT_TRUE(launched) << launched.error().message();
  std::vector<uint16_t> got = download<uint16_t>(out);
  for (size_t i = 0; i < got.size(); ++i) {
    bool bothNaN = std::isnan(bf16ToF32(got[i])) && std::isnan(bf16ToF32(ref[i]));
    ASSERT_TRUE(bothNaN || got[i] == ref[i])
        << GetParam() << ": code 0x" << std::hex << int(q[i]) << ": gpu 0x" << got[i]
        << " reference 0x" << ref[i];
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, AllBf16PatternsGpuTest, ::testing::Values("sm_80", "sm_90a"));

} // namespace
} // namespace tessel::kernels

namespace tessel::kernels {
namespace {

/// The CPU interpreter and the GPU agree bit for bit on the same inputs.
class InterpreterAgreementGpuTest : public KernelBackendTest {};

TEST_F(InterpreterAgreementGpuTest, ActQuantWeightQuantAndDequantAgree) {
  constexpr int64_t kRows = 300, kCols = 7168;
  std::vector<uint16_t> x = toBf16(makeValues(kRows, kCols, Fill::Normal, std::random_device{}()));
  constexpr int64_t kBlocks = kCols / 128, kScaleRows = (kRows + 127) / 128;
  auto region = [](const auto &v, const char *name) {
    return MemoryRegion{v.data(), v.size() * sizeof(v[0]), name};
  };
  auto pointer = [](const auto &v) { return InterpreterArg::hostPointer(v.data()); };
  auto run = [](const dsl::KernelDefinition &kernel, std::array<unsigned, 3> grid,
                std::vector<InterpreterArg> args, std::vector<MemoryRegion> regions) {
    InterpretOptions options;
    options.grid = grid;
    Status ran = dsl::build(kernel).value().interpret(args, regions, options);
    ASSERT_TRUE(ran) << ran.error().message();
  };

  // Interpreter.
  std::vector<uint8_t> y(x.size()), q(x.size());
  std::vector<float> s(kRows * kBlocks), sw(kScaleRows * kBlocks);
  std::vector<uint16_t> back(x.size());
  run(actQuantKernel(), {unsigned((kRows * kBlocks + 15) / 16), 1, 1},
      {pointer(x), pointer(y), pointer(s), InterpreterArg::i32(kRows), InterpreterArg::i32(kCols)},
      {region(x, "x"), region(y, "y"), region(s, "s")});
  run(weightQuantKernel(), {kScaleRows * kBlocks, 1, 1},
      {pointer(x), pointer(q), pointer(sw), InterpreterArg::i32(kRows), InterpreterArg::i32(kCols)},
      {region(x, "w"), region(q, "q"), region(sw, "s")});
  run(weightDequantKernel(), {unsigned((kRows + 31) / 32 * kBlocks), 1, 1},
      {pointer(q), pointer(sw), pointer(back), InterpreterArg::i32(kRows),
       InterpreterArg::i32(kCols)},
      {region(q, "q"), region(sw, "s"), region(back, "out")});

  // GPU.
  Tensor xd = upload(DType::BF16, {kRows, kCols}, x);
  Quantized a = actQuant(xd.view()).value();
  Quantized b = weightQuant(xd.view()).value();
  Tensor backd = weightDequant(b.values.view(), b.scales.view()).value();
  EXPECT_EQ(firstMismatch(download<uint8_t>(a.values), y), -1);
  EXPECT_EQ(firstMismatch(download<float>(a.scales), s), -1);
  EXPECT_EQ(firstMismatch(download<uint8_t>(b.values), q), -1);
  EXPECT_EQ(firstMismatch(download<float>(b.scales), sw), -1);
  EXPECT_EQ(firstMismatch(download<uint16_t>(backd), back), -1);
}

} // namespace
} // namespace tessel::kernels

namespace tessel::kernels {
namespace {

/// What the interpreter backend adds to a GPU: reads of memory nothing wrote
/// are reported instead of returning garbage.
TEST_F(QuantGpuTest, InterpreterReportsReadsOfUnwrittenMemory) {
  if (runtime::activeBackend() != runtime::Backend::Interpreter)
    GTEST_SKIP() << "checked by the interpreter backend only";
  Tensor x = Tensor::empty(DType::BF16, {4, 256}).value(); // never written
  Expected<Quantized> result = actQuant(x.view());
  ASSERT_FALSE(result);
  const std::string message = result.error().message();
  EXPECT_NE(message.find("kernel act_quant"), std::string::npos) << message;
  EXPECT_NE(message.find("tile.load"), std::string::npos) << message;
  EXPECT_NE(message.find("that nothing has written"), std::string::npos) << message;
}

} // namespace
} // namespace tessel::kernels

namespace tessel::kernels {
namespace {

/// One launch on a GPU machine chosen to run in the interpreter: same bits as
/// the GPU, and the interpreter's checks on the user's device buffers.
TEST_F(QuantGpuTest, PerLaunchInterpretationMatchesTheGpuAndChecksAccesses) {
  if (runtime::activeBackend() == runtime::Backend::Interpreter)
    GTEST_SKIP() << "GPU backend only: per-launch interpretation copies device buffers";
  constexpr int64_t kRows = 64, kCols = 7168;
  std::vector<uint16_t> x = toBf16(makeValues(kRows, kCols, Fill::Normal, std::random_device{}()));
  Tensor xd = upload(DType::BF16, {kRows, kCols}, x);
  Tensor gpuY = poisoned(DType::F8E4M3, {kRows, kCols});
  Tensor gpuS = poisoned(DType::F32, {kRows, kCols / 128});
  Tensor hostY = poisoned(DType::F8E4M3, {kRows, kCols});
  Tensor hostS = poisoned(DType::F32, {kRows, kCols / 128});
  dsl::Jit *jit = dsl::Jit::global().value();
  dsl::LaunchSpec spec;
  spec.grid = {kRows / 16 * (kCols / 128), 1, 1};
  std::vector<dsl::LaunchArg> gpuArgs = {xd.view(), gpuY.view(), gpuS.view(),
                                         dsl::LaunchArg::i32(kRows), dsl::LaunchArg::i32(kCols)};
  ASSERT_TRUE(jit->launch(actQuantKernel(), spec, gpuArgs));
  spec.interpret = true;
  std::vector<dsl::LaunchArg> hostArgs = {xd.view(), hostY.view(), hostS.view(),
                                          dsl::LaunchArg::i32(kRows), dsl::LaunchArg::i32(kCols)};
  Status interpreted = jit->launch(actQuantKernel(), spec, hostArgs);
  ASSERT_TRUE(interpreted) << interpreted.error().message();
  EXPECT_EQ(firstMismatch(download<uint8_t>(hostY), download<uint8_t>(gpuY)), -1);
  EXPECT_EQ(firstMismatch(download<float>(hostS), download<float>(gpuS)), -1);

  // m larger than x: the GPU would read past the buffer; the interpreter says
  // where, and leaves the device buffers as they were.
  Tensor untouched = poisoned(DType::F8E4M3, {kRows, kCols});
  std::vector<dsl::LaunchArg> badArgs = {xd.view(), untouched.view(), hostS.view(),
                                         dsl::LaunchArg::i32(2 * kRows),
                                         dsl::LaunchArg::i32(kCols)};
  spec.grid = {2 * kRows / 16 * (kCols / 128), 1, 1};
  Status bad = jit->launch(actQuantKernel(), spec, badArgs);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("outside every buffer"), std::string::npos)
      << bad.error().message();
  std::vector<uint8_t> after = download<uint8_t>(untouched);
  EXPECT_EQ(firstMismatch(after, std::vector<uint8_t>(after.size(), 0xFF)), -1);
}

} // namespace
} // namespace tessel::kernels

namespace tessel::kernels {
namespace {

/// A second JIT on the same cache directory (a new process, in effect) finds
/// the binary without compiling and without building the IR again; a corrupt
/// entry is rebuilt.
TEST_F(QuantGpuTest, DiskCacheServesANewJitWithoutTracingAndRebuildsCorruptEntries) {
  if (runtime::activeBackend() == runtime::Backend::Interpreter)
    GTEST_SKIP() << "GPU backend only: the interpreter compiles nothing";
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              fmt::format("tessel-jit-test-{}", ::getpid());
  std::filesystem::remove_all(dir);
  dsl::JitOptions options;
  options.cacheDirectory = dir.string();
  std::vector<dsl::LaunchArg> args = {dsl::LaunchArg::pointer(256), dsl::LaunchArg::pointer(256),
                                      dsl::LaunchArg::pointer(256), dsl::LaunchArg::i32(64),
                                      dsl::LaunchArg::i32(7168)};
  dsl::Specialization spec = dsl::Jit::specialize(args);

  auto first = dsl::Jit::create(options).value();
  ASSERT_TRUE(first->load(weightDequantKernel(), {}, spec, 4));
  EXPECT_EQ(first->stats().compiles.load(), 1u);
  EXPECT_EQ(first->stats().traces.load(), 1u);

  auto second = dsl::Jit::create(options).value();
  ASSERT_TRUE(second->load(weightDequantKernel(), {}, spec, 4));
  EXPECT_EQ(second->stats().diskHits.load(), 1u);
  EXPECT_EQ(second->stats().compiles.load(), 0u);
  EXPECT_EQ(second->stats().traces.load(), 0u);

  // Damage every entry's payload: each is detected, and the kernel rebuilt.
  for (const auto &file : std::filesystem::recursive_directory_iterator(dir))
    if (file.is_regular_file()) {
      std::fstream stream(file.path(), std::ios::in | std::ios::out | std::ios::binary);
      stream.seekp(-1, std::ios::end);
      stream.put('\x5a');
    }
  auto third = dsl::Jit::create(options).value();
  ASSERT_TRUE(third->load(weightDequantKernel(), {}, spec, 4));
  EXPECT_EQ(third->stats().compiles.load(), 1u);
  EXPECT_GE(third->stats().corruptEntries.load(), 1u);
  std::filesystem::remove_all(dir);
}

/// A compiler of another identity (a rebuilt lowering) misses what this one
/// cached, and traces and compiles afresh; this identity still hits.
TEST_F(QuantGpuTest, DiskCacheMissesForAnotherCompilerIdentity) {
  if (runtime::activeBackend() == runtime::Backend::Interpreter)
    GTEST_SKIP() << "GPU backend only: the interpreter compiles nothing";
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              fmt::format("tessel-jit-identity-test-{}", ::getpid());
  std::filesystem::remove_all(dir);
  dsl::JitOptions options;
  options.cacheDirectory = dir.string();
  std::vector<dsl::LaunchArg> args = {dsl::LaunchArg::pointer(256), dsl::LaunchArg::pointer(256),
                                      dsl::LaunchArg::pointer(256), dsl::LaunchArg::i32(64),
                                      dsl::LaunchArg::i32(7168)};
  dsl::Specialization spec = dsl::Jit::specialize(args);
  ASSERT_TRUE(dsl::Jit::create(options).value()->load(weightDequantKernel(), {}, spec, 4));

  dsl::JitOptions rebuilt = options;
  rebuilt.compilerIdentity = std::string(compilerIdentity()) + "-changed";
  auto other = dsl::Jit::create(rebuilt).value();
  ASSERT_TRUE(other->load(weightDequantKernel(), {}, spec, 4));
  EXPECT_EQ(other->stats().diskHits.load(), 0u);
  EXPECT_EQ(other->stats().traces.load(), 1u);
  EXPECT_EQ(other->stats().compiles.load(), 1u);

  auto same = dsl::Jit::create(options).value();
  ASSERT_TRUE(same->load(weightDequantKernel(), {}, spec, 4));
  EXPECT_EQ(same->stats().diskHits.load(), 1u);
  EXPECT_EQ(same->stats().compiles.load(), 0u);
  std::filesystem::remove_all(dir);
}

} // namespace
} // namespace tessel::kernels
