// The safetensors reader and writer: round trips, every malformed-file case
// the reader must reject with the file and the tensor named, the writer's
// all-or-nothing output, and agreement with Python's `safetensors` package
// where it is installed.
#include "tessel/checkpoint/Safetensors.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <numeric>
#include <random>
#include <string>

namespace tessel::checkpoint {
namespace {

namespace fs = std::filesystem;

class SafetensorsTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::path(::testing::TempDir()) / (std::string("tessel-safetensors-") +
                                                   info->name() + "-" + std::to_string(::getpid()));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  fs::path path(const std::string &name) const { return directory_ / name; }

  /// A file made of a length field, `json` and `dataBytes` zero bytes; the
  /// length field says `claimedLength` when given.
  fs::path rawFile(const std::string &name, const std::string &json, std::size_t dataBytes,
                   std::optional<std::uint64_t> claimedLength = std::nullopt) const {
    fs::path file = path(name);
    std::ofstream out(file, std::ios::binary);
    std::uint64_t length = claimedLength.value_or(json.size());
    for (int i = 0; i < 8; ++i)
      out.put(char(length >> (8 * i)));
    out << json << std::string(dataBytes, '\0');
    return file;
  }

  fs::path directory_;
};

std::vector<std::byte> randomBytes(std::size_t count, unsigned seed) {
  std::mt19937 generator(seed);
  std::vector<std::byte> bytes(count);
  for (std::byte &b : bytes)
    b = std::byte(generator() & 0xFF);
  return bytes;
}

std::vector<TensorBytes> everyDType() {
  const std::vector<TensorDType> dtypes = {
      TensorDType::F8_E4M3, TensorDType::F8_E5M2, TensorDType::BF16, TensorDType::F16,
      TensorDType::F32,     TensorDType::F64,     TensorDType::I8,   TensorDType::I16,
      TensorDType::I32,     TensorDType::I64,     TensorDType::U8,   TensorDType::BOOL,
      TensorDType::U16,     TensorDType::U32,     TensorDType::U64};
  std::vector<TensorBytes> tensors;
  unsigned seed = 1;
  for (TensorDType dtype : dtypes) {
    // Odd sizes, so that the writer's ordering is what keeps them aligned.
    std::vector<std::int64_t> shape = {3, 5};
    std::string name = "t." + std::string(dtypeName(dtype));
    tensors.push_back({{name, dtype, shape}, randomBytes(15 * elementSize(dtype), seed++)});
  }
  if (!tensors.empty())
    tensors.back().bytes = randomBytes(15 * 8, 99);
  tensors.push_back({{"scalar", TensorDType::F32, {}}, randomBytes(4, 7)});
  tensors.push_back({{"empty", TensorDType::BF16, {0, 4}}, {}});
  return tensors;
}

void expectMessage(const Error &error, std::initializer_list<std::string_view> parts) {
  for (std::string_view part : parts)
    EXPECT_NE(error.message().find(part), std::string::npos)
        << "'" << part << "' not in: " << error.message();
}

TEST_F(SafetensorsTest, RoundTripKeepsEveryDTypeShapeByteAndMetadata) {
  std::vector<TensorBytes> tensors = everyDType();
  std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "round trip"}};
  ASSERT_TRUE(writeSafetensors(path("all.safetensors"), tensors, metadata).ok());
  EXPECT_FALSE(fs::exists(path("all.safetensors.partial")));

  Expected<SafetensorsFile> file = SafetensorsFile::open(path("all.safetensors"));
  ASSERT_TRUE(file.ok()) << file.error().message();
  const Header &header = file->header();
  EXPECT_EQ(header.metadata, metadata);
  EXPECT_EQ(header.dataOffset() % 8, 0u) << "the header is padded to 8 bytes";
  ASSERT_EQ(header.tensors.size(), tensors.size());
  for (const TensorBytes &expected : tensors) {
    const TensorInfo *tensor = header.find(expected.spec.name);
    ASSERT_NE(tensor, nullptr) << expected.spec.name;
    EXPECT_EQ(tensor->dtype, expected.spec.dtype);
    EXPECT_EQ(tensor->shape, expected.spec.shape);
    EXPECT_EQ(tensor->begin % elementSize(tensor->dtype), 0u) << tensor->name << " is aligned";
    std::span<const std::byte> data = file->data(*tensor);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), expected.bytes.begin(), expected.bytes.end()))
        << tensor->name;
  }
  Expected<Header> again = readHeader(path("all.safetensors"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->tensors.size(), tensors.size());
}

