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
// The cache directory is the runtime's (DiskCache::defaultDirectory), so the
// database always sits beside the kernel cache; tests/unit/autotune checks
// the table above. Values are read on every call, so that tests can change
// them.
#pragma once

#include <filesystem>

namespace tessel::autotune::environment {

/// The tuning database file, following the table above.
std::filesystem::path tuningDatabasePath();

} // namespace tessel::autotune::environment
