// Tests of the kernel DSL without a GPU: bodies build into tile IR, the IR
// compiles to PTX for every supported architecture, and each kind of misuse
// is reported as a tessel::Error that names the user's source line, the
// operation and the shapes and dtypes involved.
#include "tessel/dsl/DSL.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace tessel::dsl {
namespace {

// The tests below are the users of the DSL here: their file name is what the
// errors must point at.
constexpr std::string_view kThisFile = __FILE__;

/// The "file:line" prefix an error about `line` of this file starts with.
std::string locationOf(int line) { return std::string(kThisFile) + ":" + std::to_string(line); }

/// Checks that `text` contains every fragment, reporting the first missing
/// one together with the whole text.
testing::AssertionResult containsAll(const std::string &text,
                                     std::initializer_list<std::string_view> fragments) {
  for (std::string_view fragment : fragments)
    if (text.find(fragment) == std::string::npos)
      return testing::AssertionFailure() << "missing \"" << fragment << "\" in:\n" << text;
  return testing::AssertionSuccess();
}

/// Checks that a build failed with an error that points at `line` of this
/// file, names the kernel and contains every fragment.
testing::AssertionResult failsAt(const Expected<BuiltKernel> &built, int line,
                                 std::initializer_list<std::string_view> fragments) {
  if (built)
    return testing::AssertionFailure() << "the build succeeded; expected an error at line " << line;
  const std::string message = built.error().message();
  // The message starts with the location, so that editors and terminals can
  // jump to it.
  if (message.rfind(locationOf(line) + ":", 0) != 0)
    return testing::AssertionFailure()
           << "expected the message to start with \"" << locationOf(line) << ":\":\n"
           << message;
  if (testing::AssertionResult named = containsAll(message, {"in kernel misuse:"}); !named)
    return named;
  return containsAll(message, fragments);
}

/// A kernel named "misuse" with one parameter of each kind the tests need;
/// `body` is what is under test.
KernelDefinition misuseKernel(std::function<void(const KernelScope &)> body) {
  KernelDefinition kernel;
  kernel.name = "misuse";
  kernel.params = {Param::pointer("x", DType::F32), Param::pointer("xi", DType::I32),
                   Param::pointer("out", DType::BF16), Param::pointer("q", DType::F8E4M3),
                   Param::scalar("n", DType::I32)};
  kernel.constants = {{"BLOCK", 128, "elements per program"}};
  kernel.body = std::move(body);
  return kernel;
}

/// out[i] = bf16(x[i] * 2 + y[i]) for i < n: the smallest complete kernel.
KernelDefinition scaleAddKernel() {
  KernelDefinition kernel;
  kernel.name = "scale_add";
  kernel.description = "out = bf16(2 x + y)";
  kernel.params = {Param::pointer("x", DType::F32), Param::pointer("y", DType::F32),
                   Param::pointer("out", DType::BF16), Param::scalar("n", DType::I32)};
  kernel.constants = {{"BLOCK", 128, "elements per program"}};
  kernel.body = [](const KernelScope &k) {
    Value offsets = programId(0) * k.constant("BLOCK") + arange(0, k.constant("BLOCK"));
    Value mask = offsets < k.arg("n");
    Value x = load(k.arg("x") + offsets, mask, 0);
    Value y = load(k.arg("y") + offsets, mask, 0);
    store(k.arg("out") + offsets, (x * 2 + y).to(DType::BF16), mask);
  };
  return kernel;
}

/// Per row of a [ROWS, 128] f32 block: the row maximum, and each element
/// divided by it converted to e4m3. Exercises 2-D tiles, reductions,
/// broadcasting and the saturating fp8 conversion, like act_quant.
KernelDefinition rowQuantKernel() {
  KernelDefinition kernel;
  kernel.name = "row_quant";
  kernel.params = {Param::pointer("x", DType::F32), Param::pointer("y", DType::F8E4M3),
                   Param::pointer("s", DType::F32)};
  kernel.constants = {{"ROWS", 16, "rows per program"}};
  kernel.body = [](const KernelScope &k) {
    int64_t rowsPerProgram = k.constant("ROWS");
    Value rows = programId(0) * rowsPerProgram + arange(0, rowsPerProgram);
    Value offsets = rows.col() * 128 + arange(0, 128).row();
    Value x = load(k.arg("x") + offsets);
    Value amax = maximum(max(abs(x), 1), 1e-4f);
    store(k.arg("y") + offsets, (x / amax.col()).to(DType::F8E4M3));
    store(k.arg("s") + rows, amax);
  };
  return kernel;
}

/// out[i] = sum over j < STEPS of x[j * 128 + i]: a loop carrying a tile.
KernelDefinition loopSumKernel() {
  KernelDefinition kernel;
  kernel.name = "loop_sum";
  kernel.params = {Param::pointer("x", DType::F32), Param::pointer("out", DType::F32)};
  kernel.constants = {{"STEPS", 4, "tiles summed"}};
  kernel.body = [](const KernelScope &k) {
    Value lanes = arange(0, 128);
    std::vector<Value> result =
        forRange(0, k.constant("STEPS"), 1, {zeros({128}, DType::F32)},
                 [&](const Value &step, const std::vector<Value> &carried) -> std::vector<Value> {
                   return {carried[0] + load(k.arg("x") + (step * 128 + lanes))};
                 });
    store(k.arg("out") + lanes, result[0]);
  };
  return kernel;
}

//===----------------------------------------------------------------------===//
// Building and compiling valid kernels
//===----------------------------------------------------------------------===//

TEST(DslBuild, ElementwiseKernelRecordsLoadsAndStores) {
  Expected<BuiltKernel> built = build(scaleAddKernel());
  ASSERT_TRUE(built) << built.error().message();
  EXPECT_EQ(built->name(), "scale_add");
  EXPECT_TRUE(
      containsAll(built->irText(), {"func.func", "\"tile.program_id\"", "\"tile.make_range\"",
                                    "\"tile.addptr\"", "\"tile.load\"", "\"tile.store\"",
                                    "arith.truncf", "tensor<128x!tile.ptr<bf16>>"}));
}

TEST(DslBuild, IrTextIsDeterministic) {
  // irText() is what cache keys hash: two builds of the same kernel and
  // constants must give the same text.
  Expected<BuiltKernel> first = build(scaleAddKernel());
  Expected<BuiltKernel> second = build(scaleAddKernel());
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->irText(), second->irText());
}

