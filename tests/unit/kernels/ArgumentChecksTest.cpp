// The argument checks of the shipped kernels' host functions. They run
// before anything touches the driver, so these tests use fake device
// pointers and pass on a machine without a GPU or a driver: a check that came
// after driver access would fail here with a driver error instead of the
// expected message.
#include "tessel/kernels/Kernels.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace tessel::kernels {
namespace {

using runtime::TensorView;

// Never dereferenced: every call below fails its checks or has no elements.
constexpr std::uint64_t kFakePtr = 0x1000;
constexpr std::uint64_t kOtherFakePtr = 0x2000;
constexpr std::uint64_t kThirdFakePtr = 0x3000;
constexpr std::uint64_t kFourthFakePtr = 0x4000;
constexpr std::uint64_t kFifthFakePtr = 0x5000;

TensorView contiguous(DType dtype, std::vector<std::int64_t> shape, std::uint64_t ptr = kFakePtr) {
  return TensorView::contiguous(ptr, dtype, std::move(shape));
}

/// Checks that `status` failed with a message containing every fragment.
testing::AssertionResult failsWith(const Status &status,
                                   std::initializer_list<std::string_view> fragments) {
  if (status)
    return testing::AssertionFailure() << "the call succeeded; expected an error";
  const std::string message = status.error().message();
  for (std::string_view fragment : fragments)
    if (message.find(fragment) == std::string::npos)
      return testing::AssertionFailure() << "missing \"" << fragment << "\" in:\n" << message;
  return testing::AssertionSuccess();
}

template <typename T>
testing::AssertionResult failsWith(const Expected<T> &result,
                                   std::initializer_list<std::string_view> fragments) {
  if (result)
    return testing::AssertionFailure() << "the call succeeded; expected an error";
  return failsWith(Status(result.error()), fragments);
}

/// Valid act_quant arguments for x [m, k]: y [m, k], s [m, ceil(k / 128)].
struct ActQuantArgs {
  TensorView x, y, s;

  ActQuantArgs(std::int64_t m, std::int64_t k, DType inputType = DType::BF16)
      : x(contiguous(inputType, {m, k}, kFakePtr)),
        y(contiguous(DType::F8E4M3, {m, k}, kOtherFakePtr)),
        s(contiguous(DType::F32, {m, (k + 127) / 128}, kThirdFakePtr)) {}

