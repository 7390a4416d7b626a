// fp8_gemm throughput on the DeepSeek-V3 shapes beside cuBLASLt's
// block-scaled FP8 matmul on the same inputs, and the JIT's first-call times
// for one config. Usage:
//   tessel-bench-gemm [--json FILE] [--m M]...
//                     [--config BLOCK_M,BLOCK_N,BLOCK_K,STAGES,WARPS[,ws][,gG] | --config default]...
// TFLOP/s counts 2 * M * N * K per call. Both sides are timed by one
// function (medianColdL2Ms: event-timed launches from this process, L2
// overwritten before each, no launch gap in the window); "x cuBLAS" is
// cuBLASLt's time over fp8_gemm's, and "rel diff" the relative difference of
// the two outputs. Without --config, the library's default config; a
// trailing ",ws" asks for the warp-specialized schedule (WARP_SPECIALIZE=1)
// and ",gG" for bands of G tile rows (GROUP_M=G).
#include "CublasLtFp8Gemm.h"
#include "Timing.h"
#include "tessel/dsl/Jit.h"
#include "tessel/kernels/Definitions.h"
#include "tessel/kernels/Kernels.h"
#include "tessel/kernels/Tuning.h"
#include "tessel/runtime/Device.h"
#include "tessel/runtime/Stream.h"
#include "tessel/runtime/Tensor.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <unistd.h>

using namespace tessel;
using runtime::Tensor;

namespace {

using bench::medianColdL2Ms;

/// Random e4m3 codes of moderate magnitude (no NaN codes).
Tensor randomFp8(std::vector<int64_t> shape, uint32_t seed) {
  Tensor tensor = Tensor::empty(DType::F8E4M3, std::move(shape)).value();
  std::vector<uint8_t> host(tensor.view().numel());
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> code(0, 0x5F); // |v| <= 2^4 * 1.875
  for (uint8_t &v : host)
    v = uint8_t(code(rng) | (rng() & 0x80));
  tensor.copyFromHost(host).check();
  return tensor;
}

/// Scales in [1/128, 1/64), the range act_quant gives activations of
/// magnitude near 448 * 64.
std::vector<float> randomScaleValues(int64_t count, uint32_t seed) {
  std::vector<float> host(count);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> scale(0.5f, 1.0f);
  for (float &v : host)
    v = scale(rng) / 64.0f;
  return host;
}

Tensor f32Tensor(std::vector<int64_t> shape, const std::vector<float> &host) {
  Tensor tensor = Tensor::empty(DType::F32, std::move(shape)).value();
  tensor.copyFromHost(host).check();
  return tensor;
}

Tensor randomScales(std::vector<int64_t> shape, uint32_t seed) {
  int64_t count = 1;
  for (int64_t size : shape)
    count *= size;
  return f32Tensor(std::move(shape), randomScaleValues(count, seed));
}

/// `rowMajor` [rows][columns] as [columns][rows].
std::vector<float> transposed(const std::vector<float> &rowMajor, int64_t rows, int64_t columns) {
  std::vector<float> result(rowMajor.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c)
      result[c * rows + r] = rowMajor[r * columns + c];
  return result;
}

std::vector<double> bf16Values(const Tensor &tensor) {
  std::vector<uint16_t> bits(tensor.numel());
  tensor.copyToHost(bits).check();
  std::vector<double> values(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) {
    uint32_t word = uint32_t(bits[i]) << 16;
    float value;
    std::memcpy(&value, &word, sizeof(value));
    values[i] = value;
  }
  return values;
}

/// ||x - reference|| / ||reference||; NaN anywhere makes it NaN.
double relativeDifference(const std::vector<double> &x, const std::vector<double> &reference) {
  double difference = 0, norm = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    difference += (x[i] - reference[i]) * (x[i] - reference[i]);
    norm += reference[i] * reference[i];
  }
  return std::sqrt(difference / norm);
}

