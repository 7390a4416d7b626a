// Speed of the tile interpreter: act_quant on 4096 x 7168 bf16 activations on
// the host's cores. Usage: tessel-bench-interpreter [--threads N]
#include "tessel/dsl/Kernel.h"
#include "tessel/kernels/Definitions.h"

#include <fmt/format.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>

using namespace tessel;

int main(int argc, char **argv) {
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (argc == 3 && std::string(argv[1]) == "--threads")
    threads = unsigned(std::stoul(argv[2]));
  constexpr int64_t kM = 4096, kK = 7168;
  std::vector<uint16_t> x(kM * kK);
  std::mt19937 rng(1);
  for (uint16_t &v : x)
    v = uint16_t(0x3C00 + rng() % 0x0800); // bf16 values in [2^-7, 2)
  std::vector<uint8_t> y(x.size());
  std::vector<float> s(kM * kK / 128);
  dsl::BuiltKernel kernel = dsl::build(kernels::actQuantKernel()).value();
  int64_t blocksPerProgram =
      dsl::resolveConstants(kernels::actQuantKernel(), {}).value().at("ROWS");
  InterpreterArg args[] = {InterpreterArg::hostPointer(x.data()),
                           InterpreterArg::hostPointer(y.data()),
                           InterpreterArg::hostPointer(s.data()), InterpreterArg::i32(kM),
                           InterpreterArg::i32(kK)};
  MemoryRegion regions[] = {{x.data(), x.size() * 2, "x"},
                            {y.data(), y.size(), "y"},
                            {s.data(), s.size() * 4, "s"}};
  InterpretOptions options;
  options.grid = {unsigned(kM * (kK / 128) / blocksPerProgram), 1, 1};
  options.threads = threads;
  double best = 1e30;
  for (int run = 0; run < 3; ++run) {
    auto begin = std::chrono::steady_clock::now();
    kernel.interpret(args, regions, options).check();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
                              .count());
  }
  fmt::print("interpreter act_quant {}x{} bf16 on {} threads: {:.3f} s (best of 3)\n", kM, kK,
             threads, best);
  return 0;
}