  Status run(const QuantizeOptions &options = {}) const { return actQuant(x, y, s, options); }
};

//===----------------------------------------------------------------------===//
// act_quant
//===----------------------------------------------------------------------===//

TEST(ActQuantArguments, RejectsIntegerInput) {
  ActQuantArgs args(4, 256);
  args.x.dtype = DType::I32;
  EXPECT_TRUE(failsWith(
      args.run(), {"act_quant", "argument x", "i32[4, 256]", "dtype must be bf16 or f16 or f32"}));
}

TEST(ActQuantArguments, RejectsOutputOfWrongDType) {
  ActQuantArgs args(4, 256);
  args.y.dtype = DType::BF16;
  EXPECT_TRUE(failsWith(args.run(), {"act_quant", "argument y", "dtype must be f8e4m3"}));
}

TEST(ActQuantArguments, RejectsScalesOfWrongDType) {
  ActQuantArgs args(4, 256);
  args.s.dtype = DType::BF16;
  EXPECT_TRUE(failsWith(args.run(), {"act_quant", "argument s", "dtype must be f32"}));
}

TEST(ActQuantArguments, RejectsRankZeroInput) {
  ActQuantArgs args(4, 256);
  args.x = contiguous(DType::BF16, {});
  EXPECT_TRUE(failsWith(args.run(), {"act_quant", "argument x", "must have rank 1 to 8"}));
}

TEST(ActQuantArguments, RejectsNonContiguousInput) {
  // A transposed view: the strides of a column-major [4, 256].
  ActQuantArgs args(4, 256);
  args.x.strides = {1, 4};
  EXPECT_TRUE(
      failsWith(args.run(), {"act_quant", "argument x", "strides [1, 4]", "must be contiguous"}));
}

TEST(ActQuantArguments, RejectsStridesOfWrongRank) {
  ActQuantArgs args(4, 256);
  args.y.strides = {1};
  EXPECT_TRUE(failsWith(args.run(), {"act_quant", "argument y", "2 dimensions but 1 strides"}));
}

TEST(ActQuantArguments, RejectsNegativeSize) {
  ActQuantArgs args(4, 256);
  args.x.shape = {-4, 256};
  EXPECT_TRUE(failsWith(args.run(), {"act_quant", "argument x", "negative size"}));
}

TEST(ActQuantArguments, RejectsNullInputPointer) {
  ActQuantArgs args(4, 256);
  args.x.devicePtr = 0;
  EXPECT_TRUE(failsWith(args.run(), {"act_quant", "argument x", "device pointer is null"}));
}

TEST(ActQuantArguments, RejectsNullScalePointer) {
  ActQuantArgs args(4, 256);
  args.s.devicePtr = 0;
  EXPECT_TRUE(failsWith(args.run(), {"act_quant", "argument s", "device pointer is null"}));
}

TEST(ActQuantArguments, RejectsOutputOfDifferentShape) {
  ActQuantArgs args(4, 256);
  args.y = contiguous(DType::F8E4M3, {4, 128}, kOtherFakePtr);
  EXPECT_TRUE(
      failsWith(args.run(), {"act_quant", "argument y", "shape [4, 128]", "expected [4, 256]"}));
}

TEST(ActQuantArguments, RejectsScalesForWholeBlocksOnlyWhenKHasATail) {
  // k = 300 is two whole 128-column blocks and a tail of 44: three scales
  // per row, not two.
  ActQuantArgs args(4, 300);
  args.s = contiguous(DType::F32, {4, 2}, kThirdFakePtr);
  EXPECT_TRUE(
      failsWith(args.run(), {"act_quant", "argument s", "shape [4, 2]", "expected [4, 3]"}));
}

TEST(ActQuantArguments, ScaleShapeFollowsLeadingDimensions) {
  // x [2, 3, 256]: the scales keep the leading dimensions.
  ActQuantArgs args(1, 256);
  args.x = contiguous(DType::BF16, {2, 3, 256});
  args.y = contiguous(DType::F8E4M3, {2, 3, 256}, kOtherFakePtr);
  args.s = contiguous(DType::F32, {6, 2}, kThirdFakePtr);
  EXPECT_TRUE(
      failsWith(args.run(), {"act_quant", "argument s", "shape [6, 2]", "expected [2, 3, 2]"}));
}

TEST(ActQuantArguments, RejectsMoreThanInt32MaxElements) {
  // Offsets inside the kernel are 32-bit: 2^31 elements is one too many.
  ActQuantArgs args(std::int64_t(1) << 16, std::int64_t(1) << 15);
  EXPECT_TRUE(failsWith(args.run(),
                        {"act_quant", "argument x", "2147483648 elements", "at most 2^31 - 1"}));
}

TEST(ActQuantArguments, RejectsShapeWhoseElementCountOverflows) {
  // (2^62 + 1) * 4 wraps around int64 to 4: the size check must not be
  // fooled into accepting it.
  ActQuantArgs args(1, 4);
  args.x = contiguous(DType::BF16, {(std::int64_t(1) << 62) + 1, 4});
  EXPECT_TRUE(failsWith(args.run(), {"act_quant", "argument x", "at most 2^31 - 1"}));
}

TEST(ActQuantArguments, RejectsRowsThatAreNotAPowerOfTwo) {
  // A bad config is an argument error too, reported before compiling.
  ActQuantArgs args(4, 256);
  QuantizeOptions options;
  options.config.constants["ROWS"] = 3;
  EXPECT_TRUE(failsWith(args.run(options), {"act_quant", "ROWS", "power of two", "3"}));
}

TEST(ActQuantArguments, EmptyInputSucceedsWithoutLaunching) {
  // m = 0: nothing to do, and no driver is needed to do it; null pointers
  // are fine for tensors without elements.
  ActQuantArgs args(0, 256);
  args.x.devicePtr = args.y.devicePtr = args.s.devicePtr = 0;
  Status status = args.run();
  EXPECT_TRUE(status) << status.error().message();
}

TEST(ActQuantArguments, EmptyRowsSucceedWithoutLaunching) {
  ActQuantArgs args(4, 0);
  Status status = args.run();
  EXPECT_TRUE(status) << status.error().message();
}

TEST(ActQuantArguments, AllocatingFormChecksInputBeforeAllocating) {
  // Allocating the outputs needs the driver; a bad x must be reported
  // without it.
  Expected<Quantized> result = actQuant(contiguous(DType::I32, {4, 256}));
  EXPECT_TRUE(failsWith(result, {"act_quant", "argument x", "dtype must be bf16 or f16 or f32"}));
  Expected<Quantized> nonContiguous = actQuant(TensorView{kFakePtr, DType::BF16, {4, 256}, {1, 4}});
  EXPECT_TRUE(failsWith(nonContiguous, {"act_quant", "argument x", "must be contiguous"}));
}

TEST(ActQuantArguments, AllocatingFormOfEmptyInputSucceeds) {
  Expected<Quantized> result = actQuant(contiguous(DType::BF16, {0, 300}, 0));
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->values.shape(), (std::vector<std::int64_t>{0, 300}));
  EXPECT_EQ(result->scales.shape(), (std::vector<std::int64_t>{0, 3}));
}

