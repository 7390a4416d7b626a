// The safetensors reader and writer. The checks follow the format's own
// loader (safetensors/src/tensor.rs, `Metadata::validate`): the header starts
// with '{', is at most kMaxHeaderBytes, and the tensors, sorted by offset,
// tile the data section from 0 to its end with no gap and no overlap, each
// exactly as large as its shape and dtype say.
#include "tessel/checkpoint/Safetensors.h"

#include "tessel/support/FileDescriptor.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tessel::checkpoint {
namespace {

struct DTypeEntry {
  TensorDType dtype;
  std::string_view name;
  std::size_t size;
};

constexpr std::array<DTypeEntry, 15> kDTypes = {{
    {TensorDType::BOOL, "BOOL", 1},
    {TensorDType::U8, "U8", 1},
    {TensorDType::I8, "I8", 1},
    {TensorDType::F8_E4M3, "F8_E4M3", 1},
    {TensorDType::F8_E5M2, "F8_E5M2", 1},
    {TensorDType::U16, "U16", 2},
    {TensorDType::I16, "I16", 2},
    {TensorDType::F16, "F16", 2},
    {TensorDType::BF16, "BF16", 2},
    {TensorDType::U32, "U32", 4},
    {TensorDType::I32, "I32", 4},
    {TensorDType::F32, "F32", 4},
    {TensorDType::U64, "U64", 8},
    {TensorDType::I64, "I64", 8},
    {TensorDType::F64, "F64", 8},
}};

const DTypeEntry &entry(TensorDType dtype) {
  for (const DTypeEntry &e : kDTypes)
    if (e.dtype == dtype)
      return e;
  return kDTypes.front();
}

std::string systemError(int error) { return std::strerror(error); }

/// a * b, or nullopt when it overflows 64 bits.
std::optional<std::uint64_t> multiply(std::uint64_t a, std::uint64_t b) {
  std::uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product))
    return std::nullopt;
  return product;
}

/// Reads exactly `bytes` at `offset`; false on a short read or an error.
bool readAt(int fd, void *destination, std::size_t bytes, std::uint64_t offset) {
  auto *out = static_cast<char *>(destination);
  while (bytes > 0) {
    ssize_t got = ::pread(fd, out, bytes, off_t(offset));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    out += got;
    bytes -= std::size_t(got);
    offset += std::uint64_t(got);
  }
  return true;
}

Status writeAt(int fd, const void *source, std::size_t bytes, std::uint64_t offset) {
  const auto *in = static_cast<const char *>(source);
  while (bytes > 0) {
    ssize_t put = ::pwrite(fd, in, bytes, off_t(offset));
    if (put < 0 && errno == EINTR)
      continue;
    if (put < 0)
      return Error(systemError(errno));
    in += put;
    bytes -= std::size_t(put);
    offset += std::uint64_t(put);
  }
  return Status::success();
}

Expected<Header> readHeaderFrom(int fd, const std::filesystem::path &path) {
  const std::string file = path.string();
  struct stat info {};
  if (::fstat(fd, &info) != 0)
    return Error(fmt::format("{}: cannot stat: {}", file, systemError(errno)));
  const auto fileBytes = std::uint64_t(info.st_size);
  std::array<unsigned char, 8> length{};
  if (fileBytes < length.size() || !readAt(fd, length.data(), length.size(), 0))
    return Error(fmt::format("{}: truncated file: {} bytes, fewer than the 8 of the header length",
                             file, fileBytes));
  std::uint64_t headerBytes = 0;
  for (int i = 7; i >= 0; --i) // little-endian
    headerBytes = headerBytes << 8 | length[std::size_t(i)];
  if (headerBytes > fileBytes - 8)
    return Error(fmt::format("{}: header length {} is larger than the file ({} bytes after the "
                             "length field): truncated or not a safetensors file",
                             file, headerBytes, fileBytes - 8));
  if (headerBytes > kMaxHeaderBytes)
    return Error(fmt::format("{}: header length {} exceeds the limit of {} bytes", file,
                             headerBytes, kMaxHeaderBytes));
  std::string json(headerBytes, '\0');
  if (!readAt(fd, json.data(), json.size(), 8))
    return Error(fmt::format("{}: cannot read the {}-byte header: {}", file, headerBytes,
                             systemError(errno)));
  return parseHeader(json, fileBytes - 8 - headerBytes, file);
}

