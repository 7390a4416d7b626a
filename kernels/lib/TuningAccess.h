// The tuning database as the host functions' sweeps reach it.
#pragma once

#include "tessel/autotune/TuningDatabase.h"
#include "tessel/support/Error.h"

#include <filesystem>
#include <functional>

namespace tessel::kernels::detail {

/// Runs `use` on the database in `path`, or, for an empty path, on the
/// process's database (useTuningDatabase) while holding its lock, so that
/// host functions on other threads never see it half-updated.
Status withTuningDatabase(const std::filesystem::path &path,
                          const std::function<Status(autotune::TuningDatabase &)> &use);

} // namespace tessel::kernels::detail
