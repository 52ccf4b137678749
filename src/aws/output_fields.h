// Helpers for reading operation outputs (JSON with model member names) into plain structs. Missing
// or mistyped fields read as empty values: AWS omits members freely, and one odd field must not
// fail a whole page.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace fleetpatch::aws::fields {

using TimePoint = std::chrono::system_clock::time_point;

std::string Str(const nlohmann::json& j, const char* key);
std::optional<long long> Int(const nlohmann::json& j, const char* key);
std::optional<bool> Bool(const nlohmann::json& j, const char* key);
// Timestamps arrive as epoch seconds (or a raw string the engine could not parse; parsed again
// here when it is ISO 8601 / RFC 822, otherwise nullopt); one more than 9e9 seconds from the epoch
// either way (a time point would overflow) reads as nullopt.
std::optional<TimePoint> Time(const nlohmann::json& j, const char* key);
// The same rules for one value already found (the typed page readers of ssm_pages.h use them, so
// they read each value exactly as these helpers read it from a parsed page).
std::string StrValue(const nlohmann::json& v);
std::optional<long long> IntValue(const nlohmann::json& v);
std::optional<bool> BoolValue(const nlohmann::json& v);
std::optional<TimePoint> TimeValue(const nlohmann::json& v);
// [{Key, Value}] -> map.
std::map<std::string, std::string> Tags(const nlohmann::json& j, const char* key = "Tags");
std::vector<std::string> Strings(const nlohmann::json& j, const char* key);
// The array at `key`, or an empty array.
const nlohmann::json& Array(const nlohmann::json& j, const char* key);

// map -> [{Key, Value}] (request side).
nlohmann::json TagList(const std::map<std::string, std::string>& tags);

}  // namespace fleetpatch::aws::fields