Expected<std::vector<std::int64_t>> parseShape(const nlohmann::json &shape,
                                               const std::string &where) {
  if (!shape.is_array())
    return Error(fmt::format("{}: 'shape' is not an array", where));
  std::vector<std::int64_t> dims;
  for (const nlohmann::json &dim : shape) {
    if (!dim.is_number_integer() || dim.get<std::int64_t>() < 0)
      return Error(fmt::format("{}: shape {} has an entry that is not a non-negative integer",
                               where, shape.dump()));
    dims.push_back(dim.get<std::int64_t>());
  }
  return dims;
}

} // namespace

std::string_view dtypeName(TensorDType dtype) { return entry(dtype).name; }

std::optional<TensorDType> parseTensorDType(std::string_view name) {
  for (const DTypeEntry &e : kDTypes)
    if (e.name == name)
      return e.dtype;
  return std::nullopt;
}

std::size_t elementSize(TensorDType dtype) { return entry(dtype).size; }

std::uint64_t TensorInfo::numElements() const {
  std::uint64_t count = 1;
  for (std::int64_t dim : shape)
    count *= std::uint64_t(dim);
  return count;
}

const TensorInfo *Header::find(std::string_view name) const {
  for (const TensorInfo &tensor : tensors)
    if (tensor.name == name)
      return &tensor;
  return nullptr;
}

Expected<Header> parseHeader(std::string_view json, std::uint64_t dataBytes,
                             std::string_view fileName) {
  const std::string file(fileName);
  if (json.empty() || json.front() != '{')
    return Error(
        fmt::format("{}: the header does not start with '{{': not a safetensors file", file));

  // nlohmann keeps the last of duplicate keys; the format's loader rejects
  // them, and so does this one.
  std::set<std::string> keys;
  std::string duplicate;
  auto noteKeys = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json &parsed) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key && duplicate.empty() &&
        !keys.insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(json.begin(), json.end(), noteKeys);
  } catch (const nlohmann::json::exception &error) {
    return Error(fmt::format("{}: the header is not valid JSON: {}", file, error.what()));
  }
  if (!root.is_object())
    return Error(fmt::format("{}: the header is not a JSON object", file));
  if (!duplicate.empty())
    return Error(fmt::format("{}: tensor '{}' appears twice in the header", file, duplicate));

  Header header;
  header.headerBytes = json.size();
  header.dataBytes = dataBytes;
  for (const auto &[name, value] : root.items()) {
    if (name == "__metadata__") {
      if (!value.is_object())
        return Error(fmt::format("{}: '__metadata__' is not an object of strings", file));
      for (const auto &[key, text] : value.items()) {
        if (!text.is_string())
          return Error(fmt::format("{}: '__metadata__' entry '{}' is not a string", file, key));
        header.metadata[key] = text.get<std::string>();
      }
      continue;
    }
    const std::string where = fmt::format("{}: tensor '{}'", file, name);
    if (!value.is_object())
      return Error(fmt::format("{}: is not an object", where));
    auto dtypeField = value.find("dtype");
    auto shapeField = value.find("shape");
    auto offsetsField = value.find("data_offsets");
    if (dtypeField == value.end() || shapeField == value.end() || offsetsField == value.end())
      return Error(fmt::format("{}: needs 'dtype', 'shape' and 'data_offsets'", where));
    if (!dtypeField->is_string())
      return Error(fmt::format("{}: 'dtype' is not a string", where));
    std::optional<TensorDType> dtype = parseTensorDType(dtypeField->get<std::string>());
    if (!dtype)
      return Error(fmt::format("{}: unknown dtype '{}'", where, dtypeField->get<std::string>()));
    Expected<std::vector<std::int64_t>> shape = parseShape(*shapeField, where);
    if (!shape)
      return shape.error();
    const nlohmann::json &offsets = *offsetsField;
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      return Error(fmt::format("{}: 'data_offsets' is not a pair of non-negative integers", where));

    TensorInfo tensor;
    tensor.name = name;
    tensor.dtype = *dtype;
    tensor.shape = std::move(*shape);
    tensor.begin = offsets[0].get<std::uint64_t>();
    tensor.end = offsets[1].get<std::uint64_t>();
    if (tensor.end < tensor.begin)
      return Error(fmt::format("{}: data_offsets [{}, {}] end before they begin", where,
                               tensor.begin, tensor.end));
    if (tensor.end > dataBytes)
      return Error(fmt::format("{}: data_offsets [{}, {}] are out of range: the data section has "
                               "{} bytes (truncated file?)",
                               where, tensor.begin, tensor.end, dataBytes));
    std::optional<std::uint64_t> bytes = elementSize(tensor.dtype);
    for (std::int64_t dim : tensor.shape)
      if (bytes)
        bytes = multiply(*bytes, std::uint64_t(dim));
    if (!bytes || *bytes != tensor.byteSize())
      return Error(fmt::format("{}: {} [{}] needs {} bytes but data_offsets [{}, {}] hold {}",
                               where, dtypeName(tensor.dtype), fmt::join(tensor.shape, ", "),
                               bytes ? fmt::to_string(*bytes) : "more than 2^64", tensor.begin,
                               tensor.end, tensor.byteSize()));
    header.tensors.push_back(std::move(tensor));
  }

  std::stable_sort(header.tensors.begin(), header.tensors.end(),
                   [](const TensorInfo &a, const TensorInfo &b) {
                     return std::pair(a.begin, a.end) < std::pair(b.begin, b.end);
                   });
  std::uint64_t covered = 0;
  const TensorInfo *previous = nullptr;
  for (const TensorInfo &tensor : header.tensors) {
    if (tensor.begin < covered)
      return Error(fmt::format("{}: tensor '{}' (bytes [{}, {}]) overlaps tensor '{}' (bytes [{}, "
                               "{}])",
                               file, tensor.name, tensor.begin, tensor.end, previous->name,
                               previous->begin, previous->end));
    if (tensor.begin > covered)
      return Error(fmt::format(
          "{}: tensor '{}' starts at byte {} of the data section, leaving "
          "a gap after {}",
          file, tensor.name, tensor.begin,
          previous ? fmt::format("tensor '{}' (ends at {})", previous->name, previous->end)
                   : std::string("its start")));
    covered = tensor.end;
    previous = &tensor;
  }
  if (covered != dataBytes)
    return Error(fmt::format("{}: the tensors cover {} bytes of the {}-byte data section; the "
                             "rest follows no tensor",
                             file, covered, dataBytes));
  return header;
}

