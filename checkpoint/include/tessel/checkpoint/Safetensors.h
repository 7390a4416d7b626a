// Reading and writing the safetensors format (github.com/huggingface/safetensors,
// "Format"): an 8-byte little-endian header length N, N bytes of JSON that map
// each tensor name to {dtype, shape, data_offsets} (plus an optional
// "__metadata__" map of strings), then the data section. Offsets are relative
// to the data section; the tensors cover it exactly, without gaps or overlaps.
//
// Files are validated as strictly as the format's own loader validates them;
// every failure is a tessel::Error that names the file and, where there is
// one, the tensor.
#pragma once

#include "tessel/support/Error.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessel::checkpoint {

/// The element types of the format, spelled as in its headers ("F8_E4M3", ...).
enum class TensorDType : std::uint8_t {
  BOOL,
  U8,
  I8,
  F8_E4M3, // OCP E4M3FN
  F8_E5M2,
  U16,
  I16,
  F16,
  BF16,
  U32,
  I32,
  F32,
  U64,
  I64,
  F64,
};

/// The header spelling: "F8_E4M3", "BF16", ...
std::string_view dtypeName(TensorDType dtype);
/// Inverse of dtypeName; nullopt for a name the format does not define.
std::optional<TensorDType> parseTensorDType(std::string_view name);
/// Bytes per element.
std::size_t elementSize(TensorDType dtype);

/// The header's largest accepted size, as in the format's own loader: a bound
/// on what a corrupt length field can make the reader allocate.
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

/// One tensor of a header.
struct TensorInfo {
  std::string name;
  TensorDType dtype = TensorDType::F32;
  std::vector<std::int64_t> shape;
  /// [begin, end) in the data section.
  std::uint64_t begin = 0;
  std::uint64_t end = 0;

  std::uint64_t numElements() const;
  std::uint64_t byteSize() const { return end - begin; }
};

/// A parsed and validated header.
struct Header {
  /// In the order of their data offsets.
  std::vector<TensorInfo> tensors;
  /// The "__metadata__" entries.
  std::map<std::string, std::string> metadata;
  /// Bytes of the JSON text (N), padding included.
  std::uint64_t headerBytes = 0;
  /// Bytes of the data section: the file size minus 8 + N.
  std::uint64_t dataBytes = 0;

  /// The tensor called `name`, or null.
  const TensorInfo *find(std::string_view name) const;
  /// Where the data section starts in the file.
  std::uint64_t dataOffset() const { return 8 + headerBytes; }
};

/// Parses the JSON text of a header for a data section of `dataBytes` and
/// checks it: every tensor's dtype, shape and offsets, and that the tensors
/// cover the data section exactly. `fileName` is only used in messages.
Expected<Header> parseHeader(std::string_view json, std::uint64_t dataBytes,
                             std::string_view fileName);

/// A tensor to be written: its name, dtype and shape.
struct TensorSpec {
  std::string name;
  TensorDType dtype = TensorDType::F32;
  std::vector<std::int64_t> shape;
};

/// Lays out a header the way SafetensorsWriter writes it, without writing:
/// offsets, the padded header size and so the file size (dataOffset() +
/// dataBytes). An Error for a duplicate or reserved name or an overflowing size.
Expected<Header> layoutSafetensors(std::vector<TensorSpec> tensors,
                                   const std::map<std::string, std::string> &metadata = {});

/// Reads and checks the header of the file at `path` without mapping its data:
/// what planning a conversion of many large files needs.
Expected<Header> readHeader(const std::filesystem::path &path);

/// A safetensors file opened for reading, its data mapped into memory
/// read-only. Movable, not copyable; the mapping lives as long as the object.
class SafetensorsFile {
public:
  static Expected<SafetensorsFile> open(const std::filesystem::path &path);

  SafetensorsFile(SafetensorsFile &&other) noexcept;
  SafetensorsFile &operator=(SafetensorsFile &&other) noexcept;
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;
  ~SafetensorsFile();

