#include "FileReplacement.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tessel::autotune {
namespace {

std::string systemError(std::string_view what, const std::filesystem::path &path) {
  return fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(errno));
}

/// Writes all of `contents` to `fd`, retrying short writes.
bool writeAll(int fd, std::string_view contents) {
  while (!contents.empty()) {
    ssize_t written = ::write(fd, contents.data(), contents.size());
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      return false;
    contents.remove_prefix(size_t(written));
  }
  return true;
}

void syncDirectory(const std::filesystem::path &directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd); // best effort: some file systems refuse fsync on directories
    ::close(fd);
  }
}

std::string utcTimestamp() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

} // namespace

Expected<std::optional<std::string>> readFileIfPresent(const std::filesystem::path &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return std::optional<std::string>();
    return Error(systemError("open", path));
  }
  std::string contents;
  char buffer[1 << 16];
  for (;;) {
    ssize_t count = ::read(fd, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR)
      continue;
    if (count < 0) {
      Error error(systemError("read", path));
      ::close(fd);
      return error;
    }
    if (count == 0)
      break;
    contents.append(buffer, size_t(count));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(contents));
}

Status replaceFileAtomically(const std::filesystem::path &path, std::string_view contents) {
  std::filesystem::path directory = path.parent_path();
  if (directory.empty())
    directory = ".";
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error)
    return Error(
        fmt::format("cannot create directory {}: {}", directory.string(), error.message()));
  std::string temporary = path.string() + ".tmp-XXXXXX";
  int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0)
    return Error(systemError("create a temporary file beside", path));
  // mkostemp creates the file 0600; a database is as readable as other files.
  bool written = ::fchmod(fd, 0644) == 0 && writeAll(fd, contents) && ::fsync(fd) == 0;
  int writeErrno = errno;
  if (::close(fd) != 0 && written) {
    written = false;
    writeErrno = errno;
  }
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    if (written)
      writeErrno = errno;
    ::unlink(temporary.c_str());
    errno = writeErrno;
    return Error(systemError(written ? "rename a temporary file onto" : "write", path));
  }
  syncDirectory(directory);
  return Status::success();
}

Expected<std::filesystem::path> setAsideCorruptFile(const std::filesystem::path &path) {
  std::string base = path.string() + ".corrupt-" + utcTimestamp();
  std::filesystem::path aside = base;
  std::error_code ignored; // an error reads as absent, and rename() then reports it
  for (int attempt = 1; std::filesystem::exists(aside, ignored); ++attempt)
    aside = fmt::format("{}-{}", base, attempt);
  if (::rename(path.c_str(), aside.c_str()) != 0)
    return Error(systemError(fmt::format("move aside (to {})", aside.string()), path));
  return aside;
}

} // namespace tessel::autotune
