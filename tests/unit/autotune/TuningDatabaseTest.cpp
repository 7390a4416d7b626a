#include "tessel/autotune/TuningDatabase.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace tessel::autotune {
namespace {

namespace fs = std::filesystem;

TuningEntryKey gemmKey(std::string problem = "m<=128 n=7168 k=16384 a=f8e4m3 b=f8e4m3 c=bf16") {
  return {"fp8_gemm", "digest-1", std::move(problem), "NVIDIA H100 80GB HBM3",
          "9.0",      "13000",    "compiler-1"};
}

Config gemmConfig(int64_t blockM, int64_t stages = 2) {
  return {{"BLOCK_M", blockM},
          {"BLOCK_N", 128},
          {"BLOCK_K", 128},
          {"NUM_STAGES", stages},
          {"num_warps", 4}};
}

std::string readText(const fs::path &path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void writeText(const fs::path &path, std::string_view text) { std::ofstream(path) << text; }

/// The files of `directory` whose names start with `prefix`.
std::vector<fs::path> filesStartingWith(const fs::path &directory, std::string_view prefix) {
  std::vector<fs::path> found;
  for (const fs::directory_entry &entry : fs::directory_iterator(directory))
    if (entry.path().filename().string().starts_with(prefix))
      found.push_back(entry.path());
  return found;
}

class TuningDatabaseTest : public testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tessel-tuning-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
    path_ = directory_ / "tuning.json";
  }
  void TearDown() override { fs::remove_all(directory_); }

  TuningDatabase openDatabase() {
    Expected<TuningDatabase> database = TuningDatabase::open(path_);
    EXPECT_TRUE(database) << database.error().message();
    return std::move(database).value();
  }

  fs::path directory_, path_;
};

TEST_F(TuningDatabaseTest, AMissingFileIsAnEmptyDatabaseCreatedOnSave) {
  TuningDatabase database = openDatabase();
  EXPECT_EQ(database.size(), 0u);
  EXPECT_FALSE(database.lookup(gemmKey()));
  EXPECT_FALSE(fs::exists(path_));
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(64), 0.5));
  ASSERT_TRUE(database.save());
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_TRUE(database.warnings().empty());
}

TEST_F(TuningDatabaseTest, RecordThenLookupGivesTheFastestConfig) {
  TuningDatabase database = openDatabase();
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(64), 0.25));
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(128), 0.125));
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(32), 0.5));
  std::optional<TunedConfig> best = database.lookup(gemmKey());
  ASSERT_TRUE(best);
  EXPECT_EQ(best->config, gemmConfig(128));
  EXPECT_EQ(best->milliseconds, 0.125);
  // A config measured again keeps its faster time.
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(128), 0.375));
  EXPECT_EQ(database.lookup(gemmKey())->milliseconds, 0.125);
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(64), 0.0625));
  EXPECT_EQ(database.lookup(gemmKey())->config, gemmConfig(64));
  EXPECT_EQ(database.measurements(gemmKey()).size(), 3u);
  EXPECT_FALSE(database.lookup(gemmKey("m<=256 n=7168 k=16384 a=f8e4m3 b=f8e4m3 c=bf16")));
}

TEST_F(TuningDatabaseTest, RecordRefusesTimesThatAreNoMeasurement) {
  TuningDatabase database = openDatabase();
  for (double bad : {0.0, -1.0, std::nan(""), HUGE_VAL}) {
    Status status = database.record(gemmKey(), gemmConfig(64), bad);
    ASSERT_FALSE(status) << bad;
    EXPECT_NE(status.error().message().find("a measurement is a positive number of milliseconds"),
              std::string::npos);
  }
  EXPECT_EQ(database.size(), 0u);
}

TEST_F(TuningDatabaseTest, RecordRefusesAConfigWhoseTextDoesNotReadBack) {
  TuningDatabase database = openDatabase();
  Status status = database.record(gemmKey(), Config{{"BLOCK M", 16}}, 0.5);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message(),
            "fp8_gemm: config 'BLOCK M=16' does not read back as the same config; parameter "
            "names are letters, digits and '_', not starting with a digit");
  EXPECT_EQ(database.size(), 0u);
}

