// The FP8 <-> BF16 checkpoint conversion on the CPU path: bit-exact against
// the kernels' CPU references in both directions on small generated
// checkpoints (several shards, shapes that are not multiples of 128, a weight
// and its scale in different shards, tensors that are copied), every planning
// error, and that a failed or cancelled run leaves nothing that looks finished.
#include "tessel/checkpoint/Fp8Cast.h"
#include "tessel/kernels/Reference.h"
#include "tessel/support/Float8.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <random>

namespace tessel::checkpoint {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

template <typename T> std::vector<std::byte> toBytes(const std::vector<T> &values) {
  std::vector<std::byte> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

template <typename T> std::vector<T> fromBytes(std::span<const std::byte> bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

/// bf16 values over several binades, some blocks all zero, so that scales
/// differ from block to block and the amax floor is met.
std::vector<std::uint16_t> randomBf16(std::int64_t n, std::int64_t k, unsigned seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::uint16_t> values(std::size_t(n * k));
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t c = 0; c < k; ++c) {
      const bool zeroBlock = (r / 128 + c / 128) % 3 == 2 && r >= 128;
      const float magnitude = std::ldexp(1.0f, int((r / 128 * 5 + c / 128 * 3) % 12) - 6);
      values[std::size_t(r * k + c)] = f32ToBf16(zeroBlock ? 0.0f : normal(generator) * magnitude);
    }
  return values;
}

struct QuantizedWeight {
  std::vector<std::uint16_t> bf16;
  std::vector<std::uint8_t> q;
  std::vector<float> s;
};

QuantizedWeight quantizedWeight(std::int64_t n, std::int64_t k, unsigned seed) {
  QuantizedWeight w;
  w.bf16 = randomBf16(n, k, seed);
  w.q.resize(w.bf16.size());
  w.s.resize(std::size_t(((n + 127) / 128) * ((k + 127) / 128)));
  kernels::weightQuantReference(w.bf16.data(), n, k, w.q.data(), w.s.data());
  return w;
}

TensorBytes bf16Tensor(const std::string &name, std::vector<std::int64_t> shape, unsigned seed) {
  std::int64_t n = shape[0], k = shape.size() > 1 ? shape[1] : 1;
  return {{name, TensorDType::BF16, shape}, toBytes(randomBf16(n, k, seed))};
}

void writeText(const fs::path &path, const std::string &text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string readText(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class Fp8CastTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::path(::testing::TempDir()) /
            (std::string("tessel-fp8cast-") + info->name() + "-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "fp8");
  }
  void TearDown() override { fs::remove_all(root_); }

  /// A DeepSeek-shaped FP8 checkpoint in root_/fp8 in three shards.
  /// q_proj is [200, 300] and gate_proj [130, 257]: neither side is a
  /// multiple of 128; gate_proj's scale lives in the third shard.
  void writeFp8Checkpoint() {
    weights_["model.layers.0.self_attn.q_proj.weight"] = quantizedWeight(200, 300, 1);
    weights_["model.layers.0.mlp.gate_proj.weight"] = quantizedWeight(130, 257, 2);
    weights_["model.layers.0.mlp.down_proj.weight"] = quantizedWeight(64, 128, 3);
    auto weight = [&](const std::string &name) {
      const QuantizedWeight &w = weights_.at(name);
      std::int64_t n = 0, k = 0;
      for (const auto &[key, shape] : shapes())
        if (key == name)
          n = shape[0], k = shape[1];
      return TensorBytes{{name, TensorDType::F8_E4M3, {n, k}}, toBytes(w.q)};
    };
    auto scale = [&](const std::string &name) {
      const QuantizedWeight &w = weights_.at(name);
      std::int64_t n = 0, k = 0;
      for (const auto &[key, shape] : shapes())
        if (key == name)
          n = shape[0], k = shape[1];
      return TensorBytes{
          {name + "_scale_inv", TensorDType::F32, {(n + 127) / 128, (k + 127) / 128}},
          toBytes(w.s)};
    };
    shards_ = {
        {bf16Tensor("model.embed_tokens.weight", {96, 300}, 10),
         weight("model.layers.0.self_attn.q_proj.weight"),
         scale("model.layers.0.self_attn.q_proj.weight"),
         bf16Tensor("model.layers.0.input_layernorm.weight", {300}, 11)},
        {weight("model.layers.0.mlp.gate_proj.weight"),
         bf16Tensor("model.layers.0.mlp.gate.weight", {8, 300}, 12),
         {{"model.layers.0.mlp.gate.e_score_correction_bias", TensorDType::F32, {8}},
          toBytes(std::vector<float>(8, 0.5f))},
         {{"step", TensorDType::I64, {}}, toBytes(std::vector<std::int64_t>{7})},
         weight("model.layers.0.mlp.down_proj.weight"),
         scale("model.layers.0.mlp.down_proj.weight")},
        {scale("model.layers.0.mlp.gate_proj.weight"),
         bf16Tensor("lm_head.weight", {50, 300}, 13),
         {{"model.norm.weight", TensorDType::F32, {300}}, toBytes(std::vector<float>(300, 1.0f))}},
    };
    Json weightMap = Json::object();
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      ASSERT_TRUE(
          writeSafetensors(root_ / "fp8" / shardName(i), shards_[i], {{"format", "pt"}}).ok());
      for (const TensorBytes &tensor : shards_[i])
        weightMap[tensor.spec.name] = shardName(i);
    }
    writeText(root_ / "fp8" / "model.safetensors.index.json",
              Json{{"metadata", {{"total_size", 1}}}, {"weight_map", weightMap}}.dump(2));
    writeText(root_ / "fp8" / "config.json",
              Json{{"architectures", {"DeepseekV3ForCausalLM"}},
                   {"hidden_size", 300},
                   {"quantization_config", Json::parse(deepSeekQuantizationConfig())}}
                  .dump(2));
    writeText(root_ / "fp8" / "tokenizer.json", R"({"version": "1.0"})");
    writeText(root_ / "fp8" / "extra" / "notes.txt", "kept as is\n");
  }

  static std::vector<std::pair<std::string, std::vector<std::int64_t>>> shapes() {
    return {{"model.layers.0.self_attn.q_proj.weight", {200, 300}},
            {"model.layers.0.mlp.gate_proj.weight", {130, 257}},
            {"model.layers.0.mlp.down_proj.weight", {64, 128}}};
  }

  static std::string shardName(std::size_t i) {
    return fmt::format("model-{:05}-of-{:05}.safetensors", i + 1, 3);
  }

  CastOptions options(const std::string &from, const std::string &to, CastTarget target) {
    CastOptions result;
    result.input = root_ / from;
    result.output = root_ / to;
    result.target = target;
    // Small pieces: every weight is converted in several of them.
    result.chunkBytes = 128 * 300 * 2;
    return result;
  }

  Status convert(const CastOptions &options, unsigned threads = 3) {
    Expected<CastPlan> plan = planCast(options);
    if (!plan)
      return plan.error();
    std::unique_ptr<BlockCodec> codec = makeCpuBlockCodec(threads);
    return executeCast(*plan, options, *codec);
  }

  /// Every file under `directory`, relative.
  static std::set<std::string> filesUnder(const fs::path &directory) {
    std::set<std::string> files;
    if (!fs::exists(directory))
      return files;
    for (const auto &entry : fs::recursive_directory_iterator(directory))
      if (entry.is_regular_file())
        files.insert(fs::relative(entry.path(), directory).string());
    return files;
  }

  fs::path root_;
  std::map<std::string, QuantizedWeight> weights_;
  std::vector<std::vector<TensorBytes>> shards_;
};

TEST_F(Fp8CastTest, ToBf16IsBitExactWithWeightDequantReference) {
  writeFp8Checkpoint();
  Status converted = convert(options("fp8", "bf16", CastTarget::BF16));
  ASSERT_TRUE(converted.ok()) << converted.error().message();

  std::uint64_t totalBytes = 0;
  Json index = Json::parse(readText(root_ / "bf16" / "model.safetensors.index.json"));
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    Expected<SafetensorsFile> file = SafetensorsFile::open(root_ / "bf16" / shardName(i));
    ASSERT_TRUE(file.ok()) << file.error().message();
    EXPECT_EQ(file->header().metadata.at("format"), "pt");
    totalBytes += file->header().dataBytes;
    std::size_t expectedCount = 0;
    for (const TensorBytes &tensor : shards_[i]) {
      const std::string &name = tensor.spec.name;
      const TensorInfo *out = file->header().find(name);
      if (name.ends_with("_scale_inv")) {
        EXPECT_EQ(out, nullptr) << name << " is dropped";
        EXPECT_FALSE(index["weight_map"].contains(name));
        continue;
      }
      ++expectedCount;
      ASSERT_NE(out, nullptr) << name;
      EXPECT_EQ(index["weight_map"][name], shardName(i));
      EXPECT_EQ(out->shape, tensor.spec.shape);
      std::span<const std::byte> data = file->data(*out);
      if (tensor.spec.dtype == TensorDType::F8_E4M3) {
        EXPECT_EQ(out->dtype, TensorDType::BF16);
        const QuantizedWeight &w = weights_.at(name);
        std::vector<std::uint16_t> expected(w.q.size());
        kernels::weightDequantReference(w.q.data(), w.s.data(), tensor.spec.shape[0],
                                        tensor.spec.shape[1], expected.data());
        EXPECT_EQ(fromBytes<std::uint16_t>(data), expected) << name;
      } else {
        EXPECT_EQ(out->dtype, tensor.spec.dtype) << name;
        EXPECT_TRUE(std::equal(data.begin(), data.end(), tensor.bytes.begin(), tensor.bytes.end()))
            << name << " is copied byte for byte";
      }
    }
    EXPECT_EQ(file->header().tensors.size(), expectedCount);
  }
  EXPECT_EQ(index["metadata"]["total_size"], totalBytes);

  Json config = Json::parse(readText(root_ / "bf16" / "config.json"));
  EXPECT_FALSE(config.contains("quantization_config"));
  EXPECT_EQ(config["hidden_size"], 300);
  EXPECT_EQ(readText(root_ / "bf16" / "tokenizer.json"), R"({"version": "1.0"})");
  EXPECT_EQ(readText(root_ / "bf16" / "extra" / "notes.txt"), "kept as is\n");
  for (const std::string &file : filesUnder(root_ / "bf16"))
    EXPECT_EQ(file.find(".partial"), std::string::npos) << file;
}

TEST_F(Fp8CastTest, ToFp8IsBitExactWithWeightQuantReferenceAndBack) {
  writeFp8Checkpoint();
  ASSERT_TRUE(convert(options("fp8", "bf16", CastTarget::BF16)).ok());
  Status quantized = convert(options("bf16", "fp8-again", CastTarget::FP8), 2);
  ASSERT_TRUE(quantized.ok()) << quantized.error().message();

  Json index = Json::parse(readText(root_ / "fp8-again" / "model.safetensors.index.json"));
  std::set<std::string> quantizedNames;
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    Expected<SafetensorsFile> bf16 = SafetensorsFile::open(root_ / "bf16" / shardName(i));
    Expected<SafetensorsFile> fp8 = SafetensorsFile::open(root_ / "fp8-again" / shardName(i));
    ASSERT_TRUE(bf16.ok() && fp8.ok());
    for (const TensorInfo &tensor : bf16->header().tensors) {
      const TensorInfo *out = fp8->header().find(tensor.name);
      ASSERT_NE(out, nullptr) << tensor.name;
      const TensorInfo *scale = fp8->header().find(tensor.name + "_scale_inv");
      if (out->dtype != TensorDType::F8_E4M3) {
        EXPECT_EQ(scale, nullptr) << tensor.name;
        std::span<const std::byte> a = bf16->data(tensor), b = fp8->data(*out);
        EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << tensor.name;
        continue;
      }
      quantizedNames.insert(tensor.name);
      ASSERT_NE(scale, nullptr) << tensor.name;
      EXPECT_EQ(index["weight_map"][tensor.name + "_scale_inv"], shardName(i))
          << "a new scale lives beside its weight";
      const std::int64_t n = tensor.shape[0], k = tensor.shape[1];
      std::vector<std::uint16_t> w = fromBytes<std::uint16_t>(bf16->data(tensor));
      std::vector<std::uint8_t> q(w.size());
      std::vector<float> s(std::size_t(((n + 127) / 128) * ((k + 127) / 128)));
      kernels::weightQuantReference(w.data(), n, k, q.data(), s.data());
      EXPECT_EQ(fromBytes<std::uint8_t>(fp8->data(*out)), q) << tensor.name;
      EXPECT_EQ(fromBytes<float>(fp8->data(*scale)), s) << tensor.name;
    }
  }
  // DeepSeek-V3's choice: linear layers, not the embedding, norms, router or head.
  EXPECT_EQ(quantizedNames, (std::set<std::string>{"model.layers.0.self_attn.q_proj.weight",
                                                   "model.layers.0.mlp.gate_proj.weight",
                                                   "model.layers.0.mlp.down_proj.weight"}));
  Json config = Json::parse(readText(root_ / "fp8-again" / "config.json"));
  EXPECT_EQ(config["quantization_config"], Json::parse(deepSeekQuantizationConfig()));

