#include "tessel/runtime/KernelArgs.h"

#include "tessel/runtime/Tensor.h"

#include <algorithm>
#include <new>

namespace tessel::runtime {
namespace {

std::byte *allocateBytes(std::size_t bytes) {
  return static_cast<std::byte *>(
      ::operator new (bytes, std::align_val_t{KernelArgs::kMaxAlignment}));
}
void freeBytes(std::byte *bytes) {
  ::operator delete (bytes, std::align_val_t{KernelArgs::kMaxAlignment});
}

} // namespace

KernelArgs::KernelArgs(const KernelArgs &other) { copyFrom(other); }

KernelArgs &KernelArgs::operator=(const KernelArgs &other) {
  if (this != &other) {
    clear();
    copyFrom(other);
  }
  return *this;
}

KernelArgs::~KernelArgs() { releaseHeap(); }

void KernelArgs::releaseHeap() {
  if (bytes_ != inlineBytes_)
    freeBytes(bytes_);
  if (pointers_ != inlinePointers_)
    delete[] pointers_;
  bytes_ = inlineBytes_;
  pointers_ = inlinePointers_;
  byteCapacity_ = kInlineBytes;
  pointerCapacity_ = kInlineCount;
}

void KernelArgs::copyFrom(const KernelArgs &other) {
  reserveBytes(other.used_);
  reservePointers(other.count_);
  std::memcpy(bytes_, other.bytes_, other.used_);
  // The pointers point into the other object's storage; rebase them.
  for (std::size_t i = 0; i < other.count_; ++i)
    pointers_[i] = bytes_ + other.offset(i);
  used_ = other.used_;
  count_ = other.count_;
}

std::size_t KernelArgs::offset(std::size_t index) const {
  return static_cast<std::size_t>(static_cast<const std::byte *>(pointers_[index]) - bytes_);
}

void KernelArgs::reserveBytes(std::size_t bytes) {
  if (bytes <= byteCapacity_)
    return;
  const std::size_t capacity = std::max(bytes, 2 * byteCapacity_);
  std::byte *grown = allocateBytes(capacity);
  std::memcpy(grown, bytes_, used_);
  for (std::size_t i = 0; i < count_; ++i)
    pointers_[i] = grown + offset(i);
  if (bytes_ != inlineBytes_)
    freeBytes(bytes_);
  bytes_ = grown;
  byteCapacity_ = capacity;
}

void KernelArgs::reservePointers(std::size_t count) {
  if (count <= pointerCapacity_)
    return;
  const std::size_t capacity = std::max(count, 2 * pointerCapacity_);
  void **grown = new void *[capacity];
  std::copy(pointers_, pointers_ + count_, grown);
  if (pointers_ != inlinePointers_)
    delete[] pointers_;
  pointers_ = grown;
  pointerCapacity_ = capacity;
}

void KernelArgs::append(const void *value, std::size_t size, std::size_t alignment) {
  const std::size_t start = (used_ + alignment - 1) / alignment * alignment;
  reserveBytes(start + size);
  reservePointers(count_ + 1);
  std::memcpy(bytes_ + start, value, size);
  pointers_[count_++] = bytes_ + start;
  used_ = start + size;
}

KernelArgs &KernelArgs::push(const TensorView &tensor) { return push(tensor.devicePtr); }

} // namespace tessel::runtime