TEST(DslBuild, IrTextHasNoSourceLocations) {
  // Editing an unrelated line of a body's file must not change the cache key.
  Expected<BuiltKernel> built = build(scaleAddKernel());
  ASSERT_TRUE(built) << built.error().message();
  EXPECT_EQ(built->irText().find("DslTest.cpp"), std::string::npos);
}

TEST(DslBuild, ConstantsSpecializeTheBody) {
  Expected<BuiltKernel> wide = build(scaleAddKernel());
  Expected<BuiltKernel> narrow = build(scaleAddKernel(), {{"BLOCK", 64}});
  ASSERT_TRUE(wide && narrow);
  EXPECT_TRUE(containsAll(wide->irText(), {"tensor<128xi32>"}));
  EXPECT_TRUE(containsAll(narrow->irText(), {"tensor<64xi32>"}));
  EXPECT_EQ(narrow->irText().find("tensor<128xi32>"), std::string::npos);
}

TEST(DslBuild, ReductionRecordsTileReduce) {
  Expected<BuiltKernel> built = build(rowQuantKernel());
  ASSERT_TRUE(built) << built.error().message();
  EXPECT_TRUE(containsAll(built->irText(), {"\"tile.reduce\"", "\"tile.expand_dims\"",
                                            "\"tile.broadcast\"", "tensor<16x128xf32>"}));
}

TEST(DslBuild, ConversionToFp8IsSaturating) {
  Expected<BuiltKernel> built = build(rowQuantKernel());
  ASSERT_TRUE(built) << built.error().message();
  EXPECT_TRUE(containsAll(built->irText(), {"\"tile.fptrunc_sat\"", "f8E4M3FN"}));
}

TEST(DslBuild, ForRangeWithCarriedTileBuildsScfFor) {
  Expected<BuiltKernel> built = build(loopSumKernel());
  ASSERT_TRUE(built) << built.error().message();
  EXPECT_TRUE(containsAll(built->irText(), {"\"scf.for\"", "\"scf.yield\"", "arith.addf"}));
}

TEST(DslBuild, DivisibilitySpecializationAnnotatesParameters) {
  Expected<BuiltKernel> plain = build(scaleAddKernel());
  ASSERT_TRUE(plain) << plain.error().message();
  EXPECT_EQ(plain->irText().find("tile.divisibility"), std::string::npos);

  // Only out (ptr<bf16>) is aligned: exactly one parameter is annotated.
  Expected<BuiltKernel> outOnly = build(scaleAddKernel(), {}, {{false, false, true, false}});
  ASSERT_TRUE(outOnly) << outOnly.error().message();
  std::string text = outOnly->irText();
  size_t first = text.find("tile.divisibility = 16");
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_EQ(text.find("tile.divisibility", first + 1), std::string::npos) << text;
}

TEST(DslBuild, DivisibilityAppliesToPointersToF32) {
  // A pointer's alignment does not depend on what it points to: x and y
  // (ptr<f32>) must be annotated like out (ptr<bf16>) and n (i32), or f32
  // loads could never be vectorized.
  Expected<BuiltKernel> built = build(scaleAddKernel(), {}, {{true, true, true, true}});
  ASSERT_TRUE(built) << built.error().message();
  std::string text = built->irText();
  size_t count = 0;
  for (size_t at = text.find("tile.divisibility"); at != std::string::npos;
       at = text.find("tile.divisibility", at + 1))
    ++count;
  EXPECT_EQ(count, 4u) << text;
}

TEST(DslBuild, DivisibilityIsNeverClaimedForF32Scalars) {
  // "Divisible by 16" means nothing for a float passed by value.
  KernelDefinition kernel;
  kernel.name = "fill";
  kernel.params = {Param::pointer("out", DType::F32), Param::scalar("value", DType::F32)};
  kernel.body = [](const KernelScope &k) { store(k.arg("out") + arange(0, 128), k.arg("value")); };
  Expected<BuiltKernel> built = build(kernel, {}, {{true, true}});
  ASSERT_TRUE(built) << built.error().message();
  std::string text = built->irText();
  size_t first = text.find("tile.divisibility");
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_EQ(text.find("tile.divisibility", first + 1), std::string::npos) << text;
}

TEST(DslBuild, RejectsScalarParameterOfUnsupportedDType) {
  KernelDefinition kernel = misuseKernel([](const KernelScope &) {});
  kernel.params.push_back(Param::scalar("alpha", DType::BF16));
  Expected<BuiltKernel> built = build(kernel);
  ASSERT_FALSE(built);
  EXPECT_TRUE(containsAll(built.error().message(), {"misuse", "alpha", "bf16"}));
}