  // And back to bf16: the dequantization of what was just quantized.
  ASSERT_TRUE(convert(options("fp8-again", "bf16-again", CastTarget::BF16), 1).ok());
  Expected<SafetensorsFile> fp8 = SafetensorsFile::open(root_ / "fp8-again" / shardName(1));
  Expected<SafetensorsFile> back = SafetensorsFile::open(root_ / "bf16-again" / shardName(1));
  ASSERT_TRUE(fp8.ok() && back.ok());
  const std::string name = "model.layers.0.mlp.gate_proj.weight";
  // Its scale was in shard 3 of the input, but the FP8 output keeps it beside.
  std::vector<std::uint8_t> q = fromBytes<std::uint8_t>(*fp8->data(name));
  std::vector<float> s = fromBytes<float>(*fp8->data(name + "_scale_inv"));
  std::vector<std::uint16_t> expected(q.size());
  kernels::weightDequantReference(q.data(), s.data(), 130, 257, expected.data());
  EXPECT_EQ(fromBytes<std::uint16_t>(*back->data(name)), expected);
}

TEST_F(Fp8CastTest, SingleFileWithoutIndex) {
  QuantizedWeight w = quantizedWeight(129, 130, 5);
  fs::create_directories(root_ / "single");
  ASSERT_TRUE(
      writeSafetensors(root_ / "single" / "model.safetensors",
                       {{{"o_proj.weight", TensorDType::F8_E4M3, {129, 130}}, toBytes(w.q)},
                        {{"o_proj.weight_scale_inv", TensorDType::F32, {2, 2}}, toBytes(w.s)}})
          .ok());
  Status converted = convert(options("single", "single-bf16", CastTarget::BF16));
  ASSERT_TRUE(converted.ok()) << converted.error().message();
  EXPECT_EQ(filesUnder(root_ / "single-bf16"), (std::set<std::string>{"model.safetensors"}));
}

