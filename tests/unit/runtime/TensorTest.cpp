// Tests of tensor views and of the tensor checks that need no GPU
// (tessel/runtime/Tensor.h).

#include "tessel/runtime/Tensor.h"

#include <gtest/gtest.h>

namespace tessel::runtime {
namespace {

TEST(TensorView, DescribeNamesDtypeShapeAndStrides) {
  TensorView view = TensorView::contiguous(0x1000, DType::BF16, {4096, 7168});
  EXPECT_EQ(view.describe(), "bf16[4096, 7168] strides [7168, 1]");
  EXPECT_EQ(TensorView::contiguous(0, DType::F8E4M3, {}).describe(), "f8e4m3[] strides []");
  TensorView strided{0, DType::F32, {128, 56}, {1, 128}};
  EXPECT_EQ(strided.describe(), "f32[128, 56] strides [1, 128]");
}

TEST(TensorView, CountsElementsAndBytes) {
  TensorView view = TensorView::contiguous(0, DType::BF16, {4096, 7168});
  EXPECT_EQ(view.rank(), 2u);
  EXPECT_EQ(view.numel(), 4096 * 7168);
  EXPECT_EQ(view.bytes(), 4096u * 7168u * 2u);
  EXPECT_EQ(TensorView::contiguous(0, DType::F32, {}).numel(), 1) << "a scalar has one element";
  EXPECT_EQ(TensorView::contiguous(0, DType::F32, {3, 0, 5}).numel(), 0);
  EXPECT_EQ(TensorView::contiguous(0, DType::F32, {3, 0, 5}).bytes(), 0u);
}

TEST(TensorView, ContiguousStridesAreRowMajor) {
  EXPECT_EQ(contiguousStrides(std::vector<std::int64_t>{2, 3, 4}),
            (std::vector<std::int64_t>{12, 4, 1}));
  EXPECT_EQ(contiguousStrides(std::vector<std::int64_t>{}), (std::vector<std::int64_t>{}));
  // A zero-size dimension does not zero the outer strides.
  EXPECT_EQ(contiguousStrides(std::vector<std::int64_t>{2, 0, 4}),
            (std::vector<std::int64_t>{4, 4, 1}));
}

TEST(TensorView, Contiguity) {
  EXPECT_TRUE(TensorView::contiguous(0, DType::F32, {2, 3, 4}).isContiguous());
  EXPECT_TRUE((TensorView{0, DType::F32, {}, {}}).isContiguous());
  // Transposed.
  EXPECT_FALSE((TensorView{0, DType::F32, {3, 2}, {1, 3}}).isContiguous());
  // Row slice of a wider matrix: padded rows.
  EXPECT_FALSE((TensorView{0, DType::F32, {4, 8}, {16, 1}}).isContiguous());
  // A size-1 dimension may have any stride.
  EXPECT_TRUE((TensorView{0, DType::F32, {1, 8}, {12345, 1}}).isContiguous());
  EXPECT_TRUE((TensorView{0, DType::F32, {8, 1}, {1, 0}}).isContiguous());
  // No elements: nothing to be out of place.
  EXPECT_TRUE((TensorView{0, DType::F32, {0, 8}, {1, 1}}).isContiguous());
  // Broadcast (stride 0) over a real dimension is not dense.
  EXPECT_FALSE((TensorView{0, DType::F32, {4, 8}, {0, 1}}).isContiguous());
  // Shape and strides disagree in rank.
  EXPECT_FALSE((TensorView{0, DType::F32, {4, 8}, {1}}).isContiguous());
}

TEST(TensorView, ValidateNamesTheProblem) {
  EXPECT_TRUE(TensorView::contiguous(0, DType::F32, {2, 3}).validate());
  Status rank = TensorView{0, DType::F32, {4, 8}, {1}}.validate();
  ASSERT_FALSE(rank);
  EXPECT_EQ(rank.error().message(), "tensor f32[4, 8] strides [1] has 2 dimensions but 1 strides");
  Status negative = TensorView{0, DType::I32, {4, -1}, {1, 1}}.validate();
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().message(),
            "tensor i32[4, -1] strides [1, 1] has a negative size in dimension 1");
  Status stride = TensorView{0, DType::I32, {4, 2}, {-2, 1}}.validate();
  ASSERT_FALSE(stride);
  EXPECT_NE(stride.error().message().find("negative stride in dimension 0"), std::string::npos);
}

TEST(Tensor, EmptyRejectsNegativeDimensions) {
  Expected<Tensor> tensor = Tensor::empty(DType::BF16, {4, -2});
  ASSERT_FALSE(tensor);
  EXPECT_EQ(tensor.error().message(),
            "cannot create a bf16[4, -2] tensor: dimension 1 is negative");
}

TEST(Tensor, EmptyRejectsOverflowingSizes) {
  Expected<Tensor> tensor = Tensor::empty(DType::F32, {1ll << 40, 1ll << 40});
  ASSERT_FALSE(tensor);
  EXPECT_NE(tensor.error().message().find("its size overflows"), std::string::npos);
}

TEST(Tensor, ZeroElementsNeedNoDevice) {
  Expected<Tensor> tensor = Tensor::empty(DType::F32, {0, 7168});
  ASSERT_TRUE(tensor) << tensor.error().message();
  EXPECT_EQ(tensor->bytes(), 0u);
  EXPECT_EQ(tensor->devicePtr(), 0u);
  EXPECT_EQ(tensor->view().describe(), "f32[0, 7168] strides [7168, 1]");
  EXPECT_TRUE(tensor->copyFromHost(std::vector<float>{}));
  Expected<std::vector<std::byte>> host = tensor->toHost();
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->empty());
}

TEST(Tensor, HostCopiesCheckTheSize) {
  Expected<Tensor> tensor = Tensor::empty(DType::F32, {0, 4});
  ASSERT_TRUE(tensor);
  Status status = tensor->copyFromHost(std::vector<float>(3));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message(),
            "cannot copy 12 host bytes into tensor f32[0, 4] strides [4, 1] of 0 bytes");
}

} // namespace
} // namespace tessel::runtime