  const std::filesystem::path &path() const { return path_; }
  const Header &header() const { return header_; }

  /// The bytes of `tensor` (one of header().tensors). Not aligned beyond one
  /// byte in general: the format does not promise alignment.
  std::span<const std::byte> data(const TensorInfo &tensor) const;
  /// The bytes of the tensor called `name`; an Error naming the file if there
  /// is none.
  Expected<std::span<const std::byte>> data(std::string_view name) const;

  /// Tells the kernel that the mapped pages of `bytes` (a subrange of one
  /// tensor's data) are no longer needed, so that reading a large file
  /// through the mapping does not grow the resident set.
  void release(std::span<const std::byte> bytes) const;

private:
  SafetensorsFile() = default;

  std::filesystem::path path_;
  Header header_;
  const std::byte *mapping_ = nullptr;
  std::size_t mappingBytes_ = 0;
};

/// Writes a safetensors file: the header is fixed when the writer is created,
/// then each tensor's bytes are appended, tensor by tensor in any order and
/// each in as many pieces as the caller likes. The file is written under a
/// temporary name beside `path` (`path` + ".partial") and renamed to `path`
/// only by commit(), after every byte of every tensor has been written; a
/// writer destroyed before that removes its temporary file. So a failed or
/// interrupted run never leaves a file under the final name.
class SafetensorsWriter {
public:
  /// Creates the temporary file and writes the header. The data section is
  /// laid out as the format's own writer lays it out: by element size, largest
  /// first, then by name, so that every tensor is aligned to its element size
  /// (the header is padded with spaces to a multiple of 8 bytes).
  static Expected<SafetensorsWriter> create(std::filesystem::path path,
                                            std::vector<TensorSpec> tensors,
                                            std::map<std::string, std::string> metadata = {});

  SafetensorsWriter(SafetensorsWriter &&other) noexcept;
  SafetensorsWriter &operator=(SafetensorsWriter &&other) noexcept;
  SafetensorsWriter(const SafetensorsWriter &) = delete;
  SafetensorsWriter &operator=(const SafetensorsWriter &) = delete;
  ~SafetensorsWriter();

  /// The temporary name the data goes to until commit().
  const std::filesystem::path &temporaryPath() const { return temporaryPath_; }
  /// The header as written, data offsets included.
  const Header &header() const { return header_; }
  /// The file's total size.
  std::uint64_t fileBytes() const { return header_.dataOffset() + header_.dataBytes; }

  /// Appends the next `bytes` of the tensor called `name`. An Error if there
  /// is no such tensor or the bytes would run past its end. Safe to call from
  /// several threads for different tensors.
  Status append(std::string_view name, std::span<const std::byte> bytes);
  /// Writes a whole tensor at once.
  Status write(std::string_view name, std::span<const std::byte> bytes) {
    return append(name, bytes);
  }

  /// Checks that every tensor is complete and flushes the file to disk under
  /// its temporary name; no more bytes can be appended. A caller writing
  /// several files finishes them all before committing any.
  Status finish();
  /// finish() if not done yet, then renames the file to its final name.
  Status commit();

  /// Removes the temporary file; the writer can no longer be used.
  void abandon();

private:
  SafetensorsWriter() = default;

  std::filesystem::path path_;
  std::filesystem::path temporaryPath_;
  Header header_;
  std::map<std::string, std::size_t, std::less<>> index_; // name -> header_.tensors
  std::vector<std::uint64_t> written_;                    // bytes appended, per tensor
  int fd_ = -1;
  bool finished_ = false;
  bool committed_ = false;
};

/// Writes a whole file from tensors held in memory (tests, small files).
struct TensorBytes {
  TensorSpec spec;
  std::vector<std::byte> bytes;
};
Status writeSafetensors(const std::filesystem::path &path, const std::vector<TensorBytes> &tensors,
                        const std::map<std::string, std::string> &metadata = {});

} // namespace tessel::checkpoint