TEST(DslBuild, RejectsKernelWithoutBody) {
  KernelDefinition kernel = misuseKernel({});
  Expected<BuiltKernel> built = build(kernel);
  ASSERT_FALSE(built);
  EXPECT_TRUE(containsAll(built.error().message(), {"misuse", "no body"}));
}

class DslCompile : public testing::TestWithParam<const char *> {};

TEST_P(DslCompile, ElementwiseKernelCompilesToPtx) {
  Expected<BuiltKernel> built = build(scaleAddKernel());
  ASSERT_TRUE(built) << built.error().message();
  CompileOptions options;
  options.arch = GetParam();
  options.numWarps = 4;
  Expected<CompiledKernel> compiled = built->compile(options);
  ASSERT_TRUE(compiled) << compiled.error().message();
  EXPECT_EQ(compiled->name, "scale_add");
  EXPECT_EQ(compiled->arch, GetParam());
  EXPECT_EQ(compiled->numThreads, 128u);
  EXPECT_TRUE(
      containsAll(compiled->ptx, {".entry scale_add", std::string(".target ") + GetParam()}));
}

TEST_P(DslCompile, QuantizingKernelCompilesToPtx) {
  // Reductions and fp8 conversions have their own lowerings; they must
  // compile on every architecture, sm_80 (no fp8 instructions) included.
  Expected<BuiltKernel> built = build(rowQuantKernel());
  ASSERT_TRUE(built) << built.error().message();
  CompileOptions options;
  options.arch = GetParam();
  Expected<CompiledKernel> compiled = built->compile(options);
  ASSERT_TRUE(compiled) << compiled.error().message();
  EXPECT_TRUE(containsAll(compiled->ptx, {".entry row_quant"}));
}

TEST_P(DslCompile, LoopKernelCompilesToPtx) {
  Expected<BuiltKernel> built = build(loopSumKernel());
  ASSERT_TRUE(built) << built.error().message();
  CompileOptions options;
  options.arch = GetParam();
  Expected<CompiledKernel> compiled = built->compile(options);
  ASSERT_TRUE(compiled) << compiled.error().message();
  EXPECT_TRUE(containsAll(compiled->ptx, {".entry loop_sum"}));
}

INSTANTIATE_TEST_SUITE_P(SupportedArchitectures, DslCompile,
                         testing::Values("sm_80", "sm_89", "sm_90a"),
                         [](const testing::TestParamInfo<const char *> &info) {
                           return std::string(info.param);
                         });

TEST(DslCompileStages, StoppingAfterTileStageGivesTileIr) {
  Expected<BuiltKernel> built = build(scaleAddKernel());
  ASSERT_TRUE(built) << built.error().message();
  Expected<CompiledKernel> tileStage = built->compile(CompileOptions{}, Stage::Tile);
  ASSERT_TRUE(tileStage) << tileStage.error().message();
  EXPECT_TRUE(containsAll(tileStage->stageText, {"tile.load", "tile.store", "scale_add"}));
  EXPECT_TRUE(tileStage->ptx.empty());
}

TEST(DslCompileStages, CompilingLeavesTheBuiltKernelUsable) {
  // compile() lowers a copy: the tile IR and later compilations are intact.
  Expected<BuiltKernel> built = build(scaleAddKernel());
  ASSERT_TRUE(built) << built.error().message();
  std::string before = built->irText();
  Expected<CompiledKernel> first = built->compile(CompileOptions{});
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(built->irText(), before);
  Expected<CompiledKernel> second = built->compile(CompileOptions{});
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(first->ptx, second->ptx);
}

TEST(DslCompileStages, UnknownArchitectureIsAnError) {
  Expected<BuiltKernel> built = build(scaleAddKernel());
  ASSERT_TRUE(built) << built.error().message();
  CompileOptions options;
  options.arch = "sm_70";
  Expected<CompiledKernel> compiled = built->compile(options);
  ASSERT_FALSE(compiled);
  EXPECT_TRUE(containsAll(compiled.error().message(), {"sm_70"}));
}

//===----------------------------------------------------------------------===//
// Misuse inside a body: the error points at the offending line
//===----------------------------------------------------------------------===//

TEST(DslMisuse, AddingTilesOfDifferentShapes) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    Value a = arange(0, 128), b = arange(0, 64);
    line = __LINE__ + 1;
    Value c = a + b;
  }));
  EXPECT_TRUE(failsAt(built, line, {": +: ", "[128]", "[64]", "do not broadcast"}));
}

TEST(DslMisuse, AddingTilesOfDifferentDTypes) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value f = load(k.arg("x") + arange(0, 128));
    Value i = load(k.arg("xi") + arange(0, 128));
    line = __LINE__ + 1;
    Value sum = f + i;
  }));
  EXPECT_TRUE(failsAt(built, line, {": +: ", "tile<128xf32>", "tile<128xi32>", ".to()"}));
}

TEST(DslMisuse, ArangeOfNonPowerOfTwoExtent) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    line = __LINE__ + 1;
    Value range = arange(0, 100);
  }));
  EXPECT_TRUE(
      failsAt(built, line, {": arange: ", "arange(0, 100)", "100 elements", "powers of two"}));
}

TEST(DslMisuse, ReducingAlongAMissingAxis) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value offsets = arange(0, 16).col() * 128 + arange(0, 128).row();
    Value x = load(k.arg("x") + offsets);
    line = __LINE__ + 1;
    Value m = max(x, 2);
  }));
  EXPECT_TRUE(failsAt(built, line, {": max: ", "axis 2", "tile<16x128xf32>", "rank 2"}));
}

