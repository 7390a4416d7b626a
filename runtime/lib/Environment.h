// Every environment variable the runtime reads, read here and nowhere else.
//
// | Variable         | Effect                                     | When unset or empty        |
// |------------------|--------------------------------------------|----------------------------|
// | TESSEL_LIBCUDA   | path or soname of the CUDA driver library  | "libcuda.so.1", found on   |
// |                  | that Driver::load() opens with dlopen      | the loader's search path   |
// | TESSEL_CACHE_DIR | directory of the on-disk kernel cache      | $XDG_CACHE_HOME/tessel     |
// | XDG_CACHE_HOME   | cache root if TESSEL_CACHE_DIR is unset; a | $HOME/.cache/tessel        |
// |                  | relative path is ignored (XDG spec)        |                            |
// | HOME             | cache root if both above are unset         | <tmp>/tessel-cache-<uid>   |
// | TESSEL_INTERPRET | 1: run kernels in the CPU interpreter, with | the GPU backend            |
// |                  | host memory as device memory (Backend.h)   |                            |
//
// The values are read on every call rather than once, so that a test can
// change them; the callers that must not change behaviour mid-process
// (Driver::load) keep the first result themselves.
#pragma once

#include <filesystem>
#include <string>

namespace tessel::runtime::environment {

/// The driver library to dlopen and whether the user chose it.
struct DriverLibrary {
  std::string path;
  bool fromEnvironment = false;
};
DriverLibrary driverLibrary();

/// The kernel cache directory, following the precedence in the table above.
std::filesystem::path cacheDirectory();

/// Whether TESSEL_INTERPRET asks for the interpreter backend ("1").
bool interpretRequested();

} // namespace tessel::runtime::environment
