#include "Environment.h"

#include <cstdlib>
#include <string>
#include <string_view>
#include <unistd.h>

namespace tessel::autotune::environment {
namespace {

/// The variable's value, or empty when it is unset: an empty value means
/// the same as an unset one everywhere in the table.
std::string_view read(const char *name) {
  const char *value = std::getenv(name);
  return value ? std::string_view(value) : std::string_view();
}

} // namespace

std::filesystem::path cacheDirectory() {
  if (std::string_view dir = read("TESSEL_CACHE_DIR"); !dir.empty())
    return std::filesystem::path(dir);
  if (std::string_view xdg = read("XDG_CACHE_HOME"); !xdg.empty() && xdg.front() == '/')
    return std::filesystem::path(xdg) / "tessel";
  if (std::string_view home = read("HOME"); !home.empty())
    return std::filesystem::path(home) / ".cache" / "tessel";
  std::error_code ignored;
  std::filesystem::path tmp = std::filesystem::temp_directory_path(ignored);
  if (tmp.empty())
    tmp = "/tmp";
  return tmp / ("tessel-cache-" + std::to_string(::getuid()));
}

std::filesystem::path tuningDatabasePath() {
  if (std::string_view file = read("TESSEL_TUNING_DB"); !file.empty())
    return std::filesystem::path(file);
  return cacheDirectory() / "tuning.json";
}

} // namespace tessel::autotune::environment