TEST(DslMisuse, StoringTheWrongDType) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value offsets = arange(0, 128);
    Value x = load(k.arg("x") + offsets);
    line = __LINE__ + 1;
    store(k.arg("out") + offsets, x);
  }));
  EXPECT_TRUE(failsAt(built, line, {": store: ", "tile<128xf32>", "bf16", ".to(bf16)"}));
}

TEST(DslMisuse, StoringATileLargerThanThePointers) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value x = load(k.arg("x") + arange(0, 128));
    line = __LINE__ + 1;
    store(k.arg("x") + arange(0, 64), x);
  }));
  EXPECT_TRUE(failsAt(built, line, {": store: ", "[128]", "[64]"}));
}

TEST(DslMisuse, LoadingThroughANonPointer) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value x = load(k.arg("x") + arange(0, 128));
    line = __LINE__ + 1;
    Value y = load(x);
  }));
  EXPECT_TRUE(failsAt(built, line, {": load: ", "through pointers", "tile<128xf32>"}));
}

TEST(DslMisuse, MaskThatIsNotI1) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value offsets = arange(0, 128);
    line = __LINE__ + 1;
    Value x = load(k.arg("x") + offsets, offsets, 0);
  }));
  EXPECT_TRUE(failsAt(built, line, {": load: ", "mask must be i1", "tile<128xi32>"}));
}

TEST(DslMisuse, StoreMaskThatIsNotI1) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value offsets = arange(0, 128);
    Value x = load(k.arg("x") + offsets);
    line = __LINE__ + 1;
    store(k.arg("x") + offsets, x, x);
  }));
  EXPECT_TRUE(failsAt(built, line, {": store: ", "mask must be i1", "tile<128xf32>"}));
}

TEST(DslMisuse, FloatLiteralWithAnIntegerTile) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    Value offsets = arange(0, 128);
    line = __LINE__ + 1;
    Value half = offsets * 0.5;
  }));
  EXPECT_TRUE(failsAt(built, line, {": *: ", "0.5", "i32"}));
}

TEST(DslMisuse, ArithmeticOnFp8) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value q = load(k.arg("q") + arange(0, 128));
    line = __LINE__ + 1;
    Value doubled = q + q;
  }));
  EXPECT_TRUE(failsAt(built, line, {": +: ", "tile<128xf8e4m3>", "not supported", ".to(f32)"}));
}

TEST(DslMisuse, ForRangeBodyChangesTheCarriedType) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    Value init = zeros({128}, DType::F32);
    line = __LINE__ + 1;
    forRange(0, 4, 1, {init}, [](const Value &i, const std::vector<Value> &) -> std::vector<Value> {
      return {arange(0, 128) + i};
    });
  }));
  EXPECT_TRUE(
      failsAt(built, line, {": forRange: ", "carried value 0", "tile<128xf32>", "tile<128xi32>"}));
}

TEST(DslMisuse, ForRangeBodyReturnsTheWrongNumberOfValues) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    Value init = zeros({128}, DType::F32);
    line = __LINE__ + 1;
    forRange(0, 4, 1, {init}, [](const Value &, const std::vector<Value> &carried) {
      return std::vector<Value>{carried[0], carried[0]};
    });
  }));
  EXPECT_TRUE(failsAt(built, line, {": forRange: ", "returned 2 values for 1 carried"}));
}

TEST(DslMisuse, ErrorInsideAForRangeBodyPointsAtTheBodyLine) {
  // The loop body's own misuse is reported, not the enclosing forRange.
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    forRange(0, 4, 1, {zeros({128}, DType::F32)},
             [&](const Value &, const std::vector<Value> &carried) -> std::vector<Value> {
               line = __LINE__ + 1;
               return {carried[0] + arange(0, 64).to(DType::F32)};
             });
  }));
  EXPECT_TRUE(failsAt(built, line, {": +: ", "[128]", "[64]"}));
}

TEST(DslMisuse, CdivOfDifferentDTypes) {
  // cdiv is made of other operations; their errors must still name cdiv and
  // the caller's line, not the DSL's own source.
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value f = load(k.arg("x") + arange(0, 128));
    line = __LINE__ + 1;
    Value blocks = cdiv(k.arg("n"), f);
  }));
  EXPECT_TRUE(failsAt(built, line, {": cdiv: ", "i32", "tile<128xf32>"}));
}

TEST(DslMisuse, CdivOfMasks) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value mask = arange(0, 128) < k.arg("n");
    line = __LINE__ + 1;
    Value blocks = cdiv(mask, mask);
  }));
  EXPECT_TRUE(failsAt(built, line, {": cdiv: ", "tile<128xi1>"}));
}

TEST(DslMisuse, LoopValueUsedAfterTheLoop) {
  // Values made inside a loop body exist only there; using one after the
  // loop is the user's error, not an internal one found by the verifier.
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value leaked;
    forRange(0, 4, 1, {}, [&](const Value &i, const std::vector<Value> &) {
      leaked = i * 128;
      return std::vector<Value>{};
    });
    line = __LINE__ + 1;
    store(k.arg("xi") + (leaked + arange(0, 128)), 0);
  }));
  EXPECT_TRUE(failsAt(built, line, {": +: ", "loop body"}));
}

TEST(DslMisuse, UnknownParameterName) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    Value v = k.arg("nope");
  }));
  // The message lists the parameters so that a typo is easy to spot.
  EXPECT_TRUE(failsAt(built, line, {": arg: ", "no parameter 'nope'", "x, xi, out, q, n"}));
}

TEST(DslMisuse, UnknownConstantInBody) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    [[maybe_unused]] int64_t rows = k.constant("ROWS");
  }));
  EXPECT_TRUE(failsAt(built, line, {": constant: ", "no constant 'ROWS'"}));
}

