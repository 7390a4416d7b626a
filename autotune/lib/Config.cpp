#include "tessel/autotune/Config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tessel::autotune {
namespace {

bool isName(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front())))
    return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool isSpace(char c) { return std::isspace(static_cast<unsigned char>(c)); }

/// The whitespace-separated words of `text`.
std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> result;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && isSpace(text[pos]))
      ++pos;
    size_t end = pos;
    while (end < text.size() && !isSpace(text[end]))
      ++end;
    if (end > pos)
      result.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return result;
}

} // namespace

Config::Config(std::initializer_list<Parameter> parameters) {
  for (const auto &[name, value] : parameters)
    set(name, value);
}

void Config::set(std::string_view name, int64_t value) {
  for (auto &parameter : parameters_)
    if (parameter.first == name) {
      parameter.second = value;
      return;
    }
  parameters_.emplace_back(std::string(name), value);
}

std::optional<int64_t> Config::find(std::string_view name) const {
  for (const auto &[key, value] : parameters_)
    if (key == name)
      return value;
  return std::nullopt;
}

int64_t Config::at(std::string_view name) const {
  if (std::optional<int64_t> value = find(name))
    return *value;
  throw Error(fmt::format("config '{}' has no parameter {}", text(), name));
}

std::string Config::text() const {
  std::string result;
  for (const auto &[name, value] : parameters_) {
    if (!result.empty())
      result += ' ';
    result += fmt::format("{}={}", name, value);
  }
  return result;
}

Expected<Config> Config::parse(std::string_view text) {
  Config config;
  for (std::string_view word : words(text)) {
    size_t equals = word.find('=');
    if (equals == std::string_view::npos || !isName(word.substr(0, equals)))
      return Error(fmt::format("config '{}': '{}' is not NAME=VALUE (a name of letters, digits "
                               "and '_', then '=' and an integer)",
                               text, word));
    std::string_view name = word.substr(0, equals), digits = word.substr(equals + 1);
    int64_t value = 0;
    auto [end, failure] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (failure == std::errc::result_out_of_range)
      return Error(fmt::format("config '{}': the value of {} ('{}') does not fit in 64 bits", text,
                               name, digits));
    if (digits.empty() || failure != std::errc() || end != digits.data() + digits.size())
      return Error(
          fmt::format("config '{}': the value of {} is not an integer: '{}'", text, name, digits));
    if (config.contains(name))
      return Error(fmt::format("config '{}': {} is given twice", text, name));
    config.parameters_.emplace_back(std::string(name), value);
  }
  return config;
}

} // namespace tessel::autotune