//===----------------------------------------------------------------------===//
// weight_quant
//===----------------------------------------------------------------------===//

/// Valid weight_quant arguments for w [n, k].
struct WeightQuantArgs {
  TensorView w, q, s;

  WeightQuantArgs(std::int64_t n, std::int64_t k)
      : w(contiguous(DType::BF16, {n, k}, kFakePtr)),
        q(contiguous(DType::F8E4M3, {n, k}, kOtherFakePtr)),
        s(contiguous(DType::F32, {(n + 127) / 128, (k + 127) / 128}, kThirdFakePtr)) {}

  Status run() const { return weightQuant(w, q, s); }
};

TEST(WeightQuantArguments, RejectsF32Weight) {
  WeightQuantArgs args(256, 256);
  args.w.dtype = DType::F32;
  EXPECT_TRUE(failsWith(args.run(), {"weight_quant", "argument w", "dtype must be bf16"}));
}

TEST(WeightQuantArguments, RejectsWeightOfRankThree) {
  WeightQuantArgs args(256, 256);
  args.w = contiguous(DType::BF16, {2, 128, 256});
  EXPECT_TRUE(failsWith(args.run(), {"weight_quant", "argument w", "must have rank 2"}));
}

TEST(WeightQuantArguments, RejectsNonContiguousOutput) {
  WeightQuantArgs args(256, 256);
  args.q.strides = {512, 1};
  EXPECT_TRUE(failsWith(args.run(), {"weight_quant", "argument q", "must be contiguous"}));
}

TEST(WeightQuantArguments, RejectsNullOutputPointer) {
  WeightQuantArgs args(256, 256);
  args.q.devicePtr = 0;
  EXPECT_TRUE(failsWith(args.run(), {"weight_quant", "argument q", "device pointer is null"}));
}

TEST(WeightQuantArguments, RejectsOutputOfDifferentShape) {
  WeightQuantArgs args(256, 256);
  args.q = contiguous(DType::F8E4M3, {256, 128}, kOtherFakePtr);
  EXPECT_TRUE(failsWith(args.run(), {"weight_quant", "argument q", "expected [256, 256]"}));
}

TEST(WeightQuantArguments, RejectsScalesForWholeBlocksOnly) {
  // n = 300, k = 200: three by two 128 x 128 blocks.
  WeightQuantArgs args(300, 200);
  args.s = contiguous(DType::F32, {2, 1}, kThirdFakePtr);
  EXPECT_TRUE(
      failsWith(args.run(), {"weight_quant", "argument s", "shape [2, 1]", "expected [3, 2]"}));
}

TEST(WeightQuantArguments, RejectsMoreThanInt32MaxElements) {
  WeightQuantArgs args(std::int64_t(1) << 16, std::int64_t(1) << 15);
  EXPECT_TRUE(failsWith(args.run(), {"weight_quant", "argument w", "at most 2^31 - 1"}));
}

TEST(WeightQuantArguments, EmptyWeightSucceedsWithoutLaunching) {
  WeightQuantArgs args(0, 256);
  Status status = args.run();
  EXPECT_TRUE(status) << status.error().message();
}