double geometricMean(const std::vector<double> &values) {
  double logSum = 0;
  for (double v : values)
    logSum += std::log(v);
  return values.empty() ? 0 : std::exp(logSum / double(values.size()));
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

/// First calls of one config (64x128x128, 2 stages, 4 warps) through fresh
/// JITs sharing an empty cache directory: the cold build (trace, IR -> PTX,
/// PTX -> cubin, load) and then a load from the disk cache, each timed to
/// the end of the launch.
void timeFirstCalls(nlohmann::json &json) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              fmt::format("tessel-bench-gemm-{}", ::getpid());
  std::filesystem::remove_all(dir);
  const int64_t m = 128, n = 2112, k = 7168;
  Tensor a = randomFp8({m, k}, 1), b = randomFp8({n, k}, 2);
  Tensor aScale = randomScales({m, ceilDiv(k, 128)}, 4);
  Tensor bScale = randomScales({ceilDiv(n, 128), ceilDiv(k, 128)}, 3);
  Tensor c = Tensor::empty(DType::BF16, {m, n}).value();
  dsl::LaunchSpec spec;
  spec.constants = {{"BLOCK_M", 64}, {"BLOCK_N", 128}, {"BLOCK_K", 128}, {"NUM_STAGES", 2}};
  spec.numWarps = 4;
  spec.grid = {unsigned(ceilDiv(m, 64)), unsigned(ceilDiv(n, 128)), 1};
  std::vector<dsl::LaunchArg> args = {a.view(),
                                      aScale.view(),
                                      b.view(),
                                      bScale.view(),
                                      c.view(),
                                      dsl::LaunchArg::i32(int32_t(m)),
                                      dsl::LaunchArg::i32(int32_t(n)),
                                      dsl::LaunchArg::i32(int32_t(k))};
  auto firstCall = [&] {
    dsl::JitOptions options;
    options.cacheDirectory = dir.string();
    std::unique_ptr<dsl::Jit> jit = dsl::Jit::create(options).value();
    auto start = std::chrono::steady_clock::now();
    jit->launch(kernels::fp8GemmKernel(), spec, args).check();
    runtime::Event done = runtime::Event::create().value();
    done.record(nullptr).check();
    done.synchronize().check();
    return msSince(start);
  };
  double cold = firstCall(), disk = firstCall();
  fmt::print("jit fp8_gemm 64x128x128 s2 w4: cold first call {:.1f} ms, first call from the disk "
             "cache {:.2f} ms\n",
             cold, disk);
  json["jit"] = {{"cold_ms", cold}, {"disk_ms", disk}};
  std::filesystem::remove_all(dir);
}

/// The wall time of this process's first fp8Gemm call without a config: the
/// tuning database's load and lookup, the kernel's load (from the disk cache
/// when an earlier process built it), the launch, and the kernel itself.
int timeFirstCall(int64_t m, int64_t n, int64_t k) {
  Tensor a = randomFp8({m, k}, 1), b = randomFp8({n, k}, 2);
  Tensor aScale = randomScales({m, ceilDiv(k, 128)}, 3);
  Tensor bScale = randomScales({ceilDiv(n, 128), ceilDiv(k, 128)}, 4);
  Tensor c = Tensor::empty(DType::BF16, {m, n}).value();
  runtime::Device::open(0).value().synchronize().check();
  auto start = std::chrono::steady_clock::now();
  kernels::fp8Gemm(a.view(), aScale.view(), b.view(), bScale.view(), c.view()).check();
  runtime::Device::open(0).value().synchronize().check();
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                  .count();
  std::optional<kernels::KernelConfig> tuned = kernels::tunedFp8GemmConfig(m, n, k);
  fmt::print("first fp8_gemm call {}x{}x{} ({} config): {:.2f} ms\n", m, n, k,
             tuned ? "tuned" : "default", ms);
  return 0;
}

} // namespace

/// A --config argument: BLOCK_M,BLOCK_N,BLOCK_K,STAGES,WARPS, then "ws" for
/// WARP_SPECIALIZE=1 and "gG" for GROUP_M=G, in any order.
std::optional<kernels::KernelConfig> parseConfig(std::string_view text) {
  std::vector<std::string_view> fields;
  for (size_t begin = 0; begin <= text.size();) {
    size_t end = std::min(text.find(',', begin), text.size());
    fields.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  auto number = [](std::string_view field) -> std::optional<int64_t> {
    int64_t value = 0;
    auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error != std::errc() || end != field.data() + field.size())
      return std::nullopt;
    return value;
  };
  if (fields.size() < 5)
    return std::nullopt;
  kernels::KernelConfig config;
  const char *names[] = {"BLOCK_M", "BLOCK_N", "BLOCK_K", "NUM_STAGES"};
  for (size_t f = 0; f < 4; ++f) {
    std::optional<int64_t> value = number(fields[f]);
    if (!value)
      return std::nullopt;
    config.constants[names[f]] = *value;
  }
  std::optional<int64_t> warps = number(fields[4]);
  if (!warps || *warps < 1)
    return std::nullopt;
  config.numWarps = unsigned(*warps);
  for (size_t f = 5; f < fields.size(); ++f) {
    if (fields[f] == "ws") {
      config.constants["WARP_SPECIALIZE"] = 1;
    } else if (fields[f].starts_with("g") && number(fields[f].substr(1))) {
      config.constants["GROUP_M"] = *number(fields[f].substr(1));
    } else {
      return std::nullopt;
    }
  }
  return config;
}

