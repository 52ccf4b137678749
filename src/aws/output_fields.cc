#include "aws/output_fields.h"

#include <cmath>

#include "aws/protocol/encoding.h"

namespace fleetpatch::aws::fields {

std::string Str(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number() || it->is_boolean()) return it->dump();
  return {};
}

std::optional<long long> Int(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<long long>();
}

std::optional<bool> Bool(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::optional<TimePoint> Time(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  std::optional<double> seconds;
  if (it->is_number()) {
    seconds = it->get<double>();
  } else if (it->is_string()) {
    seconds = protocol::ParseTimestamp(it->get<std::string>());
  }
  if (!seconds) return std::nullopt;
  auto ms = std::chrono::milliseconds(static_cast<long long>(std::llround(*seconds * 1000.0)));
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(ms));
}

std::map<std::string, std::string> Tags(const nlohmann::json& j, const char* key) {
  std::map<std::string, std::string> tags;
  for (const auto& t : Array(j, key)) tags[Str(t, "Key")] = Str(t, "Value");
  return tags;
}

std::vector<std::string> Strings(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  for (const auto& v : Array(j, key)) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

const nlohmann::json& Array(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return kEmpty;
  return *it;
}

nlohmann::json TagList(const std::map<std::string, std::string>& tags) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [k, v] : tags) out.push_back({{"Key", k}, {"Value", v}});
  return out;
}

}  // namespace fleetpatch::aws::fields