// Planning errors: found before anything is written.

class Fp8CastPlanTest : public Fp8CastTest {
protected:
  /// Rewrites shard `i` of the FP8 checkpoint with `tensors`, keeping the
  /// index in step unless told otherwise.
  void rewriteShard(std::size_t i, const std::vector<TensorBytes> &tensors,
                    bool updateIndex = true) {
    ASSERT_TRUE(writeSafetensors(root_ / "fp8" / shardName(i), tensors).ok());
    if (!updateIndex)
      return;
    Json index = Json::parse(readText(root_ / "fp8" / "model.safetensors.index.json"));
    for (auto it = index["weight_map"].begin(); it != index["weight_map"].end();)
      it = it.value() == shardName(i) ? index["weight_map"].erase(it) : std::next(it);
    for (const TensorBytes &tensor : tensors)
      index["weight_map"][tensor.spec.name] = shardName(i);
    writeText(root_ / "fp8" / "model.safetensors.index.json", index.dump());
  }

  /// Planning `--to target` fails with a message holding every part, and the
  /// output directory was not created.
  void expectPlanError(CastTarget target, std::initializer_list<std::string_view> parts,
                       std::optional<CastOptions> given = std::nullopt) {
    CastOptions opts = given.value_or(options("fp8", "out", target));
    Expected<CastPlan> plan = planCast(opts);
    ASSERT_FALSE(plan.ok());
    for (std::string_view part : parts)
      EXPECT_NE(plan.error().message().find(part), std::string::npos)
          << "'" << part << "' not in: " << plan.error().message();
    EXPECT_FALSE(fs::exists(root_ / "out"));
  }