TEST_F(TuningDatabaseTest, AddingAConfigLeavesOnlyThatConfigToTune) {
  TuningDatabase database = openDatabase();
  for (int64_t blockM : {16, 32, 64})
    ASSERT_TRUE(database.record(gemmKey(), gemmConfig(blockM), 0.1 * double(blockM)));
  ASSERT_TRUE(database.save());
  // The space grows by BLOCK_M = 128: only that one is unmeasured.
  ConfigTimes measured = openDatabase().measurements(gemmKey());
  std::vector<std::string> toTune;
  for (int64_t blockM : {16, 32, 64, 128})
    if (!measured.contains(gemmConfig(blockM).text()))
      toTune.push_back(gemmConfig(blockM).text());
  EXPECT_EQ(toTune, std::vector<std::string>{gemmConfig(128).text()});
}

TEST_F(TuningDatabaseTest, SaveAndReopenRoundTrips) {
  TuningDatabase database = openDatabase();
  TuningEntryKey other = gemmKey("m<=1 n=2112 k=7168 a=f8e4m3 b=f8e4m3 c=bf16");
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(64), 0.25));
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(128, 4), 0.1875));
  ASSERT_TRUE(database.record(other, gemmConfig(16), 0.015625));
  ASSERT_TRUE(database.save());

  TuningDatabase reopened = openDatabase();
  EXPECT_EQ(reopened.size(), 2u);
  EXPECT_EQ(reopened.measurements(gemmKey()), database.measurements(gemmKey()));
  EXPECT_EQ(reopened.lookup(gemmKey())->config, gemmConfig(128, 4));
  EXPECT_EQ(reopened.lookup(other)->milliseconds, 0.015625);

  // The file names its schema and version and lists the best for readers.
  nlohmann::json document = nlohmann::json::parse(readText(path_));
  EXPECT_EQ(document["schema"], "tessel-tuning-database");
  EXPECT_EQ(document["version"], 1);
  ASSERT_EQ(document["entries"].size(), 2u);
  EXPECT_EQ(document["entries"][1]["best"]["config"], gemmConfig(128, 4).text());
  // Saving what was read writes the same bytes.
  std::string first = readText(path_);
  ASSERT_TRUE(reopened.save());
  EXPECT_EQ(readText(path_), first);
  EXPECT_TRUE(filesStartingWith(directory_, "tuning.json.tmp").empty());
}

TEST_F(TuningDatabaseTest, AnEntryOfAnotherKernelDigestIsIgnored) {
  TuningDatabase database = openDatabase();
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(64), 0.25));
  ASSERT_TRUE(database.save());
  TuningEntryKey changedKernel = gemmKey();
  changedKernel.kernelDigest = "digest-2";
  TuningDatabase reopened = openDatabase();
  EXPECT_FALSE(reopened.lookup(changedKernel));
  EXPECT_TRUE(reopened.measurements(changedKernel).empty());
  // Retuning the changed kernel keeps the old entry for programs that still
  // run the old kernel.
  ASSERT_TRUE(reopened.record(changedKernel, gemmConfig(32), 0.5));
  ASSERT_TRUE(reopened.save());
  TuningDatabase after = openDatabase();
  EXPECT_EQ(after.lookup(changedKernel)->config, gemmConfig(32));
  EXPECT_EQ(after.lookup(gemmKey())->config, gemmConfig(64));
}

