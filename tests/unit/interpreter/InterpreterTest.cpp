// The shipped kernels run in the tile interpreter on host memory, checked bit
// for bit against the CPU references, and the interpreter's checks of memory
// accesses.
#include "tessel/dsl/Kernel.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/kernels/Reference.h"
#include "tessel/support/Float8.h"

#include <gtest/gtest.h>

#include <array>
#include <bit>
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

//===----------------------------------------------------------------------===//
// Tensor descriptors and transposition
//===----------------------------------------------------------------------===//

/// Program (p0, p1) loads the BM x BN block at (row0 + p0 * BM, col0 + p1 *
/// BN) of the rows x cols tensor at src with strides (rowStride, colStride),
/// and stores it densely into dst, a grid-sized [BM * grid0, BN * grid1].
dsl::KernelDefinition blockCopyKernel() {
  dsl::KernelDefinition kernel;
  kernel.name = "block_copy";
  kernel.params = {
      dsl::Param::pointer("src", DType::F32),       dsl::Param::pointer("dst", DType::F32),
      dsl::Param::scalar("rows", DType::I32),       dsl::Param::scalar("cols", DType::I32),
      dsl::Param::scalar("row_stride", DType::I32), dsl::Param::scalar("col_stride", DType::I32),
      dsl::Param::scalar("row0", DType::I32),       dsl::Param::scalar("col0", DType::I32)};
  kernel.constants = {{"BM", 16, "block rows"}, {"BN", 32, "block columns"}};
  kernel.body = [](const dsl::KernelScope &k) {
    using dsl::Value;
    int64_t bm = k.constant("BM"), bn = k.constant("BN");
    dsl::TensorDescriptor src =
        dsl::tensorDescriptor(k.arg("src"), {k.arg("rows"), k.arg("cols")},
                              {k.arg("row_stride"), k.arg("col_stride")}, {bm, bn});
    Value block =
        src.load({k.arg("row0") + dsl::programId(0) * bm, k.arg("col0") + dsl::programId(1) * bn});
    Value rows = dsl::programId(0) * bm + dsl::arange(0, bm);
    Value cols = dsl::programId(1) * bn + dsl::arange(0, bn);
    store(k.arg("dst") + (rows.col() * (dsl::numPrograms(1) * bn) + cols.row()), block);
  };
  return kernel;
}

/// The tensor's element (r, c) with strides (rowStride, colStride), or zero
/// outside [0, rows) x [0, cols): what block_copy must give.
struct StridedTensor {
  const std::vector<float> &data;
  int64_t rows, cols, rowStride, colStride;

  float at(int64_t r, int64_t c) const {
    if (r < 0 || r >= rows || c < 0 || c >= cols)
      return 0.0f;
    return data[r * rowStride + c * colStride];
  }
};

/// Runs block_copy over `grid` and checks every element of dst.
void checkBlockCopy(const StridedTensor &tensor, int64_t row0, int64_t col0,
                    std::array<unsigned, 3> grid) {
  constexpr int64_t kBlockRows = 16, kBlockCols = 32;
  int64_t dstRows = kBlockRows * grid[0], dstCols = kBlockCols * grid[1];
  std::vector<float> dst(dstRows * dstCols, NAN);
  BuiltKernel kernel = buildKernel(blockCopyKernel());
  InterpreterArg args[] = {InterpreterArg::hostPointer(tensor.data.data()),
                           InterpreterArg::hostPointer(dst.data()),
                           InterpreterArg::i32(int32_t(tensor.rows)),
                           InterpreterArg::i32(int32_t(tensor.cols)),
                           InterpreterArg::i32(int32_t(tensor.rowStride)),
                           InterpreterArg::i32(int32_t(tensor.colStride)),
                           InterpreterArg::i32(int32_t(row0)),
                           InterpreterArg::i32(int32_t(col0))};
  // The regions are exactly the buffers: a read of a padding element would
  // fall outside src and fail.
  MemoryRegion regions[] = {region(tensor.data, "src"), region(dst, "dst")};
  InterpretOptions options;
  options.grid = grid;
  Status ran = kernel.interpret(args, regions, options);
  ASSERT_TRUE(ran) << ran.error().message();
  for (int64_t i = 0; i < dstRows; ++i)
    for (int64_t j = 0; j < dstCols; ++j)
      ASSERT_EQ(std::bit_cast<uint32_t>(dst[i * dstCols + j]),
                std::bit_cast<uint32_t>(tensor.at(row0 + i, col0 + j)))
          << "dst[" << i << ", " << j << "]";
}

TEST(DescriptorInterpreter, BlocksWithTailsInBothDimensionsArePaddedWithZeros) {
  // 37 x 45 in 16 x 32 blocks: the last row of blocks has 5 rows, the last
  // column 13 columns.
  std::vector<float> src = makeValues(37 * 45, 5);
  checkBlockCopy({src, 37, 45, 45, 1}, 0, 0, {3, 2, 1});
}

TEST(DescriptorInterpreter, BlockOverhangingTheTopLeftCornerReadsZeros) {
  std::vector<float> src = makeValues(37 * 45, 6);
  checkBlockCopy({src, 37, 45, 45, 1}, -5, -7, {3, 2, 1});
  // Wholly outside the tensor: every element is zero.
  checkBlockCopy({src, 37, 45, 45, 1}, -16, -32, {1, 1, 1});
}