  std::vector<TensorBytes> withoutTensor(std::size_t shard, const std::string &name) {
    std::vector<TensorBytes> tensors;
    for (const TensorBytes &tensor : shards_[shard])
      if (tensor.spec.name != name)
        tensors.push_back(tensor);
    return tensors;
  }
};

TEST_F(Fp8CastPlanTest, WeightWithoutScale) {
  writeFp8Checkpoint();
  rewriteShard(2, withoutTensor(2, "model.layers.0.mlp.gate_proj.weight_scale_inv"));
  expectPlanError(CastTarget::BF16,
                  {shardName(1), "'model.layers.0.mlp.gate_proj.weight'", "without its scale"});
}

TEST_F(Fp8CastPlanTest, ScaleWithoutWeight) {
  writeFp8Checkpoint();
  rewriteShard(1, withoutTensor(1, "model.layers.0.mlp.gate_proj.weight"));
  expectPlanError(
      CastTarget::BF16,
      {shardName(2), "'model.layers.0.mlp.gate_proj.weight_scale_inv'", "without its weight"});
}

TEST_F(Fp8CastPlanTest, ScaleShapeOrDTypeThatDoesNotFit) {
  writeFp8Checkpoint();
  std::vector<TensorBytes> tensors =
      withoutTensor(2, "model.layers.0.mlp.gate_proj.weight_scale_inv");
  tensors.push_back({{"model.layers.0.mlp.gate_proj.weight_scale_inv", TensorDType::F32, {1, 2}},
                     toBytes(std::vector<float>(2, 1.0f))});
  rewriteShard(2, tensors);
  expectPlanError(CastTarget::BF16,
                  {shardName(2), "gate_proj.weight_scale_inv", "[1, 2]", "[130, 257]", "[2, 3]"});
  tensors.back() = {{"model.layers.0.mlp.gate_proj.weight_scale_inv", TensorDType::BF16, {2, 3}},
                    toBytes(std::vector<std::uint16_t>(6, 0))};
  rewriteShard(2, tensors);
  expectPlanError(CastTarget::BF16, {"gate_proj.weight_scale_inv", "must be F32", "BF16"});
}