TEST(DslMisuse, EmptyValueOperand) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    Value never;
    line = __LINE__ + 1;
    Value v = never + 1;
  }));
  EXPECT_TRUE(failsAt(built, line, {": +: ", "empty Value"}));
}

TEST(DslMisuse, OnlyTheFirstErrorIsReported) {
  // A body stops at its first misuse; later lines never run.
  int line = 0;
  bool ranPastError = false;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    line = __LINE__ + 1;
    Value range = arange(0, 3);
    ranPastError = true;
  }));
  EXPECT_TRUE(failsAt(built, line, {": arange: "}));
  EXPECT_FALSE(ranPastError);
}

TEST(DslMisuse, DotWithMismatchedInnerSizes) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value a = load(k.arg("q") + (arange(0, 32).col() * 64 + arange(0, 64).row()));
    Value b = load(k.arg("q") + (arange(0, 32).col() * 32 + arange(0, 32).row()));
    line = __LINE__ + 1;
    Value c = dot(a, b);
  }));
  EXPECT_TRUE(failsAt(built, line, {": dot: ", "[32,64]", "[32,32]", "a's columns must equal"}));
}

TEST(DslMisuse, DotOfFp8WithBf16) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value offsets = arange(0, 32).col() * 32 + arange(0, 32).row();
    Value a = load(k.arg("q") + offsets), b = load(k.arg("out") + offsets);
    line = __LINE__ + 1;
    Value c = dot(a, b);
  }));
  EXPECT_TRUE(failsAt(built, line, {": dot: ", "f8E4M3FN and bf16", "bf16 x bf16"}));
}

TEST(DslMisuse, DotSmallerThanOneTensorCoreInstruction) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    // fp8 needs K >= 32.
    Value a = load(k.arg("q") + (arange(0, 16).col() * 16 + arange(0, 16).row()));
    line = __LINE__ + 1;
    Value c = dot(a, a);
  }));
  EXPECT_TRUE(failsAt(built, line, {": dot: ", "smaller than one tensor-core instruction",
                                    "K at least 32"}));
}

TEST(DslMisuse, DotWithAnAccumulatorThatIsNotF32) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value offsets = arange(0, 32).col() * 32 + arange(0, 32).row();
    Value a = load(k.arg("out") + offsets);
    line = __LINE__ + 1;
    Value c = dot(a, a, a);
  }));
  EXPECT_TRUE(failsAt(built, line, {": dot: ", "the accumulator must be f32"}));
}

TEST(DslMisuse, DotOfPointers) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value ptrs = k.arg("x") + (arange(0, 32).col() * 32 + arange(0, 32).row());
    line = __LINE__ + 1;
    Value c = dot(ptrs, ptrs);
  }));
  EXPECT_TRUE(failsAt(built, line, {": dot: ", "2-D tiles of numbers", "ptr<f32>"}));
}

TEST(DslMisuse, LoopWithTooManyStages) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    line = __LINE__ + 1;
    forRange(0, 4, 1, {}, [](const Value &, const std::vector<Value> &) {
      return std::vector<Value>{};
    }, LoopOptions{9});
  }));
  EXPECT_TRUE(failsAt(built, line, {": forRange: ", "numStages must be in [0, 8], got 9"}));
}

TEST(DslBuild, DotAndStagedLoopRecordTileDotAndTheStageCount) {
  KernelDefinition kernel = misuseKernel([](const KernelScope &k) {
    Value offsets = arange(0, 32).col() * 32 + arange(0, 32).row();
    Value acc = forRange(0, 4, 1, {zeros({32, 32}, DType::F32)},
                         [&](const Value &, const std::vector<Value> &carried) {
                           Value a = load(k.arg("q") + offsets);
                           return std::vector<Value>{dot(a, a, carried[0])};
                         },
                         LoopOptions{3})[0];
    store(k.arg("x") + offsets, acc);
  });
  kernel.name = "dot_loop";
  Expected<BuiltKernel> built = build(kernel);
  ASSERT_TRUE(built) << built.error().message();
  EXPECT_TRUE(containsAll(built->irText(), {"\"tile.dot\"", "tile.num_stages = 3 : i32",
                                            "tensor<32x32xf8E4M3FN>", "tensor<32x32xf32>"}));
}

//===----------------------------------------------------------------------===//
// Tensor descriptors and transposition
//===----------------------------------------------------------------------===//

