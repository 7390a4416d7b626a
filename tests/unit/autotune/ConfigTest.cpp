#include "tessel/autotune/Config.h"

#include <gtest/gtest.h>

namespace tessel::autotune {
namespace {

constexpr const char *kText = "BLOCK_M=128 BLOCK_N=128 BLOCK_K=128 NUM_STAGES=4 num_warps=8";

TEST(TuningConfigTest, TextKeepsInsertionOrder) {
  Config config{
      {"BLOCK_M", 128}, {"BLOCK_N", 128}, {"BLOCK_K", 128}, {"NUM_STAGES", 4}, {"num_warps", 8}};
  EXPECT_EQ(config.text(), kText);
  config.set("BLOCK_N", 64);
  EXPECT_EQ(config.text(), "BLOCK_M=128 BLOCK_N=64 BLOCK_K=128 NUM_STAGES=4 num_warps=8");
  EXPECT_EQ(config.at("NUM_STAGES"), 4);
  EXPECT_FALSE(config.find("EVEN_M"));
}

TEST(TuningConfigTest, TextRoundTrips) {
  Expected<Config> parsed = Config::parse(kText);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->text(), kText);
  EXPECT_EQ(parsed->parameters().size(), 5u);
  EXPECT_EQ(Config::parse(parsed->text()).value(), *parsed);
}

TEST(TuningConfigTest, ParseAcceptsAnyWhitespaceAndNegativeValues) {
  Expected<Config> parsed = Config::parse("  A=1\tB_2=-3 \n");
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->text(), "A=1 B_2=-3");
  EXPECT_TRUE(Config::parse("").value().empty());
}

/// The message parsing `text` fails with.
std::string parseError(std::string_view text) {
  Expected<Config> parsed = Config::parse(text);
  EXPECT_FALSE(parsed) << "'" << text << "' parsed";
  return parsed ? std::string() : parsed.error().message();
}

TEST(TuningConfigTest, ParseErrorsQuoteTheTextAndSayWhatIsWrong) {
  EXPECT_EQ(parseError("BLOCK_M=16 BLOCK_N"),
            "config 'BLOCK_M=16 BLOCK_N': 'BLOCK_N' is not NAME=VALUE (a name of letters, digits "
            "and '_', then '=' and an integer)");
  EXPECT_EQ(parseError("BLOCK_M=abc"),
            "config 'BLOCK_M=abc': the value of BLOCK_M is not an integer: 'abc'");
  EXPECT_EQ(parseError("BLOCK_M=1.5"),
            "config 'BLOCK_M=1.5': the value of BLOCK_M is not an integer: '1.5'");
  EXPECT_EQ(parseError("BLOCK_M="),
            "config 'BLOCK_M=': the value of BLOCK_M is not an integer: ''");
  EXPECT_EQ(parseError("BLOCK_M=16 BLOCK_M=32"),
            "config 'BLOCK_M=16 BLOCK_M=32': BLOCK_M is given twice");
  EXPECT_EQ(parseError("X=99999999999999999999"),
            "config 'X=99999999999999999999': the value of X ('99999999999999999999') does not "
            "fit in 64 bits");
  EXPECT_NE(parseError("4WARPS=1").find("'4WARPS=1' is not NAME=VALUE"), std::string::npos);
  EXPECT_NE(parseError("=3").find("'=3' is not NAME=VALUE"), std::string::npos);
  EXPECT_NE(parseError("A-B=3").find("is not NAME=VALUE"), std::string::npos);
}

TEST(TuningConfigTest, AtNamesAMissingParameter) {
  Config config{{"BLOCK_M", 16}};
  try {
    (void)config.at("BLOCK_N");
    FAIL() << "at() returned";
  } catch (const Error &error) {
    EXPECT_EQ(error.message(), "config 'BLOCK_M=16' has no parameter BLOCK_N");
  }
}

} // namespace
} // namespace tessel::autotune
