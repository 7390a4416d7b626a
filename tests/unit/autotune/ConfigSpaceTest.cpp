#include "tessel/autotune/ConfigSpace.h"

#include <gtest/gtest.h>

namespace tessel::autotune {
namespace {

/// TILE {16, 32} x WARPS {1, 2, 4}, less the configs that give a warp fewer
/// than 8 elements of the tile.
ConfigSpace smallSpace() {
  return ConfigSpace::declare(
             "toy", {{"TILE", {16, 32}, ""}, {"WARPS", {1, 2, 4}, ""}},
             {{"eight_per_warp", [](const Config &c) { return c.at("TILE") / c.at("WARPS") >= 8; },
               "each warp needs 8 elements"}})
      .value();
}

std::vector<std::string> texts(const std::vector<Config> &configs) {
  std::vector<std::string> result;
  for (const Config &config : configs)
    result.push_back(config.text());
  return result;
}

TEST(TuningSpaceTest, EnumeratesInNestedLoopOrderAndPrunesWithReasons) {
  ConfigSpace space = smallSpace();
  EXPECT_EQ(space.productSize(), 6u);
  SpaceEnumeration configs = space.enumerate();
  EXPECT_EQ(texts(configs.valid),
            (std::vector<std::string>{"TILE=16 WARPS=1", "TILE=16 WARPS=2", "TILE=32 WARPS=1",
                                      "TILE=32 WARPS=2", "TILE=32 WARPS=4"}));
  ASSERT_EQ(configs.pruned.size(), 1u);
  EXPECT_EQ(configs.pruned[0].config.text(), "TILE=16 WARPS=4");
  EXPECT_EQ(configs.pruned[0].predicate, "eight_per_warp");
  EXPECT_EQ(configs.pruned[0].reason, "each warp needs 8 elements");
  // The same every time.
  EXPECT_EQ(texts(space.enumerate().valid), texts(configs.valid));
}

TEST(TuningSpaceTest, ValidateNamesTheBrokenPredicate) {
  ConfigSpace space = smallSpace();
  EXPECT_TRUE(space.validate(Config{{"TILE", 32}, {"WARPS", 4}}));
  Status broken = space.validate(Config{{"TILE", 16}, {"WARPS", 4}});
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message(),
            "toy config 'TILE=16 WARPS=4' breaks eight_per_warp: each warp needs 8 elements");
}

TEST(TuningSpaceTest, ParseChecksNamesAndValuesAndOrdersAsDeclared) {
  ConfigSpace space = smallSpace();
  Expected<Config> reordered = space.parse("WARPS=2 TILE=32");
  ASSERT_TRUE(reordered) << reordered.error().message();
  EXPECT_EQ(reordered->text(), "TILE=32 WARPS=2");

  auto error = [&](std::string_view text) {
    Expected<Config> parsed = space.parse(text);
    EXPECT_FALSE(parsed) << text;
    return parsed ? std::string() : parsed.error().message();
  };
  EXPECT_EQ(error("TILE=32 WARPS=2 STAGES=3"),
            "config 'TILE=32 WARPS=2 STAGES=3': STAGES is not a parameter of toy's tuning space");
  EXPECT_EQ(error("TILE=32"), "config 'TILE=32': toy's tuning space needs a value for WARPS");
  EXPECT_EQ(error("TILE=48 WARPS=2"),
            "config 'TILE=48 WARPS=2': TILE=48 is not among TILE's values {16, 32}");
  EXPECT_EQ(error("TILE=32 TILE=16 WARPS=2"),
            "config 'TILE=32 TILE=16 WARPS=2': TILE is given twice");
  // Predicates are validate()'s business, not parse()'s.
  EXPECT_TRUE(space.parse("TILE=16 WARPS=4"));
}

TEST(TuningSpaceTest, DeclarationMistakesAreErrors) {
  auto error = [](std::vector<TuningParameter> parameters,
                  std::vector<ConfigPredicate> predicates = {}) {
    Expected<ConfigSpace> space =
        ConfigSpace::declare("toy", std::move(parameters), std::move(predicates));
    EXPECT_FALSE(space);
    return space ? std::string() : space.error().message();
  };
  EXPECT_EQ(error({{"TILE", {}, ""}}), "toy's tuning space: TILE has no values");
  EXPECT_EQ(error({{"TILE", {16}, ""}, {"TILE", {32}, ""}}),
            "toy's tuning space declares TILE twice");
  EXPECT_EQ(error({{"TILE", {16, 32, 16}, ""}}),
            "toy's tuning space: TILE lists a value twice: {16, 32, 16}");
  EXPECT_EQ(error({{"2D", {1}, ""}}),
            "toy's tuning space: '2D' is not a parameter name (letters, digits and '_', not "
            "starting with a digit)");
  EXPECT_EQ(error({{"TILE", {16}, ""}}, {{"p", [](const Config &) { return true; }, ""},
                                         {"p", [](const Config &) { return true; }, ""}}),
            "toy's tuning space declares predicate p twice");
  EXPECT_EQ(error({{"TILE", {16}, ""}}, {{"p", nullptr, ""}}),
            "toy's tuning space: predicate p has no function");
}

TEST(TuningSpaceTest, ASpaceWithoutParametersHasOneEmptyConfig) {
  ConfigSpace space = ConfigSpace::declare("fixed", {}).value();
  SpaceEnumeration configs = space.enumerate();
  ASSERT_EQ(configs.valid.size(), 1u);
  EXPECT_TRUE(configs.valid[0].empty());
}

} // namespace
} // namespace tessel::autotune