TEST(DslBuild, TensorDescriptorLoadAndTransposeRecordTheirOps) {
  KernelDefinition kernel = misuseKernel([](const KernelScope &k) {
    TensorDescriptor x = tensorDescriptor(k.arg("x"), {k.arg("n"), 64}, {64, 1}, {32, 64});
    EXPECT_TRUE(x.valid());
    EXPECT_EQ(x.blockShape(), (std::vector<int64_t>{32, 64}));
    EXPECT_EQ(x.dtype(), DType::F32);
    EXPECT_EQ(x.rank(), 2);
    EXPECT_EQ(x.str(), "tensordesc<32x64xf32>");
    Value block = x.load({programId(0) * 32, 0});
    EXPECT_EQ(block.type(), (ValueType{DType::F32, false, {32, 64}}));
    Value t = block.T();
    EXPECT_EQ(t.shape(), (std::vector<int64_t>{64, 32}));
    store(k.arg("x") + (arange(0, 64).col() * 32 + arange(0, 32).row()), t);

    TensorDescriptor q = tensorDescriptor(k.arg("q"), {k.arg("n")}, {1}, {128});
    Value row = transpose(q.load({k.arg("n") - 128}).row());
    store(k.arg("q") + arange(0, 128).col(), row);
  });
  kernel.name = "descriptors";
  Expected<BuiltKernel> built = build(kernel);
  ASSERT_TRUE(built) << built.error().message();
  EXPECT_TRUE(
      containsAll(built->irText(),
                  {"\"tile.make_tensor_descriptor\"", "operandSegmentSizes = array<i32: 1, 2, 2>",
                   "(!tile.ptr<f32>, i32, i32, i32, i32) -> !tile.tensordesc<tensor<32x64xf32>>",
                   "\"tile.descriptor_load\"",
                   "(!tile.tensordesc<tensor<32x64xf32>>, i32, i32) -> "
                   "tensor<32x64xf32>",
                   "\"tile.transpose\"", "(tensor<32x64xf32>) -> tensor<64x32xf32>",
                   // Integers become i32 constants.
                   "<{value = 64 : i32}> : () -> i32", "<{value = 1 : i32}> : () -> i32",
                   "(!tile.ptr<f8E4M3FN>, i32, i32) -> !tile.tensordesc<tensor<128xf8E4M3FN>>",
                   "(!tile.tensordesc<tensor<128xf8E4M3FN>>, i32) -> tensor<128xf8E4M3FN>",
                   "(tensor<1x128xf8E4M3FN>) -> tensor<128x1xf8E4M3FN>"}));
}

TEST(DslMisuse, DescriptorShapeAndStridesOfTheWrongLength) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    tensorDescriptor(k.arg("x"), {k.arg("n")}, {64, 1}, {32, 64});
  }));
  EXPECT_TRUE(failsAt(built, line,
                      {": tensorDescriptor: ", "a block of rank 2 needs 2 shape and "
                                               "2 stride entries, got 1 and 2"}));
}

TEST(DslMisuse, DescriptorOfANumber) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    tensorDescriptor(k.arg("n"), {k.arg("n")}, {1}, {128});
  }));
  EXPECT_TRUE(
      failsAt(built, line, {": tensorDescriptor: ", "base must be one pointer", "got i32"}));
}

TEST(DslMisuse, DescriptorOfATileOfPointers) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value ptrs = k.arg("x") + arange(0, 128);
    line = __LINE__ + 1;
    tensorDescriptor(ptrs, {k.arg("n")}, {1}, {128});
  }));
  EXPECT_TRUE(failsAt(built, line,
                      {": tensorDescriptor: ", "base must be one pointer", "tile<128xptr<f32>>"}));
}

TEST(DslMisuse, DescriptorShapeOfAnotherIntegerType) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    Value wide = k.arg("n").to(DType::I64);
    line = __LINE__ + 1;
    tensorDescriptor(k.arg("x"), {wide}, {1}, {128});
  }));
  EXPECT_TRUE(failsAt(built, line,
                      {": tensorDescriptor: ", "shape[0] is i64",
                       "it must be an i32 scalar; convert with .to(i32)"}));
}

TEST(DslMisuse, DescriptorStrideThatIsATile) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    tensorDescriptor(k.arg("x"), {k.arg("n"), 64}, {64, arange(0, 2)}, {32, 64});
  }));
  EXPECT_TRUE(
      failsAt(built, line,
              {": tensorDescriptor: ", "strides[1] is tile<2xi32>", "it must be an i32 scalar"}));
}

TEST(DslMisuse, DescriptorShapeThatIsAFloatingPointNumber) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    tensorDescriptor(k.arg("x"), {2.5}, {1}, {128});
  }));
  EXPECT_TRUE(failsAt(built, line,
                      {": tensorDescriptor: ", "shape[0] is the floating-point "
                                               "number 2.5"}));
}

TEST(DslMisuse, DescriptorShapeBeyondI32) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    tensorDescriptor(k.arg("x"), {int64_t(1) << 40}, {1}, {128});
  }));
  EXPECT_TRUE(failsAt(built, line,
                      {": tensorDescriptor: ", "shape[0] = 1099511627776 exceeds "
                                               "the i32 range"}));
}

TEST(DslMisuse, DescriptorOfNegativeExtent) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    tensorDescriptor(k.arg("x"), {-4}, {1}, {128});
  }));
  EXPECT_TRUE(failsAt(built, line, {": tensorDescriptor: ", "shape[0] is -4", "not negative"}));
}

TEST(DslMisuse, DescriptorBlockOfRankZeroOrSix) {
  int line = 0;
  Expected<BuiltKernel> scalar = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    tensorDescriptor(k.arg("x"), {}, {}, {});
  }));
  EXPECT_TRUE(
      failsAt(scalar, line, {": tensorDescriptor: ", "block shape [] has rank 0", "rank 1 to 5"}));
  Expected<BuiltKernel> six = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    tensorDescriptor(k.arg("x"), {1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 2, 2});
  }));
  EXPECT_TRUE(failsAt(six, line,
                      {": tensorDescriptor: ",
                       "block shape [2, 2, 2, 2, 2, 2] has "
                       "rank 6",
                       "rank 1 to 5"}));
}

TEST(DslMisuse, DescriptorBlockThatIsNotAPowerOfTwo) {
  int line = 0;
  Expected<BuiltKernel> odd = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    tensorDescriptor(k.arg("x"), {k.arg("n"), 64}, {64, 1}, {32, 48});
  }));
  EXPECT_TRUE(
      failsAt(odd, line, {": tensorDescriptor: ", "block shape [32, 48]", "not a power of two"}));
  Expected<BuiltKernel> empty = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    tensorDescriptor(k.arg("x"), {k.arg("n")}, {1}, {0});
  }));
  EXPECT_TRUE(
      failsAt(empty, line, {": tensorDescriptor: ", "block shape [0]", "not a power of two"}));
}

