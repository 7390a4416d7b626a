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

} // namespace
} // namespace tessel::kernels
