// Whole-file reads and atomic replacement, for the tuning database.
#pragma once

#include "tessel/support/Error.h"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tessel::autotune {

/// The content of `path`, nullopt if it does not exist, an Error naming the
/// file if it cannot be read.
Expected<std::optional<std::string>> readFileIfPresent(const std::filesystem::path &path);

/// Replaces `path` by `contents` so that readers see the old file or the new
/// one, never a part: written to a temporary file in the same directory,
/// fsync'ed, renamed over `path`, and the directory fsync'ed so that the
/// rename survives a crash. Creates the directory if needed.
Status replaceFileAtomically(const std::filesystem::path &path, std::string_view contents);

/// Renames `path` to `<path>.corrupt-<UTC time>` (with a counter if that
/// exists) and returns the new name.
Expected<std::filesystem::path> setAsideCorruptFile(const std::filesystem::path &path);

} // namespace tessel::autotune