TEST(DslMisuse, DescriptorLoadWithTheWrongNumberOfIndices) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    TensorDescriptor x = tensorDescriptor(k.arg("x"), {k.arg("n"), 64}, {64, 1}, {32, 64});
    line = __LINE__ + 1;
    Value block = x.load({0});
  }));
  EXPECT_TRUE(failsAt(
      built, line, {": TensorDescriptor::load: ", "tensordesc<32x64xf32> needs 2 indices, got 1"}));
}

TEST(DslMisuse, DescriptorLoadAtATileOfIndices) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    TensorDescriptor x = tensorDescriptor(k.arg("x"), {k.arg("n"), 64}, {64, 1}, {32, 64});
    line = __LINE__ + 1;
    Value block = x.load({0, arange(0, 64)});
  }));
  EXPECT_TRUE(failsAt(
      built, line,
      {": TensorDescriptor::load: ", "indices[1] is tile<64xi32>", "it must be an i32 scalar"}));
}

TEST(DslMisuse, EmptyDescriptor) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    TensorDescriptor never;
    line = __LINE__ + 1;
    Value block = never.load({0});
  }));
  EXPECT_TRUE(failsAt(built, line, {": TensorDescriptor::load: ", "TensorDescriptor is empty"}));
}

TEST(DslMisuse, DescriptorUsedAfterTheLoopThatMadeIt) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    TensorDescriptor leaked;
    forRange(0, 4, 1, {}, [&](const Value &, const std::vector<Value> &) {
      leaked = tensorDescriptor(k.arg("x"), {k.arg("n")}, {1}, {128});
      return std::vector<Value>{};
    });
    line = __LINE__ + 1;
    Value block = leaked.load({0});
  }));
  EXPECT_TRUE(failsAt(built, line,
                      {": TensorDescriptor::load: ", "tensordesc<128xf32>", "forRange loop body",
                       "make it before the loop"}));
}

TEST(DslMisuse, TransposeOfA1DTile) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    line = __LINE__ + 1;
    Value t = arange(0, 128).T();
  }));
  EXPECT_TRUE(failsAt(built, line, {": transpose: ", "transposes 2-D tiles, got tile<128xi32>"}));
}

TEST(DslMisuse, TransposeOfAScalar) {
  int line = 0;
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &k) {
    line = __LINE__ + 1;
    Value t = transpose(k.arg("n"));
  }));
  EXPECT_TRUE(failsAt(built, line, {": transpose: ", "transposes 2-D tiles, got i32"}));
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

TEST(DslConstants, ResolveFillsDefaults) {
  Expected<Constants> resolved = resolveConstants(scaleAddKernel(), {});
  ASSERT_TRUE(resolved) << resolved.error().message();
  EXPECT_EQ(*resolved, (Constants{{"BLOCK", 128}}));
  Expected<Constants> given = resolveConstants(scaleAddKernel(), {{"BLOCK", 256}});
  ASSERT_TRUE(given) << given.error().message();
  EXPECT_EQ(*given, (Constants{{"BLOCK", 256}}));
}

TEST(DslConstants, ResolveRejectsUnknownConstant) {
  Expected<Constants> resolved = resolveConstants(scaleAddKernel(), {{"BLOCK_M", 64}});
  ASSERT_FALSE(resolved);
  EXPECT_TRUE(containsAll(resolved.error().message(),
                          {"scale_add", "no constant 'BLOCK_M'", "constants: BLOCK"}));
}

TEST(DslConstants, ResolveNamesNoConstantsWhenThereAreNone) {
  KernelDefinition kernel = scaleAddKernel();
  kernel.constants.clear();
  Expected<Constants> resolved = resolveConstants(kernel, {{"BLOCK", 64}});
  ASSERT_FALSE(resolved);
  EXPECT_TRUE(containsAll(resolved.error().message(), {"no constant 'BLOCK'", "none"}));
}

TEST(DslConstants, BuildRejectsUnknownConstant) {
  bool bodyRan = false;
  KernelDefinition kernel = misuseKernel([&](const KernelScope &) { bodyRan = true; });
  Expected<BuiltKernel> built = build(kernel, {{"BLOKC", 64}});
  ASSERT_FALSE(built);
  EXPECT_TRUE(containsAll(built.error().message(), {"misuse", "no constant 'BLOKC'", "BLOCK"}));
  EXPECT_FALSE(bodyRan);
}

//===----------------------------------------------------------------------===//
// The thread's trace state
//===----------------------------------------------------------------------===//

TEST(DslTraceState, OperationOutsideABodyThrows) {
  int line = __LINE__ + 2;
  try {
    Value id = programId(0);
    FAIL() << "programId outside a body returned a Value";
  } catch (const Error &error) {
    EXPECT_TRUE(
        containsAll(error.message(), {locationOf(line), "programId", "outside a kernel body"}));
  }
}

TEST(DslTraceState, OperatorOutsideABodyThrows) {
  // A Value kept from a finished build is as unusable as no Value at all.
  Value kept;
  ASSERT_TRUE(build(misuseKernel([&](const KernelScope &) { kept = arange(0, 128); })));
  ASSERT_TRUE(kept.valid());
  EXPECT_THROW(kept + 1, Error);
}