TEST_F(SafetensorsTest, DTypeNamesRoundTrip) {
  for (const char *name : {"F8_E4M3", "F8_E5M2", "BF16", "F16", "F32", "F64", "I8", "I16", "I32",
                           "I64", "U8", "BOOL"}) {
    std::optional<TensorDType> dtype = parseTensorDType(name);
    ASSERT_TRUE(dtype) << name;
    EXPECT_EQ(dtypeName(*dtype), name);
  }
  EXPECT_FALSE(parseTensorDType("F4"));
}

TEST_F(SafetensorsTest, WriterStreamsPiecesInAnyTensorOrder) {
  std::vector<std::byte> a = randomBytes(4000, 1), b = randomBytes(64, 2);
  Expected<SafetensorsWriter> writer = SafetensorsWriter::create(
      path("pieces.safetensors"), {{"a", TensorDType::U8, {4000}}, {"b", TensorDType::F32, {16}}});
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  ASSERT_TRUE(writer->append("b", std::span(b)).ok());
  for (std::size_t i = 0; i < a.size(); i += 999)
    ASSERT_TRUE(
        writer->append("a", std::span(a).subspan(i, std::min<std::size_t>(999, a.size() - i)))
            .ok());
  EXPECT_FALSE(writer->append("a", std::span(b).first(1)).ok()) << "past the tensor's end";
  EXPECT_FALSE(writer->append("c", std::span(b)).ok()) << "no such tensor";
  ASSERT_TRUE(writer->commit().ok());
  Expected<SafetensorsFile> file = SafetensorsFile::open(path("pieces.safetensors"));
  ASSERT_TRUE(file.ok());
  std::span<const std::byte> readA = *file->data("a");
  EXPECT_TRUE(std::equal(readA.begin(), readA.end(), a.begin(), a.end()));
}

TEST_F(SafetensorsTest, UnfinishedWriterLeavesNoFile) {
  {
    Expected<SafetensorsWriter> writer =
        SafetensorsWriter::create(path("half.safetensors"), {{"x", TensorDType::U8, {16}}});
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->append("x", randomBytes(8, 3)).ok());
    EXPECT_TRUE(fs::exists(writer->temporaryPath()));
    Status committed = writer->commit();
    ASSERT_FALSE(committed.ok()) << "half the bytes are missing";
    expectMessage(committed.error(), {"half.safetensors", "'x'", "8 of its 16"});
  }
  EXPECT_FALSE(fs::exists(path("half.safetensors")));
  EXPECT_FALSE(fs::exists(path("half.safetensors.partial")));
}

TEST_F(SafetensorsTest, WriterRejectsDuplicateAndReservedNames) {
  EXPECT_FALSE(SafetensorsWriter::create(path("d.safetensors"),
                                         {{"x", TensorDType::U8, {1}}, {"x", TensorDType::U8, {1}}})
                   .ok());
  EXPECT_FALSE(
      SafetensorsWriter::create(path("m.safetensors"), {{"__metadata__", TensorDType::U8, {1}}})
          .ok());
  EXPECT_FALSE(fs::exists(path("d.safetensors.partial")));
}

// Malformed files: each is an Error that names the file and the tensor.

TEST_F(SafetensorsTest, RejectsTruncatedFile) {
  fs::path file = path("short.safetensors");
  std::ofstream(file, std::ios::binary) << "abc";
  Expected<Header> header = readHeader(file);
  ASSERT_FALSE(header.ok());
  expectMessage(header.error(), {"short.safetensors", "truncated"});
}

TEST_F(SafetensorsTest, RejectsHeaderLengthLargerThanFile) {
  Expected<Header> header = readHeader(rawFile("long.safetensors", "{}", 0, 1000));
  ASSERT_FALSE(header.ok());
  expectMessage(header.error(), {"long.safetensors", "header length 1000", "larger than the file"});
}

TEST_F(SafetensorsTest, RejectsBadJson) {
  Expected<Header> header = readHeader(rawFile("bad.safetensors", "{\"x\": {\"dtype\": ", 0));
  ASSERT_FALSE(header.ok());
  expectMessage(header.error(), {"bad.safetensors", "not valid JSON"});
  Expected<Header> notJson = readHeader(rawFile("bytes.safetensors", "PK\x03\x04", 0));
  ASSERT_FALSE(notJson.ok());
  expectMessage(notJson.error(), {"bytes.safetensors", "does not start with '{'"});
}

