// tile.dot for every operand type it takes, on every target, with and without
// pipelined loads, compiles to PTX that ptxas accepts: bf16/f16 on sm_80,
// fp8 on sm_89 (the fp8 instruction) and widened to f16 on sm_80 and sm_90a.
// CI has no GPU; this is what it can check of the code paths the GPU tests
// run (tests/gpu/kernels/DotGpuTest.cpp).
#include "../common/DotKernel.h"

#include "tessel/dsl/Jit.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <tuple>

#include <unistd.h>

namespace tessel::kernels {
namespace {

using DotPtxParam = std::tuple<std::pair<DType, DType>, std::string, int>;

class DotPtxTest : public ::testing::TestWithParam<DotPtxParam> {};

TEST_P(DotPtxTest, PtxasAcceptsIt) {
  auto [types, arch, stages] = GetParam();
  const dsl::KernelDefinition &kernel = test::dotKernel(types.first, types.second);
  // Pointers aligned to 16 bytes and k divisible by 16, as a launch on such
  // tensors specializes: the loads are then pipelined.
  dsl::Specialization specialization;
  specialization.divisibleBy16.assign(kernel.params.size(), true);
  Expected<dsl::BuiltKernel> built =
      dsl::build(kernel, {{"BLOCK_K", 64}, {"NUM_STAGES", stages}}, specialization);
  ASSERT_TRUE(built) << built.error().message();
  CompileOptions options;
  options.arch = arch;
  options.numWarps = 4;
  Expected<CompiledKernel> compiled = built->compile(options);
  ASSERT_TRUE(compiled) << compiled.error().message();
  if (stages > 1)
    EXPECT_NE(compiled->ptx.find("cp.async"), std::string::npos) << "loads not pipelined";

  // ctest runs the cases in parallel processes: each writes files of its own.
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("tessel-dot-ptx-{}", ::getpid());
  std::filesystem::create_directories(dir);
  std::string stem = fmt::format("{}.{}.s{}", kernel.name, arch, stages);
  std::filesystem::path ptx = dir / (stem + ".ptx"), cubin = dir / (stem + ".cubin");
  std::ofstream(ptx) << compiled->ptx;
  std::string command = std::string(TESSEL_PTXAS_PATH) + " -arch=" + arch + " " + ptx.string() +
                        " -o " + cubin.string() + " 2>&1";
  FILE *pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe))
    output += buffer;
  EXPECT_EQ(pclose(pipe), 0) << command << "\n" << output;
  std::filesystem::remove_all(dir);
}

std::string paramName(const ::testing::TestParamInfo<DotPtxParam> &info) {
  auto [types, arch, stages] = info.param;
  return fmt::format("{}_{}_{}_s{}", name(types.first), name(types.second), arch, stages);
}

INSTANTIATE_TEST_SUITE_P(
    Types, DotPtxTest,
    ::testing::Combine(::testing::Values(std::pair{DType::BF16, DType::BF16},
                                         std::pair{DType::F16, DType::F16},
                                         std::pair{DType::F8E4M3, DType::F8E4M3},
                                         std::pair{DType::F8E5M2, DType::F8E5M2},
                                         std::pair{DType::F8E4M3, DType::F8E5M2}),
                       ::testing::Values("sm_80", "sm_89", "sm_90a"), ::testing::Values(1, 3)),
    paramName);

} // namespace
} // namespace tessel::kernels