TEST(WeightQuantArguments, AllocatingFormChecksInputBeforeAllocating) {
  Expected<Quantized> result = weightQuant(contiguous(DType::F16, {256, 256}));
  EXPECT_TRUE(failsWith(result, {"weight_quant", "argument w", "dtype must be bf16"}));
  Expected<Quantized> wrongRank = weightQuant(contiguous(DType::BF16, {256}));
  EXPECT_TRUE(failsWith(wrongRank, {"weight_quant", "argument w", "must have rank 2"}));
}

//===----------------------------------------------------------------------===//
// weight_dequant
//===----------------------------------------------------------------------===//

/// Valid weight_dequant arguments for q [n, k].
struct WeightDequantArgs {
  TensorView q, s, out;

  WeightDequantArgs(std::int64_t n, std::int64_t k)
      : q(contiguous(DType::F8E4M3, {n, k}, kFakePtr)),
        s(contiguous(DType::F32, {(n + 127) / 128, (k + 127) / 128}, kOtherFakePtr)),
        out(contiguous(DType::BF16, {n, k}, kThirdFakePtr)) {}

  Status run(const KernelConfig &config = {}) const { return weightDequant(q, s, out, config); }
};

TEST(WeightDequantArguments, RejectsBf16Input) {
  WeightDequantArgs args(256, 256);
  args.q.dtype = DType::BF16;
  EXPECT_TRUE(failsWith(args.run(), {"weight_dequant", "argument q", "dtype must be f8e4m3"}));
}

TEST(WeightDequantArguments, RejectsF32Output) {
  WeightDequantArgs args(256, 256);
  args.out.dtype = DType::F32;
  EXPECT_TRUE(failsWith(args.run(), {"weight_dequant", "argument out", "dtype must be bf16"}));
}

TEST(WeightDequantArguments, RejectsScalesOfRankOne) {
  WeightDequantArgs args(256, 256);
  args.s = contiguous(DType::F32, {4}, kOtherFakePtr);
  EXPECT_TRUE(failsWith(args.run(), {"weight_dequant", "argument s", "must have rank 2"}));
}

TEST(WeightDequantArguments, RejectsNullScalePointer) {
  WeightDequantArgs args(256, 256);
  args.s.devicePtr = 0;
  EXPECT_TRUE(failsWith(args.run(), {"weight_dequant", "argument s", "device pointer is null"}));
}

TEST(WeightDequantArguments, RejectsScalesOfWrongShape) {
  WeightDequantArgs args(256, 300);
  args.s = contiguous(DType::F32, {2, 2}, kOtherFakePtr);
  EXPECT_TRUE(
      failsWith(args.run(), {"weight_dequant", "argument s", "shape [2, 2]", "expected [2, 3]"}));
}

TEST(WeightDequantArguments, RejectsOutputOfDifferentShape) {
  WeightDequantArgs args(256, 256);
  args.out = contiguous(DType::BF16, {128, 256}, kThirdFakePtr);
  EXPECT_TRUE(failsWith(
      args.run(), {"weight_dequant", "argument out", "shape [128, 256]", "expected [256, 256]"}));
}

TEST(WeightDequantArguments, RejectsBlockRowsThatDoNotDivideTheBlock) {
  WeightDequantArgs args(256, 256);
  KernelConfig config;
  config.constants["BLOCK_M"] = 48;
  EXPECT_TRUE(failsWith(args.run(config), {"weight_dequant", "BLOCK_M", "48"}));
}

TEST(WeightDequantArguments, EmptyInputSucceedsWithoutLaunching) {
  WeightDequantArgs args(256, 0);
  args.q.devicePtr = args.s.devicePtr = args.out.devicePtr = 0;
  Status status = args.run();
  EXPECT_TRUE(status) << status.error().message();
}

TEST(WeightDequantArguments, AllocatingFormChecksInputsBeforeAllocating) {
  WeightDequantArgs args(256, 300);
  Expected<runtime::Tensor> wrongScales =
      weightDequant(args.q, contiguous(DType::F32, {2, 2}, kOtherFakePtr));
  EXPECT_TRUE(failsWith(wrongScales, {"weight_dequant", "argument s", "expected [2, 3]"}));
  TensorView nullInput = args.q;
  nullInput.devicePtr = 0;
  Expected<runtime::Tensor> nullQ = weightDequant(nullInput, args.s);
  EXPECT_TRUE(failsWith(nullQ, {"weight_dequant", "argument q", "device pointer is null"}));
}

//===----------------------------------------------------------------------===//
// fp8_gemm
//===----------------------------------------------------------------------===//

