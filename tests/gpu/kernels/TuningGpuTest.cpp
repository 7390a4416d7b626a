// tuneFp8Gemm on the GPU: a sweep times the whole space and records it, a
// second sweep of the same problem times nothing, and the host functions
// read the recorded config.
#include "KernelTestSupport.h"
#include "tessel/kernels/Spaces.h"
#include "tessel/kernels/Tuning.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

namespace tessel::kernels::test {
namespace {

class TuningGpuTest : public KernelBackendTest {
protected:
  void SetUp() override {
    KernelBackendTest::SetUp();
    if (IsSkipped())
      return;
    if (runtime::activeBackend() == runtime::Backend::Interpreter)
      GTEST_SKIP() << "tuning times kernels on a GPU";
    directory_ = std::filesystem::temp_directory_path() /
                 ("tessel-tuning-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override {
    if (!directory_.empty())
      std::filesystem::remove_all(directory_);
  }
  std::filesystem::path directory_;
};

TEST_F(TuningGpuTest, ASweepRecordsTheSpaceAndASecondSweepTimesNothing) {
  TuneOptions options;
  options.database = directory_ / "tuning.json";
  options.sweep.repeats = 3;
  options.sweep.probeRepeats = 2;
  const int64_t m = 128, n = 256, k = 512;
  Expected<TuneReport> first = tuneFp8Gemm(m, n, k, options);
  ASSERT_TRUE(first) << first.error().message();
  const size_t spaceSize = fp8GemmSpace().enumerate().valid.size();
  ASSERT_EQ(first->results.size(), spaceSize);
  for (const autotune::SweepResult &result : first->results)
    EXPECT_TRUE(result.failure.empty()) << result.config.text() << ": " << result.failure;
  ASSERT_TRUE(first->best);
  ASSERT_TRUE(first->defaultMilliseconds);
  EXPECT_LE(first->best->milliseconds, *first->defaultMilliseconds * 1.05)
      << "the default config is in the space, so the best is at most as slow (up to noise)";

  Expected<TuneReport> second = tuneFp8Gemm(m, n, k, options);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_TRUE(second->results.empty());
  EXPECT_EQ(second->reused, spaceSize);
  ASSERT_TRUE(second->best);
  EXPECT_EQ(second->best->config, first->best->config);

  // The host functions read what was recorded, for every m of the bucket.
  ASSERT_TRUE(useTuningDatabase(options.database, /*readOnly=*/true));
  KernelConfig expected = kernelConfigOf(first->best->config);
  for (int64_t rows : {int64_t(128), int64_t(65)}) {
    std::optional<KernelConfig> tuned = tunedFp8GemmConfig(rows, n, k);
    ASSERT_TRUE(tuned) << "m = " << rows;
    EXPECT_EQ(tuned->constants, expected.constants);
    EXPECT_EQ(tuned->numWarps, expected.numWarps);
  }
  EXPECT_FALSE(tunedFp8GemmConfig(m, n, 2 * k)) << "another k is another problem";

  // A read-only database is not tuned into.
  TuneOptions readOnly;
  Expected<TuneReport> refused = tuneFp8Gemm(m, n, k, readOnly);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("read-only"), std::string::npos)
      << refused.error().message();

  // Later tests of this process run with an empty database.
  ASSERT_TRUE(useTuningDatabase(directory_ / "empty.json", /*readOnly=*/false));
}

} // namespace
} // namespace tessel::kernels::test
