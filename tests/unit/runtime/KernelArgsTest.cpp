// Tests of kernel-argument packing (tessel/runtime/KernelArgs.h).

#include "tessel/runtime/KernelArgs.h"
#include "tessel/runtime/Tensor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace tessel::runtime {
namespace {

template <typename T> T valueAt(const KernelArgs &args, std::size_t index) {
  T value;
  std::memcpy(&value, args.pointers()[index], sizeof(T));
  return value;
}

bool alignedTo(const void *pointer, std::size_t alignment) {
  return reinterpret_cast<std::uintptr_t>(pointer) % alignment == 0;
}

/// The layout of a 128-byte TMA descriptor (CUtensorMap).
struct alignas(64) TensorMapLike {
  std::uint64_t words[16];
};

// Device pointers travel as integers; host pointers are refused at compile
// time.
static_assert(KernelArgument<std::uint64_t>);
static_assert(KernelArgument<float>);
static_assert(KernelArgument<TensorMapLike>);
static_assert(!KernelArgument<int *>);
static_assert(!KernelArgument<const void *>);
static_assert(!KernelArgument<TensorView>, "a view is pushed through its own overload");

TEST(KernelArgs, PacksEachValueAtItsNaturalAlignment) {
  KernelArgs args;
  args.push(std::uint64_t{0xdeadbeef00001000}).push(std::int32_t{-7}).push(1.5f);
  args.push(std::int64_t{1} << 40).push(std::int8_t{3}).push(2.25);

  ASSERT_EQ(args.count(), 6u);
  EXPECT_EQ(args.offset(0), 0u);
  EXPECT_EQ(args.offset(1), 8u);
  EXPECT_EQ(args.offset(2), 12u);
  EXPECT_EQ(args.offset(3), 16u);
  EXPECT_EQ(args.offset(4), 24u);
  EXPECT_EQ(args.offset(5), 32u) << "a double after a byte is padded to 8";
  EXPECT_EQ(args.storageBytes(), 40u);

  EXPECT_EQ(valueAt<std::uint64_t>(args, 0), 0xdeadbeef00001000u);
  EXPECT_EQ(valueAt<std::int32_t>(args, 1), -7);
  EXPECT_EQ(valueAt<float>(args, 2), 1.5f);
  EXPECT_EQ(valueAt<std::int64_t>(args, 3), std::int64_t{1} << 40);
  EXPECT_EQ(valueAt<std::int8_t>(args, 4), 3);
  EXPECT_EQ(valueAt<double>(args, 5), 2.25);
  for (std::size_t i = 0; i < args.count(); ++i)
    EXPECT_TRUE(alignedTo(args.pointers()[i], i == 5 || i == 0 || i == 3 ? 8 : 1));
}

TEST(KernelArgs, PushesATensorAsItsDevicePointer) {
  KernelArgs args;
  args.push(TensorView::contiguous(0xabc000, DType::BF16, {16, 16}));
  ASSERT_EQ(args.count(), 1u);
  EXPECT_EQ(args.storageBytes(), 8u);
  EXPECT_EQ(valueAt<std::uint64_t>(args, 0), 0xabc000u);
}

TEST(KernelArgs, OverAlignedValuesKeepTheirAlignment) {
  KernelArgs args;
  TensorMapLike map{};
  map.words[0] = 42;
  args.push(std::int32_t{1}).push(map);
  EXPECT_EQ(args.offset(1), 64u);
  EXPECT_TRUE(alignedTo(args.pointers()[1], 64));
  EXPECT_EQ(valueAt<TensorMapLike>(args, 1).words[0], 42u);
}

TEST(KernelArgs, SpillsBeyondTheInlineBuffersAndKeepsEveryValue) {
  KernelArgs args;
  // Three TMA descriptors fit inline; more, and many scalars, do not.
  for (int i = 0; i < 6; ++i) {
    TensorMapLike map{};
    map.words[15] = static_cast<std::uint64_t>(i);
    args.push(map);
  }
  for (int i = 0; i < 100; ++i)
    args.push(std::int32_t{i});
  ASSERT_EQ(args.count(), 106u);
  EXPECT_GT(args.storageBytes(), KernelArgs::kInlineBytes);
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(alignedTo(args.pointers()[i], 64));
    EXPECT_EQ(valueAt<TensorMapLike>(args, i).words[15], static_cast<std::uint64_t>(i));
  }
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(valueAt<std::int32_t>(args, 6 + i), i);
}

TEST(KernelArgs, CopiesPointIntoTheirOwnStorage) {
  for (int extra : {0, 200}) {
    KernelArgs original;
    original.push(std::uint64_t{7}).push(3.0f);
    for (int i = 0; i < extra; ++i)
      original.push(std::int64_t{i});
    KernelArgs copy = original;
    ASSERT_EQ(copy.count(), original.count());
    for (std::size_t i = 0; i < copy.count(); ++i) {
      EXPECT_NE(copy.pointers()[i], original.pointers()[i]);
      EXPECT_EQ(copy.offset(i), original.offset(i));
    }
    EXPECT_EQ(valueAt<std::uint64_t>(copy, 0), 7u);
    EXPECT_EQ(valueAt<float>(copy, 1), 3.0f);

    KernelArgs assigned;
    assigned.push(std::int8_t{1});
    assigned = original;
    EXPECT_EQ(assigned.count(), original.count());
    EXPECT_EQ(valueAt<float>(assigned, 1), 3.0f);
  }
}

TEST(KernelArgs, ClearStartsOver) {
  KernelArgs args;
  args.push(1.0).push(2.0);
  args.clear();
  EXPECT_EQ(args.count(), 0u);
  EXPECT_EQ(args.storageBytes(), 0u);
  args.push(std::int32_t{5});
  EXPECT_EQ(args.offset(0), 0u);
  EXPECT_EQ(valueAt<std::int32_t>(args, 0), 5);
}

} // namespace
} // namespace tessel::runtime
