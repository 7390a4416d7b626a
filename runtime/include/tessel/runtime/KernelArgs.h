// Kernel arguments packed the way cuLaunchKernel takes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace tessel::runtime {

struct TensorView;

/// A value a kernel can take by copy. Host pointers are excluded: they are
/// never a valid kernel argument and usually a mistake for a device pointer.
template <typename T>
concept KernelArgument = std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>;

/// The arguments of one launch: each value copied into storage owned by this
/// object at its natural alignment, and an array of pointers to them, the
/// `void **kernelParams` of cuLaunchKernel, in push order.
///
/// Built on every launch, so it avoids the heap: values and pointers live in
/// inline buffers sized for the kernels Tessel ships (a few pointers and
/// scalars, or three 128-byte TMA descriptors), and spill to the heap only
/// beyond them.
class KernelArgs {
public:
  static constexpr std::size_t kInlineBytes = 448;
  static constexpr std::size_t kInlineCount = 24;
  /// The strictest alignment a value may ask for: CUtensorMap's 64 bytes.
  static constexpr std::size_t kMaxAlignment = 64;

  KernelArgs() = default;
  KernelArgs(const KernelArgs &other);
  KernelArgs &operator=(const KernelArgs &other);
  ~KernelArgs();

  /// Appends one argument by value. It must match the kernel's parameter in
  /// size: push a device pointer as std::uint64_t, an i32 as std::int32_t, an
  /// f32 as float.
  template <KernelArgument T> KernelArgs &push(const T &value) {
    static_assert(alignof(T) <= kMaxAlignment, "kernel argument over-aligned");
    append(&value, sizeof(T), alignof(T));
    return *this;
  }
  /// Appends a tensor's device pointer, the form a kernel takes it in.
  KernelArgs &push(const TensorView &tensor);

  void clear() { used_ = count_ = 0; }
  /// Number of arguments.
  std::size_t count() const { return count_; }
  /// Bytes of storage used, padding included.
  std::size_t storageBytes() const { return used_; }
  /// `count()` pointers, the i-th to the i-th argument's bytes.
  void *const *pointers() const { return pointers_; }
  /// The byte offset of argument `index` in the storage.
  std::size_t offset(std::size_t index) const;

private:
  void append(const void *value, std::size_t size, std::size_t alignment);
  void reserveBytes(std::size_t bytes);
  void reservePointers(std::size_t count);
  void copyFrom(const KernelArgs &other);
  void releaseHeap();

  alignas(kMaxAlignment) std::byte inlineBytes_[kInlineBytes];
  void *inlinePointers_[kInlineCount];
  std::byte *bytes_ = inlineBytes_;
  void **pointers_ = inlinePointers_;
  std::size_t byteCapacity_ = kInlineBytes;
  std::size_t pointerCapacity_ = kInlineCount;
  std::size_t used_ = 0;
  std::size_t count_ = 0;
};

} // namespace tessel::runtime
