#include "tessel/runtime/Buffer.h"

#include "DriverApi.h"
#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Device.h"
#include "tessel/runtime/Stream.h"

#include <cstring>

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace tessel::runtime {
namespace {

CUstream streamOf(const Stream *stream) {
  return streamHandle(stream ? stream->handle() : nullptr);
}

} // namespace

Expected<DeviceBuffer> DeviceBuffer::allocate(std::size_t bytes) {
  if (bytes == 0)
    return DeviceBuffer();
  // Interpreter backend: host memory, recognisable by its null driver.
  if (activeBackend() == Backend::Interpreter) {
    std::uint64_t address = detail::allocateHost(bytes);
    if (!address)
      return Error(fmt::format("allocating {} bytes of host memory for a buffer failed", bytes));
    return DeviceBuffer(nullptr, address, bytes);
  }
  if (Status s = ensureCurrentContext(); !s)
    return s.error();
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return driver.error();
  const DriverApi &api = (*driver)->api();
  CUdeviceptr pointer = 0;
  if (CUresult r = api.memAlloc(&pointer, bytes); r != CUDA_SUCCESS)
    return driverError(api, r, fmt::format("cuMemAlloc of {} bytes failed", bytes));
  detail::recordDeviceAllocation(pointer, bytes);
  return DeviceBuffer(*driver, pointer, bytes);
}

DeviceBuffer::DeviceBuffer(DeviceBuffer &&other) noexcept
    : driver_(std::exchange(other.driver_, nullptr)),
      devicePtr_(std::exchange(other.devicePtr_, 0)), size_(std::exchange(other.size_, 0)) {}

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  if (this != &other) {
    release();
    driver_ = std::exchange(other.driver_, nullptr);
    devicePtr_ = std::exchange(other.devicePtr_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

DeviceBuffer::~DeviceBuffer() { release(); }

void DeviceBuffer::release() {
  // cuMemFree waits for nothing and a destructor reports to no one; kernels
  // still reading the buffer are the caller's bug, as with cudaFree.
  if (devicePtr_ && !driver_)
    detail::freeHost(devicePtr_);
  else if (devicePtr_) {
    detail::forgetDeviceAllocation(devicePtr_);
    (void)driver_->api().memFree(devicePtr_);
  }
  devicePtr_ = 0;
  size_ = 0;
}

Status DeviceBuffer::checkRange(const char *operation, std::size_t bytes,
                                std::size_t offset) const {
  if (offset > size_ || bytes > size_ - offset)
    return Error(fmt::format("{} of {} bytes at offset {} is outside the {}-byte device buffer",
                             operation, bytes, offset, size_));
  return Status::success();
}

Status DeviceBuffer::copyFromHost(const void *source, std::size_t bytes, std::size_t offset) {
  if (Status s = checkRange("copy from host", bytes, offset); !s)
    return s;
  if (bytes == 0)
    return Status::success();
  if (!driver_) {
    std::memcpy(reinterpret_cast<char *>(devicePtr_) + offset, source, bytes);
    detail::markWritten(devicePtr_ + offset, bytes);
    return Status::success();
  }
  const DriverApi &api = driver_->api();
  if (CUresult r = api.memcpyHtoD(devicePtr_ + offset, source, bytes); r != CUDA_SUCCESS)
    return driverError(api, r, fmt::format("cuMemcpyHtoD of {} bytes failed", bytes));
  return Status::success();
}

Status DeviceBuffer::copyToHost(void *destination, std::size_t bytes, std::size_t offset) const {
  if (Status s = checkRange("copy to host", bytes, offset); !s)
    return s;
  if (bytes == 0)
    return Status::success();
  if (!driver_) {
    std::memcpy(destination, reinterpret_cast<const char *>(devicePtr_) + offset, bytes);
    return Status::success();
  }
  const DriverApi &api = driver_->api();
  if (CUresult r = api.memcpyDtoH(destination, devicePtr_ + offset, bytes); r != CUDA_SUCCESS)
    return driverError(api, r, fmt::format("cuMemcpyDtoH of {} bytes failed", bytes));
  return Status::success();
}

Status DeviceBuffer::fillBytesAsync(std::uint8_t value, const Stream *stream) {
  if (size_ == 0)
    return Status::success();
  if (!driver_) {
    std::memset(reinterpret_cast<void *>(devicePtr_), value, size_);
    detail::markWritten(devicePtr_, size_);
    return Status::success();
  }
  const DriverApi &api = driver_->api();
  if (CUresult r = api.memsetD8Async(devicePtr_, value, size_, streamOf(stream)); r != CUDA_SUCCESS)
    return driverError(api, r, fmt::format("cuMemsetD8Async of {} bytes failed", size_));
  return Status::success();
}

Status DeviceBuffer::fillWordsAsync(std::uint32_t value, const Stream *stream) {
  if (size_ % 4 != 0)
    return Error(fmt::format("cannot fill a {}-byte device buffer with 32-bit words", size_));
  if (size_ == 0)
    return Status::success();
  if (!driver_) {
    auto *words = reinterpret_cast<std::uint32_t *>(devicePtr_);
    std::fill(words, words + size_ / 4, value);
    detail::markWritten(devicePtr_, size_);
    return Status::success();
  }
  const DriverApi &api = driver_->api();
  if (CUresult r = api.memsetD32Async(devicePtr_, value, size_ / 4, streamOf(stream));
      r != CUDA_SUCCESS)
    return driverError(api, r, fmt::format("cuMemsetD32Async of {} bytes failed", size_));
  return Status::success();
}

Status copyToHostFrom(std::uint64_t devicePtr, void *destination, std::size_t bytes) {
  if (bytes == 0)
    return Status::success();
  if (Status s = ensureCurrentContext(); !s)
    return s;
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return driver.error();
  const DriverApi &api = (*driver)->api();
  if (CUresult r = api.memcpyDtoH(destination, devicePtr, bytes); r != CUDA_SUCCESS)
    return driverError(api, r, fmt::format("cuMemcpyDtoH of {} bytes failed", bytes));
  return Status::success();
}

Status copyFromHostTo(std::uint64_t devicePtr, const void *source, std::size_t bytes) {
  if (bytes == 0)
    return Status::success();
  if (Status s = ensureCurrentContext(); !s)
    return s;
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return driver.error();
  const DriverApi &api = (*driver)->api();
  if (CUresult r = api.memcpyHtoD(devicePtr, source, bytes); r != CUDA_SUCCESS)
    return driverError(api, r, fmt::format("cuMemcpyHtoD of {} bytes failed", bytes));
  return Status::success();
}

Status copyDeviceToDeviceAsync(std::uint64_t destination, std::uint64_t source, std::size_t bytes,
                               const Stream *stream) {
  if (bytes == 0)
    return Status::success();
  if (activeBackend() == Backend::Interpreter) {
    std::memmove(reinterpret_cast<void *>(destination), reinterpret_cast<const void *>(source),
                 bytes);
    detail::markWritten(destination, bytes);
    return Status::success();
  }
  if (Status s = ensureCurrentContext(); !s)
    return s;
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return driver.error();
  const DriverApi &api = (*driver)->api();
  if (CUresult r = api.memcpyDtoDAsync(destination, source, bytes, streamOf(stream));
      r != CUDA_SUCCESS)
    return driverError(api, r, fmt::format("cuMemcpyDtoDAsync of {} bytes failed", bytes));
  return Status::success();
}

} // namespace tessel::runtime
