#include "Environment.h"

#include "tessel/runtime/DiskCache.h"

#include <cstdlib>
#include <string_view>

namespace tessel::autotune::environment {
namespace {

/// The variable's value, or empty when it is unset: an empty value means
/// the same as an unset one everywhere in the table.
std::string_view read(const char *name) {
  const char *value = std::getenv(name);
  return value ? std::string_view(value) : std::string_view();
}

} // namespace

std::filesystem::path tuningDatabasePath() {
  if (std::string_view file = read("TESSEL_TUNING_DB"); !file.empty())
    return std::filesystem::path(file);
  return runtime::DiskCache::defaultDirectory() / "tuning.json";
}

} // namespace tessel::autotune::environment