Expected<Header> readHeader(const std::filesystem::path &path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return Error(fmt::format("{}: cannot open: {}", path.string(), systemError(errno)));
  return readHeaderFrom(fd.get(), path);
}

//===----------------------------------------------------------------------===//
// SafetensorsFile
//===----------------------------------------------------------------------===//

Expected<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path &path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return Error(fmt::format("{}: cannot open: {}", path.string(), systemError(errno)));
  Expected<Header> header = readHeaderFrom(fd.get(), path);
  if (!header)
    return header.error();
  SafetensorsFile file;
  file.path_ = path;
  file.header_ = std::move(*header);
  file.mappingBytes_ = std::size_t(file.header_.dataOffset() + file.header_.dataBytes);
  void *mapping = ::mmap(nullptr, file.mappingBytes_, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (mapping == MAP_FAILED)
    return Error(fmt::format("{}: cannot map {} bytes: {}", path.string(), file.mappingBytes_,
                             systemError(errno)));
  file.mapping_ = static_cast<const std::byte *>(mapping);
  return file;
}

SafetensorsFile::SafetensorsFile(SafetensorsFile &&other) noexcept
    : path_(std::move(other.path_)), header_(std::move(other.header_)),
      mapping_(std::exchange(other.mapping_, nullptr)),
      mappingBytes_(std::exchange(other.mappingBytes_, 0)) {}

SafetensorsFile &SafetensorsFile::operator=(SafetensorsFile &&other) noexcept {
  if (this != &other) {
    if (mapping_)
      ::munmap(const_cast<std::byte *>(mapping_), mappingBytes_);
    path_ = std::move(other.path_);
    header_ = std::move(other.header_);
    mapping_ = std::exchange(other.mapping_, nullptr);
    mappingBytes_ = std::exchange(other.mappingBytes_, 0);
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_)
    ::munmap(const_cast<std::byte *>(mapping_), mappingBytes_);
}

std::span<const std::byte> SafetensorsFile::data(const TensorInfo &tensor) const {
  return {mapping_ + header_.dataOffset() + tensor.begin, std::size_t(tensor.byteSize())};
}

Expected<std::span<const std::byte>> SafetensorsFile::data(std::string_view name) const {
  const TensorInfo *tensor = header_.find(name);
  if (!tensor)
    return Error(fmt::format("{}: no tensor '{}'", path_.string(), name));
  return data(*tensor);
}

void SafetensorsFile::release(std::span<const std::byte> bytes) const {
  // Only whole pages inside the range: a page shared with a neighbouring
  // tensor may still be wanted.
  const auto page = std::uintptr_t(::sysconf(_SC_PAGESIZE));
  auto first = (std::uintptr_t(bytes.data()) + page - 1) / page * page;
  auto last = (std::uintptr_t(bytes.data()) + bytes.size()) / page * page;
  if (last > first)
    ::madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
}

//===----------------------------------------------------------------------===//
// SafetensorsWriter
//===----------------------------------------------------------------------===//