TEST(DescriptorInterpreter, ColumnMajorViewUsesTheStrides) {
  // Element (r, c) of the 37 x 45 view lies at c * 37 + r.
  std::vector<float> src = makeValues(37 * 45, 7);
  checkBlockCopy({src, 37, 45, 1, 37}, 0, 0, {3, 2, 1});
  checkBlockCopy({src, 37, 45, 1, 37}, 3, -9, {3, 2, 1});
}

TEST(DescriptorInterpreter, InBoundsElementsOutsideTheBufferAreReported) {
  // The descriptor says 37 rows but src holds 20: rows 20.. of the tensor
  // are in bounds for the descriptor and outside the buffer.
  std::vector<float> src(20 * 45);
  std::vector<float> dst(48 * 64);
  BuiltKernel kernel = buildKernel(blockCopyKernel());
  InterpreterArg args[] = {InterpreterArg::hostPointer(src.data()),
                           InterpreterArg::hostPointer(dst.data()),
                           InterpreterArg::i32(37),
                           InterpreterArg::i32(45),
                           InterpreterArg::i32(45),
                           InterpreterArg::i32(1),
                           InterpreterArg::i32(0),
                           InterpreterArg::i32(0)};
  MemoryRegion regions[] = {region(src, "src"), region(dst, "dst")};
  InterpretOptions options;
  options.grid = {3, 2, 1};
  options.threads = 1;
  Status ran = kernel.interpret(args, regions, options);
  ASSERT_FALSE(ran);
  const std::string message = ran.error().message();
  EXPECT_NE(message.find("kernel block_copy, program (1, 0, 0)"), std::string::npos) << message;
  EXPECT_NE(message.find("tile.descriptor_load at"), std::string::npos) << message;
  EXPECT_NE(message.find("InterpreterTest.cpp"), std::string::npos) << message;
  EXPECT_NE(message.find("element [4, 0] reads 4 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("outside every buffer"), std::string::npos) << message;
}

TEST(DescriptorInterpreter, OffsetsBeyond32BitsAreReported) {
  // The block starts at row 2 of a tensor with a row stride of 2^30: its
  // first element lies 2^31 elements from the base, past what the GPU's
  // 32-bit offsets reach.
  std::vector<float> src(16);
  std::vector<float> dst(16 * 32);
  BuiltKernel kernel = buildKernel(blockCopyKernel());
  InterpreterArg args[] = {InterpreterArg::hostPointer(src.data()),
                           InterpreterArg::hostPointer(dst.data()),
                           InterpreterArg::i32(4),
                           InterpreterArg::i32(1),
                           InterpreterArg::i32(1 << 30),
                           InterpreterArg::i32(1),
                           InterpreterArg::i32(2),
                           InterpreterArg::i32(0)};
  MemoryRegion regions[] = {region(src, "src"), region(dst, "dst")};
  InterpretOptions options;
  Status ran = kernel.interpret(args, regions, options);
  ASSERT_FALSE(ran);
  EXPECT_NE(ran.error().message().find("element [0, 0] lies 2147483648 elements from the "
                                       "descriptor's base"),
            std::string::npos)
      << ran.error().message();
}

TEST(TransposeInterpreter, SwapsRowsAndColumns) {
  // dst (32 x 16) = transpose of src (16 x 32), for f32 and for i32 tiles.
  dsl::KernelDefinition kernel;
  kernel.name = "transpose";
  kernel.params = {dsl::Param::pointer("src", DType::F32), dsl::Param::pointer("dst", DType::F32),
                   dsl::Param::pointer("srci", DType::I32),
                   dsl::Param::pointer("dsti", DType::I32)};
  kernel.body = [](const dsl::KernelScope &k) {
    using dsl::Value;
    Value in = dsl::arange(0, 16).col() * 32 + dsl::arange(0, 32).row();
    Value out = dsl::arange(0, 32).col() * 16 + dsl::arange(0, 16).row();
    store(k.arg("dst") + out, dsl::load(k.arg("src") + in).T());
    store(k.arg("dsti") + out, dsl::transpose(dsl::load(k.arg("srci") + in)));
  };
  std::vector<float> src = makeValues(16 * 32, 8), dst(32 * 16, NAN);
  std::vector<int32_t> srci(16 * 32), dsti(32 * 16, -1);
  for (size_t i = 0; i < srci.size(); ++i)
    srci[i] = int32_t(i * 7919 - 100000);
  BuiltKernel built = buildKernel(kernel);
  InterpreterArg args[] = {
      InterpreterArg::hostPointer(src.data()), InterpreterArg::hostPointer(dst.data()),
      InterpreterArg::hostPointer(srci.data()), InterpreterArg::hostPointer(dsti.data())};
  MemoryRegion regions[] = {region(src, "src"), region(dst, "dst"), region(srci, "srci"),
                            region(dsti, "dsti")};
  Status ran = built.interpret(args, regions, InterpretOptions{});
  ASSERT_TRUE(ran) << ran.error().message();
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 32; ++j) {
      ASSERT_EQ(std::bit_cast<uint32_t>(dst[j * 16 + i]), std::bit_cast<uint32_t>(src[i * 32 + j]))
          << "dst[" << j << ", " << i << "]";
      ASSERT_EQ(dsti[j * 16 + i], srci[i * 32 + j]) << "dsti[" << j << ", " << i << "]";
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
