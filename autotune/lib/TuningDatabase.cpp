#include "tessel/autotune/TuningDatabase.h"

#include "DatabaseFormat.h"
#include "Environment.h"
#include "FileLock.h"
#include "FileReplacement.h"

#include <fmt/format.h>

#include <cmath>

namespace tessel::autotune {
namespace {

using Verdict = DatabaseReading::Verdict;

/// Reads the database file `path` for an open or a save: an absent file is
/// empty, a corrupt one is set aside with a warning (under the file's lock,
/// taken here unless the caller holds it, and only if it is still corrupt
/// then: another process may have replaced it meanwhile).
Expected<TuningEntries> readForWriting(const std::filesystem::path &path, bool lockHeld,
                                       std::vector<std::string> &warnings) {
  Expected<std::optional<std::string>> text = readFileIfPresent(path);
  if (!text)
    return Error(fmt::format("tuning database: {}", text.error().message()));
  if (!*text)
    return TuningEntries();
  DatabaseReading reading = readDatabaseText(**text);
  switch (reading.verdict) {
  case Verdict::Valid:
    return std::move(reading.entries);
  case Verdict::NewerVersion:
    return Error(
        fmt::format("tuning database {} cannot be used: {}", path.string(), reading.problem));
  case Verdict::Corrupt:
    break;
  }
  if (!lockHeld) {
    Expected<ExclusiveFileLock> lock = ExclusiveFileLock::acquire(lockFileFor(path));
    if (!lock)
      return Error(fmt::format("tuning database: {}", lock.error().message()));
    return readForWriting(path, /*lockHeld=*/true, warnings);
  }
  Expected<std::filesystem::path> aside = setAsideCorruptFile(path);
  if (!aside)
    return Error(fmt::format("tuning database {} is corrupt ({}) and {}", path.string(),
                             reading.problem, aside.error().message()));
  warnings.push_back(fmt::format("tuning database {} is corrupt ({}): moved it to {}; its "
                                 "entries are not used",
                                 path.string(), reading.problem, aside->string()));
  return TuningEntries();
}

/// Reads a database file that must exist and be valid, changing nothing.
Expected<TuningEntries> readExisting(const std::filesystem::path &path) {
  Expected<std::optional<std::string>> text = readFileIfPresent(path);
  if (!text)
    return Error(fmt::format("tuning database: {}", text.error().message()));
  if (!*text)
    return Error(fmt::format("tuning database {} does not exist", path.string()));
  DatabaseReading reading = readDatabaseText(**text);
  if (reading.verdict != Verdict::Valid)
    return Error(
        fmt::format("{} is not a usable tuning database: {}", path.string(), reading.problem));
  return std::move(reading.entries);
}

} // namespace

std::filesystem::path TuningDatabase::defaultPath() { return environment::tuningDatabasePath(); }

Expected<TuningDatabase> TuningDatabase::open(const std::filesystem::path &path) {
  TuningDatabase database(path, /*readOnly=*/false);
  Expected<TuningEntries> entries = readForWriting(path, /*lockHeld=*/false, database.warnings_);
  if (!entries)
    return entries.error();
  database.entries_ = std::move(*entries);
  return database;
}

Expected<TuningDatabase> TuningDatabase::openDefault() { return open(defaultPath()); }

Expected<TuningDatabase> TuningDatabase::openReadOnly(const std::filesystem::path &path) {
  Expected<TuningEntries> entries = readExisting(path);
  if (!entries)
    return entries.error();
  TuningDatabase database(path, /*readOnly=*/true);
  database.entries_ = std::move(*entries);
  return database;
}

std::optional<TunedConfig> TuningDatabase::lookup(const TuningEntryKey &key) const {
  auto entry = entries_.find(key);
  if (entry == entries_.end())
    return std::nullopt;
  const auto &[configText, milliseconds] = *fastestTime(entry->second);
  // Every stored text was written by Config::text() or checked on reading.
  return TunedConfig{Config::parse(configText).value(), milliseconds};
}

ConfigTimes TuningDatabase::measurements(const TuningEntryKey &key) const {
  auto entry = entries_.find(key);
  return entry == entries_.end() ? ConfigTimes() : entry->second;
}

Status TuningDatabase::record(const TuningEntryKey &key, const Config &config,
                              double milliseconds) {
  if (!std::isfinite(milliseconds) || milliseconds <= 0)
    return Error(fmt::format("{}: the time of config '{}' for '{}' is {} ms; a measurement is a "
                             "positive number of milliseconds",
                             key.kernel, config.text(), key.problem, milliseconds));
  // A text that does not read back would make the file corrupt for every
  // process that shares it.
  if (Expected<Config> reread = Config::parse(config.text()); !reread || *reread != config)
    return Error(fmt::format("{}: config '{}' does not read back as the same config; parameter "
                             "names are letters, digits and '_', not starting with a digit",
                             key.kernel, config.text()));
  recordFasterTime(entries_[key], config.text(), milliseconds);
  return Status::success();
}

Status TuningDatabase::save() {
  if (readOnly_)
    return Error(fmt::format("tuning database {} was opened read-only and cannot be saved; "
                             "open it with TuningDatabase::open, or exportTo() another file",
                             path_.string()));
  Expected<ExclusiveFileLock> lock = ExclusiveFileLock::acquire(lockFileFor(path_));
  if (!lock)
    return Error(fmt::format("tuning database: {}", lock.error().message()));
  Expected<TuningEntries> onDisk = readForWriting(path_, /*lockHeld=*/true, warnings_);
  if (!onDisk)
    return onDisk.error();
  mergeEntries(entries_, *onDisk);
  if (Status written = replaceFileAtomically(path_, writeDatabaseText(entries_)); !written)
    return Error(fmt::format("tuning database: {}", written.error().message()));
  return Status::success();
}

Status TuningDatabase::exportTo(const std::filesystem::path &path) const {
  // The lock keeps a concurrent save() of that file from overwriting the
  // export with what it read before.
  Expected<ExclusiveFileLock> lock = ExclusiveFileLock::acquire(lockFileFor(path));
  if (!lock)
    return Error(fmt::format("tuning database export: {}", lock.error().message()));
  if (Status written = replaceFileAtomically(path, writeDatabaseText(entries_)); !written)
    return Error(fmt::format("tuning database export: {}", written.error().message()));
  return Status::success();
}

Status TuningDatabase::merge(const std::filesystem::path &path) {
  Expected<TuningEntries> other = readExisting(path);
  if (!other)
    return other.error();
  mergeEntries(entries_, *other);
  return Status::success();
}

} // namespace tessel::autotune
