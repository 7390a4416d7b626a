// Tests of loading the driver library where it is missing or wrong
// (tessel/runtime/Driver.h); they pass with and without a GPU.

#include "tessel/runtime/Driver.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

namespace tessel::runtime {
namespace {

std::string messageOf(const Error &error) { return error.message(); }

TEST(DriverLoadFrom, MissingLibraryNamesItAndTheCause) {
  auto driver = Driver::loadFrom("/nonexistent/libcuda.so.1");
  ASSERT_FALSE(driver);
  const std::string message = messageOf(driver.error());
  EXPECT_NE(message.find("/nonexistent/libcuda.so.1 not found (no NVIDIA driver?): "),
            std::string::npos)
      << message;
  // The dlerror text follows.
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(DriverLoadFrom, LibraryWithoutDriverEntryPointsListsThem) {
  // libm loads everywhere and has none of cuda's symbols.
  auto driver = Driver::loadFrom("libm.so.6");
  ASSERT_FALSE(driver);
  const std::string message = messageOf(driver.error());
  EXPECT_NE(message.find("libm.so.6 lacks the driver entry points"), std::string::npos) << message;
  // The versioned names, which are what the library must export.
  EXPECT_NE(message.find("cuMemAlloc_v2"), std::string::npos) << message;
  EXPECT_NE(message.find("cuStreamDestroy_v2"), std::string::npos) << message;
  EXPECT_NE(message.find("cuLaunchKernel"), std::string::npos) << message;
  EXPECT_NE(message.find("cuEventElapsedTime"), std::string::npos) << message;
}

// Driver::load() keeps its first outcome for the process, so the override
// is tested in a fresh process: the "threadsafe" death-test style re-runs
// this test binary for the statement alone.
TEST(DriverLoadDeathTest, EnvironmentOverrideIsUsedAndNamed) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::setenv("TESSEL_LIBCUDA", "/nonexistent/libcuda.so.1", 1);
        Expected<const Driver *> driver = Driver::load();
        if (driver)
          std::exit(0);
        std::fprintf(stderr, "%s\n", driver.error().message().c_str());
        // A second call reports the same failure, without trying again.
        Expected<const Driver *> again = Driver::load();
        std::exit(!again && again.error().message() == driver.error().message() ? 3 : 4);
      },
      ::testing::ExitedWithCode(3),
      "/nonexistent/libcuda.so.1 not found \\(no NVIDIA driver\\?\\).*TESSEL_LIBCUDA");
}

TEST(ResultName, FallsBackToTheNumberWithoutADriver) {
  if (Driver::load())
    EXPECT_EQ(resultName(1), "CUDA_ERROR_INVALID_VALUE");
  else
    EXPECT_EQ(resultName(1), "CUresult 1");
}

} // namespace
} // namespace tessel::runtime
