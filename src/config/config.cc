#include "config/config.h"

#include <algorithm>

#include "common/redact.h"
#include "config/fields.h"

namespace fleetpatch::config {

const char* PatchOperationName(PatchOperation op) {
  return op == PatchOperation::kInstall ? "Install" : "Scan";
}

const char* RebootOptionName(RebootOption r) {
  return r == RebootOption::kRebootIfNeeded ? "RebootIfNeeded" : "NoReboot";
}

std::string RenderAmiName(const std::string& name_template, const std::string& run_id,
                          const std::string& instance_id, const std::string& date_yyyymmdd,
                          const std::string& zone) {
  std::string out;
  for (size_t i = 0; i < name_template.size();) {
    auto try_sub = [&](const char* key, const std::string& value) {
      std::string k = std::string("{") + key + "}";
      if (name_template.compare(i, k.size(), k) != 0) return false;
      out += value;
      i += k.size();
      return true;
    };
    if (name_template[i] == '{' && (try_sub("run_id", run_id) || try_sub("instance_id", instance_id) ||
                                    try_sub("date", date_yyyymmdd) || try_sub("zone", zone))) {
      continue;
    }
    out += name_template[i++];
  }
  return out;
}

namespace {

nlohmann::json TagsJson(const TagMatch& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

nlohmann::json ZonesJson(const Config& c) {
  nlohmann::json zones = nlohmann::json::array();
  for (const auto& z : c.landing_zones) {
    zones.push_back(
        {{"name", z.name},
         {"account_id", z.account_id},
         {"region", z.region},
         {"role_arn", z.role_arn},
         {"external_id", z.external_id.empty() ? "" : std::string(kRedacted)},
         {"session_name", z.session_name},
         {"endpoint_url", z.endpoint_url},
         {"enabled", z.enabled},
         {"filters", {{"tags", TagsJson(z.filter_tags)}, {"exclude_tags", TagsJson(z.exclude_tags)}}}});
  }
  return zones;
}

}  // namespace

// Every field of the table at its path, then the zones (as loaded, external_id redacted).
nlohmann::json ConfigToJson(const Config& c) {
  nlohmann::json out = nlohmann::json::object();
  for (const FieldSpec& f : ConfigFields()) {
    if (f.type == FieldType::kSection || !f.value) continue;
    std::string pointer = "/" + f.path;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    out[nlohmann::json::json_pointer(pointer)] = f.value(c);
  }
  out["landing_zones_file"] = c.landing_zones_file;
  out["landing_zones"] = ZonesJson(c);
  return out;
}

}  // namespace fleetpatch::config
