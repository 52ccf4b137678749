// SSM DescribeInstanceInformation: the managed instances and their agents.
#include <algorithm>
#include <set>

#include "emulator/json_writer.h"
#include "emulator/ssm_common.h"

namespace fleetpatch::emulator {
namespace {

using nlohmann::json;
using InfoFilters = std::vector<std::pair<std::string, std::vector<std::string>>>;

constexpr char kLatestAgent[] = "3.3.987.0";

void CheckFilterValues(const InfoFilters& filters) {
  for (const auto& [key, values] : filters) {
    if (values.empty())
      throw ApiError{400, "InvalidInstanceInformationFilterValue",
                     "Filter " + key + " needs at least one value."};
    if (key == "PingStatus")
      for (const auto& v : values)
        if (v != "Online" && v != "ConnectionLost" && v != "Inactive")
          throw ApiError{400, "InvalidInstanceInformationFilterValue",
                         "The filter value '" + v + "' isn't valid for PingStatus."};
    if (key == "InstanceIds")
      for (const auto& v : values)
        if (v.rfind("i-", 0) != 0 && v.rfind("mi-", 0) != 0)
          throw ApiError{400, "InvalidInstanceId", "Invalid instance id: " + v};
  }
}

// Both filter styles reduce to (key, allowed values); tag filters match instance tags.
InfoFilters ParseFilters(const json& body) {
  InfoFilters filters;
  static const std::set<std::string> kKeys = {"InstanceIds",   "AgentVersion",     "PingStatus",
                                              "PlatformTypes", "ActivationIds",    "IamRole",
                                              "ResourceType",  "AssociationStatus"};
  if (auto it = body.find("InstanceInformationFilterList"); it != body.end() && it->is_array()) {
    for (const auto& f : *it) {
      std::string key = Str(f, "key");
      if (!kKeys.count(key))
        throw ApiError{400, "InvalidFilterKey", "The specified key '" + key + "' isn't valid."};
      filters.push_back({key, StrList(f, "valueSet")});
    }
  }
  if (auto it = body.find("Filters"); it != body.end() && it->is_array()) {
    for (const auto& f : *it) {
      std::string key = Str(f, "Key");
      if (!kKeys.count(key) && key.rfind("tag:", 0) != 0 && key != "tag-key" && key != "PatchGroup")
        throw ApiError{400, "InvalidFilterKey", "The specified key '" + key + "' isn't valid."};
      filters.push_back({key, StrList(f, "Values")});
    }
  }
  CheckFilterValues(filters);
  return filters;
}

std::string PlatformType(const InstanceSpec& s) {
  return s.platform == "windows" ? "Windows" : s.platform == "macos" ? "MacOS" : "Linux";
}

bool Matches(const InstanceState& st, const std::string& ping, const InfoFilters& filters) {
  const InstanceSpec& s = *st.spec;
  for (const auto& [key, values] : filters) {
    // values by an init-capture: clang 14 (the fuzz preset) cannot capture a structured binding.
    auto has = [&values = values](const std::string& v) {
      return std::find(values.begin(), values.end(), v) != values.end();
    };
    bool m = true;
    if (key == "InstanceIds")
      m = has(s.id);
    else if (key == "PingStatus")
      m = has(ping);
    else if (key == "PlatformTypes")
      m = has(PlatformType(s));
    else if (key == "AgentVersion")
      m = has(s.agent_version);
    else if (key == "ResourceType")
      m = has("EC2Instance");
    else if (key == "AssociationStatus")
      m = has("Success");
    else if (key == "ActivationIds")
      m = false;
    else if (key == "IamRole")
      m = has("SSMManagedInstance");
    else if (key == "PatchGroup")
      m = st.tags.count("PatchGroup") && has(st.tags.at("PatchGroup"));
    else if (key == "tag-key")
      m = std::any_of(values.begin(), values.end(),
                      [&](const std::string& v) { return st.tags.count(v) > 0; });
    else if (key.rfind("tag:", 0) == 0) {
      auto t = st.tags.find(key.substr(4));
      m = t != st.tags.end() && has(t->second);
    }
    if (!m) return false;
  }
  return true;
}

// One record, written straight into the page (its members in byte order: JsonWriter checks it).
void WriteInfo(JsonWriter& w, const Emulator::Impl& im, const InstanceState& st, const std::string& ping,
               double now) {
  const InstanceSpec& s = *st.spec;
  double last_ping = ping == "Online"
                         ? now - 30
                         : (ping == "ConnectionLost" ? std::min(now, st.agent_lost_at) - 600 : -30 * 86400.0);
  if (ping == "ConnectionLost" && st.agent_lost_at == kNever) last_ping = -3 * 3600;
  const double associated = Epoch(im.SimToWall(-3600));
  w.BeginObject().Member("AgentVersion", s.agent_version);
  w.Key("AssociationOverview").BeginObject().Member("DetailedStatus", "Success");
  w.Key("InstanceAssociationStatusAggregatedCount").BeginObject().Member("Success", 1).EndObject();
  w.EndObject()
      .Member("AssociationStatus", "Success")
      .Member("ComputerName",
              s.platform == "windows" ? s.name.substr(0, 15) : "ip-" + s.private_ip + ".ec2.internal")
      .Member("IPAddress", s.private_ip)
      .Member("IamRole", "SSMManagedInstance")
      .Member("InstanceId", s.id)
      .Member("IsLatestVersion", s.agent_version == kLatestAgent)
      .Member("LastAssociationExecutionDate", associated)
      .Member("LastPingDateTime", Epoch(im.SimToWall(last_ping)))
      .Member("LastSuccessfulAssociationExecutionDate", associated)
      .Member("PingStatus", ping)
      .Member("PlatformName", s.platform_name)
      .Member("PlatformType", PlatformType(s))
      .Member("PlatformVersion", s.platform_version)
      .Member("ResourceType", "EC2Instance")
      .Member("SourceId", s.id)
      .Member("SourceType", "AWS::EC2::Instance")
      .EndObject();
}

}  // namespace

Response DescribeInstanceInformation(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  int max = Int(in.body, "MaxResults", 10, 5, 50, "maxResults");
  std::string start = StartKey(in.body);
  InfoFilters filters = ParseFilters(in.body);
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::shared_lock<std::shared_mutex> lock(z.mu);
  JsonWriter w;
  w.BeginObject().Key("InstanceInformationList").BeginArray();
  int listed = 0;
  std::string next;
  auto it = std::lower_bound(z.instances.begin(), z.instances.end(), start,
                             [](const InstanceState& s, const std::string& k) { return s.spec->id < k; });
  for (; it != z.instances.end(); ++it) {
    if (it->spec->ssm_ping == "None") continue;
    std::string ping;
    EffectiveOnline(*it, ctx.now, &ping);
    if (!Matches(*it, ping, filters)) continue;
    if (listed == max) {
      next = it->spec->id;
      break;
    }
    WriteInfo(w, im, *it, ping, ctx.now);
    ++listed;
  }
  w.EndArray();
  if (!next.empty()) w.Member("NextToken", EncodeToken(next));
  w.EndObject();
  return JsonBodyReply(w.Take(), ctx.request_id);
}

}  // namespace fleetpatch::emulator
