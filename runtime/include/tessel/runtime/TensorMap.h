// Hopper TMA tensor maps: the descriptors cp.async.bulk.tensor copies through.
//
// A kernel that loads blocks with TMA takes one 128-byte tensor map per
// tensor, encoded on the host by the driver (cuTensorMapEncodeTiled) from the
// tensor's address, shape and strides and the block's shape. This file checks
// a description against the hardware's rules, encodes it, and caches the
// encodings so that a launch in steady state encodes nothing.
#pragma once

#include "tessel/runtime/MemoryCache.h"
#include "tessel/support/DType.h"
#include "tessel/support/Error.h"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tessel::runtime {

/// The encoded form of a TMA tensor map: the 128 opaque bytes a kernel takes
/// as a __grid_constant__ parameter (CUtensorMap, 64-byte aligned). Push it
/// with KernelArgs::push.
struct alignas(64) TensorMap {
  std::array<std::byte, 128> bytes;
};

/// What a tensor map describes: a tiled view of a strided tensor in global
/// memory. Every list is outermost dimension first, the order the tile
/// dialect writes shapes in: index rank-1 is the contiguous dimension.
struct TensorMapSpec {
  /// Device pointer of element (0, ..., 0).
  std::uint64_t globalAddress = 0;
  /// F8E4M3, F8E5M2 and I8 are copied as bytes; BF16, F16, F32 and I32 as
  /// themselves.
  DType dtype = DType::F32;
  /// Elements per dimension.
  std::vector<std::uint64_t> shape;
  /// In elements; strides[rank-1] must be 1.
  std::vector<std::uint64_t> strides;
  /// The block one copy moves, in elements.
  std::vector<std::uint32_t> box;
  /// The shared-memory swizzle span: 0 (none), 32, 64 or 128.
  unsigned swizzleBytes = 0;

  bool operator==(const TensorMapSpec &) const = default;
};

/// Hashes every field of a spec, for the cache's index.
struct TensorMapSpecHash {
  std::size_t operator()(const TensorMapSpec &spec) const;
};

/// Success when the driver may be asked to encode `spec`; otherwise an Error
/// naming the first field that breaks a rule of cuTensorMapEncodeTiled and
/// its value: rank 1 to 5, with as many strides and box entries; a supported
/// dtype; a 16-byte aligned address; a contiguous innermost dimension; shape
/// entries in [1, 2^32]; other strides multiples of 16 bytes below 2^40 bytes;
/// box entries in [1, 256], the innermost spanning a multiple of 16 bytes and,
/// with a swizzle, no more than its span. Needs no driver.
Status validateTensorMapSpec(const TensorMapSpec &spec);

/// Validates `spec`, then encodes it through the driver: no interleave, zero
/// fill out of bounds (kernels rely on out-of-bounds elements reading as
/// zero), every element stride 1.
Expected<TensorMap> encodeTensorMap(const TensorMapSpec &spec);

/// Encoded maps by spec, so that launches in steady state encode nothing.
/// Thread-safe and bounded: beyond `capacity` maps the least recently used is
/// evicted. Failures are not kept; the next get() of the spec tries again.
class TensorMapCache {
public:
  explicit TensorMapCache(std::size_t capacity = 4096);

  TensorMapCache(const TensorMapCache &) = delete;
  TensorMapCache &operator=(const TensorMapCache &) = delete;

  /// A copy of the map for `spec`, encoded on the first get() of it. Threads
  /// that miss on the same spec at once may each encode it; the maps they
  /// get are the same.
  Expected<TensorMap> get(const TensorMapSpec &spec);

  std::size_t size() const { return maps_.size(); }
  std::size_t capacity() const { return maps_.capacity(); }
  /// The number of encodeTensorMap calls made, failed ones included.
  std::uint64_t encodes() const { return encodes_.load(std::memory_order_relaxed); }

private:
  // A TensorMap is 128 bytes, cheap enough to copy out of the cache on every
  // hit, and a copy is what a launch pushes anyway.
  MemoryCache<TensorMapSpec, TensorMap, TensorMapSpecHash> maps_;
  std::atomic<std::uint64_t> encodes_{0};
};

} // namespace tessel::runtime
