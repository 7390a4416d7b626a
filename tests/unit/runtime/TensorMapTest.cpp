// Tests of tensor-map validation and the cache's keys
// (tessel/runtime/TensorMap.h); none needs a driver. Encoding itself is
// tested on a GPU (tests/gpu/runtime/TensorMapTest.cpp).

#include "tessel/runtime/TensorMap.h"

#include "tessel/runtime/KernelArgs.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tessel::runtime {
namespace {

/// An fp8 GEMM operand: 256 x 512 row-major, loaded in 64 x 128 blocks with
/// the 128-byte swizzle.
TensorMapSpec fp8Operand() {
  return TensorMapSpec{.globalAddress = 0x7f0000000000,
                       .dtype = DType::F8E4M3,
                       .shape = {256, 512},
                       .strides = {512, 1},
                       .box = {64, 128},
                       .swizzleBytes = 128};
}

/// The validation error for `spec`, or a failure when it validates.
std::string rejection(const TensorMapSpec &spec) {
  Status status = validateTensorMapSpec(spec);
  EXPECT_FALSE(status) << "expected a rejection";
  return status ? std::string() : status.error().message();
}

#define EXPECT_CONTAINS(text, part)                                                                \
  do {                                                                                             \
    const std::string whole = (text);                                                              \
    EXPECT_NE(whole.find(part), std::string::npos) << whole;                                       \
  } while (0)

static_assert(KernelArgument<TensorMap>, "a kernel takes a tensor map by value");
static_assert(sizeof(TensorMap) == 128 && alignof(TensorMap) == 64);

TEST(TensorMapValidation, AcceptsAValidSpec) {
  Status status = validateTensorMapSpec(fp8Operand());
  EXPECT_TRUE(status) << status.error().message();
}

TEST(TensorMapValidation, AcceptsTheLimitsOfEachRule) {
  TensorMapSpec rank1{.globalAddress = 0x1000,
                      .dtype = DType::F32,
                      .shape = {std::uint64_t(1) << 32},
                      .strides = {1},
                      .box = {256}};
  EXPECT_TRUE(validateTensorMapSpec(rank1));

  TensorMapSpec rank5{.globalAddress = 0x10,
                      .dtype = DType::BF16,
                      .shape = {2, 3, 4, 5, 64},
                      .strides = {7680, 1280, 320, 64, 1},
                      .box = {1, 1, 1, 1, 8}};
  EXPECT_TRUE(validateTensorMapSpec(rank5));

  // The largest stride below 2^40 bytes that is a multiple of 16.
  TensorMapSpec farRows = fp8Operand();
  farRows.strides[0] = (std::uint64_t(1) << 40) - 16;
  EXPECT_TRUE(validateTensorMapSpec(farRows));

  // A box row exactly as wide as the swizzle span: 8 f32 in 32 bytes.
  TensorMapSpec narrow{.globalAddress = 0x100,
                       .dtype = DType::F32,
                       .shape = {64, 64},
                       .strides = {64, 1},
                       .box = {32, 8},
                       .swizzleBytes = 32};
  EXPECT_TRUE(validateTensorMapSpec(narrow));

  // Without a swizzle a box row may be as wide as the box allows.
  TensorMapSpec wide = fp8Operand();
  wide.box = {8, 256};
  wide.swizzleBytes = 0;
  EXPECT_TRUE(validateTensorMapSpec(wide));

  // A box larger than the tensor is allowed: the rest reads as zero.
  TensorMapSpec small = fp8Operand();
  small.shape = {3, 5};
  EXPECT_TRUE(validateTensorMapSpec(small));
}

TEST(TensorMapValidation, EveryDTypeWithATmaElementTypeIsAccepted) {
  for (DType dtype :
       {DType::F8E4M3, DType::F8E5M2, DType::I8, DType::BF16, DType::F16, DType::F32, DType::I32}) {
    TensorMapSpec spec = fp8Operand();
    spec.dtype = dtype;
    spec.box[1] = static_cast<std::uint32_t>(128 / byteSize(dtype));
    Status status = validateTensorMapSpec(spec);
    EXPECT_TRUE(status) << name(dtype) << ": " << status.error().message();
  }
}

TEST(TensorMapValidation, RejectsARankOutsideOneToFive) {
  TensorMapSpec none = fp8Operand();
  none.shape = {};
  none.strides = {};
  none.box = {};
  EXPECT_EQ(rejection(none), "tensor map shape has rank 0; TMA takes ranks 1 to 5");

  TensorMapSpec six{.globalAddress = 0x100,
                    .dtype = DType::F16,
                    .shape = {1, 1, 1, 1, 1, 8},
                    .strides = {8, 8, 8, 8, 8, 1},
                    .box = {1, 1, 1, 1, 1, 8}};
  EXPECT_EQ(rejection(six), "tensor map shape has rank 6; TMA takes ranks 1 to 5");
}

TEST(TensorMapValidation, RejectsListsOfAnotherRank) {
  TensorMapSpec strides = fp8Operand();
  strides.strides = {1};
  EXPECT_EQ(rejection(strides), "tensor map strides has 1 entries for a rank-2 shape");

  TensorMapSpec box = fp8Operand();
  box.box = {1, 64, 128};
  EXPECT_EQ(rejection(box), "tensor map box has 3 entries for a rank-2 shape");
}

TEST(TensorMapValidation, RejectsADTypeWithoutATmaElementType) {
  TensorMapSpec wide = fp8Operand();
  wide.dtype = DType::I64;
  wide.box[1] = 16;
  EXPECT_EQ(rejection(wide), "tensor map dtype i64 has no TMA element type (supported: "
                             "f8e4m3, f8e5m2, i8, bf16, f16, f32, i32)");

  TensorMapSpec bits = fp8Operand();
  bits.dtype = DType::I1;
  EXPECT_CONTAINS(rejection(bits), "tensor map dtype i1 ");
}

TEST(TensorMapValidation, RejectsAnUnknownSwizzle) {
  TensorMapSpec spec = fp8Operand();
  spec.swizzleBytes = 16;
  EXPECT_EQ(rejection(spec), "tensor map swizzleBytes = 16; it must be 0, 32, 64 or 128");
  spec.swizzleBytes = 256;
  EXPECT_CONTAINS(rejection(spec), "swizzleBytes = 256");
}

TEST(TensorMapValidation, RejectsAnAddressNotAlignedTo16Bytes) {
  TensorMapSpec spec = fp8Operand();
  spec.globalAddress += 8;
  EXPECT_EQ(rejection(spec), "tensor map globalAddress 0x7f0000000008 is not 16-byte aligned");
}

TEST(TensorMapValidation, RejectsANonContiguousInnermostDimension) {
  TensorMapSpec spec = fp8Operand();
  spec.strides = {512, 2};
  EXPECT_EQ(rejection(spec),
            "tensor map strides[1] = 2; the innermost dimension must have stride 1");
}

TEST(TensorMapValidation, RejectsShapeEntriesOutsideOneTo2To32) {
  TensorMapSpec empty = fp8Operand();
  empty.shape[0] = 0;
  EXPECT_EQ(rejection(empty), "tensor map shape[0] = 0 is outside [1, 2^32]");

  TensorMapSpec huge = fp8Operand();
  huge.shape[1] = (std::uint64_t(1) << 32) + 1;
  EXPECT_EQ(rejection(huge), "tensor map shape[1] = 4294967297 is outside [1, 2^32]");
}

TEST(TensorMapValidation, RejectsStridesThatAreNotMultiplesOf16Bytes) {
  TensorMapSpec fp8 = fp8Operand();
  fp8.strides[0] = 520;
  EXPECT_EQ(rejection(fp8), "tensor map strides[0] = 520 elements of f8e4m3 (520 bytes) is not "
                            "a multiple of 16 bytes");

  // 4 bf16 are 8 bytes; the same count of f32 would be 16.
  TensorMapSpec bf16{.globalAddress = 0x100,
                     .dtype = DType::BF16,
                     .shape = {2, 4, 8},
                     .strides = {16, 4, 1},
                     .box = {1, 4, 8}};
  EXPECT_EQ(rejection(bf16), "tensor map strides[1] = 4 elements of bf16 (8 bytes) is not a "
                             "multiple of 16 bytes");
  bf16.dtype = DType::F32;
  bf16.box[2] = 4;
  EXPECT_TRUE(validateTensorMapSpec(bf16));
}

TEST(TensorMapValidation, RejectsStridesOf2To40BytesOrMore) {
  TensorMapSpec fp8 = fp8Operand();
  fp8.strides[0] = std::uint64_t(1) << 40;
  EXPECT_EQ(rejection(fp8),
            "tensor map strides[0] = 1099511627776 elements of f8e4m3 is not below 2^40 bytes");

  // 2^38 f32 are 2^40 bytes; a stride near 2^64 must not wrap into range.
  TensorMapSpec f32{.globalAddress = 0x100,
                    .dtype = DType::F32,
                    .shape = {4, 4},
                    .strides = {std::uint64_t(1) << 38, 1},
                    .box = {4, 4}};
  EXPECT_CONTAINS(rejection(f32), "tensor map strides[0] = 274877906944 elements of f32");
  f32.strides[0] = (std::uint64_t(1) << 62) + 4;
  EXPECT_CONTAINS(rejection(f32), "is not below 2^40 bytes");
}

TEST(TensorMapValidation, RejectsBoxEntriesOutsideOneTo256) {
  TensorMapSpec empty = fp8Operand();
  empty.box[0] = 0;
  EXPECT_EQ(rejection(empty), "tensor map box[0] = 0 is outside [1, 256]");

  TensorMapSpec tall = fp8Operand();
  tall.box[0] = 257;
  EXPECT_EQ(rejection(tall), "tensor map box[0] = 257 is outside [1, 256]");
}

TEST(TensorMapValidation, RejectsAnInnermostBoxThatIsNotAMultipleOf16Bytes) {
  TensorMapSpec spec = fp8Operand();
  spec.box[1] = 8;
  EXPECT_EQ(rejection(spec), "tensor map box[1] = 8 elements of f8e4m3 spans 8 bytes, not a "
                             "multiple of 16");
}

TEST(TensorMapValidation, RejectsAnInnermostBoxWiderThanTheSwizzleSpan) {
  TensorMapSpec spec = fp8Operand();
  spec.swizzleBytes = 64;
  EXPECT_EQ(rejection(spec), "tensor map box[1] = 128 elements of f8e4m3 spans 128 bytes, more "
                             "than the 64-byte swizzle span");
  spec.dtype = DType::BF16;
  spec.swizzleBytes = 128;
  EXPECT_CONTAINS(rejection(spec), "spans 256 bytes, more than the 128-byte swizzle span");
}

TEST(TensorMapValidation, EncodingReportsTheValidationErrorWithoutADriver) {
  TensorMapSpec spec = fp8Operand();
  spec.box[1] = 8;
  Expected<TensorMap> map = encodeTensorMap(spec);
  ASSERT_FALSE(map);
  EXPECT_EQ(map.error().message(), validateTensorMapSpec(spec).error().message());
}

TEST(TensorMapSpecKey, EqualSpecsHashEqual) {
  const TensorMapSpecHash hash;
  TensorMapSpec a = fp8Operand();
  TensorMapSpec b = fp8Operand();
  EXPECT_EQ(a, b);
  EXPECT_EQ(hash(a), hash(b));
}

TEST(TensorMapSpecKey, EveryFieldDistinguishesSpecs) {
  const TensorMapSpecHash hash;
  const TensorMapSpec base = fp8Operand();
  std::vector<TensorMapSpec> variants;
  auto vary = [&](auto change) {
    TensorMapSpec spec = base;
    change(spec);
    variants.push_back(spec);
  };
  vary([](TensorMapSpec &s) { s.globalAddress += 16; });
  vary([](TensorMapSpec &s) { s.dtype = DType::F8E5M2; });
  vary([](TensorMapSpec &s) { s.shape[0] = 255; });
  vary([](TensorMapSpec &s) { s.strides[0] = 1024; });
  vary([](TensorMapSpec &s) { s.box[0] = 128; });
  vary([](TensorMapSpec &s) { s.box = {128, 64}; });
  vary([](TensorMapSpec &s) { s.swizzleBytes = 0; });
  // The same numbers split differently between shape and strides.
  vary([](TensorMapSpec &s) {
    s.shape = {256};
    s.strides = {512, 1, 1};
  });
  for (const TensorMapSpec &variant : variants) {
    EXPECT_NE(variant, base);
    EXPECT_NE(hash(variant), hash(base)) << "a one-field change should move the hash";
  }
}

TEST(TensorMapCache, DoesNotKeepASpecThatFailsValidation) {
  TensorMapCache cache(8);
  EXPECT_EQ(cache.capacity(), 8u);
  TensorMapSpec spec = fp8Operand();
  spec.globalAddress = 0x1004;
  Expected<TensorMap> first = cache.get(spec);
  ASSERT_FALSE(first);
  EXPECT_CONTAINS(first.error().message(), "globalAddress 0x1004");
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.encodes(), 1u);
  EXPECT_FALSE(cache.get(spec));
  EXPECT_EQ(cache.encodes(), 2u) << "failures are tried again";
}

TEST(TensorMapKernelArgs, APushedMapKeepsItsAlignmentAndBytes) {
  TensorMap map{};
  for (std::size_t i = 0; i < map.bytes.size(); ++i)
    map.bytes[i] = static_cast<std::byte>(i);
  KernelArgs args;
  args.push(std::int32_t{7}).push(map);
  ASSERT_EQ(args.count(), 2u);
  EXPECT_EQ(args.offset(1), 64u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(args.pointers()[1]) % 64, 0u);
  EXPECT_EQ(std::memcmp(args.pointers()[1], map.bytes.data(), map.bytes.size()), 0);
}

} // namespace
} // namespace tessel::runtime
