// Loading PTX and querying kernels on a real GPU (tessel/runtime/Module.h).

#include "GpuTest.h"
#include "KernelsPtx.h"

#include "tessel/runtime/Module.h"

namespace tessel::runtime {
namespace {

using ModuleGpuTest = GpuTest;

TEST_F(ModuleGpuTest, LoadsPtxAndFindsKernels) {
  Expected<Module> module = Module::loadPtx(test::kTestKernelsPtx, "runtime-test-kernels");
  ASSERT_TRUE(module) << module.error().message();
  EXPECT_EQ(module->name(), "runtime-test-kernels");
  Expected<Function> kernel = module->function("write_index");
  ASSERT_TRUE(kernel) << kernel.error().message();
  EXPECT_TRUE(kernel->valid());
  EXPECT_EQ(kernel->name(), "write_index");
  Expected<int> registers = kernel->numRegisters();
  ASSERT_TRUE(registers) << registers.error().message();
  EXPECT_GT(*registers, 0);
  EXPECT_LT(*registers, 32);
  EXPECT_EQ(kernel->localBytes().value(), 0);
  EXPECT_EQ(kernel->staticSharedBytes().value(), 0);
  EXPECT_EQ(kernel->maxThreadsPerBlock().value(), 1024);
}

TEST_F(ModuleGpuTest, FunctionKeepsItsModuleLoaded) {
  Function kernel;
  {
    Expected<Module> module = Module::loadPtx(test::kTestKernelsPtx, "scoped");
    ASSERT_TRUE(module);
    kernel = module->function("empty").value();
  }
  EXPECT_TRUE(kernel.numRegisters()) << "the module was unloaded under its kernel";
}

TEST_F(ModuleGpuTest, MissingKernelNamesItAndTheModule) {
  Expected<Module> module = Module::loadPtx(test::kTestKernelsPtx, "runtime-test-kernels");
  ASSERT_TRUE(module);
  Expected<Function> kernel = module->function("no_such_kernel");
  ASSERT_FALSE(kernel);
  const std::string message = kernel.error().message();
  EXPECT_NE(message.find("kernel no_such_kernel not found in module runtime-test-kernels"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("CUDA_ERROR_NOT_FOUND"), std::string::npos) << message;
}

TEST_F(ModuleGpuTest, BrokenPtxErrorIncludesTheJitLog) {
  Expected<Module> module = Module::loadPtx(test::kBrokenPtx, "broken-module");
  ASSERT_FALSE(module);
  const std::string message = module.error().message();
  std::printf("%s\n", message.c_str());
  EXPECT_NE(message.find("cuModuleLoadDataEx of PTX failed for module broken-module"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("CUDA_ERROR_INVALID_PTX"), std::string::npos) << message;
  EXPECT_NE(message.find("JIT error log:"), std::string::npos) << message;
  EXPECT_NE(message.find("%undeclared_register"), std::string::npos) << message;
}

TEST_F(ModuleGpuTest, EmptyInputsAreErrors) {
  EXPECT_FALSE(Module::loadPtx("", "empty"));
  EXPECT_FALSE(Module::loadImage("", "empty"));
}

TEST_F(ModuleGpuTest, DynamicSharedMemoryOptIn) {
  Expected<Module> module = Module::loadPtx(test::kTestKernelsPtx, "runtime-test-kernels");
  ASSERT_TRUE(module);
  Function kernel = module->function("empty").value();
  EXPECT_TRUE(kernel.setMaxDynamicSharedMemory(device().maxSharedMemoryPerBlockOptin()));
  Status tooMuch = kernel.setMaxDynamicSharedMemory(device().maxSharedMemoryPerBlockOptin() + 1);
  ASSERT_FALSE(tooMuch);
  EXPECT_NE(tooMuch.error().message().find("for kernel empty"), std::string::npos)
      << tooMuch.error().message();
  EXPECT_NE(tooMuch.error().message().find("CUDA_ERROR_INVALID_VALUE"), std::string::npos)
      << tooMuch.error().message();
}

} // namespace
} // namespace tessel::runtime
