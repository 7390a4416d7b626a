// Planning and executing an FP8 <-> BF16 checkpoint conversion.
//
// Planning reads only headers and small JSON files, and finds every problem
// before a byte is written. Execution streams one shard at a time: the input
// is memory-mapped and each weight is converted in pieces of whole 128-row
// blocks, so that the memory held is the pieces' buffers and one weight's
// scales, not a shard.
#include "tessel/checkpoint/Fp8Cast.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace tessel::checkpoint {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr std::string_view kIndexFile = "model.safetensors.index.json";
constexpr std::string_view kConfigFile = "config.json";

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string shapeText(const std::vector<std::int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

std::vector<std::int64_t> scaleShape(const std::vector<std::int64_t> &weightShape) {
  return {ceilDiv(weightShape[0], kWeightBlock), ceilDiv(weightShape[1], kWeightBlock)};
}

Expected<std::string> readText(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error(fmt::format("{}: cannot open", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Expected<Json> readJson(const fs::path &path) {
  Expected<std::string> text = readText(path);
  if (!text)
    return text.error();
  try {
    return Json::parse(*text);
  } catch (const nlohmann::json::exception &error) {
    return Error(fmt::format("{}: not valid JSON: {}", path.string(), error.what()));
  }
}

/// Whether `inner` is `outer` or lies inside it, after resolving links and
/// `..` as far as the paths exist.
bool isWithin(const fs::path &inner, const fs::path &outer) {
  const fs::path a = fs::weakly_canonical(inner), b = fs::weakly_canonical(outer);
  auto [end, _] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return end == b.end() || (std::next(end) == b.end() && end->empty());
}

/// Where a tensor lives during planning.
struct Location {
  std::size_t shard;
  const TensorInfo *tensor;
};

/// Checks the output directory: not the input nor inside it, and empty if it
/// exists.
Status checkOutputDirectory(const CastOptions &options) {
  if (!fs::is_directory(options.input))
    return Error(fmt::format("{}: the input is not a directory", options.input.string()));
  if (options.output.empty())
    return Error("the output directory is not given");
  if (isWithin(options.output, options.input))
    return Error(fmt::format("{}: the output directory is the input directory {} or inside it",
                             options.output.string(), options.input.string()));
  std::error_code error;
  if (fs::exists(options.output, error)) {
    if (!fs::is_directory(options.output))
      return Error(
          fmt::format("{}: the output exists and is not a directory", options.output.string()));
    if (!fs::is_empty(options.output, error))
      return Error(fmt::format("{}: the output directory is not empty; remove its files or "
                               "choose another",
                               options.output.string()));
  }
  return Status::success();
}

/// The shard files: those the index names, else every *.safetensors file.
Expected<std::vector<std::string>> shardNames(const CastOptions &options,
                                              const std::optional<Json> &index) {
  std::set<std::string> names;
  const fs::path indexPath = options.input / kIndexFile;
  if (index) {
    auto weightMap = index->find("weight_map");
    if (weightMap == index->end() || !weightMap->is_object())
      return Error(fmt::format("{}: has no 'weight_map' object", indexPath.string()));
    for (const auto &[tensor, file] : weightMap->items()) {
      if (!file.is_string())
        return Error(
            fmt::format("{}: tensor '{}': the file is not a string", indexPath.string(), tensor));
      const std::string name = file.get<std::string>();
      if (name.empty() || fs::path(name).filename() != name)
        return Error(fmt::format("{}: tensor '{}': file '{}' is not a file of the directory",
                                 indexPath.string(), tensor, name));
      if (!fs::is_regular_file(options.input / name))
        return Error(fmt::format("{}: tensor '{}': its file {} does not exist", indexPath.string(),
                                 tensor, (options.input / name).string()));
      names.insert(name);
    }
  } else {
    for (const fs::directory_entry &entry : fs::directory_iterator(options.input))
      if (entry.is_regular_file() && entry.path().extension() == ".safetensors")
        names.insert(entry.path().filename().string());
  }
  if (names.empty())
    return Error(fmt::format("{}: no .safetensors files", options.input.string()));
  return std::vector<std::string>(names.begin(), names.end());
}

/// The checks of `--to bf16` for one F8_E4M3 weight and its scale.
Status checkScalePair(const PlannedShard &weightShard, const TensorInfo &weight,
                      const PlannedShard &scaleShard, const TensorInfo &scale) {
  const std::string where =
      fmt::format("{}: tensor '{}'", weightShard.inputPath.string(), weight.name);
  if (weight.shape.size() != 2)
    return Error(fmt::format("{}: an F8_E4M3 weight must be 2-D to be dequantized, its shape is "
                             "{}",
                             where, shapeText(weight.shape)));
  const std::string scaleWhere =
      fmt::format("{}: tensor '{}'", scaleShard.inputPath.string(), scale.name);
  if (scale.dtype != TensorDType::F32)
    return Error(
        fmt::format("{}: a scale must be F32, it is {}", scaleWhere, dtypeName(scale.dtype)));
  if (scale.shape != scaleShape(weight.shape))
    return Error(fmt::format("{}: shape {} does not fit weight '{}' of shape {}: one scale per "
                             "{}x{} block is {}",
                             scaleWhere, shapeText(scale.shape), weight.name,
                             shapeText(weight.shape), kWeightBlock, kWeightBlock,
                             shapeText(scaleShape(weight.shape))));
  return Status::success();
}

/// weight_block_size of an FP8 config.json must be the 128 x 128 the
/// conversion assumes.
Status checkQuantizationConfig(const Json &config, const fs::path &path) {
  auto quantization = config.find("quantization_config");
  if (quantization == config.end())
    return Status::success();
  auto blocks = quantization->find("weight_block_size");
  if (blocks != quantization->end() && *blocks != Json::array({kWeightBlock, kWeightBlock}))
    return Error(fmt::format("{}: quantization_config.weight_block_size is {}; only [{}, {}] is "
                             "supported",
                             path.string(), blocks->dump(), kWeightBlock, kWeightBlock));
  auto format = quantization->find("fmt");
  if (format != quantization->end() && *format != "e4m3")
    return Error(fmt::format("{}: quantization_config.fmt is {}; only \"e4m3\" is supported",
                             path.string(), format->dump()));
  return Status::success();
}

} // namespace

bool isQuantizedLinearWeight(std::string_view name) {
  constexpr std::string_view kWeight = ".weight";
  if (!endsWith(name, kWeight))
    return false;
  std::string_view module = name.substr(0, name.size() - kWeight.size());
  std::string_view last =
      module.substr(module.rfind('.') == std::string_view::npos ? 0 : module.rfind('.') + 1);
  if (name.find("embed") != std::string_view::npos || last.find("norm") != std::string_view::npos)
    return false;
  return last != "lm_head" && last != "head" && last != "gate";
}

std::string deepSeekQuantizationConfig() {
  return Json{{"activation_scheme", "dynamic"},
              {"fmt", "e4m3"},
              {"quant_method", "fp8"},
              {"weight_block_size", {kWeightBlock, kWeightBlock}}}
      .dump();
}

namespace {

/// What a file-system call of the standard library threw, as an Error: its
/// message names the operation, the reason and the paths.
Error fileSystemError(std::string_view stage, const fs::filesystem_error &error) {
  return Error(fmt::format("{}: {}", stage, error.what()));
}

Expected<CastPlan> planCastOrThrow(const CastOptions &options) {
  if (Status output = checkOutputDirectory(options); !output)
    return output.error();
  CastPlan plan;
  plan.target = options.target;
  plan.input = options.input;
  plan.output = options.output;

  const fs::path indexPath = options.input / kIndexFile;
  std::optional<Json> index;
  if (fs::exists(indexPath)) {
    Expected<Json> parsed = readJson(indexPath);
    if (!parsed)
      return parsed.error();
    index = std::move(*parsed);
  }
  Expected<std::vector<std::string>> names = shardNames(options, index);
  if (!names)
    return names.error();

  // Every header, and one map of every tensor over all shards.
  std::vector<Header> headers;
  std::map<std::string, Location, std::less<>> tensors;
  for (const std::string &name : *names) {
    PlannedShard shard;
    shard.fileName = name;
    shard.inputPath = options.input / name;
    shard.inputBytes = fs::file_size(shard.inputPath);
    Expected<Header> header = readHeader(shard.inputPath);
    if (!header)
      return header.error();
    shard.metadata = header->metadata;
    plan.shards.push_back(std::move(shard));
    headers.push_back(std::move(*header));
  }
  for (std::size_t s = 0; s < headers.size(); ++s)
    for (const TensorInfo &tensor : headers[s].tensors) {
      auto [found, inserted] = tensors.emplace(tensor.name, Location{s, &tensor});
      if (!inserted)
        return Error(fmt::format("tensor '{}' is in both {} and {}", tensor.name,
                                 plan.shards[found->second.shard].inputPath.string(),
                                 plan.shards[s].inputPath.string()));
    }
  if (index) {
    const Json &weightMap = index->at("weight_map");
    for (const auto &[name, location] : tensors)
      if (!weightMap.contains(name) || weightMap.at(name) != plan.shards[location.shard].fileName)
        return Error(
            fmt::format("{}: tensor '{}' of {} is {}", indexPath.string(), name,
                        plan.shards[location.shard].inputPath.string(),
                        weightMap.contains(name)
                            ? fmt::format("indexed in {}", weightMap.at(name).get<std::string>())
                            : std::string("not in the index")));
    for (const auto &[name, file] : weightMap.items())
      if (!tensors.count(name))
        return Error(fmt::format("{}: tensor '{}' is indexed in {}, which has no such tensor",
                                 indexPath.string(), name, file.get<std::string>()));
  }

  // What becomes of each tensor, shard by shard, in the order of the data.
  auto find = [&](const std::string &name) -> const Location * {
    auto found = tensors.find(name);
    return found == tensors.end() ? nullptr : &found->second;
  };
  for (std::size_t s = 0; s < headers.size(); ++s) {
    PlannedShard &shard = plan.shards[s];
    for (const TensorInfo &tensor : headers[s].tensors) {
      const std::string where =
          fmt::format("{}: tensor '{}'", shard.inputPath.string(), tensor.name);
      PlannedTensor planned;
      planned.source = tensor;
      TensorSpec output{tensor.name, tensor.dtype, tensor.shape};
      const bool isScale = endsWith(tensor.name, ".weight" + std::string(kScaleSuffix));
      if (isScale) {
        const std::string weightName =
            tensor.name.substr(0, tensor.name.size() - kScaleSuffix.size());
        const Location *weight = find(weightName);
        if (!weight)
          return Error(fmt::format("{}: a scale without its weight '{}'", where, weightName));
        if (options.target == CastTarget::BF16) {
          if (weight->tensor->dtype != TensorDType::F8_E4M3)
            return Error(fmt::format("{}: the weight '{}' of this scale is {}, not F8_E4M3", where,
                                     weightName, dtypeName(weight->tensor->dtype)));
          continue; // dropped: its weight becomes BF16
        }
      }
      if (tensor.dtype == TensorDType::F8_E4M3 && !endsWith(tensor.name, ".weight"))
        return Error(fmt::format("{}: an F8_E4M3 tensor that is not a weight 'X.weight' with a "
                                 "scale 'X.weight{}'",
                                 where, kScaleSuffix));
      if (options.target == CastTarget::BF16 && tensor.dtype == TensorDType::F8_E4M3) {
        const Location *scale = find(tensor.name + std::string(kScaleSuffix));
        if (!scale)
          return Error(fmt::format("{}: an F8_E4M3 weight without its scale '{}{}'", where,
                                   tensor.name, kScaleSuffix));
        if (Status pair = checkScalePair(shard, tensor, plan.shards[scale->shard], *scale->tensor);
            !pair)
          return pair.error();
        planned.action = TensorAction::Dequantize;
        planned.scale = *scale->tensor;
        planned.scaleShard = scale->shard;
        output.dtype = TensorDType::BF16;
      }
      if (options.target == CastTarget::FP8 && !isScale && tensor.shape.size() == 2 &&
          tensor.dtype != TensorDType::F8_E4M3 && options.quantize(tensor.name)) {
        if (tensor.dtype != TensorDType::BF16)
          return Error(fmt::format("{}: a linear weight to quantize must be BF16, it is {}", where,
                                   dtypeName(tensor.dtype)));
        const std::string scaleName = tensor.name + std::string(kScaleSuffix);
        if (find(scaleName))
          return Error(
              fmt::format("{}: a BF16 weight that already has a scale '{}'", where, scaleName));
        planned.action = TensorAction::Quantize;
        output.dtype = TensorDType::F8_E4M3;
        shard.outputs.push_back({scaleName, TensorDType::F32, scaleShape(tensor.shape)});
      }
      if (options.target == CastTarget::FP8 && tensor.dtype == TensorDType::F8_E4M3) {
        // Already FP8: copied with its scale, which must be there and fit.
        const Location *scale = find(tensor.name + std::string(kScaleSuffix));
        if (!scale)
          return Error(fmt::format("{}: an F8_E4M3 weight without its scale '{}{}'", where,
                                   tensor.name, kScaleSuffix));
        if (Status pair = checkScalePair(shard, tensor, plan.shards[scale->shard], *scale->tensor);
            !pair)
          return pair.error();
      }
      shard.outputs.push_back(std::move(output));
      if (planned.action != TensorAction::Copy)
        ++plan.convertedCount;
      shard.tensors.push_back(std::move(planned));
    }
  }

  // Sizes, the working set and the output files' layouts.
  std::uint64_t tensorBytes = 0;
  for (PlannedShard &shard : plan.shards) {
    Expected<Header> layout = layoutSafetensors(shard.outputs, shard.metadata);
    if (!layout)
      return Error(fmt::format("{}: {}", (options.output / shard.fileName).string(),
                               layout.error().message()));
    shard.outputBytes = layout->dataOffset() + layout->dataBytes;
    tensorBytes += layout->dataBytes;
    plan.bytesToWrite += shard.outputBytes;
    plan.tensorCount += shard.tensors.size();
    for (const PlannedTensor &tensor : shard.tensors) {
      plan.bytesToRead += tensor.source.byteSize() + (tensor.scale ? tensor.scale->byteSize() : 0);
      if (tensor.action == TensorAction::Copy)
        continue; // written straight from the mapping
      // A piece is whole row blocks of about chunkBytes of bf16, at least
      // one row block. Dequantizing holds its bf16 output; quantizing its
      // e4m3 output and, for a misaligned input, an aligned bf16 copy.
      const std::int64_t k = tensor.source.shape[1];
      const std::uint64_t bf16Piece =
          std::max<std::uint64_t>(options.chunkBytes, std::uint64_t(kWeightBlock * k) * 2);
      const std::uint64_t piece =
          tensor.action == TensorAction::Dequantize ? bf16Piece : bf16Piece + bf16Piece / 2;
      const std::uint64_t scales =
          std::uint64_t(ceilDiv(tensor.source.shape[0], kWeightBlock) * ceilDiv(k, kWeightBlock)) *
          sizeof(float);
      plan.workingSetBytes = std::max(plan.workingSetBytes, piece + scales);
    }
  }

  if (index) {
    Json rewritten = *index;
    Json weightMap = Json::object();
    std::map<std::string, std::string> entries;
    for (const PlannedShard &shard : plan.shards)
      for (const TensorSpec &spec : shard.outputs)
        entries[spec.name] = shard.fileName;
    for (const auto &[name, file] : entries)
      weightMap[name] = file;
    rewritten["weight_map"] = std::move(weightMap);
    if (!rewritten.contains("metadata") || !rewritten["metadata"].is_object())
      rewritten["metadata"] = Json::object();
    rewritten["metadata"]["total_size"] = tensorBytes;
    plan.indexJson = rewritten.dump(2) + "\n";
    plan.bytesToWrite += plan.indexJson->size();
  }

  const fs::path configPath = options.input / kConfigFile;
  if (fs::exists(configPath)) {
    Expected<Json> config = readJson(configPath);
    if (!config)
      return config.error();
    if (!config->is_object())
      return Error(fmt::format("{}: not a JSON object", configPath.string()));
    if (options.target == CastTarget::BF16) {
      if (Status checked = checkQuantizationConfig(*config, configPath); !checked)
        return checked.error();
      config->erase("quantization_config");
    } else {
      (*config)["quantization_config"] = Json::parse(deepSeekQuantizationConfig());
    }
    plan.configJson = config->dump(2) + "\n";
    plan.bytesToWrite += plan.configJson->size();
  }

  std::set<std::string> planned(names->begin(), names->end());
  planned.insert(std::string(kIndexFile));
  planned.insert(std::string(kConfigFile));
  for (auto entry = fs::recursive_directory_iterator(options.input);
       entry != fs::recursive_directory_iterator(); ++entry) {
    if (!entry->is_regular_file())
      continue;
    fs::path relative = fs::relative(entry->path(), options.input);
    if (relative.has_parent_path() || !planned.count(relative.string())) {
      plan.otherFiles.push_back(relative);
      plan.bytesToWrite += entry->file_size();
    }
  }
  std::sort(plan.otherFiles.begin(), plan.otherFiles.end());

  // Free space where the output will be: its nearest existing ancestor.
  fs::path existing = fs::absolute(options.output);
  while (!fs::exists(existing) && existing.has_parent_path() && existing != existing.parent_path())
    existing = existing.parent_path();
  std::uint64_t available = options.availableBytes.value_or(0);
  if (!options.availableBytes) {
    std::error_code error;
    fs::space_info space = fs::space(existing, error);
    if (error)
      return Error(fmt::format("{}: cannot read the free disk space: {}", existing.string(),
                               error.message()));
    available = space.available;
  }
  if (available < plan.bytesToWrite)
    return Error(fmt::format("{}: the output needs {:.2f} GB but only {:.2f} GB are free on {}",
                             options.output.string(), double(plan.bytesToWrite) / 1e9,
                             double(available) / 1e9, existing.string()));
  return plan;
}

} // namespace

// The plan and the run call std::filesystem's throwing forms where a failure
// can only come from the file system itself (a path it rejects, a directory
// it cannot read); those become Errors here, and a failed run removes what
// it wrote as for any other failure.
Expected<CastPlan> planCast(const CastOptions &options) {
  try {
    return planCastOrThrow(options);
  } catch (const fs::filesystem_error &error) {
    return fileSystemError("planning", error);
  }
}

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

namespace {

/// One run of executeCast: its output files, the shards it keeps open, and
/// its progress.
class CastRun {
public:
  CastRun(const CastPlan &plan, const CastOptions &options, BlockCodec &codec,
          const ProgressCallback &progress)
      : plan_(plan), options_(options), codec_(codec), progress_(progress),
        start_(std::chrono::steady_clock::now()) {
    state_.tensorsTotal = plan.tensorCount;
    state_.bytesTotal = plan.bytesToRead;
  }

  Status run();
  /// Removes what this run created.
  void removeOutputs();

private:
  Status convertShard(std::size_t index);
  Status copyTensor(const SafetensorsFile &input, SafetensorsWriter &writer,
                    const PlannedTensor &tensor);
  Status dequantizeTensor(const SafetensorsFile &input, SafetensorsWriter &writer,
                          const PlannedTensor &tensor);
  Status quantizeTensor(const SafetensorsFile &input, SafetensorsWriter &writer,
                        const PlannedTensor &tensor);
  /// The scale of a weight as aligned floats, from whichever shard holds it.
  Expected<std::vector<float>> readScale(std::size_t shard, const TensorInfo &scale);
  /// Rows per piece of a weight with k columns: whole row blocks, about
  /// chunkBytes of bf16.
  std::int64_t rowsPerPiece(std::int64_t k) const;
  Status advance(std::uint64_t bytesRead, std::size_t tensorsDone);
  Status writeFile(const fs::path &relative, std::string_view text);
  Status copyFile(const fs::path &relative);
  Status renameInto(const fs::path &temporary, const fs::path &final);

  const CastPlan &plan_;
  const CastOptions &options_;
  BlockCodec &codec_;
  const ProgressCallback &progress_;
  std::chrono::steady_clock::time_point start_;
  CastProgress state_;

  std::vector<SafetensorsWriter> writers_; // finished, not yet renamed
  std::map<std::size_t, SafetensorsFile> openShards_;
  std::vector<fs::path> created_; // final paths and directories, to remove on failure
  bool createdOutputDirectory_ = false;
};

std::int64_t CastRun::rowsPerPiece(std::int64_t k) const {
  const std::int64_t rowBlockBytes = kWeightBlock * std::max<std::int64_t>(k, 1) * 2;
  return std::max<std::int64_t>(1, std::int64_t(options_.chunkBytes) / rowBlockBytes) *
         kWeightBlock;
}

Status CastRun::advance(std::uint64_t bytesRead, std::size_t tensorsDone) {
  state_.bytesRead += bytesRead;
  state_.tensorsDone += tensorsDone;
  state_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (progress_ && !progress_(state_))
    return Error("the conversion was cancelled");
  return Status::success();
}

Expected<std::vector<float>> CastRun::readScale(std::size_t shard, const TensorInfo &scale) {
  auto found = openShards_.find(shard);
  if (found == openShards_.end()) {
    Expected<SafetensorsFile> file = SafetensorsFile::open(plan_.shards[shard].inputPath);
    if (!file)
      return file.error();
    found = openShards_.emplace(shard, std::move(*file)).first;
  }
  const TensorInfo *tensor = found->second.header().find(scale.name);
  if (!tensor || tensor->byteSize() != scale.byteSize())
    return Error(fmt::format("{}: tensor '{}' changed since the conversion was planned",
                             found->second.path().string(), scale.name));
  std::span<const std::byte> bytes = found->second.data(*tensor);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

Status CastRun::copyTensor(const SafetensorsFile &input, SafetensorsWriter &writer,
                           const PlannedTensor &tensor) {
  std::span<const std::byte> bytes = input.data(tensor.source);
  for (std::size_t offset = 0; offset < bytes.size(); offset += options_.chunkBytes) {
    std::span<const std::byte> piece =
        bytes.subspan(offset, std::min(options_.chunkBytes, bytes.size() - offset));
    if (Status s = writer.append(tensor.source.name, piece); !s)
      return s;
    input.release(piece);
    if (Status s = advance(piece.size(), 0); !s)
      return s;
  }
  return advance(0, 1);
}

Status CastRun::dequantizeTensor(const SafetensorsFile &input, SafetensorsWriter &writer,
                                 const PlannedTensor &tensor) {
  const std::int64_t n = tensor.source.shape[0], k = tensor.source.shape[1];
  Expected<std::vector<float>> scale = readScale(tensor.scaleShard, *tensor.scale);
  if (!scale)
    return scale.error();
  const std::int64_t colBlocks = ceilDiv(k, kWeightBlock);
  std::span<const std::byte> q = input.data(tensor.source);
  const std::int64_t pieceRows = rowsPerPiece(k);
  std::vector<std::uint16_t> out(std::size_t(std::min(n, pieceRows) * k));
  for (std::int64_t row0 = 0; row0 < n; row0 += pieceRows) {
    const std::int64_t rows = std::min(pieceRows, n - row0);
    std::span<const std::byte> piece = q.subspan(std::size_t(row0 * k), std::size_t(rows * k));
    if (Status s =
            codec_.dequantize(reinterpret_cast<const std::uint8_t *>(piece.data()),
                              scale->data() + row0 / kWeightBlock * colBlocks, rows, k, out.data());
        !s)
      return Error(fmt::format("{}: tensor '{}': {}", input.path().string(), tensor.source.name,
                               s.error().message()));
    if (Status s = writer.append(tensor.source.name,
                                 std::as_bytes(std::span(out).first(std::size_t(rows * k))));
        !s)
      return s;
    input.release(piece);
    if (Status s = advance(piece.size(), 0); !s)
      return s;
  }
  return advance(tensor.scale->byteSize(), 1);
}

Status CastRun::quantizeTensor(const SafetensorsFile &input, SafetensorsWriter &writer,
                               const PlannedTensor &tensor) {
  const std::int64_t n = tensor.source.shape[0], k = tensor.source.shape[1];
  const std::int64_t colBlocks = ceilDiv(k, kWeightBlock);
  std::vector<float> scale(std::size_t(ceilDiv(n, kWeightBlock) * colBlocks));
  std::span<const std::byte> w = input.data(tensor.source);
  const std::int64_t pieceRows = rowsPerPiece(k);
  const std::size_t pieceElements = std::size_t(std::min(n, pieceRows) * k);
  std::vector<std::uint8_t> q(pieceElements);
  // The format does not align tensors; bf16 read through a misaligned
  // pointer goes through an aligned copy.
  const bool aligned = reinterpret_cast<std::uintptr_t>(w.data()) % alignof(std::uint16_t) == 0;
  std::vector<std::uint16_t> alignedCopy(aligned ? 0 : pieceElements);
  for (std::int64_t row0 = 0; row0 < n; row0 += pieceRows) {
    const std::int64_t rows = std::min(pieceRows, n - row0);
    std::span<const std::byte> piece =
        w.subspan(std::size_t(row0 * k) * 2, std::size_t(rows * k) * 2);
    const auto *values = reinterpret_cast<const std::uint16_t *>(piece.data());
    if (!aligned) {
      std::memcpy(alignedCopy.data(), piece.data(), piece.size());
      values = alignedCopy.data();
    }
    if (Status s = codec_.quantize(values, rows, k, q.data(),
                                   scale.data() + row0 / kWeightBlock * colBlocks);
        !s)
      return Error(fmt::format("{}: tensor '{}': {}", input.path().string(), tensor.source.name,
                               s.error().message()));
    if (Status s = writer.append(tensor.source.name,
                                 std::as_bytes(std::span(q).first(std::size_t(rows * k))));
        !s)
      return s;
    input.release(piece);
    if (Status s = advance(piece.size(), 0); !s)
      return s;
  }
  if (Status s = writer.append(tensor.source.name + std::string(kScaleSuffix),
                               std::as_bytes(std::span(scale)));
      !s)
    return s;
  return advance(0, 1);
}

Status CastRun::convertShard(std::size_t index) {
  const PlannedShard &shard = plan_.shards[index];
  Expected<SafetensorsFile> input = SafetensorsFile::open(shard.inputPath);
  if (!input)
    return input.error();
  Expected<SafetensorsWriter> writer =
      SafetensorsWriter::create(plan_.output / shard.fileName, shard.outputs, shard.metadata);
  if (!writer)
    return writer.error();
  for (const PlannedTensor &tensor : shard.tensors) {
    const TensorInfo *now = input->header().find(tensor.source.name);
    if (!now || now->begin != tensor.source.begin || now->end != tensor.source.end)
      return Error(fmt::format("{}: tensor '{}' changed since the conversion was planned",
                               shard.inputPath.string(), tensor.source.name));
    Status converted = tensor.action == TensorAction::Copy ? copyTensor(*input, *writer, tensor)
                       : tensor.action == TensorAction::Dequantize
                           ? dequantizeTensor(*input, *writer, tensor)
                           : quantizeTensor(*input, *writer, tensor);
    if (!converted)
      return converted;
  }
  if (Status finished = writer->finish(); !finished)
    return finished;
  writers_.push_back(std::move(*writer));
  // Scales read from other shards are small; their files need not stay open.
  openShards_.clear();
  return Status::success();
}

Status CastRun::renameInto(const fs::path &temporary, const fs::path &final) {
  std::error_code error;
  fs::rename(temporary, final, error);
  if (error) {
    fs::remove(temporary, error);
    return Error(fmt::format("{}: cannot rename from {}: {}", final.string(), temporary.string(),
                             error.message()));
  }
  created_.push_back(final);
  return Status::success();
}

Status CastRun::writeFile(const fs::path &relative, std::string_view text) {
  const fs::path final = plan_.output / relative;
  fs::path temporary = final;
  temporary += ".partial";
  {
    std::ofstream out(temporary, std::ios::binary);
    out.write(text.data(), std::streamsize(text.size()));
    if (!out.flush()) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      return Error(fmt::format("{}: cannot write", temporary.string()));
    }
  }
  return renameInto(temporary, final);
}

Status CastRun::copyFile(const fs::path &relative) {
  const fs::path final = plan_.output / relative;
  std::error_code error;
  if (relative.has_parent_path() && !fs::exists(final.parent_path())) {
    // Remember the topmost directory made, to remove it on failure.
    fs::path top = plan_.output / *relative.begin();
    bool madeTop = !fs::exists(top);
    fs::create_directories(final.parent_path(), error);
    if (error)
      return Error(
          fmt::format("{}: cannot create: {}", final.parent_path().string(), error.message()));
    if (madeTop)
      created_.push_back(top);
  }
  fs::path temporary = final;
  temporary += ".partial";
  fs::copy_file(plan_.input / relative, temporary, fs::copy_options::overwrite_existing, error);
  if (error) {
    fs::remove(temporary, error);
    return Error(fmt::format("{}: cannot copy to {}: {}", (plan_.input / relative).string(),
                             temporary.string(), error.message()));
  }
  return renameInto(temporary, final);
}

Status CastRun::run() {
  std::error_code error;
  if (!fs::exists(plan_.output)) {
    fs::create_directories(plan_.output, error);
    if (error)
      return Error(fmt::format("{}: cannot create: {}", plan_.output.string(), error.message()));
    createdOutputDirectory_ = true;
  }
  for (std::size_t shard = 0; shard < plan_.shards.size(); ++shard)
    if (Status s = convertShard(shard); !s)
      return s;
  for (const fs::path &relative : plan_.otherFiles)
    if (Status s = copyFile(relative); !s)
      return s;
  // Every shard is complete: only now do they get their final names, and
  // the index, which makes the directory a checkpoint, comes last.
  for (SafetensorsWriter &writer : writers_) {
    fs::path final = writer.temporaryPath();
    final.replace_extension();
    if (Status s = writer.commit(); !s)
      return s;
    created_.push_back(final);
  }
  writers_.clear();
  if (plan_.configJson)
    if (Status s = writeFile(std::string(kConfigFile), *plan_.configJson); !s)
      return s;
  if (plan_.indexJson)
    if (Status s = writeFile(std::string(kIndexFile), *plan_.indexJson); !s)
      return s;
  return Status::success();
}

void CastRun::removeOutputs() {
  for (SafetensorsWriter &writer : writers_)
    writer.abandon();
  writers_.clear();
  std::error_code ignored;
  // The index first, so that what is left never looks like a checkpoint.
  for (auto path = created_.rbegin(); path != created_.rend(); ++path)
    fs::remove_all(*path, ignored);
  if (createdOutputDirectory_)
    fs::remove(plan_.output, ignored); // only if nothing else went into it
}

} // namespace

Status executeCast(const CastPlan &plan, const CastOptions &options, BlockCodec &codec,
                   const ProgressCallback &progress) {
  CastRun run(plan, options, codec, progress);
  Status result = Status::success();
  try {
    result = run.run();
  } catch (const fs::filesystem_error &error) {
    result = fileSystemError("writing the output", error);
  }
  if (!result)
    run.removeOutputs();
  return result;
}

} // namespace tessel::checkpoint