TEST_F(TuningDatabaseTest, EveryPartOfTheKeyMustMatch) {
  TuningDatabase database = openDatabase();
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(64), 0.25));
  ASSERT_TRUE(database.save());
  TuningDatabase reopened = openDatabase();
  ASSERT_TRUE(reopened.lookup(gemmKey()));
  for (std::string TuningEntryKey::*field :
       {&TuningEntryKey::kernel, &TuningEntryKey::kernelDigest, &TuningEntryKey::problem,
        &TuningEntryKey::gpuName, &TuningEntryKey::computeCapability,
        &TuningEntryKey::driverVersion, &TuningEntryKey::compilerIdentity}) {
    TuningEntryKey changed = gemmKey();
    changed.*field += "-changed";
    EXPECT_FALSE(reopened.lookup(changed)) << changed.*field;
  }
}

TEST_F(TuningDatabaseTest, AChangedCompilerIdentityMisses) {
  TuningDatabase database = openDatabase();
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(64), 0.25));
  ASSERT_TRUE(database.save());
  TuningEntryKey rebuilt = gemmKey();
  rebuilt.compilerIdentity = "compiler-2";
  EXPECT_FALSE(openDatabase().lookup(rebuilt));
}

TEST_F(TuningDatabaseTest, ACorruptFileIsSetAsideAndTheDatabaseStaysUsable) {
  const std::string garbage = "{\"schema\": \"tessel-tuning-database\", \"entries\": [";
  writeText(path_, garbage);
  TuningDatabase database = openDatabase();
  EXPECT_EQ(database.size(), 0u);
  ASSERT_EQ(database.warnings().size(), 1u);
  const std::string &warning = database.warnings()[0];
  EXPECT_NE(warning.find("tuning database " + path_.string() + " is corrupt (not JSON: "),
            std::string::npos)
      << warning;
  std::vector<fs::path> aside = filesStartingWith(directory_, "tuning.json.corrupt-");
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_NE(warning.find("moved it to " + aside[0].string()), std::string::npos) << warning;
  EXPECT_EQ(readText(aside[0]), garbage); // kept as it was, for a person to look at
  EXPECT_FALSE(fs::exists(path_));

  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(64), 0.25));
  ASSERT_TRUE(database.save());
  EXPECT_EQ(openDatabase().lookup(gemmKey())->config, gemmConfig(64));
}

TEST_F(TuningDatabaseTest, WrongSchemasAreCorruptAndNamed) {
  struct Case {
    const char *text, *problem;
  };
  const Case cases[] = {
      {"[1, 2]", "the top level is not a JSON object"},
      {R"({"schema": "other", "version": 1, "entries": []})",
       "\"schema\" is not \"tessel-tuning-database\""},
      {R"({"schema": "tessel-tuning-database", "entries": []})",
       "\"version\" is not a positive integer"},
      {R"({"schema": "tessel-tuning-database", "version": 1, "entries": {}})",
       "\"entries\" is not an array"},
      {R"({"schema": "tessel-tuning-database", "version": 1, "entries": [{"kernel": 3}]})",
       "entry 0 has no string field \"kernel\""},
      {R"({"schema": "tessel-tuning-database", "version": 1, "entries": [{"kernel": "k",
          "kernel_digest": "d", "problem": "p", "gpu": "g", "compute_capability": "9.0",
          "driver": "1", "compiler": "c", "times_ms": {"BLOCK_M=16": -2}}]})",
       "entry 0: the time of config 'BLOCK_M=16' is -2, not a positive number of milliseconds"},
      {R"({"schema": "tessel-tuning-database", "version": 1, "entries": [{"kernel": "k",
          "kernel_digest": "d", "problem": "p", "gpu": "g", "compute_capability": "9.0",
          "driver": "1", "compiler": "c", "times_ms": {"BLOCK_M=x": 2}}]})",
       "entry 0: config 'BLOCK_M=x': the value of BLOCK_M is not an integer: 'x'"},
  };
  for (const Case &c : cases) {
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    writeText(path_, c.text);
    TuningDatabase database = openDatabase();
    ASSERT_EQ(database.warnings().size(), 1u) << c.text;
    EXPECT_NE(database.warnings()[0].find(std::string("is corrupt (") + c.problem + ")"),
              std::string::npos)
        << database.warnings()[0];
    EXPECT_EQ(filesStartingWith(directory_, "tuning.json.corrupt-").size(), 1u);
  }
}

