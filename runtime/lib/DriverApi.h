// The driver entry-point table and the error helpers built on it.
//
// The only runtime header that includes cuda.h: the public headers hold
// handles as void* and device pointers as std::uint64_t, so that code using
// the runtime compiles without the CUDA toolkit.
#pragma once

#include "tessel/runtime/Driver.h"
#include "tessel/support/Error.h"

#include <cuda.h>

#include <string>
#include <string_view>

namespace tessel::runtime {

struct DriverApi {
  void *library = nullptr;
#define TESSEL_DRIVER_ENTRY(member, symbol) decltype(&::symbol) member = nullptr;
#include "DriverEntryPoints.def"
#undef TESSEL_DRIVER_ENTRY
  decltype(&::cuEventElapsedTime_v2) eventElapsedTime = nullptr;
};

/// "CUDA_ERROR_INVALID_VALUE (invalid argument)", plus a hint for the errors
/// whose usual cause is on the caller's side.
std::string describeResult(const DriverApi &api, CUresult result);

/// An Error "<context>: <describeResult>".
Error driverError(const DriverApi &api, CUresult result, std::string_view context);

/// Success, or driverError. Inline so that the success path, taken on every
/// launch, costs one comparison.
inline Status check(const DriverApi &api, CUresult result, std::string_view context) {
  if (result == CUDA_SUCCESS) [[likely]]
    return Status::success();
  return driverError(api, result, context);
}

/// Handles are carried as void* in the public headers.
inline CUstream streamHandle(void *handle) { return static_cast<CUstream>(handle); }

} // namespace tessel::runtime
