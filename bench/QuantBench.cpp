// Bandwidth of act_quant, weight_quant and weight_dequant beside a
// device-to-device copy in the same run, and the JIT's compile and cache-load
// times. Usage: tessel-bench-quant [--json FILE] [--quick]
//
// GB/s counts the bytes a kernel must move (inputs read + outputs written);
// the copy moves the same number of bytes (half read, half written), so the
// ratio is the kernel's fraction of what the memory system gives a copy.
#include "Timing.h"
#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/kernels/Kernels.h"
#include "tessel/runtime/Buffer.h"
#include "tessel/runtime/Device.h"
#include "tessel/runtime/Module.h"
#include "tessel/runtime/Stream.h"
#include "tessel/runtime/Tensor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <cstring>
#include <random>

#include <unistd.h>

using namespace tessel;
using runtime::Tensor;

namespace {

using bench::medianMs;

/// Whether `value` of constant `name` and `warps` are the kernel's defaults:
/// the one config --quick measures.
bool isDefaultConfig(const dsl::KernelDefinition &kernel, const char *name, int64_t value,
                     unsigned warps) {
  return dsl::resolveConstants(kernel, {}).value().at(name) == value && warps == kernel.numWarps;
}

Tensor randomBf16(std::vector<int64_t> shape) {
  Tensor tensor = Tensor::empty(DType::BF16, std::move(shape)).value();
  std::vector<uint16_t> host(tensor.view().numel());
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (uint16_t &v : host) {
    float f = normal(rng);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    v = uint16_t(bits >> 16);
  }
  tensor.copyFromHost(host).check();
  return tensor;
}

struct Row {
  std::string kernel, shape, config;
  double ms, gbps, copyGbps;
};

double copyGbps(size_t bytesMoved, int repeats) {
  size_t half = bytesMoved / 2;
  runtime::DeviceBuffer a = runtime::DeviceBuffer::allocate(half).value();
  runtime::DeviceBuffer b = runtime::DeviceBuffer::allocate(half).value();
  double ms = medianMs([&] { return runtime::copyDeviceToDeviceAsync(b.devicePtr(), a.devicePtr(), half, nullptr); },
                       repeats);
  return 2.0 * half / ms / 1e6;
}

} // namespace

/// `--first-load DIR`: what a new process pays on its first call of a kernel
/// whose binary is in the disk cache DIR (the device is opened first: that is
/// the driver's cost, not the JIT's). Prints the milliseconds.
int firstLoadFromCache(const std::string &dir) {
  dsl::JitOptions options;
  options.cacheDirectory = dir;
  std::unique_ptr<dsl::Jit> jit = dsl::Jit::create(options).value();
  std::vector<dsl::LaunchArg> args = {dsl::LaunchArg::pointer(256), dsl::LaunchArg::pointer(256),
                                      dsl::LaunchArg::pointer(256), dsl::LaunchArg::i32(128),
                                      dsl::LaunchArg::i32(7168)};
  auto begin = std::chrono::steady_clock::now();
  jit->load(kernels::actQuantKernel(), {}, dsl::Jit::specialize(args),
            kernels::actQuantKernel().numWarps)
      .value();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
  fmt::print("{:.4f} {} {}\n", ms, jit->stats().diskHits.load(), jit->stats().traces.load());
  return 0;
}

