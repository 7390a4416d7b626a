// tessel fp8-cast: converts a Hugging Face safetensors checkpoint between
// DeepSeek-V3's block-scaled FP8 and BF16 (tessel/checkpoint/Fp8Cast.h),
// on the GPU when there is one, else on the CPU.
#include "Commands.h"
#include "Quantities.h"

#include "tessel/checkpoint/Fp8Cast.h"
#include "tessel/checkpoint/GpuBlockCodec.h"
#include "tessel/runtime/Device.h"

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <limits>
#include <thread>

namespace tessel::tool {
namespace {

std::atomic<bool> interrupted{false};

extern "C" void onInterrupt(int) { interrupted.store(true); }

std::string help() {
  return "usage: tessel fp8-cast --input DIR --output DIR --to bf16|fp8 [--device gpu|cpu]\n"
         "                       [--jobs N] [--quiet]\n"
         "\n"
         "Converts a safetensors checkpoint directory in DeepSeek-V3's layout, where each\n"
         "F8_E4M3 X.weight has an f32 X.weight_scale_inv with one scale per 128x128 block:\n"
         "  --to bf16  dequantizes every such weight to BF16 (weight_dequant, bit-exact),\n"
         "             drops the scales and removes quantization_config from config.json;\n"
         "  --to fp8   quantizes the 2-D BF16 weights of linear layers (not embeddings,\n"
         "             norms, lm_head or the MoE gate) with weight_quant, writing X.weight\n"
         "             and X.weight_scale_inv, and adds DeepSeek-V3's quantization_config.\n"
         "Every other tensor is copied byte for byte, model.safetensors.index.json is\n"
         "rewritten and every other file is copied.\n"
         "\n"
         "All headers, the index and config.json are checked before anything is written;\n"
         "OUTPUT must be new or empty and not inside INPUT, and must have room. Shards are\n"
         "written under temporary names and renamed when all are complete, the index last;\n"
         "a failed or interrupted run removes what it wrote.\n"
         "\n"
         "--device  gpu (the weight_dequant/weight_quant kernels) or cpu (the reference\n"
         "          code); default: the GPU if one is present, else the CPU.\n"
         "--jobs N  CPU threads (default: one per hardware thread).\n"
         "--quiet   no progress line.\n"
         "\n"
         "Memory: one shard at a time, memory-mapped, its pages released as they are read;\n"
         "besides them at most about 96 MiB of buffers (64 MiB pieces of a weight) plus the\n"
         "scales of one weight, or 384 * K bytes when one 128-row block of a weight with K\n"
         "columns is larger; the exact bound is printed before the run.\n";
}

std::optional<unsigned> parseJobs(std::string_view text) {
  std::optional<int64_t> value = parseInteger(text);
  if (!value || *value < 1 || *value > std::numeric_limits<unsigned>::max())
    return std::nullopt;
  return unsigned(*value);
}

std::string gigabytes(std::uint64_t bytes) { return fmt::format("{:.2f} GB", double(bytes) / 1e9); }

} // namespace

int fp8Cast(const std::vector<std::string> &args) {
  checkpoint::CastOptions options;
  std::optional<checkpoint::CastTarget> target;
  std::string device;
  unsigned jobs = 0;
  bool quiet = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &flag = args[i];
    auto value = [&]() -> const std::string & {
      if (i + 1 >= args.size())
        usageError(fmt::format("fp8-cast: {} needs a value", flag));
      return args[++i];
    };
    if (flag == "--help" || flag == "-h") {
      std::fputs(help().c_str(), stdout);
      return 0;
    } else if (flag == "--input") {
      options.input = value();
    } else if (flag == "--output") {
      options.output = value();
    } else if (flag == "--to") {
      const std::string &to = value();
      if (to == "bf16")
        target = checkpoint::CastTarget::BF16;
      else if (to == "fp8")
        target = checkpoint::CastTarget::FP8;
      else
        usageError(fmt::format("fp8-cast: --to takes bf16 or fp8, got '{}'", to));
    } else if (flag == "--device") {
      device = value();
      if (device != "gpu" && device != "cpu")
        usageError(fmt::format("fp8-cast: --device takes gpu or cpu, got '{}'", device));
    } else if (flag == "--jobs") {
      std::optional<unsigned> parsed = parseJobs(value());
      if (!parsed)
        usageError(fmt::format("fp8-cast: --jobs takes a positive integer, got '{}'", args[i]));
      jobs = *parsed;
    } else if (flag == "--quiet") {
      quiet = true;
    } else {
      usageError(fmt::format("fp8-cast: unknown argument '{}'", flag));
    }
  }
  if (options.input.empty() || options.output.empty() || !target)
    usageError("fp8-cast: --input, --output and --to are required");
  options.target = *target;

  Expected<checkpoint::CastPlan> plan = checkpoint::planCast(options);
  if (!plan) {
    fmt::print(stderr, "tessel: fp8-cast: {}\n", plan.error().message());
    return 1;
  }

  std::unique_ptr<checkpoint::BlockCodec> codec;
  if (device != "cpu") {
    Expected<std::unique_ptr<checkpoint::BlockCodec>> gpu = checkpoint::makeGpuBlockCodec();
    if (gpu) {
      codec = std::move(*gpu);
    } else if (device == "gpu") {
      fmt::print(stderr, "tessel: fp8-cast: --device gpu: {}\n", gpu.error().message());
      return 1;
    }
  }
  if (!codec)
    codec = checkpoint::makeCpuBlockCodec(jobs);

  if (!quiet)
    fmt::print(stderr,
               "fp8-cast: {} shard(s), {} tensors ({} to convert), {} to read, {} to write; "
               "device: {}; working memory at most {:.0f} MiB\n",
               plan->shards.size(), plan->tensorCount, plan->convertedCount,
               gigabytes(plan->bytesToRead), gigabytes(plan->bytesToWrite), codec->description(),
               double(plan->workingSetBytes) / double(1 << 20));

  // Ctrl-C and SIGTERM cancel at the next piece, so that the run removes what
  // it wrote instead of leaving it half done.
  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
  double lastPrinted = -1;
  checkpoint::CastProgress final;
  auto progress = [&](const checkpoint::CastProgress &p) {
    final = p;
    if (!quiet && (p.seconds - lastPrinted >= 0.5 || p.tensorsDone == p.tensorsTotal)) {
      lastPrinted = p.seconds;
      fmt::print(stderr, "\rfp8-cast: {}/{} tensors, {} / {}, {:.2f} GB/s   ", p.tensorsDone,
                 p.tensorsTotal, gigabytes(p.bytesRead), gigabytes(p.bytesTotal),
                 p.seconds > 0 ? double(p.bytesRead) / 1e9 / p.seconds : 0.0);
    }
    return !interrupted.load();
  };
  Status result = checkpoint::executeCast(*plan, options, *codec, progress);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!quiet)
    fmt::print(stderr, "\n");
  if (!result) {
    fmt::print(stderr, "tessel: fp8-cast: {}; what it wrote in {} was removed\n",
               result.error().message(), options.output.string());
    return 1;
  }
  if (!quiet)
    fmt::print(stderr, "fp8-cast: wrote {} in {:.1f} s\n", options.output.string(), final.seconds);
  return 0;
}

} // namespace tessel::tool