TEST_F(SafetensorsTest, RejectsUnknownDType) {
  Expected<Header> header = readHeader(rawFile(
      "dtype.safetensors", R"({"w": {"dtype": "F4", "shape": [2], "data_offsets": [0, 1]}})", 1));
  ASSERT_FALSE(header.ok());
  expectMessage(header.error(), {"dtype.safetensors", "'w'", "unknown dtype 'F4'"});
}

TEST_F(SafetensorsTest, RejectsOffsetsOutOfRange) {
  Expected<Header> header = readHeader(rawFile(
      "range.safetensors", R"({"w": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]}})", 4));
  ASSERT_FALSE(header.ok());
  expectMessage(header.error(), {"range.safetensors", "'w'", "out of range"});
  Expected<Header> reversed =
      readHeader(rawFile("reversed.safetensors",
                         R"({"w": {"dtype": "U8", "shape": [0], "data_offsets": [4, 0]}})", 4));
  ASSERT_FALSE(reversed.ok());
  expectMessage(reversed.error(), {"reversed.safetensors", "'w'", "end before"});
}

TEST_F(SafetensorsTest, RejectsOverlappingTensors) {
  Expected<Header> header =
      readHeader(rawFile("overlap.safetensors",
                         R"({"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]},)"
                         R"( "b": {"dtype": "U8", "shape": [8], "data_offsets": [4, 12]}})",
                         12));
  ASSERT_FALSE(header.ok());
  expectMessage(header.error(), {"overlap.safetensors", "'b'", "overlaps", "'a'"});
}

TEST_F(SafetensorsTest, RejectsGapsAndTrailingBytes) {
  Expected<Header> gap =
      readHeader(rawFile("gap.safetensors",
                         R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},)"
                         R"( "b": {"dtype": "U8", "shape": [4], "data_offsets": [8, 12]}})",
                         12));
  ASSERT_FALSE(gap.ok());
  expectMessage(gap.error(), {"gap.safetensors", "'b'", "gap", "'a'"});
  Expected<Header> start = readHeader(rawFile(
      "start.safetensors", R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}})", 6));
  ASSERT_FALSE(start.ok());
  expectMessage(start.error(), {"start.safetensors", "'a'", "gap"});
  Expected<Header> trailing =
      readHeader(rawFile("trailing.safetensors",
                         R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}})", 9));
  ASSERT_FALSE(trailing.ok());
  expectMessage(trailing.error(), {"trailing.safetensors", "cover 4 bytes of the 9-byte"});
}

TEST_F(SafetensorsTest, AcceptsTensorsListedOutOfOffsetOrder) {
  // JSON order is free; only the offsets must tile the data section.
  Expected<Header> header =
      readHeader(rawFile("order.safetensors",
                         R"({"b": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]},)"
                         R"( "a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}})",
                         8));
  ASSERT_TRUE(header.ok()) << header.error().message();
  EXPECT_EQ(header->tensors.front().name, "a");
}

TEST_F(SafetensorsTest, RejectsShapeSizeMismatch) {
  Expected<Header> header = readHeader(
      rawFile("shape.safetensors",
              R"({"w": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 6]}})", 6));
  ASSERT_FALSE(header.ok());
  expectMessage(header.error(), {"shape.safetensors", "'w'", "needs 12 bytes", "hold 6"});
  Expected<Header> overflow = readHeader(rawFile(
      "huge.safetensors",
      R"({"w": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})", 0));
  ASSERT_FALSE(overflow.ok());
  expectMessage(overflow.error(), {"huge.safetensors", "'w'", "more than 2^64"});
  Expected<Header> negative =
      readHeader(rawFile("negative.safetensors",
                         R"({"w": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 0]}})", 0));
  ASSERT_FALSE(negative.ok());
  expectMessage(negative.error(), {"negative.safetensors", "'w'", "non-negative"});
}

TEST_F(SafetensorsTest, RejectsDuplicateNamesAndBadMetadata) {
  Expected<Header> duplicate =
      readHeader(rawFile("dup.safetensors",
                         R"({"a": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]},)"
                         R"( "a": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}})",
                         0));
  ASSERT_FALSE(duplicate.ok());
  expectMessage(duplicate.error(), {"dup.safetensors", "'a'", "twice"});
  Expected<Header> metadata =
      readHeader(rawFile("meta.safetensors", R"({"__metadata__": {"step": 3}})", 0));
  ASSERT_FALSE(metadata.ok());
  expectMessage(metadata.error(), {"meta.safetensors", "'step'", "not a string"});
  Expected<Header> missing =
      readHeader(rawFile("fields.safetensors", R"({"w": {"dtype": "U8", "shape": [0]}})", 0));
  ASSERT_FALSE(missing.ok());
  expectMessage(missing.error(), {"fields.safetensors", "'w'", "data_offsets"});
}

