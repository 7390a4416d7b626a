#include "Environment.h"

#include <cstdlib>
#include <string_view>
#include <unistd.h>

namespace tessel::runtime::environment {
namespace {

/// The variable's value, or empty when it is unset; an empty value means the
/// same as an unset one everywhere in the table.
std::string_view read(const char *name) {
  const char *value = std::getenv(name);
  return value ? std::string_view(value) : std::string_view();
}

} // namespace

DriverLibrary driverLibrary() {
  if (std::string_view path = read("TESSEL_LIBCUDA"); !path.empty())
    return {std::string(path), true};
  return {"libcuda.so.1", false};
}

std::filesystem::path cacheDirectory() {
  if (std::string_view dir = read("TESSEL_CACHE_DIR"); !dir.empty())
    return std::filesystem::path(dir);
  if (std::string_view xdg = read("XDG_CACHE_HOME"); !xdg.empty() && xdg.front() == '/')
    return std::filesystem::path(xdg) / "tessel";
  if (std::string_view home = read("HOME"); !home.empty())
    return std::filesystem::path(home) / ".cache" / "tessel";
  // No home directory (a daemon, a stripped container): a per-user folder in
  // the temporary directory still lets processes of one user share entries.
  std::error_code ignored;
  std::filesystem::path tmp = std::filesystem::temp_directory_path(ignored);
  if (tmp.empty())
    tmp = "/tmp";
  return tmp / ("tessel-cache-" + std::to_string(::getuid()));
}

bool interpretRequested() { return read("TESSEL_INTERPRET") == "1"; }

} // namespace tessel::runtime::environment
