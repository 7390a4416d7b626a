#include "tessel/autotune/ConfigSpace.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

namespace tessel::autotune {
namespace {

/// Whether `name` is one Config::parse reads back.
bool isParameterName(const std::string &name) {
  Expected<Config> parsed = Config::parse(name + "=0");
  return parsed && parsed->parameters().size() == 1 && parsed->parameters()[0].first == name;
}

/// The first predicate `config` breaks, or nullptr.
const ConfigPredicate *brokenPredicate(const std::vector<ConfigPredicate> &predicates,
                                       const Config &config) {
  for (const ConfigPredicate &predicate : predicates)
    if (!predicate.holds(config))
      return &predicate;
  return nullptr;
}

} // namespace

Expected<ConfigSpace> ConfigSpace::declare(std::string kernel,
                                           std::vector<TuningParameter> parameters,
                                           std::vector<ConfigPredicate> predicates) {
  std::set<std::string> names;
  for (const TuningParameter &parameter : parameters) {
    if (!isParameterName(parameter.name))
      return Error(fmt::format("{}'s tuning space: '{}' is not a parameter name (letters, digits "
                               "and '_', not starting with a digit)",
                               kernel, parameter.name));
    if (!names.insert(parameter.name).second)
      return Error(fmt::format("{}'s tuning space declares {} twice", kernel, parameter.name));
    if (parameter.values.empty())
      return Error(fmt::format("{}'s tuning space: {} has no values", kernel, parameter.name));
    std::set<int64_t> values(parameter.values.begin(), parameter.values.end());
    if (values.size() != parameter.values.size())
      return Error(fmt::format("{}'s tuning space: {} lists a value twice: {{{}}}", kernel,
                               parameter.name, fmt::join(parameter.values, ", ")));
  }
  std::set<std::string> predicateNames;
  for (const ConfigPredicate &predicate : predicates) {
    if (!predicateNames.insert(predicate.name).second)
      return Error(
          fmt::format("{}'s tuning space declares predicate {} twice", kernel, predicate.name));
    if (!predicate.holds)
      return Error(
          fmt::format("{}'s tuning space: predicate {} has no function", kernel, predicate.name));
  }
  ConfigSpace space;
  space.kernel_ = std::move(kernel);
  space.parameters_ = std::move(parameters);
  space.predicates_ = std::move(predicates);
  return space;
}

const TuningParameter *ConfigSpace::findParameter(std::string_view name) const {
  for (const TuningParameter &parameter : parameters_)
    if (parameter.name == name)
      return &parameter;
  return nullptr;
}

size_t ConfigSpace::productSize() const {
  size_t size = 1;
  for (const TuningParameter &parameter : parameters_)
    size *= parameter.values.size();
  return size;
}

SpaceEnumeration ConfigSpace::enumerate() const {
  SpaceEnumeration result;
  // An odometer over the value indices, the last parameter turning fastest.
  std::vector<size_t> index(parameters_.size(), 0);
  for (size_t remaining = productSize(); remaining > 0; --remaining) {
    Config config;
    for (size_t i = 0; i < parameters_.size(); ++i)
      config.set(parameters_[i].name, parameters_[i].values[index[i]]);
    if (const ConfigPredicate *broken = brokenPredicate(predicates_, config))
      result.pruned.push_back({std::move(config), broken->name, broken->reason});
    else
      result.valid.push_back(std::move(config));
    for (size_t i = parameters_.size(); i-- > 0;) {
      if (++index[i] < parameters_[i].values.size())
        break;
      index[i] = 0;
    }
  }
  return result;
}

Expected<Config> ConfigSpace::parse(std::string_view text) const {
  Expected<Config> parsed = Config::parse(text);
  if (!parsed)
    return parsed.error();
  for (const auto &[name, value] : parsed->parameters()) {
    const TuningParameter *parameter = findParameter(name);
    if (!parameter)
      return Error(fmt::format("config '{}': {} is not a parameter of {}'s tuning space", text,
                               name, kernel_));
    if (std::find(parameter->values.begin(), parameter->values.end(), value) ==
        parameter->values.end())
      return Error(fmt::format("config '{}': {}={} is not among {}'s values {{{}}}", text, name,
                               value, name, fmt::join(parameter->values, ", ")));
  }
  Config ordered;
  for (const TuningParameter &parameter : parameters_) {
    std::optional<int64_t> value = parsed->find(parameter.name);
    if (!value)
      return Error(fmt::format("config '{}': {}'s tuning space needs a value for {}", text, kernel_,
                               parameter.name));
    ordered.set(parameter.name, *value);
  }
  return ordered;
}

Status ConfigSpace::validate(const Config &config) const {
  if (const ConfigPredicate *broken = brokenPredicate(predicates_, config))
    return Error(fmt::format("{} config '{}' breaks {}: {}", kernel_, config.text(), broken->name,
                             broken->reason));
  return Status::success();
}

} // namespace tessel::autotune
