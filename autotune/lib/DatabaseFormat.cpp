#include "DatabaseFormat.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <optional>

namespace tessel::autotune {
namespace {

using nlohmann::json;

/// The string fields of an entry, in the order written, and the key member
/// each one fills.
struct KeyField {
  const char *name;
  std::string TuningEntryKey::*member;
};
constexpr KeyField kKeyFields[] = {
    {"kernel", &TuningEntryKey::kernel},
    {"kernel_digest", &TuningEntryKey::kernelDigest},
    {"problem", &TuningEntryKey::problem},
    {"gpu", &TuningEntryKey::gpuName},
    {"compute_capability", &TuningEntryKey::computeCapability},
    {"driver", &TuningEntryKey::driverVersion},
    {"compiler", &TuningEntryKey::compilerIdentity},
};

bool isValidTime(const json &value) {
  return value.is_number() && std::isfinite(value.get<double>()) && value.get<double>() > 0;
}

/// Reads entry `index`, or says what is wrong with it.
std::optional<std::string> readEntry(const json &entry, size_t index, TuningEntries &entries) {
  if (!entry.is_object())
    return fmt::format("entry {} is not an object", index);
  TuningEntryKey key;
  for (const KeyField &field : kKeyFields) {
    auto found = entry.find(field.name);
    if (found == entry.end() || !found->is_string())
      return fmt::format("entry {} has no string field \"{}\"", index, field.name);
    key.*field.member = found->get<std::string>();
  }
  auto times = entry.find("times_ms");
  if (times == entry.end() || !times->is_object())
    return fmt::format("entry {} has no object field \"times_ms\"", index);
  ConfigTimes &configTimes = entries[key];
  for (const auto &[configText, milliseconds] : times->items()) {
    Expected<Config> config = Config::parse(configText);
    if (!config)
      return fmt::format("entry {}: {}", index, config.error().message());
    if (!isValidTime(milliseconds))
      return fmt::format("entry {}: the time of config '{}' is {}, not a positive number of "
                         "milliseconds",
                         index, configText, milliseconds.dump());
    recordFasterTime(configTimes, config->text(), milliseconds.get<double>());
  }
  if (configTimes.empty())
    entries.erase(key);
  return std::nullopt;
}

DatabaseReading corrupt(std::string problem) {
  DatabaseReading reading;
  reading.verdict = DatabaseReading::Verdict::Corrupt;
  reading.problem = std::move(problem);
  return reading;
}

} // namespace

DatabaseReading readDatabaseText(std::string_view text) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error &error) {
    return corrupt(fmt::format("not JSON: {}", error.what()));
  }
  if (!document.is_object())
    return corrupt("the top level is not a JSON object");
  auto schema = document.find("schema");
  if (schema == document.end() || !schema->is_string() ||
      schema->get<std::string>() != kDatabaseSchema)
    return corrupt(fmt::format("\"schema\" is not \"{}\"", kDatabaseSchema));
  auto version = document.find("version");
  if (version == document.end() || !version->is_number_integer() || version->get<int64_t>() < 1)
    return corrupt("\"version\" is not a positive integer");
  if (version->get<int64_t>() > kDatabaseVersion) {
    DatabaseReading reading;
    reading.verdict = DatabaseReading::Verdict::NewerVersion;
    reading.problem = fmt::format("it is version {} of the format and this Tessel reads up to {}",
                                  version->dump(), kDatabaseVersion);
    return reading;
  }
  auto entries = document.find("entries");
  if (entries == document.end() || !entries->is_array())
    return corrupt("\"entries\" is not an array");
  DatabaseReading reading;
  for (size_t i = 0; i < entries->size(); ++i)
    if (std::optional<std::string> problem = readEntry((*entries)[i], i, reading.entries))
      return corrupt(*problem);
  return reading;
}

std::string writeDatabaseText(const TuningEntries &entries) {
  // ordered_json keeps the fields in the order written, as documented above.
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto &[key, times] : entries) {
    nlohmann::ordered_json entry;
    for (const KeyField &field : kKeyFields)
      entry[field.name] = key.*field.member;
    const auto &[bestConfig, bestTime] = *fastestTime(times);
    entry["best"] = {{"config", bestConfig}, {"ms", bestTime}};
    entry["times_ms"] = times;
    list.push_back(std::move(entry));
  }
  nlohmann::ordered_json document;
  document["schema"] = std::string(kDatabaseSchema);
  document["version"] = kDatabaseVersion;
  document["entries"] = std::move(list);
  return document.dump(2) + "\n";
}

ConfigTimes::const_iterator fastestTime(const ConfigTimes &times) {
  auto best = times.begin();
  for (auto it = times.begin(); it != times.end(); ++it)
    if (it->second < best->second)
      best = it;
  return best;
}

void recordFasterTime(ConfigTimes &times, const std::string &configText, double milliseconds) {
  auto [it, inserted] = times.emplace(configText, milliseconds);
  if (!inserted && milliseconds < it->second)
    it->second = milliseconds;
}

void mergeEntries(TuningEntries &into, const TuningEntries &from) {
  for (const auto &[key, times] : from) {
    ConfigTimes &target = into[key];
    for (const auto &[configText, milliseconds] : times)
      recordFasterTime(target, configText, milliseconds);
  }
}

} // namespace tessel::autotune