// Python's `safetensors` reads what the writer writes, byte for byte, and the
// reader reads what Python writes. Skipped where the package is absent.

bool pythonHasSafetensors() {
  return std::system("python3 -c 'import safetensors; from safetensors import deserialize' "
                     ">/dev/null 2>&1") == 0;
}

TEST_F(SafetensorsTest, PythonSafetensorsLoadsWrittenFile) {
  if (!pythonHasSafetensors())
    GTEST_SKIP() << "python3 with the safetensors package is not available";
  std::vector<TensorBytes> tensors = everyDType();
  ASSERT_TRUE(writeSafetensors(path("py.safetensors"), tensors, {{"format", "pt"}}).ok());
  // The expected bytes of each tensor, one file each, for the script to compare.
  std::ofstream expected(path("expected.txt"));
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    std::ofstream(path("t" + std::to_string(i) + ".bin"), std::ios::binary)
        .write(reinterpret_cast<const char *>(tensors[i].bytes.data()),
               std::streamsize(tensors[i].bytes.size()));
    expected << tensors[i].spec.name << ' ' << dtypeName(tensors[i].spec.dtype) << ' ' << i;
    for (std::int64_t dim : tensors[i].spec.shape)
      expected << ' ' << dim;
    expected << '\n';
  }
  expected.close();
  std::ofstream(path("check.py")) << R"(import sys, os
from safetensors import deserialize, safe_open
d = sys.argv[1]
loaded = dict(deserialize(open(os.path.join(d, 'py.safetensors'), 'rb').read()))
names = set()
for line in open(os.path.join(d, 'expected.txt')):
    name, dtype, index, *shape = line.split()
    names.add(name)
    t = loaded[name]
    assert t['dtype'].upper() == dtype, (name, t['dtype'], dtype)
    assert list(t['shape']) == [int(s) for s in shape], (name, t['shape'], shape)
    want = open(os.path.join(d, 't%s.bin' % index), 'rb').read()
    assert bytes(t['data']) == want, name
assert names == set(loaded), (names, set(loaded))
with safe_open(os.path.join(d, 'py.safetensors'), framework='numpy') as f:
    assert f.metadata() == {'format': 'pt'}, f.metadata()
)";
  std::string command = "python3 " + path("check.py").string() + " " + directory_.string();
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

TEST_F(SafetensorsTest, ReadsFileWrittenByPythonSafetensors) {
  if (!pythonHasSafetensors())
    GTEST_SKIP() << "python3 with the safetensors package is not available";
  std::ofstream(path("write.py")) << R"(import sys
import numpy as np
from safetensors.numpy import save_file
save_file({'w': np.arange(15, dtype=np.uint8).reshape(3, 5),
           'b': np.arange(5, dtype=np.float32),
           'i': np.ones(1, dtype=np.int64)}, sys.argv[1], metadata={'format': 'pt'})
)";
  std::string command =
      "python3 " + path("write.py").string() + " " + path("from-python.safetensors").string();
  if (std::system(("python3 -c 'import numpy' >/dev/null 2>&1")) != 0)
    GTEST_SKIP() << "python3 has safetensors but not numpy";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  Expected<SafetensorsFile> file = SafetensorsFile::open(path("from-python.safetensors"));
  ASSERT_TRUE(file.ok()) << file.error().message();
  EXPECT_EQ(file->header().metadata.at("format"), "pt");
  const TensorInfo *w = file->header().find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, TensorDType::U8);
  EXPECT_EQ(w->shape, (std::vector<std::int64_t>{3, 5}));
  std::span<const std::byte> data = file->data(*w);
  for (std::size_t i = 0; i < data.size(); ++i)
    EXPECT_EQ(std::to_integer<int>(data[i]), int(i));
  EXPECT_EQ(file->header().find("b")->dtype, TensorDType::F32);
  EXPECT_EQ(file->header().find("i")->dtype, TensorDType::I64);
}

} // namespace
} // namespace tessel::checkpoint
