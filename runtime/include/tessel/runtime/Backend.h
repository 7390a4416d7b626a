// Where kernels run and "device" memory lives, for the whole process.
//
// With the interpreter backend (TESSEL_INTERPRET=1, or setBackend) device
// buffers are host memory, streams and events run on the host, and the JIT
// runs kernels in the tile interpreter: the same host code runs on a machine
// without a GPU, and every access a kernel makes is checked against the live
// buffers.
#pragma once

#include "tessel/support/Error.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tessel::runtime {

enum class Backend { Gpu, Interpreter };

/// The process's backend: Interpreter when TESSEL_INTERPRET=1 at the first
/// call (or after setBackend(Interpreter)), else Gpu.
Backend activeBackend();
/// Chooses the backend; an Error while buffers of the other backend are
/// alive, since they could not be used any more.
Status setBackend(Backend backend);

/// A live host allocation standing in for device memory.
struct HostAllocation {
  std::uint64_t address;
  std::size_t bytes;
  /// One flag per byte, set once something wrote the byte (a copy from the
  /// host, a fill, a kernel's store): reads of unset bytes are reported.
  std::uint8_t *written;
};
/// The live buffers of the interpreter backend, for checking accesses.
std::vector<HostAllocation> hostAllocations();

/// A live GPU allocation made through DeviceBuffer.
struct DeviceAllocation {
  std::uint64_t devicePtr;
  std::size_t bytes;
};
/// The GPU allocation that holds `devicePtr`, if DeviceBuffer made it: what
/// a launch on the interpreter must copy to the host and back.
std::optional<DeviceAllocation> deviceAllocationContaining(std::uint64_t devicePtr);

namespace detail {
/// Bookkeeping of GPU allocations (DeviceBuffer calls these).
void recordDeviceAllocation(std::uint64_t devicePtr, std::size_t bytes);
void forgetDeviceAllocation(std::uint64_t devicePtr);
/// Host memory for a DeviceBuffer under the interpreter backend: 256-byte
/// aligned, like cuMemAlloc's.
std::uint64_t allocateHost(std::size_t bytes);
void freeHost(std::uint64_t address);
/// Records that [address, address + bytes) of a host allocation was written.
void markWritten(std::uint64_t address, std::size_t bytes);
} // namespace detail

} // namespace tessel::runtime