/// Valid fp8_gemm arguments for c [m, n] = a [m, k] times b [n, k]
/// transposed.
struct Fp8GemmArgs {
  TensorView a, aScale, b, bScale, c;

  Fp8GemmArgs(std::int64_t m, std::int64_t n, std::int64_t k)
      : a(contiguous(DType::F8E4M3, {m, k}, kFakePtr)),
        aScale(contiguous(DType::F32, {m, (k + 127) / 128}, kOtherFakePtr)),
        b(contiguous(DType::F8E4M3, {n, k}, kThirdFakePtr)),
        bScale(contiguous(DType::F32, {(n + 127) / 128, (k + 127) / 128}, kFourthFakePtr)),
        c(contiguous(DType::BF16, {m, n}, kFifthFakePtr)) {}

  Status run(const KernelConfig &config = {}) const {
    return fp8Gemm(a, aScale, b, bScale, c, config);
  }
};

KernelConfig withConstant(const char *name, std::int64_t value) {
  KernelConfig config;
  config.constants[name] = value;
  return config;
}

TEST(Fp8GemmArguments, RejectsBf16Activations) {
  Fp8GemmArgs args(4, 256, 512);
  args.a.dtype = DType::BF16;
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "argument a ", "dtype must be f8e4m3"}));
}

TEST(Fp8GemmArguments, RejectsE5M2Weight) {
  Fp8GemmArgs args(4, 256, 512);
  args.b.dtype = DType::F8E5M2;
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "argument b ", "dtype must be f8e4m3"}));
}

TEST(Fp8GemmArguments, RejectsActivationScalesOfWrongDType) {
  Fp8GemmArgs args(4, 256, 512);
  args.aScale.dtype = DType::BF16;
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "argument a_s", "dtype must be f32"}));
}

TEST(Fp8GemmArguments, RejectsWeightScalesOfWrongDType) {
  Fp8GemmArgs args(4, 256, 512);
  args.bScale.dtype = DType::F16;
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "argument b_s", "dtype must be f32"}));
}

TEST(Fp8GemmArguments, RejectsF32Output) {
  Fp8GemmArgs args(4, 256, 512);
  args.c.dtype = DType::F32;
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "argument c ", "dtype must be bf16"}));
}

TEST(Fp8GemmArguments, RejectsWeightWithAnotherK) {
  Fp8GemmArgs args(4, 256, 512);
  args.b = contiguous(DType::F8E4M3, {256, 384}, kThirdFakePtr);
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "a has shape [4, 512]", "b [256, 384]",
                                     "b must be [n, k] with the k of a"}));
}

TEST(Fp8GemmArguments, RejectsWeightOfRankThree) {
  Fp8GemmArgs args(4, 256, 512);
  args.b = contiguous(DType::F8E4M3, {2, 128, 512}, kThirdFakePtr);
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "argument b ", "must have rank 2"}));
}

TEST(Fp8GemmArguments, RejectsActivationScalesForWholeBlocksOnly) {
  // k = 300: two whole 128-wide blocks and a tail, three scales per row.
  Fp8GemmArgs args(4, 256, 300);
  args.aScale = contiguous(DType::F32, {4, 2}, kOtherFakePtr);
  EXPECT_TRUE(
      failsWith(args.run(), {"fp8_gemm", "argument a_s", "shape [4, 2]", "expected [4, 3]"}));
}

TEST(Fp8GemmArguments, RejectsActivationScalesPerBlockOfRows) {
  // a_s has a row per row of a (1 x 128 blocks), not one per 128 rows as
  // b_s has.
  Fp8GemmArgs args(256, 256, 512);
  args.aScale = contiguous(DType::F32, {2, 4}, kOtherFakePtr);
  EXPECT_TRUE(
      failsWith(args.run(), {"fp8_gemm", "argument a_s", "shape [2, 4]", "expected [256, 4]"}));
}

TEST(Fp8GemmArguments, RejectsWeightScalesOfWrongShape) {
  // n = 300, k = 200: three by two 128 x 128 blocks.
  Fp8GemmArgs args(4, 300, 200);
  args.bScale = contiguous(DType::F32, {2, 2}, kFourthFakePtr);
  EXPECT_TRUE(
      failsWith(args.run(), {"fp8_gemm", "argument b_s", "shape [2, 2]", "expected [3, 2]"}));
}