int main(int argc, char **argv) {
  bench::disableDriverPtxCache();
  std::string jsonPath;
  bool quick = false;
  if (argc == 3 && std::string(argv[1]) == "--first-load")
    return firstLoadFromCache(argv[2]);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json" && i + 1 < argc)
      jsonPath = argv[++i];
    else if (arg == "--quick")
      quick = true;
    else {
      fmt::print(stderr, "usage: tessel-bench-quant [--json FILE] [--quick]\n");
      return 2;
    }
  }
  Expected<runtime::Device> device = runtime::Device::open(0);
  if (!device) {
    fmt::print(stderr, "tessel-bench-quant needs a GPU: {}\n", device.error().message());
    return 1;
  }
  fmt::print("device: {} ({})\n", device->name(), device->arch());
  int repeats = quick ? 5 : 20;
  std::vector<Row> rows;
  nlohmann::json json;

  // --- JIT: cold compiles, then a load from the disk cache by a fresh JIT ---
  {
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / fmt::format("tessel-bench-{}", getpid());
    std::filesystem::remove_all(dir);
    Tensor x = randomBf16({128, 7168});
    std::vector<dsl::LaunchArg> args = {x.view(), x.view(), x.view(), dsl::LaunchArg::i32(128),
                                        dsl::LaunchArg::i32(7168)};
    dsl::Specialization spec = dsl::Jit::specialize(args);
    // Cold builds vary with the host's load: each kernel is built from an
    // empty cache several times. The very first build also pays the
    // process's one-time initialization (MLIR, LLVM, the driver's compiler).
    constexpr int kColdBuilds = 3;
    for (const dsl::KernelDefinition *kernel :
         {&kernels::actQuantKernel(), &kernels::weightQuantKernel(),
          &kernels::weightDequantKernel()}) {
      auto time = [&](dsl::Jit &jit) {
        auto begin = std::chrono::steady_clock::now();
        jit.load(*kernel, {}, spec, kernel->numWarps).value();
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin)
            .count();
      };
      auto jitOn = [&](const std::filesystem::path &cacheDirectory) {
        dsl::JitOptions options;
        options.cacheDirectory = cacheDirectory.string();
        return dsl::Jit::create(options).value();
      };
      std::vector<double> coldMs;
      for (int build = 0; build < kColdBuilds; ++build) {
        std::unique_ptr<dsl::Jit> cold =
            jitOn(dir / fmt::format("cold-{}-{}", kernel->name, build));
        coldMs.push_back(time(*cold));
      }
      std::unique_ptr<dsl::Jit> warm = jitOn(dir);
      (void)time(*warm);  // fills the shared cache directory
      warm = jitOn(dir);
      double diskMs = time(*warm);
      double memoryMs = time(*warm);
      // Where a cold build's time goes (measured after the cold builds, so
      // without the process's one-time initialization): IR -> PTX -> cubin.
      auto phaseBegin = std::chrono::steady_clock::now();
      CompileOptions compileOptions;
      compileOptions.arch = device->arch();
      compileOptions.numWarps = kernel->numWarps;
      std::string ptx = dsl::build(*kernel, {}, spec).value().compile(compileOptions).value().ptx;
      auto phaseMiddle = std::chrono::steady_clock::now();
      runtime::Module::compilePtx(ptx, kernel->name).value();
      auto phaseEnd = std::chrono::steady_clock::now();
      double ptxMs = std::chrono::duration<double, std::milli>(phaseMiddle - phaseBegin).count();
      double cubinMs = std::chrono::duration<double, std::milli>(phaseEnd - phaseMiddle).count();
      fmt::print("jit {:<15} cold build->PTX->cubin->load {:.1f} ms (then separately: IR->PTX "
                 "{:.1f} ms, PTX->cubin {:.1f} ms)   from disk cache {:.3f} ms   from memory "
                 "{:.4f} ms\n",
                 kernel->name, fmt::join(coldMs, " / "), ptxMs, cubinMs, diskMs, memoryMs);
      json["jit"][kernel->name] = {{"cold_ms", coldMs},   {"ptx_ms", ptxMs},
                                   {"cubin_ms", cubinMs}, {"disk_ms", diskMs},
                                   {"memory_ms", memoryMs}};
    }
    // A new process loading act_quant from the cache the runs above filled.
    std::string command = fmt::format("/proc/{}/exe --first-load {}", getpid(), dir.string());
    for (int run = 0; run < 3; ++run) {
      if (FILE *child = popen(command.c_str(), "r")) {
        double ms = 0;
        unsigned long long hits = 0, traces = 0;
        if (std::fscanf(child, "%lf %llu %llu", &ms, &hits, &traces) == 3) {
          fmt::print("jit act_quant       first call in a new process, from the disk cache: "
                     "{:.3f} ms ({}, {} IR builds)\n",
                     ms, hits == 1 ? "disk hit" : "NOT a disk hit", traces);
          json["jit"]["act_quant"]["new_process_disk_ms"].push_back(ms);
        }
        pclose(child);
      }
    }
    std::filesystem::remove_all(dir);
  }

  // --- act_quant ---
  for (auto [m, k] : {std::pair<int64_t, int64_t>{4096, 7168}, {16384, 7168}}) {
    Tensor x = randomBf16({m, k});
    Tensor y = Tensor::empty(DType::F8E4M3, {m, k}).value();
    Tensor s = Tensor::empty(DType::F32, {m, k / 128}).value();
    size_t bytes = m * k * 2 + m * k + m * (k / 128) * 4;
    double copy = copyGbps(bytes, repeats);
    for (int rowsPerProgram : {8, 16, 32, 64})
      for (unsigned warps : {2u, 4u, 8u}) {
        if (quick && !isDefaultConfig(kernels::actQuantKernel(), "ROWS", rowsPerProgram, warps))
          continue;
        kernels::QuantizeOptions options;
        options.config = {{{"ROWS", rowsPerProgram}}, warps};
        double ms = medianMs(
            [&] { return kernels::actQuant(x.view(), y.view(), s.view(), options); }, repeats);
        rows.push_back({"act_quant", fmt::format("{}x{}", m, k),
                        fmt::format("ROWS={} warps={}", rowsPerProgram, warps), ms,
                        bytes / ms / 1e6, copy});
      }
  }

  // --- weight_quant and weight_dequant ---
  for (auto [n, k] : {std::pair<int64_t, int64_t>{7168, 16384}, {18432, 7168}}) {
    Tensor w = randomBf16({n, k});
    Tensor q = Tensor::empty(DType::F8E4M3, {n, k}).value();
    Tensor s = Tensor::empty(DType::F32, {n / 128, k / 128}).value();
    Tensor out = Tensor::empty(DType::BF16, {n, k}).value();
    size_t bytes = n * k * 3 + (n / 128) * (k / 128) * 4;
    double copy = copyGbps(bytes, repeats);
    for (int chunk : {32, 64, 128})
      for (unsigned warps : {8u, 16u}) {
        if (quick && !isDefaultConfig(kernels::weightQuantKernel(), "CHUNK", chunk, warps))
          continue;
        kernels::QuantizeOptions options;
        options.config = {{{"CHUNK", chunk}}, warps};
        double ms = medianMs(
            [&] { return kernels::weightQuant(w.view(), q.view(), s.view(), options); }, repeats);
        rows.push_back({"weight_quant", fmt::format("{}x{}", n, k),
                        fmt::format("CHUNK={} warps={}", chunk, warps), ms, bytes / ms / 1e6,
                        copy});
      }
    for (int blockM : {16, 32, 64, 128})
      for (unsigned warps : {2u, 4u, 8u}) {
        if (quick && !isDefaultConfig(kernels::weightDequantKernel(), "BLOCK_M", blockM, warps))
          continue;
        kernels::KernelConfig config{{{"BLOCK_M", blockM}}, warps};
        double ms = medianMs(
            [&] { return kernels::weightDequant(q.view(), s.view(), out.view(), config); },
            repeats);
        rows.push_back({"weight_dequant", fmt::format("{}x{}", n, k),
                        fmt::format("BLOCK_M={} warps={}", blockM, warps), ms, bytes / ms / 1e6,
                        copy});
      }
  }

  fmt::print("\n{:<15} {:<12} {:<22} {:>9} {:>9} {:>9} {:>7}\n", "kernel", "shape", "config",
             "ms", "GB/s", "copy GB/s", "ratio");
  for (const Row &row : rows) {
    fmt::print("{:<15} {:<12} {:<22} {:9.4f} {:9.1f} {:9.1f} {:6.1f}%\n", row.kernel, row.shape,
               row.config, row.ms, row.gbps, row.copyGbps, 100 * row.gbps / row.copyGbps);
    json["kernels"].push_back({{"kernel", row.kernel},
                               {"shape", row.shape},
                               {"config", row.config},
                               {"ms", row.ms},
                               {"gbps", row.gbps},
                               {"copy_gbps", row.copyGbps}});
  }
  if (!jsonPath.empty())
    std::ofstream(jsonPath) << json.dump(2) << "\n";
  return 0;
}
