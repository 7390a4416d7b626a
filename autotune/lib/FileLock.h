// An exclusive advisory lock that serializes the writers of one file.
#pragma once

#include "tessel/support/Error.h"

#include <filesystem>

namespace tessel::autotune {

/// flock(LOCK_EX) on a lock file beside the file it guards, held until
/// destruction. The lock lives on a sibling rather than on the guarded file
/// because that file is replaced by rename: a lock on the old inode would not
/// exclude a writer that opens the new one. The lock file is never removed,
/// since removing it would let two writers lock two different inodes.
class ExclusiveFileLock {
public:
  /// Blocks until the lock on `lockFile` (created with its directory if
  /// needed) is held.
  static Expected<ExclusiveFileLock> acquire(const std::filesystem::path &lockFile);

  ExclusiveFileLock(ExclusiveFileLock &&other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ExclusiveFileLock &operator=(ExclusiveFileLock &&) = delete;
  ExclusiveFileLock(const ExclusiveFileLock &) = delete;
  ~ExclusiveFileLock();

private:
  explicit ExclusiveFileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// The lock file that guards `file`: `<file>.lock`.
std::filesystem::path lockFileFor(const std::filesystem::path &file);

} // namespace tessel::autotune