namespace {

/// A header laid out for writing: offsets and the padded JSON text.
struct HeaderLayout {
  Header header;
  std::string text;
};

Expected<HeaderLayout> layout(std::vector<TensorSpec> tensors,
                              const std::map<std::string, std::string> &metadata,
                              const std::string &file) {
  // The format's writer orders by alignment, then by name: every tensor then
  // starts at a multiple of its element size, given the padded header.
  std::stable_sort(tensors.begin(), tensors.end(), [](const TensorSpec &a, const TensorSpec &b) {
    std::size_t sa = elementSize(a.dtype), sb = elementSize(b.dtype);
    return sa != sb ? sa > sb : a.name < b.name;
  });
  HeaderLayout result;
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  if (!metadata.empty())
    json["__metadata__"] = metadata;
  std::set<std::string_view> names;
  std::uint64_t offset = 0;
  for (const TensorSpec &spec : tensors) {
    const std::string where = fmt::format("{}: tensor '{}'", file, spec.name);
    if (spec.name == "__metadata__")
      return Error(fmt::format("{}: the name is reserved for the metadata", where));
    if (!names.insert(spec.name).second)
      return Error(fmt::format("{}: is given twice", where));
    std::optional<std::uint64_t> bytes = elementSize(spec.dtype);
    for (std::int64_t dim : spec.shape) {
      if (dim < 0)
        return Error(fmt::format("{}: negative dimension in shape [{}]", where,
                                 fmt::join(spec.shape, ", ")));
      if (bytes)
        bytes = multiply(*bytes, std::uint64_t(dim));
    }
    if (!bytes || offset + *bytes < offset)
      return Error(fmt::format("{}: its size overflows 64 bits", where));
    TensorInfo tensor;
    tensor.name = spec.name;
    tensor.dtype = spec.dtype;
    tensor.shape = spec.shape;
    tensor.begin = offset;
    tensor.end = offset + *bytes;
    offset = tensor.end;
    json[spec.name] = {{"dtype", dtypeName(spec.dtype)},
                       {"shape", spec.shape},
                       {"data_offsets", {tensor.begin, tensor.end}}};
    result.header.tensors.push_back(std::move(tensor));
  }
  result.text = json.dump();
  // The data section starts at a multiple of 8 bytes; the format pads the
  // header with spaces, which JSON ignores.
  result.text.append((8 - result.text.size() % 8) % 8, ' ');
  result.header.metadata = metadata;
  result.header.headerBytes = result.text.size();
  result.header.dataBytes = offset;
  return result;
}

} // namespace

Expected<Header> layoutSafetensors(std::vector<TensorSpec> tensors,
                                   const std::map<std::string, std::string> &metadata) {
  Expected<HeaderLayout> laidOut = layout(std::move(tensors), metadata, "<layout>");
  if (!laidOut)
    return laidOut.error();
  return std::move(laidOut->header);
}

Expected<SafetensorsWriter> SafetensorsWriter::create(std::filesystem::path path,
                                                      std::vector<TensorSpec> tensors,
                                                      std::map<std::string, std::string> metadata) {
  Expected<HeaderLayout> laidOut = layout(std::move(tensors), metadata, path.string());
  if (!laidOut)
    return laidOut.error();
  SafetensorsWriter writer;
  writer.header_ = std::move(laidOut->header);
  const std::string &text = laidOut->text;
  for (std::size_t i = 0; i < writer.header_.tensors.size(); ++i)
    writer.index_.emplace(writer.header_.tensors[i].name, i);
  writer.written_.assign(writer.header_.tensors.size(), 0);
  writer.path_ = std::move(path);
  writer.temporaryPath_ = writer.path_;
  writer.temporaryPath_ += ".partial";

  writer.fd_ =
      ::open(writer.temporaryPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (writer.fd_ < 0)
    return Error(
        fmt::format("{}: cannot create: {}", writer.temporaryPath_.string(), systemError(errno)));
  // Reserving the whole file first makes a full disk fail here rather than
  // halfway through the data.
  const std::uint64_t total = writer.fileBytes();
  if (total > 0) {
    int reserved = ::posix_fallocate(writer.fd_, 0, off_t(total));
    if (reserved == ENOSPC)
      return Error(
          fmt::format("{}: no space left for {} bytes", writer.temporaryPath_.string(), total));
    if (reserved != 0 && ::ftruncate(writer.fd_, off_t(total)) != 0)
      return Error(fmt::format("{}: cannot size to {} bytes: {}", writer.temporaryPath_.string(),
                               total, systemError(errno)));
  }
  std::array<unsigned char, 8> length{};
  for (std::size_t i = 0; i < 8; ++i)
    length[i] = static_cast<unsigned char>(text.size() >> (8 * i));
  if (Status s = writeAt(writer.fd_, length.data(), length.size(), 0); !s)
    return Error(fmt::format("{}: {}", writer.temporaryPath_.string(), s.error().message()));
  if (Status s = writeAt(writer.fd_, text.data(), text.size(), 8); !s)
    return Error(fmt::format("{}: {}", writer.temporaryPath_.string(), s.error().message()));
  return writer;
}

SafetensorsWriter::SafetensorsWriter(SafetensorsWriter &&other) noexcept
    : path_(std::move(other.path_)), temporaryPath_(std::move(other.temporaryPath_)),
      header_(std::move(other.header_)), index_(std::move(other.index_)),
      written_(std::move(other.written_)), fd_(std::exchange(other.fd_, -1)),
      finished_(other.finished_), committed_(std::exchange(other.committed_, true)) {}

SafetensorsWriter &SafetensorsWriter::operator=(SafetensorsWriter &&other) noexcept {
  if (this != &other) {
    abandon();
    path_ = std::move(other.path_);
    temporaryPath_ = std::move(other.temporaryPath_);
    header_ = std::move(other.header_);
    index_ = std::move(other.index_);
    written_ = std::move(other.written_);
    fd_ = std::exchange(other.fd_, -1);
    finished_ = other.finished_;
    committed_ = std::exchange(other.committed_, true);
  }
  return *this;
}

SafetensorsWriter::~SafetensorsWriter() { abandon(); }

void SafetensorsWriter::abandon() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!committed_ && !temporaryPath_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(temporaryPath_, ignored);
  }
  committed_ = true;
}

