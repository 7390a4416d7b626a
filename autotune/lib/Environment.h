// Every environment variable the autotuner reads, read here and nowhere else.
//
// | Variable         | Effect                                      | When unset or empty        |
// |------------------|---------------------------------------------|----------------------------|
// | TESSEL_TUNING_DB | the tuning database file                    | tuning.json in the cache   |
// |                  |                                             | directory below            |
// | TESSEL_CACHE_DIR | the cache directory, shared with the        | $XDG_CACHE_HOME/tessel     |
// |                  | runtime's kernel cache                      |                            |
// | XDG_CACHE_HOME   | cache root if TESSEL_CACHE_DIR is unset; a  | $HOME/.cache/tessel        |
// |                  | relative path is ignored (XDG spec)         |                            |
// | HOME             | cache root if both above are unset          | <tmp>/tessel-cache-<uid>   |
//
// The cache directory rule repeats runtime/lib/Environment.cpp (the
// runtime's DiskCache::defaultDirectory) so that the autotuner needs no
// runtime; the two must agree, which tests/unit/autotune checks against the
// table above. Values are read on every call, so that tests can change them.
#pragma once

#include <filesystem>

namespace tessel::autotune::environment {

/// The directory of the kernel cache, as the runtime finds it.
std::filesystem::path cacheDirectory();

/// The tuning database file, following the table above.
std::filesystem::path tuningDatabasePath();

} // namespace tessel::autotune::environment