/// How a config reads in the table: "64x128x128 s4 w4", then " ws", " g8".
std::string configName(const kernels::KernelConfig &config) {
  const dsl::Constants &c = config.constants;
  std::string name = fmt::format("{}x{}x{} s{} w{}", c.at("BLOCK_M"), c.at("BLOCK_N"),
                                 c.at("BLOCK_K"), c.at("NUM_STAGES"), config.numWarps);
  if (c.contains("WARP_SPECIALIZE") && c.at("WARP_SPECIALIZE"))
    name += " ws";
  if (c.contains("GROUP_M"))
    name += fmt::format(" g{}", c.at("GROUP_M"));
  return name;
}

int main(int argc, char **argv) {
  bench::disableDriverPtxCache();
  std::string jsonPath;
  std::vector<int64_t> ms;
  std::vector<kernels::KernelConfig> configs;
  std::optional<std::array<int64_t, 3>> firstCall;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json" && i + 1 < argc) {
      jsonPath = argv[++i];
    } else if (arg == "--first-call" && i + 1 < argc) {
      int m, n, k;
      if (std::sscanf(argv[++i], "%d,%d,%d", &m, &n, &k) != 3) {
        fmt::print(stderr, "--first-call takes M,N,K\n");
        return 2;
      }
      firstCall = {m, n, k};
    } else if (arg == "--m" && i + 1 < argc) {
      ms.push_back(std::stoll(argv[++i]));
    } else if (arg == "--config" && i + 1 < argc && std::string_view(argv[i + 1]) == "default") {
      ++i;
      configs.push_back({});
    } else if (arg == "--config" && i + 1 < argc) {
      std::optional<kernels::KernelConfig> config = parseConfig(argv[++i]);
      if (!config) {
        fmt::print(stderr, "--config takes BLOCK_M,BLOCK_N,BLOCK_K,STAGES,WARPS[,ws][,gG] "
                           "or default, got '{}'\n",
                   argv[i]);
        return 2;
      }
      configs.push_back(*config);
    } else {
      fmt::print(stderr, "usage: tessel-bench-gemm [--json FILE] [--m M]... "
                         "[--config BM,BN,BK,STAGES,WARPS[,ws][,gG] | --config default]...\n"
                         "       tessel-bench-gemm --first-call M,N,K\n");
      return 2;
    }
  }
  if (ms.empty())
    ms = {128, 4096};
  if (configs.empty())
    configs.push_back({});
  Expected<runtime::Device> device = runtime::Device::open(0);
  if (!device) {
    fmt::print(stderr, "tessel-bench-gemm needs a GPU: {}\n", device.error().message());
    return 1;
  }
  fmt::print("device: {} ({})\n", device->name(), device->arch());
  if (firstCall)
    return timeFirstCall((*firstCall)[0], (*firstCall)[1], (*firstCall)[2]);
  nlohmann::json json;
  timeFirstCalls(json);
  const std::pair<int64_t, int64_t> shapes[] = {{2112, 7168}, {24576, 1536}, {32768, 512},
                                               {7168, 16384}, {4096, 7168},  {7168, 2048}};
  const std::size_t l2Bytes = std::size_t(device->l2CacheBytes());
  const int repeats = 20;
  fmt::print("times: median of {} launches, each after overwriting {} MiB (twice the L2)\n",
             repeats, 2 * l2Bytes >> 20);
  fmt::print("{:>6} {:>6} {:>6}  {:<22} {:>9} {:>9} {:>8} {:>9}\n", "M", "N", "K", "config",
             "ms", "TFLOP/s", "x cuBLAS", "rel diff");
  // Per config, the ratios to cuBLASLt over the shapes; and the best per shape.
  std::map<std::string, std::vector<double>> ratiosByConfig;
  std::vector<double> bestRatios;
  for (auto [n, k] : shapes) {
    Tensor b = randomFp8({n, k}, 2);
    Tensor bScale = randomScales({ceilDiv(n, 128), ceilDiv(k, 128)}, 3);
    for (int64_t m : ms) {
      const int64_t kBlocks = ceilDiv(k, 128);
      const double flops = 2.0 * double(m) * double(n) * double(k);
      Tensor a = randomFp8({m, k}, 1);
      std::vector<float> aScaleValues = randomScaleValues(m * kBlocks, 4);
      Tensor aScale = f32Tensor({m, kBlocks}, aScaleValues);
      Tensor aScaleMMajor = f32Tensor({kBlocks, m}, transposed(aScaleValues, m, kBlocks));
      Tensor c = Tensor::empty(DType::BF16, {m, n}).value();
      Tensor cublasC = Tensor::empty(DType::BF16, {m, n}).value();

      double cublasMs = 0;
      std::vector<double> reference;
      Expected<bench::CublasLtFp8Gemm> cublas = bench::CublasLtFp8Gemm::plan(
          m, n, k,
          {a.devicePtr(), aScaleMMajor.devicePtr(), b.devicePtr(), bScale.devicePtr(),
           cublasC.devicePtr()});
      if (cublas) {
        cublasMs = medianColdL2Ms([&] { return cublas->run(); }, repeats, l2Bytes);
        reference = bf16Values(cublasC);
        fmt::print("{:>6} {:>6} {:>6}  {:<22} {:>9.3f} {:>9.1f}\n", m, n, k, "cuBLASLt", cublasMs,
                   flops / (cublasMs * 1e-3) / 1e12);
        json["cublaslt"].push_back({{"m", m}, {"n", n}, {"k", k}, {"ms", cublasMs},
                                    {"tflops", flops / (cublasMs * 1e-3) / 1e12}});
      } else {
        fmt::print("{:>6} {:>6} {:>6}  {:<22} unavailable: {}\n", m, n, k, "cuBLASLt",
                   cublas.error().message());
      }

      double bestRatio = 0;
      for (const kernels::KernelConfig &config : configs) {
        std::string name = "default";
        if (!config.constants.empty())
          name = configName(config);
        auto launch = [&] {
          return kernels::fp8Gemm(a.view(), aScale.view(), b.view(), bScale.view(), c.view(),
                                  config);
        };
        if (Status first = launch(); !first) {
          fmt::print("{:>6} {:>6} {:>6}  {:<22} failed: {}\n", m, n, k, name,
                     first.error().message());
          continue;
        }
        double ms = medianColdL2Ms(launch, repeats, l2Bytes);
        double tflops = flops / (ms * 1e-3) / 1e12;
        nlohmann::json row = {{"m", m},           {"n", n},  {"k", k},
                              {"config", name}, {"ms", ms}, {"tflops", tflops}};
        if (cublas) {
          double ratio = cublasMs / ms, difference = relativeDifference(bf16Values(c), reference);
          ratiosByConfig[name].push_back(ratio);
          bestRatio = std::max(bestRatio, ratio);
          row["vs_cublaslt"] = ratio;
          row["rel_diff_vs_cublaslt"] = difference;
          fmt::print("{:>6} {:>6} {:>6}  {:<22} {:>9.3f} {:>9.1f} {:>8.2f} {:>9.1e}\n", m, n, k,
                     name, ms, tflops, ratio, difference);
        } else {
          fmt::print("{:>6} {:>6} {:>6}  {:<22} {:>9.3f} {:>9.1f}\n", m, n, k, name, ms, tflops);
        }
        json["gemm"].push_back(row);
      }
      if (bestRatio > 0)
        bestRatios.push_back(bestRatio);
    }
  }
  fmt::print("\ngeometric mean of the speed relative to cuBLASLt over the shapes:\n");
  for (const auto &[name, ratios] : ratiosByConfig) {
    fmt::print("  {:<22} {:.3f} ({} shapes)\n", name, geometricMean(ratios), ratios.size());
    json["geomean_vs_cublaslt"][name] = geometricMean(ratios);
  }
  if (!bestRatios.empty()) {
    fmt::print("  {:<22} {:.3f} ({} shapes)\n", "best config per shape", geometricMean(bestRatios),
               bestRatios.size());
    json["geomean_vs_cublaslt"]["best_per_shape"] = geometricMean(bestRatios);
  }
  if (!jsonPath.empty())
    std::ofstream(jsonPath) << json.dump(2) << "\n";
  return 0;
}
