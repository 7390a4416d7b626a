// The shipped kernels compiled to PTX from many threads at once give the PTX
// of a compile on one thread: the trace to PTX step of the JIT (build, then
// BuiltKernel::compile, as Jit::load and `tessel compile` run it) shares no
// mutable state between compiles, so a sweep may compile its configs on a
// pool of threads. And launches of several configs from many threads on the
// interpreter backend, through one Jit, match sequential ones. No GPU is
// needed.
#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/runtime/Backend.h"
#include "tessel/runtime/Tensor.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace tessel::kernels {
namespace {

/// One kernel configuration and target to compile.
struct CompileJob {
  const dsl::KernelDefinition *kernel;
  dsl::Constants constants;
  unsigned numWarps;
  std::string arch;
  bool aligned = true;

  std::string describe() const {
    std::string text = fmt::format("{} {} warps={}", kernel->name, arch, numWarps);
    for (const auto &[name, value] : constants)
      text += fmt::format(" {}={}", name, value);
    return aligned ? text : text + " unaligned";
  }
};

/// The shipped kernels with their default constants and fp8_gemm in
/// configs that cover its code paths: mma.sync (sm_80) and TMA with wgmma
/// (sm_90a), one and several stages, both main loops (BLOCK_K 64 and 128),
/// the row mask on and off, 4 and 8 warps; and one unaligned specialization.
std::vector<CompileJob> compileJobs() {
  std::vector<CompileJob> jobs;
  for (const dsl::KernelDefinition *kernel : shippedKernels())
    if (kernel != &fp8GemmKernel())
      for (const char *arch : {"sm_80", "sm_90a"})
        jobs.push_back({kernel, {}, kernel->numWarps, arch});
  struct GemmConfig {
    int64_t blockM, blockN, blockK, stages, evenM;
    unsigned warps;
  };
  const GemmConfig gemmConfigs[] = {{64, 128, 128, 2, 1, 4}, {32, 64, 64, 1, 0, 4},
                                    {128, 128, 128, 4, 1, 8}, {16, 64, 128, 2, 0, 4}};
  for (const GemmConfig &config : gemmConfigs)
    for (const char *arch : {"sm_80", "sm_90a"})
      jobs.push_back({&fp8GemmKernel(),
                      {{"BLOCK_M", config.blockM},
                       {"BLOCK_N", config.blockN},
                       {"BLOCK_K", config.blockK},
                       {"NUM_STAGES", config.stages},
                       {"EVEN_M", config.evenM}},
                      config.warps,
                      arch});
  jobs.push_back({&fp8GemmKernel(), {}, 4, "sm_90a", /*aligned=*/false});
  return jobs;
}

/// The PTX of `job`, or the compile's error message prefixed by "error: ".
std::string compileToPtx(const CompileJob &job) {
  dsl::Specialization specialization;
  specialization.divisibleBy16.assign(job.kernel->params.size(), job.aligned);
  Expected<dsl::BuiltKernel> built = dsl::build(*job.kernel, job.constants, specialization);
  if (!built)
    return "error: " + built.error().message();
  CompileOptions options;
  options.arch = job.arch;
  options.numWarps = job.numWarps;
  Expected<CompiledKernel> compiled = built->compile(options);
  if (!compiled)
    return "error: " + compiled.error().message();
  return compiled->ptx;
}

class ParallelCompile : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    jobs_ = new std::vector<CompileJob>(compileJobs());
    sequential_ = new std::vector<std::string>();
    for (const CompileJob &job : *jobs_)
      sequential_->push_back(compileToPtx(job));
  }
  static void TearDownTestSuite() {
    delete jobs_;
    delete sequential_;
  }

  /// Compiles `work` (indices into the jobs) on `threads` threads pulling
  /// from one queue; returns the PTX per work item.
  static std::vector<std::string> compileConcurrently(const std::vector<size_t> &work,
                                                      unsigned threads) {
    std::vector<std::string> ptx(work.size());
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        for (size_t i = next++; i < work.size(); i = next++)
          ptx[i] = compileToPtx((*jobs_)[work[i]]);
      });
    for (std::thread &thread : pool)
      thread.join();
    return ptx;
  }

  static std::vector<CompileJob> *jobs_;
  static std::vector<std::string> *sequential_;
};

std::vector<CompileJob> *ParallelCompile::jobs_ = nullptr;
std::vector<std::string> *ParallelCompile::sequential_ = nullptr;

TEST_F(ParallelCompile, SequentialCompilesSucceedAndRepeat) {
  for (size_t i = 0; i < jobs_->size(); ++i) {
    SCOPED_TRACE((*jobs_)[i].describe());
    EXPECT_EQ((*sequential_)[i].rfind("error: ", 0), std::string::npos) << (*sequential_)[i];
    EXPECT_NE((*sequential_)[i].find(".entry"), std::string::npos);
  }
  // The reference must itself be deterministic for the comparisons below to
  // mean anything.
  EXPECT_EQ(compileToPtx(jobs_->back()), sequential_->back());
}

