#include "JitCacheEntry.h"

#include <nlohmann/json.hpp>

namespace tessel::dsl::detail {
namespace {

nlohmann::json extentsJson(const std::vector<TensorMapParam::Extent> &extents) {
  nlohmann::json array = nlohmann::json::array();
  for (const TensorMapParam::Extent &extent : extents)
    array.push_back({extent.argument, extent.value});
  return array;
}

nlohmann::json tensorMapsJson(const std::vector<TensorMapParam> &maps) {
  nlohmann::json array = nlohmann::json::array();
  for (const TensorMapParam &map : maps)
    array.push_back({{"base", map.baseArgument},
                     {"dtype", name(map.dtype)},
                     {"shape", extentsJson(map.shape)},
                     {"strides", extentsJson(map.strides)},
                     {"box", map.box},
                     {"swizzle", map.swizzleBytes}});
  return array;
}

std::optional<std::vector<TensorMapParam::Extent>> parseExtents(const nlohmann::json &json) {
  if (!json.is_array())
    return std::nullopt;
  std::vector<TensorMapParam::Extent> extents;
  for (const nlohmann::json &entry : json) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_number_integer() ||
        !entry[1].is_number_integer())
      return std::nullopt;
    extents.push_back({entry[0].get<int>(), entry[1].get<int64_t>()});
  }
  return extents;
}

std::optional<std::vector<TensorMapParam>> parseTensorMaps(const nlohmann::json &json) {
  if (!json.is_array())
    return std::nullopt;
  std::vector<TensorMapParam> maps;
  for (const nlohmann::json &entry : json) {
    if (!entry.is_object() || !entry.contains("base") || !entry["base"].is_number_unsigned() ||
        !entry.contains("dtype") || !entry["dtype"].is_string() || !entry.contains("box") ||
        !entry["box"].is_array() || !entry.contains("swizzle") ||
        !entry["swizzle"].is_number_unsigned() || !entry.contains("shape") ||
        !entry.contains("strides"))
      return std::nullopt;
    std::optional<DType> dtype = parseDType(entry["dtype"].get<std::string>());
    std::optional<std::vector<TensorMapParam::Extent>> shape = parseExtents(entry["shape"]);
    std::optional<std::vector<TensorMapParam::Extent>> strides = parseExtents(entry["strides"]);
    if (!dtype || !shape || !strides)
      return std::nullopt;
    TensorMapParam map{entry["base"].get<unsigned>(), *dtype, std::move(*shape),
                       std::move(*strides), {}, entry["swizzle"].get<unsigned>()};
    for (const nlohmann::json &extent : entry["box"]) {
      if (!extent.is_number_integer())
        return std::nullopt;
      map.box.push_back(extent.get<int64_t>());
    }
    maps.push_back(std::move(map));
  }
  return maps;
}

} // namespace

std::string encodeEntry(const CompiledKernel &kernel, std::string_view cubin) {
  nlohmann::json header = {{"kernel", kernel.name},
                           {"arch", kernel.arch},
                           {"num_threads", kernel.numThreads},
                           {"shared_bytes", kernel.sharedBytes},
                           {"tensor_maps", tensorMapsJson(kernel.tensorMaps)},
                           {"cubin_bytes", cubin.size()}};
  return header.dump() + "\n" + std::string(cubin);
}

std::optional<DecodedEntry> decodeEntry(std::string_view payload) {
  size_t newline = payload.find('\n');
  if (newline == std::string_view::npos)
    return std::nullopt;
  nlohmann::json header =
      nlohmann::json::parse(payload.substr(0, newline), nullptr, /*allow_exceptions=*/false);
  if (!header.is_object() || !header.contains("kernel") || !header["kernel"].is_string() ||
      !header.contains("cubin_bytes") || !header["cubin_bytes"].is_number_unsigned() ||
      !header.contains("shared_bytes") || !header["shared_bytes"].is_number_unsigned() ||
      !header.contains("tensor_maps"))
    return std::nullopt;
  std::optional<std::vector<TensorMapParam>> tensorMaps = parseTensorMaps(header["tensor_maps"]);
  if (!tensorMaps)
    return std::nullopt;
  std::string_view cubin = payload.substr(newline + 1);
  if (cubin.size() != header["cubin_bytes"].get<size_t>() || cubin.empty())
    return std::nullopt;
  return DecodedEntry{header["kernel"].get<std::string>(), header["shared_bytes"].get<unsigned>(),
                      std::move(*tensorMaps), cubin};
}

} // namespace tessel::dsl::detail
