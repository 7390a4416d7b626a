// The persistent tuning database: the measured time of every config tried
// per kernel, problem, device and software, and the best of them.
#pragma once

#include "tessel/autotune/Config.h"
#include "tessel/autotune/TuningEntryKey.h"
#include "tessel/support/Error.h"

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessel::autotune {

/// The fastest config of an entry and its time.
struct TunedConfig {
  Config config;
  double milliseconds = 0;
};

/// Measured times in milliseconds by config text (Config::text()).
using ConfigTimes = std::map<std::string, double>;
/// Every entry of a database, in key order (the order of the file).
using TuningEntries = std::map<TuningEntryKey, ConfigTimes>;

/// A JSON file (schema: lib/DatabaseFormat.h) read into memory by open() and
/// written back by save().
///
/// Every config keeps its own measurement, so adding a config to a space
/// tunes only that config. Several processes may tune into one file at once:
/// save() takes an exclusive lock on `<file>.lock`, merges what is on disk
/// into memory and replaces the file atomically, so no process loses another's
/// entries. Merging keeps every config of either side; a config measured on
/// both keeps the faster time, since interference on a GPU only ever slows a
/// kernel down (and the union then does not depend on the order of saves).
/// A file that is not a tuning database (bad JSON, wrong schema) is moved
/// aside to `<file>.corrupt-<UTC time>` with a warning and nothing else is
/// lost. Entries of other kernel digests stay in the file, for the programs
/// that still run that kernel.
class TuningDatabase {
public:
  /// $TESSEL_TUNING_DB, else `tuning.json` in the kernel cache directory:
  /// $TESSEL_CACHE_DIR, else $XDG_CACHE_HOME/tessel, else $HOME/.cache/tessel
  /// (lib/Environment.h).
  static std::filesystem::path defaultPath();

  /// The database in `path`, which need not exist yet (it is created, with
  /// its directory, by save()). A corrupt file is set aside and reported in
  /// warnings(); an unreadable one, or one of a newer schema version, is an
  /// Error.
  static Expected<TuningDatabase> open(const std::filesystem::path &path);
  /// open(defaultPath()).
  static Expected<TuningDatabase> openDefault();
  /// A database that is read and never written, such as one shipped with an
  /// application: a missing file is an Error, a corrupt one is an Error left
  /// in place, record() and merge() change only memory and save() refuses.
  static Expected<TuningDatabase> openReadOnly(const std::filesystem::path &path);

  const std::filesystem::path &path() const { return path_; }
  bool readOnly() const { return readOnly_; }
  /// What open() and save() set aside, one message each.
  const std::vector<std::string> &warnings() const { return warnings_; }

  /// The fastest config measured under `key`, if any.
  std::optional<TunedConfig> lookup(const TuningEntryKey &key) const;
  /// Every time measured under `key` (empty if none): a sweep skips these.
  ConfigTimes measurements(const TuningEntryKey &key) const;
  /// The number of entries (keys with at least one measurement).
  size_t size() const { return entries_.size(); }

  /// Adds one measurement; a config measured before keeps the faster time.
  /// A time that is not a positive finite number of milliseconds, or a
  /// config whose text does not parse back to it (a parameter name with a
  /// space or '='), is an Error.
  Status record(const TuningEntryKey &key, const Config &config, double milliseconds);

  /// Merges the file's current content into memory and writes the union
  /// back atomically, under the file lock. An Error for a read-only
  /// database or when the file cannot be written.
  Status save();
  /// Writes this database's entries, as they are in memory, to `path`
  /// atomically (replacing any file there).
  Status exportTo(const std::filesystem::path &path) const;
  /// Merges the entries of the database file `path` into memory (save()
  /// persists them). A missing, unreadable or corrupt file is an Error and
  /// changes nothing.
  Status merge(const std::filesystem::path &path);

private:
  TuningDatabase(std::filesystem::path path, bool readOnly)
      : path_(std::move(path)), readOnly_(readOnly) {}

  std::filesystem::path path_;
  bool readOnly_ = false;
  TuningEntries entries_;
  std::vector<std::string> warnings_;
};

} // namespace tessel::autotune
