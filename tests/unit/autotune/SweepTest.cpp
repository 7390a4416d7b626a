// The sweep's ranking, early abandonment and failure handling, with a timer
// that reports scripted times instead of measuring a GPU.
#include "tessel/autotune/Sweep.h"

#include <gtest/gtest.h>

#include <map>

namespace tessel::autotune {
namespace {

/// Candidates named by BLOCK_M, each launch counting its calls.
struct Script {
  std::map<int64_t, double> times; // BLOCK_M -> the time every timing returns
  std::map<int64_t, int> launches;
  std::map<int64_t, std::vector<int>> timedRepeats; // the repeats each timing asked for

  std::vector<SweepCandidate> candidates(std::vector<int64_t> blockMs,
                                         std::optional<int64_t> failing = std::nullopt) {
    std::vector<SweepCandidate> result;
    for (int64_t blockM : blockMs)
      result.push_back({Config{{"BLOCK_M", blockM}}, [this, blockM, failing]() -> Status {
                          ++launches[blockM];
                          if (failing == blockM)
                            return Error("ptxas: too many resources requested");
                          return Status::success();
                        }});
    return result;
  }

  SweepTimer timer() {
    return [this](const std::function<Status()> &launch, int repeats) -> Expected<double> {
      // Which candidate is timed: the one whose launch count moves.
      std::map<int64_t, int> before = launches;
      if (Status ok = launch(); !ok)
        return ok.error();
      for (auto &[blockM, count] : launches)
        if (count != before[blockM]) {
          timedRepeats[blockM].push_back(repeats);
          if (!times.contains(blockM))
            return Error("the event timing failed");
          return times.at(blockM);
        }
      return Error("no candidate launched");
    };
  }
};

TEST(TuningSweepTest, KeepsEveryTimeAndFindsTheFastest) {
  Script script;
  script.times = {{16, 2.0}, {32, 1.5}, {64, 1.0}};
  SweepOptions options;
  options.abandonFactor = 100; // nothing is abandoned
  std::vector<SweepResult> results =
      sweep(script.candidates({16, 32, 64}), script.timer(), options);
  ASSERT_EQ(results.size(), 3u);
  for (const SweepResult &result : results) {
    EXPECT_TRUE(result.failure.empty());
    EXPECT_FALSE(result.abandoned);
    ASSERT_TRUE(result.milliseconds);
    EXPECT_EQ(*result.milliseconds, script.times.at(result.config.at("BLOCK_M")));
  }
  const SweepResult *best = fastest(results);
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(best->config.at("BLOCK_M"), 64);
  // Each config: the probe, then the full repeats.
  EXPECT_EQ(script.timedRepeats[32], (std::vector<int>{options.probeRepeats, options.repeats}));
}

TEST(TuningSweepTest, AbandonsAConfigClearlySlowerThanTheBestAfterItsProbe) {
  Script script;
  script.times = {{16, 1.0}, {32, 1.2}, {64, 5.0}};
  SweepOptions options;
  options.abandonFactor = 1.3;
  std::vector<SweepResult> results =
      sweep(script.candidates({16, 32, 64}), script.timer(), options);
  EXPECT_FALSE(results[1].abandoned) << "1.2 ms is within 1.3x of the best 1.0 ms";
  EXPECT_TRUE(results[2].abandoned);
  ASSERT_TRUE(results[2].milliseconds);
  EXPECT_EQ(*results[2].milliseconds, 5.0);
  EXPECT_EQ(script.timedRepeats[64], (std::vector<int>{options.probeRepeats}));
}

TEST(TuningSweepTest, DropsAFailingConfigWithItsReasonAndGoesOn) {
  Script script;
  script.times = {{16, 2.0}, {32, 1.0}, {64, 3.0}};
  std::vector<std::pair<size_t, size_t>> progress;
  std::vector<SweepResult> results =
      sweep(script.candidates({16, 32, 64}, /*failing=*/32), script.timer(), {},
            [&](const SweepResult &, size_t index, size_t count) {
              progress.emplace_back(index, count);
            });
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[1].milliseconds);
  EXPECT_NE(results[1].failure.find("too many resources"), std::string::npos);
  EXPECT_EQ(script.launches[32], 1) << "a config whose first launch fails is not timed";
  EXPECT_TRUE(results[2].milliseconds);
  EXPECT_EQ(fastest(results)->config.at("BLOCK_M"), 16);
  EXPECT_EQ(progress, (std::vector<std::pair<size_t, size_t>>{{0, 3}, {1, 3}, {2, 3}}));
}

TEST(TuningSweepTest, ATimerErrorFailsOnlyThatConfig) {
  Script script;
  script.times = {{16, 2.0}}; // 32 has no scripted time: the timer reports an Error
  std::vector<SweepResult> results = sweep(script.candidates({32, 16}), script.timer());
  EXPECT_FALSE(results[0].milliseconds);
  EXPECT_FALSE(results[0].failure.empty());
  EXPECT_TRUE(results[1].milliseconds);
}

TEST(TuningSweepTest, NothingTimedHasNoFastest) {
  EXPECT_EQ(fastest({}), nullptr);
  std::vector<SweepResult> failed = {{Config{{"BLOCK_M", 16}}, std::nullopt, false, "failed"}};
  EXPECT_EQ(fastest(failed), nullptr);
}

} // namespace
} // namespace tessel::autotune
