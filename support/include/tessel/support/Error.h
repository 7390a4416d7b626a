// Errors as values across layer boundaries, and the one exception type the
// public host API throws.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace tessel {

/// Everything Tessel reports to its users: a message that names the cause and
/// the place (the kernel, the argument, the user's source line).
class Error : public std::runtime_error {
public:
  explicit Error(std::string message) : std::runtime_error(std::move(message)) {}
  std::string message() const { return what(); }
};

/// A value or the Error that prevented it. Layers return this instead of
/// throwing, so that a caller such as the autotuner can record a failure and
/// go on; host-facing functions call value() and let the Error propagate.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : state_(std::move(value)) {}
  Expected(Error error) : state_(std::move(error)) {}

  explicit operator bool() const { return std::holds_alternative<T>(state_); }
  bool ok() const { return bool(*this); }

  const Error &error() const { return std::get<Error>(state_); }

  /// The value; throws the held Error otherwise.
  T &value() & {
    if (!ok())
      throw error();
    return std::get<T>(state_);
  }
  T &&value() && {
    if (!ok())
      throw error();
    return std::get<T>(std::move(state_));
  }
  T *operator->() { return &value(); }
  T &operator*() { return value(); }

private:
  std::variant<T, Error> state_;
};

/// Success or an Error.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}
  static Status success() { return {}; }

  explicit operator bool() const { return !failed_; }
  bool ok() const { return !failed_; }
  const Error &error() const { return error_; }
  void check() const {
    if (failed_)
      throw error_;
  }

private:
  Error error_{""};
  bool failed_ = false;
};

} // namespace tessel