TEST_F(Fp8CastPlanTest, WeightThatIsNotTwoDimensional) {
  writeFp8Checkpoint();
  std::vector<TensorBytes> tensors = withoutTensor(1, "model.layers.0.mlp.down_proj.weight");
  tensors.push_back({{"model.layers.0.mlp.down_proj.weight", TensorDType::F8_E4M3, {64 * 128}},
                     std::vector<std::byte>(64 * 128)});
  rewriteShard(1, tensors);
  expectPlanError(CastTarget::BF16, {shardName(1), "down_proj.weight", "must be 2-D"});
}

TEST_F(Fp8CastPlanTest, IndexThatDisagreesWithTheShards) {
  writeFp8Checkpoint();
  Json index = Json::parse(readText(root_ / "fp8" / "model.safetensors.index.json"));
  index["weight_map"]["lm_head.weight"] = shardName(0);
  writeText(root_ / "fp8" / "model.safetensors.index.json", index.dump());
  expectPlanError(CastTarget::BF16, {"model.safetensors.index.json", "'lm_head.weight'",
                                     shardName(2), "indexed in " + shardName(0)});
  index["weight_map"]["lm_head.weight"] = shardName(2);
  index["weight_map"]["ghost.weight"] = shardName(2);
  writeText(root_ / "fp8" / "model.safetensors.index.json", index.dump());
  expectPlanError(CastTarget::BF16, {"'ghost.weight'", "no such tensor"});
  index["weight_map"]["ghost.weight"] = "model-00009-of-00009.safetensors";
  writeText(root_ / "fp8" / "model.safetensors.index.json", index.dump());
  expectPlanError(CastTarget::BF16, {"'ghost.weight'", "does not exist"});
  index["weight_map"].erase("ghost.weight");
  index["weight_map"].erase("lm_head.weight");
  writeText(root_ / "fp8" / "model.safetensors.index.json", index.dump());
  expectPlanError(CastTarget::BF16, {"'lm_head.weight'", "not in the index"});
  writeText(root_ / "fp8" / "model.safetensors.index.json", "{\"weight_map\": ");
  expectPlanError(CastTarget::BF16, {"model.safetensors.index.json", "not valid JSON"});
}

