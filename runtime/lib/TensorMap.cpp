#include "tessel/runtime/TensorMap.h"

#include "DriverApi.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <optional>

namespace tessel::runtime {

static_assert(sizeof(TensorMap) == sizeof(CUtensorMap), "a TensorMap holds one CUtensorMap");
// The driver encodes only into a 64-byte aligned map, and kernels take maps
// as `.param .align 64` (FuncOpToLLVM.cpp), which is what KernelArgs
// aligns to. cuda.h from CUDA 13 declares CUtensorMap alignas(128), more than
// either needs, so encodeTensorMap encodes into a CUtensorMap and copies the
// bytes out instead of casting a TensorMap's address.
static_assert(alignof(TensorMap) == 64, "the alignment the driver and the kernels require");
static_assert(alignof(CUtensorMap) % alignof(TensorMap) == 0,
              "a CUtensorMap is at least as aligned as a TensorMap");

namespace {

constexpr std::size_t kMaxRank = 5;
constexpr std::uint64_t kMaxDimension = std::uint64_t(1) << 32;
constexpr std::uint64_t kStrideLimitBytes = std::uint64_t(1) << 40;
constexpr std::uint32_t kMaxBoxDimension = 256;
/// What global addresses, strides and the innermost box extent must be
/// multiples of, in bytes.
constexpr std::uint64_t kTmaAlignment = 16;

/// The element type the copy engine moves. fp8 is copied as bytes: TMA never
/// converts, and the kernels read the bytes as f8 themselves.
std::optional<CUtensorMapDataType> tmaDataType(DType dtype) {
  switch (dtype) {
  case DType::F8E4M3:
  case DType::F8E5M2:
  case DType::I8:
    return CU_TENSOR_MAP_DATA_TYPE_UINT8;
  case DType::BF16:
    return CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
  case DType::F16:
    return CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
  case DType::F32:
    return CU_TENSOR_MAP_DATA_TYPE_FLOAT32;
  case DType::I32:
    return CU_TENSOR_MAP_DATA_TYPE_INT32;
  case DType::I1:
  case DType::I64:
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<CUtensorMapSwizzle> tmaSwizzle(unsigned swizzleBytes) {
  switch (swizzleBytes) {
  case 0:
    return CU_TENSOR_MAP_SWIZZLE_NONE;
  case 32:
    return CU_TENSOR_MAP_SWIZZLE_32B;
  case 64:
    return CU_TENSOR_MAP_SWIZZLE_64B;
  case 128:
    return CU_TENSOR_MAP_SWIZZLE_128B;
  default:
    return std::nullopt;
  }
}

/// "f8e4m3 shape [256, 512] strides [512, 1] box [64, 128] swizzle 128 at
/// 0x7f0000000000", for the driver's errors.
std::string describe(const TensorMapSpec &spec) {
  return fmt::format("{} shape [{}] strides [{}] box [{}] swizzle {} at {:#x}", name(spec.dtype),
                     fmt::join(spec.shape, ", "), fmt::join(spec.strides, ", "),
                     fmt::join(spec.box, ", "), spec.swizzleBytes, spec.globalAddress);
}

/// splitmix64's finalizer: spreads every input bit over the word, so that
/// specs that differ in one small field (a box of 64 or 128) do not collide
/// in the low bits an unordered_map buckets by.
std::uint64_t mix(std::uint64_t value) {
  value ^= value >> 30;
  value *= 0xbf58476d1ce4e5b9ull;
  value ^= value >> 27;
  value *= 0x94d049bb133111ebull;
  value ^= value >> 31;
  return value;
}

void combine(std::uint64_t &seed, std::uint64_t value) {
  seed ^= mix(value) + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2);
}

template <typename T> void combineAll(std::uint64_t &seed, const std::vector<T> &values) {
  // The length first, so that moving an entry from one list to the next
  // changes the hash.
  combine(seed, values.size());
  for (T value : values)
    combine(seed, value);
}

} // namespace

std::size_t TensorMapSpecHash::operator()(const TensorMapSpec &spec) const {
  std::uint64_t seed = 0;
  combine(seed, spec.globalAddress);
  combine(seed, static_cast<std::uint64_t>(spec.dtype));
  combineAll(seed, spec.shape);
  combineAll(seed, spec.strides);
  combineAll(seed, spec.box);
  combine(seed, spec.swizzleBytes);
  return static_cast<std::size_t>(seed);
}

// The rules are those of cuTensorMapEncodeTiled's documentation for an
// uninterleaved map, checked here so that a bad spec is reported by field
// rather than as the driver's CUDA_ERROR_INVALID_VALUE.
Status validateTensorMapSpec(const TensorMapSpec &spec) {
  const std::size_t rank = spec.shape.size();
  if (rank < 1 || rank > kMaxRank)
    return Error(
        fmt::format("tensor map shape has rank {}; TMA takes ranks 1 to {}", rank, kMaxRank));
  if (spec.strides.size() != rank)
    return Error(fmt::format("tensor map strides has {} entries for a rank-{} shape",
                             spec.strides.size(), rank));
  if (spec.box.size() != rank)
    return Error(
        fmt::format("tensor map box has {} entries for a rank-{} shape", spec.box.size(), rank));
  if (!tmaDataType(spec.dtype))
    return Error(fmt::format("tensor map dtype {} has no TMA element type (supported: f8e4m3, "
                             "f8e5m2, i8, bf16, f16, f32, i32)",
                             name(spec.dtype)));
  if (!tmaSwizzle(spec.swizzleBytes))
    return Error(fmt::format("tensor map swizzleBytes = {}; it must be 0, 32, 64 or 128",
                             spec.swizzleBytes));
  if (spec.globalAddress % kTmaAlignment != 0)
    return Error(fmt::format("tensor map globalAddress {:#x} is not {}-byte aligned",
                             spec.globalAddress, kTmaAlignment));

  const std::uint64_t elementBytes = byteSize(spec.dtype);
  // The driver takes no stride for the innermost dimension: its elements are
  // adjacent.
  if (spec.strides[rank - 1] != 1)
    return Error(fmt::format("tensor map strides[{}] = {}; the innermost dimension must have "
                             "stride 1",
                             rank - 1, spec.strides[rank - 1]));
  for (std::size_t i = 0; i < rank; ++i)
    if (spec.shape[i] < 1 || spec.shape[i] > kMaxDimension)
      return Error(fmt::format("tensor map shape[{}] = {} is outside [1, 2^32]", i, spec.shape[i]));
  for (std::size_t i = 0; i + 1 < rank; ++i) {
    const std::uint64_t stride = spec.strides[i];
    // Compared in elements first, so that the byte count cannot overflow.
    if (stride >= kStrideLimitBytes / elementBytes)
      return Error(fmt::format("tensor map strides[{}] = {} elements of {} is not below 2^40 bytes",
                               i, stride, name(spec.dtype)));
    if (stride * elementBytes % kTmaAlignment != 0)
      return Error(fmt::format("tensor map strides[{}] = {} elements of {} ({} bytes) is not a "
                               "multiple of {} bytes",
                               i, stride, name(spec.dtype), stride * elementBytes, kTmaAlignment));
  }
  for (std::size_t i = 0; i < rank; ++i)
    if (spec.box[i] < 1 || spec.box[i] > kMaxBoxDimension)
      return Error(fmt::format("tensor map box[{}] = {} is outside [1, {}]", i, spec.box[i],
                               kMaxBoxDimension));
  const std::uint64_t innerBoxBytes = spec.box[rank - 1] * elementBytes;
  if (innerBoxBytes % kTmaAlignment != 0)
    return Error(fmt::format("tensor map box[{}] = {} elements of {} spans {} bytes, not a "
                             "multiple of {}",
                             rank - 1, spec.box[rank - 1], name(spec.dtype), innerBoxBytes,
                             kTmaAlignment));
  // A swizzle permutes 16-byte chunks within rows of its span; a box row
  // wider than the span has no swizzled layout.
  if (spec.swizzleBytes != 0 && innerBoxBytes > spec.swizzleBytes)
    return Error(fmt::format("tensor map box[{}] = {} elements of {} spans {} bytes, more than "
                             "the {}-byte swizzle span",
                             rank - 1, spec.box[rank - 1], name(spec.dtype), innerBoxBytes,
                             spec.swizzleBytes));
  return Status::success();
}

Expected<TensorMap> encodeTensorMap(const TensorMapSpec &spec) {
  if (Status valid = validateTensorMapSpec(spec); !valid)
    return valid.error();
  Expected<const Driver *> driver = Driver::load();
  if (!driver)
    return driver.error();
  const DriverApi &api = (*driver)->api();

  // The driver lists dimensions innermost first, and strides in bytes for
  // dimensions 1 to rank-1 only.
  const std::size_t rank = spec.shape.size();
  const std::uint64_t elementBytes = byteSize(spec.dtype);
  cuuint64_t globalDim[kMaxRank] = {};
  cuuint64_t globalStrides[kMaxRank - 1] = {};
  cuuint32_t boxDim[kMaxRank] = {};
  cuuint32_t elementStrides[kMaxRank] = {};
  for (std::size_t i = 0; i < rank; ++i) {
    const std::size_t outer = rank - 1 - i;
    globalDim[i] = spec.shape[outer];
    boxDim[i] = spec.box[outer];
    elementStrides[i] = 1;
    if (i > 0)
      globalStrides[i - 1] = spec.strides[outer] * elementBytes;
  }

  // Zeroed, so that bytes the driver leaves alone compare equal between
  // encodings of one spec.
  CUtensorMap encoded{};

  // L2 promotion of 256 bytes rather than 128: a swizzled box row is at most
  // 128 bytes, and a GEMM's K loop reads the next 128 bytes of the same rows
  // one iteration later, so each 256-byte fill from DRAM serves two
  // iterations. What it costs is an unused half where a row ends. DeepGEMM's
  // GEMMs promote 256 bytes too; CUTLASS and Triton keep 128.
  const CUresult result = api.tensorMapEncodeTiled(
      &encoded, *tmaDataType(spec.dtype), static_cast<cuuint32_t>(rank),
      reinterpret_cast<void *>(static_cast<std::uintptr_t>(spec.globalAddress)), globalDim,
      globalStrides, boxDim, elementStrides, CU_TENSOR_MAP_INTERLEAVE_NONE,
      *tmaSwizzle(spec.swizzleBytes), CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
      // "NONE" fills out-of-bounds elements with zeros, which the kernels rely
      // on; the other mode fills floats with NaN.
      CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (result != CUDA_SUCCESS)
    return driverError(api, result,
                       fmt::format("cuTensorMapEncodeTiled failed for {}", describe(spec)));
  TensorMap map;
  std::memcpy(map.bytes.data(), &encoded, sizeof(map.bytes));
  return map;
}

TensorMapCache::TensorMapCache(std::size_t capacity) : maps_(capacity) {}

Expected<TensorMap> TensorMapCache::get(const TensorMapSpec &spec) {
  if (std::optional<TensorMap> cached = maps_.get(spec))
    return *cached;
  encodes_.fetch_add(1, std::memory_order_relaxed);
  Expected<TensorMap> encoded = encodeTensorMap(spec);
  if (encoded)
    maps_.put(spec, *encoded);
  return encoded;
}

} // namespace tessel::runtime
