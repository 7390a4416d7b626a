// FP8 <-> BF16 conversion of a Hugging Face checkpoint directory in the layout
// DeepSeek-V3 ships: each FP8 (E4M3) linear weight `X.weight` has beside it
// `X.weight_scale_inv`, f32, one value per 128 x 128 block (partial blocks at
// the bottom and right edges), and `config.json` carries a
// `quantization_config`.
//
// A conversion is planned, then executed. planCast reads every shard header,
// the index and config.json and checks all of them (pairs of weights and
// scales, dtypes, shapes, the index against the shards, the output directory,
// free disk space) before anything is written; executeCast then streams one
// shard at a time. Numerics are weight_dequant's and weight_quant's contracts
// (DESIGN.md; the CPU references in tessel/kernels/Reference.h define the bits).
#pragma once

#include "tessel/checkpoint/Safetensors.h"
#include "tessel/support/Error.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessel::checkpoint {

/// The side of the 128 x 128 blocks that share one scale.
inline constexpr std::int64_t kWeightBlock = 128;

/// The suffix that turns a weight's name into its scale's name.
inline constexpr std::string_view kScaleSuffix = "_scale_inv";

enum class CastTarget { BF16, FP8 };

/// Converts the blocks of one weight: the CPU references on threads, or the
/// GPU kernels. Each call covers whole 128-row blocks of a weight (its first
/// row a multiple of 128; the last block may be partial), so that a weight
/// can be converted in pieces with the same bits as in one call.
class BlockCodec {
public:
  virtual ~BlockCodec() = default;
  /// "cpu (16 threads)", "gpu (NVIDIA H100)": what progress output reports.
  virtual std::string description() const = 0;
  /// weight_dequant: q e4m3[rows, k], s f32[ceil(rows/128), ceil(k/128)] ->
  /// out bf16[rows, k].
  virtual Status dequantize(const std::uint8_t *q, const float *s, std::int64_t rows,
                            std::int64_t k, std::uint16_t *out) = 0;
  /// weight_quant: w bf16[rows, k] -> q e4m3[rows, k],
  /// s f32[ceil(rows/128), ceil(k/128)].
  virtual Status quantize(const std::uint16_t *w, std::int64_t rows, std::int64_t k,
                          std::uint8_t *q, float *s) = 0;
};

/// The CPU references, each call split by 128-row blocks over `threads`
/// std::threads (0: one per hardware thread).
std::unique_ptr<BlockCodec> makeCpuBlockCodec(unsigned threads = 0);

/// DeepSeek-V3's choice of FP8 tensors: the `.weight` of every linear layer,
/// which excludes embeddings, norms, the output head (`lm_head`, the MTP
/// layers' `shared_head.head`) and the MoE router (`mlp.gate`, while
/// `mlp.gate_proj` is a linear layer).
bool isQuantizedLinearWeight(std::string_view name);

/// The `quantization_config` DeepSeek-V3's config.json carries, as JSON text.
std::string deepSeekQuantizationConfig();

struct CastOptions {
  std::filesystem::path input;
  std::filesystem::path output;
  CastTarget target = CastTarget::BF16;
  /// For CastTarget::FP8: which 2-D BF16 tensors are quantized.
  std::function<bool(std::string_view)> quantize = isQuantizedLinearWeight;
  /// Output bytes converted per piece of a weight, and bytes per piece of a
  /// copied tensor: with the scales of one weight, what bounds the memory.
  std::size_t chunkBytes = std::size_t(64) << 20;
  /// Check std::filesystem::space before writing (tests turn it off to fake
  /// a full disk through availableBytes instead).
  std::optional<std::uint64_t> availableBytes;
};

/// What happens to one input tensor.
enum class TensorAction {
  Copy,       // byte for byte
  Dequantize, // F8_E4M3 weight + its scale -> BF16
  Quantize,   // BF16 weight -> F8_E4M3 + a new scale
};

struct PlannedTensor {
  TensorAction action = TensorAction::Copy;
  TensorInfo source;
  /// For Dequantize: the scale, and the index in CastPlan::shards of the
  /// shard that holds it (a weight and its scale may live in different shards).
  std::optional<TensorInfo> scale;
  std::size_t scaleShard = 0;
};

struct PlannedShard {
  std::string fileName; // the same in input and output
  std::filesystem::path inputPath;
  std::vector<PlannedTensor> tensors;
  /// The output file's tensors (weights, new scales, copies) and its layout.
  std::vector<TensorSpec> outputs;
  std::map<std::string, std::string> metadata;
  std::uint64_t inputBytes = 0;  // the input file's size
  std::uint64_t outputBytes = 0; // the output file's size
};

struct CastPlan {
  CastTarget target = CastTarget::BF16;
  std::filesystem::path input;
  std::filesystem::path output;
  std::vector<PlannedShard> shards;
  /// The new model.safetensors.index.json, when the input has one.
  std::optional<std::string> indexJson;
  /// The new config.json, when the input has one.
  std::optional<std::string> configJson;
  /// Every other file, relative to the input directory; copied unchanged.
  std::vector<std::filesystem::path> otherFiles;

  std::size_t tensorCount = 0;    // planned tensors, over all shards
  std::size_t convertedCount = 0; // of them dequantized or quantized
  std::uint64_t bytesToRead = 0;  // tensor bytes of the input shards
  std::uint64_t bytesToWrite = 0; // every output file's size
  /// The most memory executeCast holds at once, besides the mapped input
  /// pages it releases after each piece: the largest piece's buffers and the
  /// largest weight's scales.
  std::uint64_t workingSetBytes = 0;
};

/// Reads and checks everything; an Error naming the file and the tensor for
/// the first problem found. Writes nothing.
Expected<CastPlan> planCast(const CastOptions &options);

struct CastProgress {
  std::size_t tensorsDone = 0;
  std::size_t tensorsTotal = 0;
  std::uint64_t bytesRead = 0;
  std::uint64_t bytesTotal = 0;
  double seconds = 0;
};
/// Called after every piece; returning false cancels the conversion.
using ProgressCallback = std::function<bool(const CastProgress &)>;

/// Writes the plan's output. Shards go to temporary names and are renamed
/// only when every shard is complete; config.json and then the index come
/// last. On any failure (cancellation included) everything this call wrote is
/// removed, so no shard or index is left that looks finished.
Status executeCast(const CastPlan &plan, const CastOptions &options, BlockCodec &codec,
                   const ProgressCallback &progress = {});

} // namespace tessel::checkpoint