TEST(DslTraceState, ValueFromAnotherBuildIsRejected) {
  // Values keep a pointer to the trace that made them; a later build may
  // reuse the same address, so the check must not rely on it alone.
  Value stale;
  ASSERT_TRUE(build(misuseKernel([&](const KernelScope &) { stale = arange(0, 128); })));
  for (int attempt = 0; attempt < 3; ++attempt) {
    int line = 0;
    Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
      line = __LINE__ + 1;
      Value v = stale + 1;
    }));
    EXPECT_TRUE(failsAt(built, line, {": +: ", "another kernel's body"}));
  }
}

TEST(DslTraceState, DescriptorFromAFinishedBuildIsRejected) {
  TensorDescriptor kept;
  ASSERT_TRUE(build(misuseKernel([&](const KernelScope &k) {
    kept = tensorDescriptor(k.arg("x"), {k.arg("n")}, {1}, {128});
  })));
  ASSERT_TRUE(kept.valid());
  // Outside any body...
  int line = __LINE__ + 2;
  try {
    Value block = kept.load({0});
    FAIL() << "a descriptor of a finished build loaded a block";
  } catch (const Error &error) {
    EXPECT_TRUE(containsAll(error.message(),
                            {locationOf(line), "TensorDescriptor::load", "outside a kernel body"}));
  }
  // ... and inside another one.
  Expected<BuiltKernel> built = build(misuseKernel([&](const KernelScope &) {
    line = __LINE__ + 1;
    Value block = kept.load({0});
  }));
  EXPECT_TRUE(failsAt(built, line, {": TensorDescriptor::load: ", "another kernel's body"}));
}

TEST(DslTraceState, ValueOfAnEnclosingBuildIsRejectedInANestedBuild) {
  // A body may build another kernel (a helper specializing a sub-kernel, say);
  // the outer body's Values do not belong to the inner one, and the outer
  // body carries on once the inner build returns.
  int line = 0;
  std::string innerError;
  Expected<BuiltKernel> outer = build(misuseKernel([&](const KernelScope &k) {
    Value offsets = arange(0, 128);
    Expected<BuiltKernel> inner = build(misuseKernel([&](const KernelScope &) {
      line = __LINE__ + 1;
      Value v = offsets + 1;
    }));
    if (!inner)
      innerError = inner.error().message();
    store(k.arg("xi") + offsets, offsets);
  }));
  ASSERT_TRUE(outer) << outer.error().message();
  EXPECT_TRUE(containsAll(innerError, {locationOf(line), "another kernel's body"}));
  EXPECT_TRUE(containsAll(outer->irText(), {"\"tile.store\""}));
}

TEST(DslTraceState, OtherExceptionsPropagateAndLeaveTheThreadUsable) {
  // An exception that is not a tessel::Error is the body's own business: it
  // reaches the caller unchanged, and the thread is left outside any body.
  KernelDefinition throwing = misuseKernel([](const KernelScope &) {
    Value range = arange(0, 128);
    throw std::runtime_error("body gave up");
  });
  EXPECT_THROW(
      {
        try {
          (void)build(throwing);
        } catch (const std::runtime_error &error) {
          EXPECT_STREQ(error.what(), "body gave up");
          throw;
        }
      },
      std::runtime_error);

  // No trace may be left active: an operation here must report that it is
  // outside a body rather than record into a destroyed trace.
  EXPECT_THROW(programId(0), Error);

  Expected<BuiltKernel> built = build(scaleAddKernel());
  ASSERT_TRUE(built) << built.error().message();
  EXPECT_TRUE(containsAll(built->irText(), {"\"tile.store\""}));
}

TEST(DslTraceState, ExceptionInsideALoopBodyLeavesTheThreadUsable) {
  // Unwinding out of a half-built scf.for must not corrupt the IR teardown.
  KernelDefinition throwing = misuseKernel([](const KernelScope &) {
    forRange(0, 4, 1, {zeros({128}, DType::F32)},
             [](const Value &, const std::vector<Value> &carried) -> std::vector<Value> {
               Value partial = carried[0] * 2;
               throw std::logic_error("loop body gave up");
             });
  });
  EXPECT_THROW((void)build(throwing), std::logic_error);
  EXPECT_THROW(programId(0), Error);
  Expected<BuiltKernel> built = build(loopSumKernel());
  ASSERT_TRUE(built) << built.error().message();
}

TEST(DslTraceState, FailedBuildLeavesTheThreadUsable) {
  Expected<BuiltKernel> failed =
      build(misuseKernel([](const KernelScope &) { Value range = arange(0, 100); }));
  ASSERT_FALSE(failed);
  EXPECT_THROW(programId(0), Error);
  Expected<BuiltKernel> built = build(scaleAddKernel());
  ASSERT_TRUE(built) << built.error().message();
}

} // namespace
} // namespace tessel::dsl

namespace {

/// The identity in every cache key names both versions and the digest of
/// the compiler's sources (cmake/CompilerSourceDigest.cmake; the script's
/// own test checks that a changed source changes the digest).
TEST(CompilerIdentity, NamesVersionsAndTheSourceDigest) {
  std::string identity(tessel::compilerIdentity());
  EXPECT_TRUE(identity.starts_with("tessel-")) << identity;
  EXPECT_NE(identity.find("+llvm-"), std::string::npos) << identity;
  size_t digest = identity.find("+src-");
  ASSERT_NE(digest, std::string::npos) << identity;
  std::string hex = identity.substr(digest + 5);
  EXPECT_EQ(hex.size(), 16u) << identity;
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos) << identity;
  EXPECT_NE(hex, std::string(16, '0')) << identity;
  EXPECT_EQ(tessel::compilerIdentity(), identity);
}

} // namespace
