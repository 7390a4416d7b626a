// The tuning database's JSON form and the checks that tell a database from
// any other file.
//
//   {
//     "schema": "tessel-tuning-database",
//     "version": 1,
//     "entries": [
//       { "kernel": "fp8_gemm", "kernel_digest": "…", "problem": "m<=128 n=7168 …",
//         "gpu": "NVIDIA H100 80GB HBM3", "compute_capability": "9.0",
//         "driver": "13000", "compiler": "…",
//         "best": { "config": "BLOCK_M=64 BLOCK_N=128 …", "ms": 0.0412 },
//         "times_ms": { "BLOCK_M=64 BLOCK_N=128 …": 0.0412, "BLOCK_M=128 …": 0.0533 } }
//     ]
//   }
//
// "best" is written for people and other tools; readers recompute it from
// "times_ms", which is the record. Entries are written in key order, so that
// equal databases are equal files.
#pragma once

#include "tessel/autotune/TuningDatabase.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace tessel::autotune {

inline constexpr std::string_view kDatabaseSchema = "tessel-tuning-database";
/// Bumped when a reader of the previous version would misread the file.
inline constexpr int64_t kDatabaseVersion = 1;

struct DatabaseReading {
  enum class Verdict {
    Valid,
    /// Not a tuning database: bad JSON or wrong schema. Safe to set aside.
    Corrupt,
    /// A database of a later version: neither readable nor to be set aside.
    NewerVersion,
  };
  Verdict verdict = Verdict::Valid;
  TuningEntries entries;
  /// What is wrong, for a file that is not Valid.
  std::string problem;
};

/// Reads a database's text; config texts are normalized (Config::parse,
/// then text()), and an entry listed twice is merged.
DatabaseReading readDatabaseText(std::string_view text);
/// The text of a database holding `entries`.
std::string writeDatabaseText(const TuningEntries &entries);

/// The fastest of non-empty `times`; of equal times, the first config text.
ConfigTimes::const_iterator fastestTime(const ConfigTimes &times);
/// Adds one measured time, keeping the faster one if `configText` has one.
void recordFasterTime(ConfigTimes &times, const std::string &configText, double milliseconds);
/// Adds every measurement of `from` to `into` with recordFasterTime().
void mergeEntries(TuningEntries &into, const TuningEntries &from);

} // namespace tessel::autotune
