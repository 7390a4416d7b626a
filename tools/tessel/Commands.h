// The subcommands of `tessel` that live in their own files.
#pragma once

#include <string>
#include <vector>

namespace tessel::tool {

/// Exit status of a bad command line.
inline constexpr int kUsageError = 2;

/// Prints `message` and the usage to stderr and exits with kUsageError.
[[noreturn]] void usageError(const std::string &message);

/// `tessel tune ...` (Tune.cpp); returns the exit status.
int tune(const std::vector<std::string> &args);

/// `tessel fp8-cast ...` (Fp8Cast.cpp); returns the exit status.
int fp8Cast(const std::vector<std::string> &args);

/// `tessel info [--json]` (Info.cpp); returns the exit status.
int info(const std::vector<std::string> &args);

/// `tessel cache list|clear|prune ...` (Cache.cpp); returns the exit status.
int cache(const std::vector<std::string> &args);

} // namespace tessel::tool