TEST(Fp8GemmArguments, RejectsWeightScalesPerRow) {
  Fp8GemmArgs args(4, 256, 512);
  args.bScale = contiguous(DType::F32, {256, 4}, kFourthFakePtr);
  EXPECT_TRUE(
      failsWith(args.run(), {"fp8_gemm", "argument b_s", "shape [256, 4]", "expected [2, 4]"}));
}

TEST(Fp8GemmArguments, RejectsNonContiguousActivations) {
  Fp8GemmArgs args(4, 256, 512);
  args.a.strides = {1, 4};
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "argument a ", "must be contiguous"}));
}

TEST(Fp8GemmArguments, RejectsTransposedWeight) {
  // b given as a transposed view of a [k, n] tensor: the kernel reads rows
  // of b along k, so the layout must be [n, k] row-major.
  Fp8GemmArgs args(4, 256, 512);
  args.b.strides = {1, 256};
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "argument b ", "strides [1, 256]",
                                     "must be contiguous"}));
}

TEST(Fp8GemmArguments, RejectsNonContiguousScales) {
  Fp8GemmArgs args(4, 256, 512);
  args.bScale.strides = {8, 1};
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "argument b_s", "must be contiguous"}));
}

TEST(Fp8GemmArguments, RejectsNonContiguousOutput) {
  Fp8GemmArgs args(4, 256, 512);
  args.c.strides = {512, 1};
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "argument c ", "must be contiguous"}));
}

TEST(Fp8GemmArguments, RejectsNullPointers) {
  // Each argument in turn; the trailing space tells "argument a (...)"
  // from "argument a_s".
  const struct {
    TensorView Fp8GemmArgs::*member;
    const char *name;
  } cases[] = {{&Fp8GemmArgs::a, "argument a "},
               {&Fp8GemmArgs::aScale, "argument a_s "},
               {&Fp8GemmArgs::b, "argument b "},
               {&Fp8GemmArgs::bScale, "argument b_s "},
               {&Fp8GemmArgs::c, "argument c "}};
  for (const auto &[member, name] : cases) {
    Fp8GemmArgs args(4, 256, 512);
    (args.*member).devicePtr = 0;
    EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", name, "device pointer is null"}));
  }
}

TEST(Fp8GemmArguments, RejectsOutputOfWrongShape) {
  Fp8GemmArgs args(4, 256, 512);
  args.c = contiguous(DType::BF16, {4, 512}, kFifthFakePtr);
  EXPECT_TRUE(
      failsWith(args.run(), {"fp8_gemm", "argument c ", "shape [4, 512]", "expected [4, 256]"}));
}

TEST(Fp8GemmArguments, ShapesFollowLeadingDimensionsOfA) {
  // a [2, 3, 512]: a_s and c keep the leading dimensions; their flattened
  // [6, ...] forms are rejected.
  Fp8GemmArgs args(6, 256, 512);
  args.a = contiguous(DType::F8E4M3, {2, 3, 512}, kFakePtr);
  EXPECT_TRUE(
      failsWith(args.run(), {"fp8_gemm", "argument a_s", "shape [6, 4]", "expected [2, 3, 4]"}));
  args.aScale = contiguous(DType::F32, {2, 3, 4}, kOtherFakePtr);
  EXPECT_TRUE(failsWith(args.run(),
                        {"fp8_gemm", "argument c ", "shape [6, 256]", "expected [2, 3, 256]"}));
}

TEST(Fp8GemmArguments, RejectsEmptyK) {
  Fp8GemmArgs args(4, 256, 0);
  EXPECT_TRUE(failsWith(args.run(), {"fp8_gemm", "n and k must be at least 1"}));
}

TEST(Fp8GemmArguments, RejectsBlockRowsBelowSixteen) {
  Fp8GemmArgs args(4, 256, 512);
  EXPECT_TRUE(failsWith(args.run(withConstant("BLOCK_M", 8)),
                        {"fp8_gemm", "BLOCK_M", "power of two", "got 8"}));
}

TEST(Fp8GemmArguments, RejectsBlockRowsThatAreNotAPowerOfTwo) {
  Fp8GemmArgs args(4, 256, 512);
  EXPECT_TRUE(failsWith(args.run(withConstant("BLOCK_M", 48)),
                        {"fp8_gemm", "BLOCK_M", "power of two", "got 48"}));
}

