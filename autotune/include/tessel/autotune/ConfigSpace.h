// A kernel's tuning space, declared once beside the kernel: the same
// declaration feeds the host function's default choice, `tessel tune`, the
// tests and the ptxas sweep of every config.
#pragma once

#include "tessel/autotune/Config.h"
#include "tessel/support/Error.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tessel::autotune {

/// One tuning parameter and the values a sweep tries, in the order tried.
struct TuningParameter {
  std::string name;
  std::vector<int64_t> values;
  std::string description;
};

/// A rule every config must satisfy, from the kernel or its host function
/// (e.g. fp8_gemm: each warp owns at least one 16 x 8 tensor-core piece).
/// `reason` says why a config that breaks it is pruned; pruning logs print it.
struct ConfigPredicate {
  std::string name;
  std::function<bool(const Config &)> holds;
  std::string reason;
};

/// A config that enumerate() left out, and the first predicate it breaks.
struct PrunedConfig {
  Config config;
  std::string predicate;
  std::string reason;
};

struct SpaceEnumeration {
  std::vector<Config> valid;
  std::vector<PrunedConfig> pruned;
};

class ConfigSpace {
public:
  /// The space of `kernel`: the product of the parameters' values, less the
  /// configs some predicate rejects. A parameter without values, a name that
  /// is not NAME (Config::parse), a parameter or predicate declared twice, a
  /// value listed twice or a predicate without a function is an Error.
  static Expected<ConfigSpace> declare(std::string kernel, std::vector<TuningParameter> parameters,
                                       std::vector<ConfigPredicate> predicates = {});

  const std::string &kernel() const { return kernel_; }
  const std::vector<TuningParameter> &parameters() const { return parameters_; }
  const std::vector<ConfigPredicate> &predicates() const { return predicates_; }
  const TuningParameter *findParameter(std::string_view name) const;

  /// The number of configs before pruning.
  size_t productSize() const;
  /// Every config of the product, split into valid and pruned. The order is
  /// that of nested loops over the parameters in declaration order, the last
  /// innermost, each over its values in declared order, so it matches a
  /// shell sweep written the same way and never changes between runs.
  SpaceEnumeration enumerate() const;

  /// Parses a config's text (Config::parse) and checks it names exactly this
  /// space's parameters, each with one of its declared values; the result is
  /// in declaration order, whatever the order of the text. Predicates are
  /// not checked here: see validate().
  Expected<Config> parse(std::string_view text) const;
  /// An Error naming the first predicate `config` breaks and its reason.
  Status validate(const Config &config) const;

private:
  ConfigSpace() = default;

  std::string kernel_;
  std::vector<TuningParameter> parameters_;
  std::vector<ConfigPredicate> predicates_;
};

} // namespace tessel::autotune
