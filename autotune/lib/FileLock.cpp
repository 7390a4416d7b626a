#include "FileLock.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace tessel::autotune {

Expected<ExclusiveFileLock> ExclusiveFileLock::acquire(const std::filesystem::path &lockFile) {
  std::error_code error;
  if (lockFile.has_parent_path())
    std::filesystem::create_directories(lockFile.parent_path(), error);
  if (error)
    return Error(fmt::format("cannot create the directory of lock file {}: {}", lockFile.string(),
                             error.message()));
  int fd = ::open(lockFile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return Error(
        fmt::format("cannot open lock file {}: {}", lockFile.string(), std::strerror(errno)));
  int result;
  do
    result = ::flock(fd, LOCK_EX);
  while (result != 0 && errno == EINTR);
  if (result != 0) {
    int lockErrno = errno;
    ::close(fd);
    return Error(fmt::format("cannot lock {}: {}", lockFile.string(), std::strerror(lockErrno)));
  }
  return ExclusiveFileLock(fd);
}

ExclusiveFileLock::~ExclusiveFileLock() {
  if (fd_ >= 0)
    ::close(fd_); // closing the last descriptor releases the lock
}

std::filesystem::path lockFileFor(const std::filesystem::path &file) {
  return std::filesystem::path(file.string() + ".lock");
}

} // namespace tessel::autotune