TEST_F(Fp8CastPlanTest, MalformedShardNamesTheFile) {
  writeFp8Checkpoint();
  fs::resize_file(root_ / "fp8" / shardName(1), fs::file_size(root_ / "fp8" / shardName(1)) - 5);
  expectPlanError(CastTarget::BF16, {shardName(1), "out of range"});
}

TEST_F(Fp8CastPlanTest, TensorInTwoShards) {
  writeFp8Checkpoint();
  std::vector<TensorBytes> tensors = shards_[2];
  tensors.push_back(bf16Tensor("model.embed_tokens.weight", {96, 300}, 10));
  rewriteShard(2, tensors, false);
  expectPlanError(CastTarget::BF16, {"'model.embed_tokens.weight'", shardName(0), shardName(2)});
}

TEST_F(Fp8CastPlanTest, OutputDirectoryEqualToInsideOrNotEmpty) {
  writeFp8Checkpoint();
  CastOptions same = options("fp8", "fp8", CastTarget::BF16);
  EXPECT_FALSE(planCast(same).ok());
  CastOptions inside = options("fp8", "fp8/sub/out", CastTarget::BF16);
  Expected<CastPlan> plan = planCast(inside);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message().find("inside"), std::string::npos) << plan.error().message();
  CastOptions dotted = options("fp8", "out/../fp8", CastTarget::BF16);
  EXPECT_FALSE(planCast(dotted).ok());
  writeText(root_ / "busy" / "file", "x");
  expectPlanError(CastTarget::BF16, {"not empty"}, options("fp8", "busy", CastTarget::BF16));
}

TEST_F(Fp8CastPlanTest, PathsTheFileSystemRejectsAreErrors) {
  // A name longer than a file system allows (NAME_MAX is 255 bytes): the
  // checks of the input and the output fail inside std::filesystem, which
  // throws; planning reports it, naming the path.
  writeFp8Checkpoint();
  const std::string tooLong(300, 'x');
  expectPlanError(CastTarget::BF16, {"planning: filesystem error", "too long", tooLong},
                  options(tooLong, "out", CastTarget::BF16));
  expectPlanError(CastTarget::BF16, {"planning: filesystem error", "too long", tooLong},
                  options("fp8", tooLong + "/out", CastTarget::BF16));
}

TEST_F(Fp8CastPlanTest, NotEnoughDiskSpace) {
  writeFp8Checkpoint();
  CastOptions opts = options("fp8", "out", CastTarget::BF16);
  opts.availableBytes = 1000;
  expectPlanError(CastTarget::BF16, {"needs", "GB", "free"}, opts);
}

TEST_F(Fp8CastPlanTest, ConfigThatDoesNotFit) {
  writeFp8Checkpoint();
  writeText(root_ / "fp8" / "config.json",
            R"({"quantization_config": {"fmt": "e4m3", "weight_block_size": [64, 64]}})");
  expectPlanError(CastTarget::BF16, {"config.json", "weight_block_size", "[64,64]"});
  writeText(root_ / "fp8" / "config.json", "{");
  expectPlanError(CastTarget::BF16, {"config.json", "not valid JSON"});
}

TEST_F(Fp8CastPlanTest, Fp8TargetNeedsBf16LinearWeights) {
  writeFp8Checkpoint();
  rewriteShard(0, {{{"model.layers.0.self_attn.o_proj.weight", TensorDType::F32, {4, 4}},
                    toBytes(std::vector<float>(16, 1.0f))}});
  ASSERT_TRUE(fs::remove(root_ / "fp8" / "model.safetensors.index.json"));
  fs::remove(root_ / "fp8" / shardName(1));
  fs::remove(root_ / "fp8" / shardName(2));
  expectPlanError(CastTarget::FP8, {shardName(0), "'model.layers.0.self_attn.o_proj.weight'",
                                    "must be BF16", "F32"});
}

