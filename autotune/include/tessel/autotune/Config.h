// One point of a kernel's tuning space: named integer parameters in the
// order the space declares them.
#pragma once

#include "tessel/support/Error.h"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessel::autotune {

/// Parameter values by name, kept in insertion order so that the text form
/// reads the way the space is declared:
///   BLOCK_M=128 BLOCK_N=128 BLOCK_K=128 NUM_STAGES=4 num_warps=8
/// That text is what logs print, what `tessel tune --dry-run` lists and what
/// the tuning database stores, so it must survive text() -> parse() as is.
class Config {
public:
  using Parameter = std::pair<std::string, int64_t>;

  Config() = default;
  /// Parameters in the given order; a name given twice keeps its last value.
  Config(std::initializer_list<Parameter> parameters);

  /// Sets `name` to `value`: replaces it in place or appends it.
  void set(std::string_view name, int64_t value);
  std::optional<int64_t> find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name).has_value(); }
  /// The value of `name`; throws an Error naming the parameter and the
  /// config when it is absent (predicates use this on configs of their own
  /// space, where that is a bug in the declaration).
  int64_t at(std::string_view name) const;

  const std::vector<Parameter> &parameters() const { return parameters_; }
  bool empty() const { return parameters_.empty(); }

  /// `NAME=VALUE` pairs separated by one space.
  std::string text() const;
  /// The inverse of text(): whitespace-separated `NAME=VALUE` pairs, names
  /// of letters, digits and '_' not starting with a digit, values decimal
  /// 64-bit integers. A malformed pair, a non-integer value or a name given
  /// twice is an Error that quotes the text.
  static Expected<Config> parse(std::string_view text);

  bool operator==(const Config &other) const = default;

private:
  std::vector<Parameter> parameters_;
};

} // namespace tessel::autotune