TEST_F(ParallelCompile, DifferentKernelsAndConfigsFromEightThreadsGiveTheSequentialPtx) {
  // Every job twice, in a shuffled order, so that each thread meets
  // different kernels and the same job runs on two threads, often at once.
  std::vector<size_t> work;
  for (int repeat = 0; repeat < 2; ++repeat)
    for (size_t i = 0; i < jobs_->size(); ++i)
      work.push_back(i);
  std::shuffle(work.begin(), work.end(), std::mt19937(15));
  std::vector<std::string> ptx = compileConcurrently(work, 8);
  for (size_t i = 0; i < work.size(); ++i) {
    SCOPED_TRACE((*jobs_)[work[i]].describe());
    EXPECT_TRUE(ptx[i] == (*sequential_)[work[i]])
        << "the concurrent compile differs from the sequential one";
  }
}

TEST_F(ParallelCompile, OneConfigFromEightThreadsAtOnceGivesTheSequentialPtx) {
  // The default fp8_gemm for sm_90a (TMA, wgmma), the largest compile.
  auto job = std::find_if(jobs_->begin(), jobs_->end(), [](const CompileJob &j) {
    return j.kernel == &fp8GemmKernel() && j.arch == "sm_90a" && j.aligned;
  });
  ASSERT_NE(job, jobs_->end());
  size_t index = size_t(job - jobs_->begin());
  std::vector<std::string> ptx = compileConcurrently(std::vector<size_t>(8, index), 8);
  for (const std::string &text : ptx)
    EXPECT_TRUE(text == (*sequential_)[index]) << job->describe();
}

/// Launches weight_dequant in three configs (BLOCK_M) from eight threads at
/// once through one interpreter-backed Jit: each config is built once, and
/// every output is the sequential launch's.
TEST(ConcurrentInterpreterLaunch, ThreadsLaunchingSeveralConfigsMatchSequentialLaunches) {
  ASSERT_TRUE(runtime::setBackend(runtime::Backend::Interpreter));
  std::unique_ptr<dsl::Jit> jit = dsl::Jit::create().value();
  constexpr int64_t kRows = 256, kCols = 256;
  std::vector<uint8_t> codes(kRows * kCols);
  for (size_t i = 0; i < codes.size(); ++i)
    codes[i] = uint8_t((i * 37) % 251); // no 0x7f/0xff: NaN codes
  const std::vector<float> scales = {0.5f, 2.0f, 0.25f, 4.0f};
  runtime::Tensor q = runtime::Tensor::empty(DType::F8E4M3, {kRows, kCols}).value();
  q.copyFromHost(codes).check();
  runtime::Tensor s = runtime::Tensor::empty(DType::F32, {kRows / 128, kCols / 128}).value();
  s.copyFromHost(scales).check();

  const int64_t blockRows[] = {16, 32, 64};
  auto launch = [&](int64_t rowsPerProgram) -> std::vector<uint16_t> {
    runtime::Tensor out = runtime::Tensor::empty(DType::BF16, {kRows, kCols}).value();
    dsl::LaunchSpec spec;
    spec.constants = {{"BLOCK_M", rowsPerProgram}};
    spec.grid = {unsigned(kRows / rowsPerProgram * (kCols / 128)), 1, 1};
    std::vector<dsl::LaunchArg> args = {q.view(), s.view(), out.view(),
                                        dsl::LaunchArg::i32(int32_t(kRows)),
                                        dsl::LaunchArg::i32(int32_t(kCols))};
    if (Status launched = jit->launch(weightDequantKernel(), spec, args); !launched)
      return {};
    std::vector<uint16_t> host(kRows * kCols);
    out.copyToHost(host).check();
    return host;
  };

  std::vector<std::vector<uint16_t>> sequential;
  for (int64_t rows : blockRows)
    sequential.push_back(launch(rows));
  for (const std::vector<uint16_t> &output : sequential)
    ASSERT_FALSE(output.empty()) << "a sequential launch failed";
  EXPECT_EQ(jit->stats().compiles.load(), 3u);
  jit = dsl::Jit::create().value(); // built kernels forgotten: the threads build them

  constexpr int kThreads = 8, kRepeats = 2;
  std::vector<std::vector<uint16_t>> outputs(kThreads * kRepeats);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRepeats; ++r)
        outputs[t * kRepeats + r] = launch(blockRows[(t + r) % 3]);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    for (int r = 0; r < kRepeats; ++r)
      EXPECT_TRUE(outputs[t * kRepeats + r] == sequential[(t + r) % 3])
          << "thread " << t << ", launch " << r << " (BLOCK_M=" << blockRows[(t + r) % 3] << ")";
  EXPECT_EQ(jit->stats().compiles.load(), 3u) << "each config is built once";
  EXPECT_EQ(jit->stats().memoryHits.load(), uint64_t(kThreads * kRepeats - 3));

  // The interpreter loads no GPU functions: every request says so, in order.
  std::vector<dsl::LoadRequest> requests(2, {&weightDequantKernel(), {}, {}, 0});
  std::vector<Expected<dsl::LoadedKernel>> loaded = jit->precompile(requests, 2);
  ASSERT_EQ(loaded.size(), 2u);
  for (const Expected<dsl::LoadedKernel> &result : loaded) {
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("interpreter backend"), std::string::npos);
  }
}

} // namespace
} // namespace tessel::kernels