TEST(Fp8CastFilter, FollowsDeepSeekV3) {
  for (const char *name :
       {"model.layers.3.self_attn.q_a_proj.weight", "model.layers.3.self_attn.kv_b_proj.weight",
        "model.layers.3.self_attn.o_proj.weight", "model.layers.3.mlp.gate_proj.weight",
        "model.layers.3.mlp.experts.17.down_proj.weight",
        "model.layers.3.mlp.shared_experts.up_proj.weight", "model.layers.61.eh_proj.weight"})
    EXPECT_TRUE(isQuantizedLinearWeight(name)) << name;
  for (const char *name :
       {"model.embed_tokens.weight", "lm_head.weight", "model.layers.3.mlp.gate.weight",
        "model.layers.3.input_layernorm.weight", "model.layers.3.self_attn.kv_a_layernorm.weight",
        "model.norm.weight", "model.layers.61.enorm.weight",
        "model.layers.61.shared_head.head.weight",
        "model.layers.3.mlp.gate.e_score_correction_bias", "model.layers.3.self_attn.o_proj.bias"})
    EXPECT_FALSE(isQuantizedLinearWeight(name)) << name;
}

// Failed and cancelled runs: nothing that looks finished is left.

class FailingCodec final : public BlockCodec {
public:
  explicit FailingCodec(int callsBeforeFailure) : left_(callsBeforeFailure) {}
  std::string description() const override { return "failing"; }
  Status dequantize(const std::uint8_t *q, const float *s, std::int64_t rows, std::int64_t k,
                    std::uint16_t *out) override {
    if (left_-- <= 0)
      return Error("the device went away");
    kernels::weightDequantReference(q, s, rows, k, out);
    return Status::success();
  }
  Status quantize(const std::uint16_t *, std::int64_t, std::int64_t, std::uint8_t *,
                  float *) override {
    return Error("the device went away");
  }

private:
  int left_;
};

TEST_F(Fp8CastTest, FailedRunLeavesNothingThatLooksFinished) {
  writeFp8Checkpoint();
  CastOptions opts = options("fp8", "failed", CastTarget::BF16);
  Expected<CastPlan> plan = planCast(opts);
  ASSERT_TRUE(plan.ok());
  // Fails in the second shard, after the first is complete.
  FailingCodec codec(3);
  Status result = executeCast(*plan, opts, codec);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("the device went away"), std::string::npos);
  EXPECT_NE(result.error().message().find("gate_proj"), std::string::npos)
      << result.error().message();
  EXPECT_EQ(filesUnder(root_ / "failed"), std::set<std::string>{});
  EXPECT_FALSE(fs::exists(root_ / "failed"));
}

TEST_F(Fp8CastTest, CancelledRunLeavesNothingThatLooksFinished) {
  writeFp8Checkpoint();
  fs::create_directories(root_ / "cancelled"); // an existing empty output stays, empty
  CastOptions opts = options("fp8", "cancelled", CastTarget::BF16);
  Expected<CastPlan> plan = planCast(opts);
  ASSERT_TRUE(plan.ok());
  std::unique_ptr<BlockCodec> codec = makeCpuBlockCodec(2);
  std::size_t calls = 0, lastTensors = 0;
  Status result = executeCast(*plan, opts, *codec, [&](const CastProgress &progress) {
    EXPECT_LE(progress.bytesRead, progress.bytesTotal);
    EXPECT_GE(progress.tensorsDone, lastTensors);
    lastTensors = progress.tensorsDone;
    return ++calls < 12;
  });
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("cancelled"), std::string::npos);
  EXPECT_EQ(filesUnder(root_ / "cancelled"), std::set<std::string>{});
  EXPECT_TRUE(fs::is_directory(root_ / "cancelled"));
}

TEST_F(Fp8CastTest, ProgressCountsEveryTensorAndByte) {
  writeFp8Checkpoint();
  CastOptions opts = options("fp8", "progress", CastTarget::BF16);
  Expected<CastPlan> plan = planCast(opts);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->convertedCount, 3u);
  EXPECT_GT(plan->workingSetBytes, 0u);
  std::unique_ptr<BlockCodec> codec = makeCpuBlockCodec(2);
  CastProgress last;
  ASSERT_TRUE(executeCast(*plan, opts, *codec, [&](const CastProgress &progress) {
                last = progress;
                return true;
              }).ok());
  EXPECT_EQ(last.tensorsDone, last.tensorsTotal);
  EXPECT_EQ(last.bytesRead, last.bytesTotal);
  EXPECT_EQ(last.tensorsTotal, plan->tensorCount);
}

} // namespace
} // namespace tessel::checkpoint