TEST_F(TuningDatabaseTest, AFileCorruptedBeforeSaveIsSetAsideAndMemoryKept) {
  TuningDatabase database = openDatabase();
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(64), 0.25));
  ASSERT_TRUE(database.save());
  writeText(path_, "not json");
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(32), 0.5));
  ASSERT_TRUE(database.save());
  EXPECT_EQ(database.warnings().size(), 1u);
  EXPECT_EQ(filesStartingWith(directory_, "tuning.json.corrupt-").size(), 1u);
  EXPECT_EQ(openDatabase().measurements(gemmKey()).size(), 2u);
}

TEST_F(TuningDatabaseTest, ANewerVersionIsRefusedAndLeftInPlace) {
  const std::string newer = R"({"schema": "tessel-tuning-database", "version": 2, "entries": []})";
  writeText(path_, newer);
  Expected<TuningDatabase> database = TuningDatabase::open(path_);
  ASSERT_FALSE(database);
  EXPECT_EQ(database.error().message(),
            "tuning database " + path_.string() +
                " cannot be used: it is version 2 of the format and this Tessel reads up to 1");
  EXPECT_EQ(readText(path_), newer);
}

TEST_F(TuningDatabaseTest, AReadOnlyDatabaseIsReadButNeverWritten) {
  TuningDatabase writer = openDatabase();
  ASSERT_TRUE(writer.record(gemmKey(), gemmConfig(64), 0.25));
  ASSERT_TRUE(writer.save());
  const std::string shipped = readText(path_);

  Expected<TuningDatabase> database = TuningDatabase::openReadOnly(path_);
  ASSERT_TRUE(database) << database.error().message();
  EXPECT_TRUE(database->readOnly());
  EXPECT_EQ(database->lookup(gemmKey())->config, gemmConfig(64));
  ASSERT_TRUE(database->record(gemmKey(), gemmConfig(32), 0.125));
  EXPECT_EQ(database->lookup(gemmKey())->config, gemmConfig(32)); // in memory only
  Status saved = database->save();
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().message(),
            "tuning database " + path_.string() +
                " was opened read-only and cannot be saved; open it with TuningDatabase::open, or "
                "exportTo() another file");
  EXPECT_EQ(readText(path_), shipped);
}

TEST_F(TuningDatabaseTest, OpenReadOnlyNeedsAValidFileAndChangesNothing) {
  Expected<TuningDatabase> missing = TuningDatabase::openReadOnly(path_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "tuning database " + path_.string() + " does not exist");
  writeText(path_, "[]");
  Expected<TuningDatabase> corrupt = TuningDatabase::openReadOnly(path_);
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().message(),
            path_.string() +
                " is not a usable tuning database: the top level is not a JSON object");
  EXPECT_EQ(readText(path_), "[]");
  EXPECT_TRUE(filesStartingWith(directory_, "tuning.json.corrupt-").empty());
}

TEST_F(TuningDatabaseTest, ExportAndMergeCombineDatabases) {
  TuningEntryKey decode = gemmKey("m<=1 n=7168 k=16384 a=f8e4m3 b=f8e4m3 c=bf16");
  TuningDatabase first = openDatabase();
  ASSERT_TRUE(first.record(gemmKey(), gemmConfig(64), 0.25));
  ASSERT_TRUE(first.record(gemmKey(), gemmConfig(128), 0.5));
  const fs::path exported = directory_ / "shipped" / "exported.json";
  ASSERT_TRUE(first.exportTo(exported));
  EXPECT_FALSE(fs::exists(path_)); // exporting is not saving

  Expected<TuningDatabase> second = TuningDatabase::open(directory_ / "second.json");
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->record(gemmKey(), gemmConfig(128), 0.125)); // faster than the export's
  ASSERT_TRUE(second->record(decode, gemmConfig(16), 0.03125));
  ASSERT_TRUE(second->merge(exported));
  EXPECT_EQ(second->size(), 2u);
  EXPECT_EQ(second->measurements(gemmKey()),
            (ConfigTimes{{gemmConfig(64).text(), 0.25}, {gemmConfig(128).text(), 0.125}}));
  EXPECT_EQ(second->lookup(gemmKey())->config, gemmConfig(128));
  ASSERT_TRUE(second->save());
  EXPECT_EQ(TuningDatabase::openReadOnly(directory_ / "second.json")->size(), 2u);
  EXPECT_EQ(TuningDatabase::openReadOnly(exported)->size(), 1u);
}