TEST(Fp8GemmArguments, RejectsBlockColumnsAbove256) {
  Fp8GemmArgs args(4, 256, 512);
  EXPECT_TRUE(failsWith(args.run(withConstant("BLOCK_N", 512)),
                        {"fp8_gemm", "BLOCK_N", "[16, 256]", "got 512"}));
}

TEST(Fp8GemmArguments, RejectsBlockKThatDoesNotDivideTheScaleBlock) {
  // One scale per k step: BLOCK_K = 256 would span two scale blocks.
  Fp8GemmArgs args(4, 256, 512);
  EXPECT_TRUE(failsWith(args.run(withConstant("BLOCK_K", 256)),
                        {"fp8_gemm", "BLOCK_K", "32, 64 or 128", "got 256"}));
}

TEST(Fp8GemmArguments, RejectsZeroStages) {
  Fp8GemmArgs args(4, 256, 512);
  EXPECT_TRUE(
      failsWith(args.run(withConstant("NUM_STAGES", 0)), {"fp8_gemm", "NUM_STAGES", "got 0"}));
}

TEST(Fp8GemmArguments, RejectsEvenMWhenMIsNotAMultipleOfTheTile) {
  // m = 4 in tiles of 16 rows: without the row mask the loads would read
  // twelve rows past the end of a.
  Fp8GemmArgs args(4, 256, 512);
  KernelConfig config = withConstant("EVEN_M", 1);
  config.constants["BLOCK_M"] = 16;
  EXPECT_TRUE(failsWith(args.run(config),
                        {"fp8_gemm", "EVEN_M = 1", "m (4)", "multiple of BLOCK_M (16)"}));
  EXPECT_TRUE(failsWith(args.run(withConstant("EVEN_M", -1)),
                        {"fp8_gemm", "EVEN_M must be 0 or 1", "got -1"}));
}

TEST(Fp8GemmArguments, RejectsBadScheduleFlags) {
  Fp8GemmArgs args(4, 256, 512);
  EXPECT_TRUE(failsWith(args.run(withConstant("WARP_SPECIALIZE", 2)),
                        {"fp8_gemm", "WARP_SPECIALIZE must be 0 or 1", "got 2"}));
  EXPECT_TRUE(failsWith(args.run(withConstant("GROUP_M", -1)),
                        {"fp8_gemm", "GROUP_M must be 0 (column order) or a band height",
                         "got -1"}));
}

TEST(Fp8GemmArguments, EmptyActivationsSucceedWithoutLaunching) {
  // m = 0: nothing to compute and no driver needed; a and c may be null.
  Fp8GemmArgs args(0, 256, 512);
  args.a.devicePtr = args.aScale.devicePtr = args.c.devicePtr = 0;
  Status status = args.run();
  EXPECT_TRUE(status) << status.error().message();
}

TEST(Fp8GemmArguments, AllocatingFormChecksInputsBeforeAllocating) {
  // Allocating c needs the driver; bad inputs must be reported without it.
  Fp8GemmArgs args(4, 256, 300);
  Expected<runtime::Tensor> wrongScales =
      fp8Gemm(args.a, contiguous(DType::F32, {4, 2}, kOtherFakePtr), args.b, args.bScale);
  EXPECT_TRUE(failsWith(wrongScales, {"fp8_gemm", "argument a_s", "expected [4, 3]"}));
  TensorView nullWeight = args.b;
  nullWeight.devicePtr = 0;
  Expected<runtime::Tensor> nullB = fp8Gemm(args.a, args.aScale, nullWeight, args.bScale);
  EXPECT_TRUE(failsWith(nullB, {"fp8_gemm", "argument b ", "device pointer is null"}));
}

TEST(Fp8GemmArguments, AllocatingFormOfEmptyActivationsSucceeds) {
  Expected<runtime::Tensor> c =
      fp8Gemm(contiguous(DType::F8E4M3, {0, 300}, 0), contiguous(DType::F32, {0, 3}, 0),
              contiguous(DType::F8E4M3, {200, 300}, kThirdFakePtr),
              contiguous(DType::F32, {2, 3}, kFourthFakePtr));
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->shape(), (std::vector<std::int64_t>{0, 200}));
}

} // namespace
} // namespace tessel::kernels
