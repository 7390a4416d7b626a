// Device memory.
#pragma once

#include "tessel/support/Error.h"

#include <cstddef>
#include <cstdint>

namespace tessel::runtime {

class Driver;
class Stream;

/// An owned allocation in device memory (cuMemAlloc), freed on destruction.
/// Allocated in the current context (Device::open makes one current).
///
/// The copies are synchronous and ordered on the legacy default stream: they
/// do not wait for work queued on a non-blocking Stream, so synchronize that
/// stream before reading what it wrote.
class DeviceBuffer {
public:
  /// An empty buffer (size 0, device pointer 0).
  DeviceBuffer() = default;
  /// `bytes` of uninitialised device memory; 0 bytes gives an empty buffer
  /// without touching the driver.
  static Expected<DeviceBuffer> allocate(std::size_t bytes);

  DeviceBuffer(DeviceBuffer &&other) noexcept;
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer();

  /// The address as a CUdeviceptr, the form kernels take it in.
  std::uint64_t devicePtr() const { return devicePtr_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// Copies `bytes` from host memory to this buffer at `offset`.
  Status copyFromHost(const void *source, std::size_t bytes, std::size_t offset = 0);
  /// Copies `bytes` at `offset` of this buffer to host memory.
  Status copyToHost(void *destination, std::size_t bytes, std::size_t offset = 0) const;

  /// Queues setting every byte to `value` on `stream` (null: the legacy
  /// default stream).
  Status fillBytesAsync(std::uint8_t value, const Stream *stream = nullptr);
  /// Queues setting every 32-bit word to `value` (a float's bit pattern, say);
  /// the size must be a multiple of 4.
  Status fillWordsAsync(std::uint32_t value, const Stream *stream = nullptr);

private:
  DeviceBuffer(const Driver *driver, std::uint64_t devicePtr, std::size_t size)
      : driver_(driver), devicePtr_(devicePtr), size_(size) {}
  Status checkRange(const char *operation, std::size_t bytes, std::size_t offset) const;
  void release();

  const Driver *driver_ = nullptr;
  std::uint64_t devicePtr_ = 0;
  std::size_t size_ = 0;
};

/// Synchronous copies by device address (GPU backend), for memory a
/// DeviceBuffer elsewhere owns.
Status copyToHostFrom(std::uint64_t devicePtr, void *destination, std::size_t bytes);
Status copyFromHostTo(std::uint64_t devicePtr, const void *source, std::size_t bytes);

/// Queues a device-to-device copy of `bytes` on `stream` (null: the legacy
/// default stream): the bandwidth peer the memory-bound kernels are measured
/// against.
Status copyDeviceToDeviceAsync(std::uint64_t destination, std::uint64_t source, std::size_t bytes,
                               const Stream *stream = nullptr);

} // namespace tessel::runtime