TEST_F(TuningDatabaseTest, MergingABadFileIsAnErrorAndChangesNothing) {
  TuningDatabase database = openDatabase();
  ASSERT_TRUE(database.record(gemmKey(), gemmConfig(64), 0.25));
  Status missing = database.merge(directory_ / "absent.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "tuning database " + (directory_ / "absent.json").string() + " does not exist");
  writeText(directory_ / "bad.json", "{");
  Status corrupt = database.merge(directory_ / "bad.json");
  ASSERT_FALSE(corrupt);
  EXPECT_NE(corrupt.error().message().find("bad.json is not a usable tuning database: not JSON"),
            std::string::npos)
      << corrupt.error().message();
  EXPECT_EQ(database.size(), 1u);
  EXPECT_TRUE(fs::exists(directory_ / "bad.json")); // another's file is left alone
}

TEST_F(TuningDatabaseTest, TwoDatabasesOfOneFileLoseNothingWhenBothSave) {
  TuningDatabase first = openDatabase(), second = openDatabase();
  ASSERT_TRUE(first.record(gemmKey(), gemmConfig(64), 0.25));
  ASSERT_TRUE(second.record(gemmKey(), gemmConfig(32), 0.5));
  ASSERT_TRUE(first.save());
  ASSERT_TRUE(second.save()); // read before first saved, yet keeps its entry
  EXPECT_EQ(openDatabase().measurements(gemmKey()).size(), 2u);
  EXPECT_EQ(second.measurements(gemmKey()).size(), 2u); // save() merged into memory too
}

TEST_F(TuningDatabaseTest, ConcurrentWriterProcessesLoseNoEntries) {
  constexpr int kWriters = 6, kRounds = 4;
  std::vector<pid_t> children;
  for (int writer = 0; writer < kWriters; ++writer) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Each round opens, records one entry of its own and one config of a
      // shared entry, and saves: every save races the other writers'.
      int failures = 0;
      for (int round = 0; round < kRounds; ++round) {
        Expected<TuningDatabase> database = TuningDatabase::open(path_);
        if (!database) {
          ++failures;
          continue;
        }
        TuningEntryKey own = gemmKey("writer " + std::to_string(writer));
        failures += !database->record(own, gemmConfig(16, round + 1), 1.0 + round);
        failures += !database->record(gemmKey(), gemmConfig(16 << (writer % 4), writer * 8 + round),
                                      0.5 + writer);
        failures += !database->save();
      }
      ::_exit(failures == 0 ? 0 : 1);
    }
    children.push_back(child);
  }
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  TuningDatabase database = openDatabase();
  EXPECT_TRUE(database.warnings().empty());
  EXPECT_EQ(database.size(), size_t(kWriters) + 1);
  for (int writer = 0; writer < kWriters; ++writer)
    EXPECT_EQ(database.measurements(gemmKey("writer " + std::to_string(writer))).size(),
              size_t(kRounds))
        << "writer " << writer;
  EXPECT_EQ(database.measurements(gemmKey()).size(), size_t(kWriters * kRounds));
  EXPECT_EQ(database.lookup(gemmKey())->milliseconds, 0.5);
  EXPECT_TRUE(filesStartingWith(directory_, "tuning.json.tmp").empty());
}

} // namespace
} // namespace tessel::autotune
