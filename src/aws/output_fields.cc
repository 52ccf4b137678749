#include "aws/output_fields.h"

#include <cmath>

#include "aws/protocol/encoding.h"

namespace fleetpatch::aws::fields {

namespace {

// The value at `key` of an object, or nullptr.
const nlohmann::json* Find(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

}  // namespace

std::string StrValue(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return {};
}

std::optional<long long> IntValue(const nlohmann::json& v) {
  if (!v.is_number()) return std::nullopt;
  return v.get<long long>();
}

std::optional<bool> BoolValue(const nlohmann::json& v) {
  if (!v.is_boolean()) return std::nullopt;
  return v.get<bool>();
}

std::optional<TimePoint> TimeValue(const nlohmann::json& v) {
  std::optional<double> seconds;
  if (v.is_number()) {
    seconds = v.get<double>();
  } else if (v.is_string()) {
    seconds = protocol::ParseTimestamp(v.get_ref<const std::string&>());
  }
  // Past about the year 2262 a system_clock time point (nanoseconds in 64 bits) overflows: such a
  // value is no time AWS sends, so it reads as none.
  constexpr double kMaxEpochSeconds = 9e9;
  if (!seconds || !(std::fabs(*seconds) <= kMaxEpochSeconds)) return std::nullopt;
  auto ms = std::chrono::milliseconds(static_cast<long long>(std::llround(*seconds * 1000.0)));
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(ms));
}

std::string Str(const nlohmann::json& j, const char* key) {
  const nlohmann::json* v = Find(j, key);
  return v ? StrValue(*v) : std::string();
}

std::optional<long long> Int(const nlohmann::json& j, const char* key) {
  const nlohmann::json* v = Find(j, key);
  return v ? IntValue(*v) : std::nullopt;
}

std::optional<bool> Bool(const nlohmann::json& j, const char* key) {
  const nlohmann::json* v = Find(j, key);
  return v ? BoolValue(*v) : std::nullopt;
}

std::optional<TimePoint> Time(const nlohmann::json& j, const char* key) {
  const nlohmann::json* v = Find(j, key);
  return v ? TimeValue(*v) : std::nullopt;
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
