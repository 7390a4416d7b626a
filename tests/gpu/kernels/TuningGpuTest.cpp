// tuneFp8Gemm on the GPU: a sweep times the whole space and records it, a
// second sweep of the same problem times nothing, and the host functions
// read the recorded config.
#include "KernelTestSupport.h"
#include "tessel/kernels/Spaces.h"
#include "tessel/kernels/Tuning.h"

#include <gtest/gtest.h>

#include <cstdlib>
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
  // A config is dropped only for spilling (128 x 128 tiles on 4 warps do on
  // sm_90a), never for failing to compile or run.
  size_t timed = 0;
  for (const autotune::SweepResult &result : first->results) {
    if (result.milliseconds)
      ++timed;
    else
      EXPECT_EQ(result.failure.rfind("spills: ", 0), 0u)
          << result.config.text() << ": " << result.failure;
  }
  EXPECT_GE(timed, spaceSize * 3 / 4);
  ASSERT_TRUE(first->best);
  ASSERT_TRUE(first->defaultMilliseconds);
  EXPECT_LE(first->best->milliseconds, *first->defaultMilliseconds * 1.05)
      << "the default config is in the space, so the best is at most as slow (up to noise)";

  // The second sweep times nothing: the configs timed before are kept, and
  // the dropped ones are dropped again when they load, untimed.
  Expected<TuneReport> second = tuneFp8Gemm(m, n, k, options);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->reused, timed);
  EXPECT_EQ(second->results.size(), spaceSize - timed);
  for (const autotune::SweepResult &result : second->results)
    EXPECT_FALSE(result.milliseconds) << result.config.text();
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

TEST_F(TuningGpuTest, TheConversionKernelsAreTunedAndTheirHostFunctionsReadTheResult) {
  TuneOptions options;
  options.database = directory_ / "tuning.json";
  options.sweep.repeats = 3;
  options.sweep.probeRepeats = 2;
  struct Case {
    std::string kernel, problem;
    Expected<TuneReport> report;
  };
  std::vector<Case> cases;
  cases.push_back({"act_quant", actQuantTuningKey(DType::BF16, 256, 7168, true),
                   tuneActQuant(256, 7168, /*ue8m0Scales=*/true, options)});
  cases.push_back({"weight_quant", weightQuantTuningKey(1000, 520, false),
                   tuneWeightQuant(1000, 520, /*ue8m0Scales=*/false, options)});
  cases.push_back({"weight_dequant", weightDequantTuningKey(2112, 7168),
                   tuneWeightDequant(2112, 7168, options)});
  ASSERT_TRUE(useTuningDatabase(options.database, /*readOnly=*/true));
  for (Case &c : cases) {
    ASSERT_TRUE(c.report) << c.kernel << ": " << c.report.error().message();
    EXPECT_EQ(c.report->results.size(), tuningSpace(c.kernel)->enumerate().valid.size());
    for (const autotune::SweepResult &result : c.report->results)
      EXPECT_TRUE(result.failure.empty()) << c.kernel << " " << result.config.text() << ": "
                                          << result.failure;
    ASSERT_TRUE(c.report->best) << c.kernel;
    std::optional<KernelConfig> tuned = tunedConfig(c.kernel, c.problem);
    ASSERT_TRUE(tuned) << c.kernel << " " << c.problem;
    EXPECT_EQ(tuned->constants, kernelConfigOf(c.report->best->config).constants);
  }
  // UE8M0 scales are another kernel: the plain act_quant of the shape is untuned.
  EXPECT_FALSE(tunedConfig("act_quant", actQuantTuningKey(DType::BF16, 256, 7168, false)));
  ASSERT_TRUE(useTuningDatabase(directory_ / "empty.json", /*readOnly=*/false));
}

TEST_F(TuningGpuTest, WithAutotuneOnAnUntunedCallTunesItsProblemFirst) {
  ASSERT_TRUE(useTuningDatabase(directory_ / "auto.json", /*readOnly=*/false));
  ASSERT_EQ(::setenv("TESSEL_AUTOTUNE", "1", 1), 0);
  Expected<runtime::Tensor> q = runtime::Tensor::empty(DType::F8E4M3, {384, 640});
  Expected<runtime::Tensor> s = runtime::Tensor::empty(DType::F32, {3, 5});
  ASSERT_TRUE(q && s);
  ASSERT_TRUE(q->copyFromHost(std::vector<uint8_t>(384 * 640, 0x38))); // 1.0 in e4m3
  ASSERT_TRUE(s->copyFromHost(std::vector<float>(3 * 5, 0.5f)));
  Expected<runtime::Tensor> out = weightDequant(q->view(), s->view());
  ::unsetenv("TESSEL_AUTOTUNE");
  ASSERT_TRUE(out) << out.error().message();
  std::vector<uint16_t> values(384 * 640);
  ASSERT_TRUE(out->copyToHost(values));
  EXPECT_EQ(values.front(), 0x3F00); // bf16 0.5
  EXPECT_EQ(values.back(), 0x3F00);
  EXPECT_TRUE(tunedConfig("weight_dequant", weightDequantTuningKey(384, 640)))
      << "the call tuned its problem and recorded it";
  ASSERT_TRUE(useTuningDatabase(directory_ / "empty.json", /*readOnly=*/false));
}

} // namespace
} // namespace tessel::kernels::test