Status SafetensorsWriter::append(std::string_view name, std::span<const std::byte> bytes) {
  auto found = index_.find(name);
  if (found == index_.end())
    return Error(fmt::format("{}: no tensor '{}' in the header", path_.string(), name));
  if (fd_ < 0 || finished_)
    return Error(fmt::format("{}: the writer is closed", path_.string()));
  const TensorInfo &tensor = header_.tensors[found->second];
  std::uint64_t &done = written_[found->second];
  if (done + bytes.size() > tensor.byteSize())
    return Error(fmt::format("{}: tensor '{}': {} more bytes would exceed its {} bytes",
                             path_.string(), name, bytes.size(), tensor.byteSize() - done));
  if (Status s =
          writeAt(fd_, bytes.data(), bytes.size(), header_.dataOffset() + tensor.begin + done);
      !s)
    return Error(
        fmt::format("{}: tensor '{}': {}", temporaryPath_.string(), name, s.error().message()));
  done += bytes.size();
  return Status::success();
}

Status SafetensorsWriter::finish() {
  if (finished_)
    return Status::success();
  if (fd_ < 0)
    return Error(fmt::format("{}: the writer is closed", path_.string()));
  for (std::size_t i = 0; i < written_.size(); ++i)
    if (written_[i] != header_.tensors[i].byteSize())
      return Error(fmt::format("{}: tensor '{}' has {} of its {} bytes", path_.string(),
                               header_.tensors[i].name, written_[i],
                               header_.tensors[i].byteSize()));
  if (::fsync(fd_) != 0)
    return Error(fmt::format("{}: cannot flush: {}", temporaryPath_.string(), systemError(errno)));
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0)
    return Error(fmt::format("{}: cannot close: {}", temporaryPath_.string(), systemError(errno)));
  finished_ = true;
  return Status::success();
}

Status SafetensorsWriter::commit() {
  if (committed_)
    return Error(fmt::format("{}: the writer is closed", path_.string()));
  if (Status finished = finish(); !finished)
    return finished;
  std::error_code error;
  std::filesystem::rename(temporaryPath_, path_, error);
  if (error)
    return Error(fmt::format("{}: cannot rename from {}: {}", path_.string(),
                             temporaryPath_.string(), error.message()));
  committed_ = true;
  return Status::success();
}

Status writeSafetensors(const std::filesystem::path &path, const std::vector<TensorBytes> &tensors,
                        const std::map<std::string, std::string> &metadata) {
  std::vector<TensorSpec> specs;
  for (const TensorBytes &tensor : tensors)
    specs.push_back(tensor.spec);
  Expected<SafetensorsWriter> writer = SafetensorsWriter::create(path, std::move(specs), metadata);
  if (!writer)
    return writer.error();
  for (const TensorBytes &tensor : tensors)
    if (Status s = writer->append(tensor.spec.name, tensor.bytes); !s)
      return s;
  return writer->commit();
}

} // namespace tessel::checkpoint
