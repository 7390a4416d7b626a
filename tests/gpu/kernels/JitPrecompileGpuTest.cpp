// Jit::precompile and concurrent Jit::load on the GPU: a sweep's fp8_gemm
// configs compile on a pool of threads into loadable kernels, each once, and
// a second precompile is served from memory. GPU backend only.
#include "KernelTestSupport.h"
#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/runtime/Backend.h"

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace tessel::kernels {
namespace {

class JitParallelCompileGpuTest : public test::KernelBackendTest {
protected:
  void SetUp() override {
    test::KernelBackendTest::SetUp();
    if (IsSkipped())
      return;
    if (runtime::activeBackend() == runtime::Backend::Interpreter)
      GTEST_SKIP() << "GPU backend only: the interpreter compiles nothing";
    // A cache of its own, so that every config compiles.
    directory_ = std::filesystem::temp_directory_path() /
                 fmt::format("tessel-jit-precompile-test-{}", ::getpid());
    std::filesystem::remove_all(directory_);
    options_.cacheDirectory = directory_.string();
  }
  void TearDown() override {
    if (!directory_.empty())
      std::filesystem::remove_all(directory_);
  }

  /// fp8_gemm with every argument aligned, in a few configs of its space.
  static std::vector<dsl::LoadRequest> gemmRequests() {
    dsl::Specialization aligned;
    aligned.divisibleBy16.assign(fp8GemmKernel().params.size(), true);
    struct Config {
      int64_t blockM, blockN, blockK, stages;
      unsigned warps;
    };
    const Config configs[] = {{64, 128, 128, 2, 4}, {32, 64, 64, 1, 4}, {128, 128, 128, 4, 8},
                              {16, 64, 128, 2, 4}, {64, 64, 128, 4, 4}};
    std::vector<dsl::LoadRequest> requests;
    for (const Config &config : configs)
      requests.push_back({&fp8GemmKernel(),
                          {{"BLOCK_M", config.blockM},
                           {"BLOCK_N", config.blockN},
                           {"BLOCK_K", config.blockK},
                           {"NUM_STAGES", config.stages}},
                          aligned,
                          config.warps});
    return requests;
  }

  std::filesystem::path directory_;
  dsl::JitOptions options_;
};

TEST_F(JitParallelCompileGpuTest, PrecompileLoadsEveryConfigOnceAndThenFromMemory) {
  std::unique_ptr<dsl::Jit> jit = dsl::Jit::create(options_).value();
  std::vector<dsl::LoadRequest> requests = gemmRequests();
  const size_t configs = requests.size();
  // The same config twice in one call compiles once.
  requests.push_back(requests.front());

  std::vector<Expected<dsl::LoadedKernel>> loaded = jit->precompile(requests, 4);
  ASSERT_EQ(loaded.size(), requests.size());
  for (size_t i = 0; i < loaded.size(); ++i) {
    ASSERT_TRUE(loaded[i]) << "request " << i << ": " << loaded[i].error().message();
    EXPECT_TRUE(loaded[i]->function.valid());
    Expected<int> registers = loaded[i]->function.numRegisters();
    ASSERT_TRUE(registers) << registers.error().message();
    EXPECT_GT(*registers, 0);
  }
  EXPECT_EQ(loaded.front()->function.handle(), loaded.back()->function.handle())
      << "the repeated request gets the same kernel";
  EXPECT_EQ(jit->stats().compiles.load(), configs);
  EXPECT_EQ(jit->stats().traces.load(), configs);
  EXPECT_EQ(jit->stats().memoryHits.load(), 1u);

  std::vector<Expected<dsl::LoadedKernel>> again = jit->precompile(requests, 0);
  ASSERT_EQ(again.size(), requests.size());
  for (size_t i = 0; i < again.size(); ++i) {
    ASSERT_TRUE(again[i]) << again[i].error().message();
    EXPECT_EQ(again[i]->function.handle(), loaded[i]->function.handle());
  }
  EXPECT_EQ(jit->stats().compiles.load(), configs) << "the second call compiles nothing";
  EXPECT_EQ(jit->stats().memoryHits.load(), 1u + requests.size());

  // A new JIT on the same cache directory finds every binary on disk.
  std::unique_ptr<dsl::Jit> second = dsl::Jit::create(options_).value();
  for (const Expected<dsl::LoadedKernel> &kernel : second->precompile(gemmRequests()))
    EXPECT_TRUE(kernel) << kernel.error().message();
  EXPECT_EQ(second->stats().diskHits.load(), configs);
  EXPECT_EQ(second->stats().compiles.load(), 0u);
}

TEST_F(JitParallelCompileGpuTest, AFailedRequestLeavesTheOthersLoaded) {
  std::unique_ptr<dsl::Jit> jit = dsl::Jit::create(options_).value();
  std::vector<dsl::LoadRequest> requests = gemmRequests();
  requests.resize(2);
  dsl::LoadRequest unknown = requests.front();
  unknown.constants["NO_SUCH_CONSTANT"] = 1;
  requests.insert(requests.begin() + 1, unknown);
  requests.push_back({});

  std::vector<Expected<dsl::LoadedKernel>> loaded = jit->precompile(requests, 3);
  ASSERT_EQ(loaded.size(), 4u);
  EXPECT_TRUE(loaded[0]) << loaded[0].error().message();
  ASSERT_FALSE(loaded[1]);
  EXPECT_NE(loaded[1].error().message().find("NO_SUCH_CONSTANT"), std::string::npos)
      << loaded[1].error().message();
  EXPECT_TRUE(loaded[2]) << loaded[2].error().message();
  ASSERT_FALSE(loaded[3]);
  EXPECT_NE(loaded[3].error().message().find("names no kernel"), std::string::npos);
}

TEST_F(JitParallelCompileGpuTest, ThreadsLoadingOneConfigAtOnceCompileItOnce) {
  std::unique_ptr<dsl::Jit> jit = dsl::Jit::create(options_).value();
  const dsl::LoadRequest request = gemmRequests().front();
  constexpr int kThreads = 8;
  const runtime::Device *device = jit->device();
  ASSERT_NE(device, nullptr);
  std::vector<void *> handles(kThreads, nullptr);
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      if (Status current = device->makeCurrent(); !current) {
        failures[t] = current.error().message();
        return;
      }
      Expected<dsl::LoadedKernel> loaded = jit->load(*request.kernel, request.constants,
                                                     request.specialization, request.numWarps);
      if (loaded)
        handles[t] = loaded->function.handle();
      else
        failures[t] = loaded.error().message();
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], "") << "thread " << t;
    EXPECT_EQ(handles[t], handles[0]) << "thread " << t;
  }
  EXPECT_EQ(jit->stats().compiles.load(), 1u);
  EXPECT_EQ(jit->stats().traces.load(), 1u);
  EXPECT_EQ(jit->stats().memoryHits.load(), uint64_t(kThreads - 1));
}

} // namespace
} // namespace tessel::kernels
