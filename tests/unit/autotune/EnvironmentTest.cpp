// Where the tuning database lives by default (autotune/lib/Environment.h).
#include "tessel/autotune/TuningDatabase.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

namespace tessel::autotune {
namespace {

/// Sets the variables the default path depends on for one test and
/// restores them afterwards.
class TuningEnvironmentTest : public testing::Test {
protected:
  static constexpr const char *kVariables[] = {"TESSEL_TUNING_DB", "TESSEL_CACHE_DIR",
                                               "XDG_CACHE_HOME", "HOME"};

  void SetUp() override {
    for (const char *name : kVariables) {
      const char *value = std::getenv(name);
      saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    for (const auto &[name, value] : saved_)
      value ? ::setenv(name.c_str(), value->c_str(), 1) : ::unsetenv(name.c_str());
  }

  std::map<std::string, std::optional<std::string>> saved_;
};

TEST_F(TuningEnvironmentTest, TheDatabaseSitsInTheKernelCacheDirectory) {
  ::setenv("HOME", "/home/user", 1);
  EXPECT_EQ(TuningDatabase::defaultPath(), "/home/user/.cache/tessel/tuning.json");
  ::setenv("XDG_CACHE_HOME", "relative/ignored", 1);
  EXPECT_EQ(TuningDatabase::defaultPath(), "/home/user/.cache/tessel/tuning.json");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(TuningDatabase::defaultPath(), "/xdg/tessel/tuning.json");
  ::setenv("TESSEL_CACHE_DIR", "/cache", 1);
  EXPECT_EQ(TuningDatabase::defaultPath(), "/cache/tuning.json");
  ::setenv("TESSEL_CACHE_DIR", "", 1); // empty means unset
  EXPECT_EQ(TuningDatabase::defaultPath(), "/xdg/tessel/tuning.json");
}

TEST_F(TuningEnvironmentTest, TesselTuningDbNamesAnotherFile) {
  ::setenv("TESSEL_CACHE_DIR", "/cache", 1);
  ::setenv("TESSEL_TUNING_DB", "/shipped/app-tuning.json", 1);
  EXPECT_EQ(TuningDatabase::defaultPath(), "/shipped/app-tuning.json");
}

TEST_F(TuningEnvironmentTest, WithoutAHomeTheCacheIsPerUserInTmp) {
  std::string path = TuningDatabase::defaultPath().string();
  EXPECT_NE(path.find("tessel-cache-" + std::to_string(::getuid()) + "/tuning.json"),
            std::string::npos)
      << path;
}

} // namespace
} // namespace tessel::autotune
