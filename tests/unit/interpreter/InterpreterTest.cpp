// The shipped kernels run in the tile interpreter on host memory, checked bit
// for bit against the CPU references, and the interpreter's checks of memory
// accesses.
#include "tessel/dsl/Kernel.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/kernels/Reference.h"
#include "tessel/support/Float8.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace tessel::kernels {
namespace {

using dsl::BuiltKernel;

/// Values over many binades, with zeros, extremes and subnormals mixed in.
std::vector<float> makeValues(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> exponent(-40, 40), pick(0, 15);
  const float specials[] = {0.0f, -0.0f, 3.3895e38f, -3.3895e38f, 1.1754944e-38f, 9.2e-41f};
  std::vector<float> values(count);
  float magnitude = 1;
  for (size_t i = 0; i < count; ++i) {
    if (i % 128 == 0)
      magnitude = std::ldexp(1.0f, exponent(rng));
    int choice = pick(rng);
    values[i] = choice < 6 && i % 7 == 0 ? specials[choice] : normal(rng) * magnitude;
  }
  return values;
}

std::vector<uint16_t> toBf16(const std::vector<float> &values) {
  std::vector<uint16_t> bits;
  for (float v : values)
    bits.push_back(f32ToBf16(v));
  return bits;
}

template <typename T> MemoryRegion region(const std::vector<T> &v, const char *name) {
  return {v.data(), v.size() * sizeof(T), name};
}

BuiltKernel buildKernel(const dsl::KernelDefinition &kernel, dsl::Constants constants = {}) {
  Expected<BuiltKernel> built = dsl::build(kernel, constants);
  EXPECT_TRUE(built) << built.error().message();
  return std::move(built).value();
}

struct Shape {
  int64_t rows, cols;
};

class ActQuantInterpreterTest
    : public ::testing::TestWithParam<std::tuple<Shape, bool>> {};

TEST_P(ActQuantInterpreterTest, MatchesReferenceBitForBit) {
  auto [shape, ue8m0] = GetParam();
  std::vector<uint16_t> x = toBf16(makeValues(shape.rows * shape.cols, std::random_device{}()));
  int64_t blocks = (shape.cols + 127) / 128;
  std::vector<uint8_t> y(x.size(), 0xFF), yRef(x.size());
  std::vector<float> s(shape.rows * blocks, NAN), sRef(s.size());
  actQuantReference(x.data(), shape.rows, shape.cols, yRef.data(), sRef.data(), 128, ue8m0);

  BuiltKernel kernel = buildKernel(actQuantKernel(), {{"UE8M0", ue8m0}});
  InterpreterArg args[] = {InterpreterArg::hostPointer(x.data()),
                           InterpreterArg::hostPointer(y.data()),
                           InterpreterArg::hostPointer(s.data()),
                           InterpreterArg::i32(int32_t(shape.rows)),
                           InterpreterArg::i32(int32_t(shape.cols))};
  MemoryRegion regions[] = {region(x, "x"), region(y, "y"), region(s, "s")};
  InterpretOptions options;
  options.grid = {unsigned((shape.rows * blocks + 15) / 16), 1, 1};
  Status ran = kernel.interpret(args, regions, options);
  ASSERT_TRUE(ran) << ran.error().message();
  for (size_t i = 0; i < s.size(); ++i)
    ASSERT_EQ(std::bit_cast<uint32_t>(s[i]), std::bit_cast<uint32_t>(sRef[i])) << "scale " << i;
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_EQ(int(y[i]), int(yRef[i])) << "element " << i << " (bf16 0x" << std::hex << x[i]
                                       << ")";
}

INSTANTIATE_TEST_SUITE_P(Shapes, ActQuantInterpreterTest,
                         ::testing::Combine(::testing::Values(Shape{1, 128}, Shape{33, 300},
                                                              Shape{64, 7168}, Shape{5, 1}),
                                            ::testing::Bool()));

TEST(ActQuantInterpreter, EveryBf16PatternMatchesReference) {
  constexpr int64_t kRows = 512, kCols = 128;
  std::vector<uint16_t> x(kRows * kCols);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = uint16_t(i);
  std::vector<uint8_t> y(x.size()), yRef(x.size());
  std::vector<float> s(kRows), sRef(kRows);
  actQuantReference(x.data(), kRows, kCols, yRef.data(), sRef.data());
  BuiltKernel kernel = buildKernel(actQuantKernel());
  InterpreterArg args[] = {InterpreterArg::hostPointer(x.data()),
                           InterpreterArg::hostPointer(y.data()),
                           InterpreterArg::hostPointer(s.data()), InterpreterArg::i32(kRows),
                           InterpreterArg::i32(kCols)};
  MemoryRegion regions[] = {region(x, "x"), region(y, "y"), region(s, "s")};
  InterpretOptions options;
  options.grid = {kRows / 16, 1, 1};
  ASSERT_TRUE(kernel.interpret(args, regions, options));
  EXPECT_EQ(y, yRef);
  for (size_t i = 0; i < s.size(); ++i)
    ASSERT_EQ(std::bit_cast<uint32_t>(s[i]), std::bit_cast<uint32_t>(sRef[i])) << "row " << i;
}

TEST(WeightKernelsInterpreter, QuantAndDequantMatchReferenceWithTails) {
  for (Shape shape : {Shape{300, 200}, Shape{128, 128}, Shape{1, 7}}) {
    std::vector<uint16_t> w = toBf16(makeValues(shape.rows * shape.cols, 11));
    int64_t nb = (shape.rows + 127) / 128, kb = (shape.cols + 127) / 128;
    std::vector<uint8_t> q(w.size(), 0xFF), qRef(w.size());
    std::vector<float> s(nb * kb, NAN), sRef(s.size());
    weightQuantReference(w.data(), shape.rows, shape.cols, qRef.data(), sRef.data());
    BuiltKernel quant = buildKernel(weightQuantKernel());
    InterpreterArg args[] = {InterpreterArg::hostPointer(w.data()),
                             InterpreterArg::hostPointer(q.data()),
                             InterpreterArg::hostPointer(s.data()),
                             InterpreterArg::i32(int32_t(shape.rows)),
                             InterpreterArg::i32(int32_t(shape.cols))};
    MemoryRegion regions[] = {region(w, "w"), region(q, "q"), region(s, "s")};
    InterpretOptions options;
    options.grid = {unsigned(nb * kb), 1, 1};
    Status ran = quant.interpret(args, regions, options);
    ASSERT_TRUE(ran) << ran.error().message();
    EXPECT_EQ(q, qRef) << shape.rows << "x" << shape.cols;
    for (size_t i = 0; i < s.size(); ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(s[i]), std::bit_cast<uint32_t>(sRef[i]));

    std::vector<uint16_t> out(w.size(), 0xFFFF), outRef(w.size());
    weightDequantReference(qRef.data(), sRef.data(), shape.rows, shape.cols, outRef.data());
    BuiltKernel dequant = buildKernel(weightDequantKernel());
    InterpreterArg dequantArgs[] = {InterpreterArg::hostPointer(qRef.data()),
                                    InterpreterArg::hostPointer(sRef.data()),
                                    InterpreterArg::hostPointer(out.data()),
                                    InterpreterArg::i32(int32_t(shape.rows)),
                                    InterpreterArg::i32(int32_t(shape.cols))};
    MemoryRegion dequantRegions[] = {region(qRef, "q"), region(sRef, "s"), region(out, "out")};
    options.grid = {unsigned((shape.rows + 31) / 32 * kb), 1, 1};
    ran = dequant.interpret(dequantArgs, dequantRegions, options);
    ASSERT_TRUE(ran) << ran.error().message();
    EXPECT_EQ(out, outRef) << shape.rows << "x" << shape.cols;
  }
}

TEST(InterpreterChecks, OutOfBoundsAccessNamesKernelOpProgramAndElement) {
  // m says 32 rows but x holds 16: rows 16..31 are read out of bounds.
  std::vector<uint16_t> x(16 * 128);
  std::vector<uint8_t> y(32 * 128);
  std::vector<float> s(32);
  BuiltKernel kernel = buildKernel(actQuantKernel());
  InterpreterArg args[] = {InterpreterArg::hostPointer(x.data()),
                           InterpreterArg::hostPointer(y.data()),
                           InterpreterArg::hostPointer(s.data()), InterpreterArg::i32(32),
                           InterpreterArg::i32(128)};
  MemoryRegion regions[] = {region(x, "x"), region(y, "y"), region(s, "s")};
  InterpretOptions options;
  options.grid = {2, 1, 1};
  options.threads = 1;
  Status ran = kernel.interpret(args, regions, options);
  ASSERT_FALSE(ran);
  const std::string message = ran.error().message();
  EXPECT_NE(message.find("kernel act_quant, program (1, 0, 0)"), std::string::npos) << message;
  EXPECT_NE(message.find("tile.load at"), std::string::npos) << message;
  EXPECT_NE(message.find("ActQuant.cpp"), std::string::npos) << message;
  EXPECT_NE(message.find("element [0, 0] reads 2 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("outside every buffer"), std::string::npos) << message;
}

TEST(InterpreterChecks, MisalignedPointerIsReported) {
  std::vector<float> s(4);
  std::vector<uint8_t> q(128 * 128), raw(128 * 128 * 2 + 1);
  BuiltKernel kernel = buildKernel(weightDequantKernel());
  // out points one byte into a buffer: every bf16 store is misaligned.
  InterpreterArg args[] = {InterpreterArg::hostPointer(q.data()),
                           InterpreterArg::hostPointer(s.data()),
                           InterpreterArg::hostPointer(raw.data() + 1), InterpreterArg::i32(128),
                           InterpreterArg::i32(128)};
  MemoryRegion regions[] = {region(q, "q"), region(s, "s"), region(raw, "out")};
  InterpretOptions options;
  options.grid = {4, 1, 1};
  Status ran = kernel.interpret(args, regions, options);
  ASSERT_FALSE(ran);
  EXPECT_NE(ran.error().message().find("misaligned"), std::string::npos)
      << ran.error().message();
}

TEST(InterpreterChecks, WrongArgumentCountAndEmptyGridAreErrors) {
  BuiltKernel kernel = buildKernel(weightDequantKernel());
  InterpretOptions options;
  EXPECT_FALSE(kernel.interpret({}, {}, options));
  std::vector<InterpreterArg> args(5, InterpreterArg::i32(0));
  options.grid = {0, 1, 1};
  Status ran = kernel.interpret(args, {}, options);
  ASSERT_FALSE(ran);
  EXPECT_NE(ran.error().message().find("empty dimension"), std::string::npos);
}

} // namespace
} // namespace tessel::kernels
