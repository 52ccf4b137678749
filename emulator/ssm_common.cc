// Helpers shared by the SSM handler files.
#include "emulator/ssm_common.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "common/count_or_percent.h"
#include "emulator/instance_health.h"

namespace fleetpatch::emulator {

using nlohmann::json;

ApiError Validation(const std::string& msg) {
  return {400, "ValidationException", "1 validation error detected: " + msg};
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string())
    throw ApiError{400, "SerializationException", std::string("Expected a string for ") + key};
  return it->get<std::string>();
}

std::vector<std::string> StrList(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array())
    throw ApiError{400, "SerializationException", std::string("Expected a list for ") + key};
  for (const auto& v : *it) {
    if (!v.is_string())
      throw ApiError{400, "SerializationException", std::string("Expected strings in ") + key};
    out.push_back(v.get<std::string>());
  }
  return out;
}

int Int(const json& j, const char* key, int dflt, int lo, int hi, const char* wire_name) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (!it->is_number_integer())
    throw ApiError{400, "SerializationException", std::string("Expected an integer for ") + key};
  long long v = it->get<long long>();
  if (v < lo)
    throw Validation(fmt::format(
        "Value '{}' at '{}' failed to satisfy constraint: Member must have value greater than or equal to {}",
        v, wire_name, lo));
  if (v > hi)
    throw Validation(fmt::format(
        "Value '{}' at '{}' failed to satisfy constraint: Member must have value less than or equal to {}", v,
        wire_name, hi));
  return static_cast<int>(v);
}

double Epoch(const std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

std::string StartKey(const json& body) {
  std::string token = Str(body, "NextToken");
  if (token.empty()) return "";
  std::string key;
  if (!DecodeToken(token, &key)) throw ApiError{400, "InvalidNextToken", "The specified token isn't valid."};
  return key;
}

bool EffectiveOnline(const InstanceState& st, double now, std::string* ping) {
  std::string p = st.spec->ssm_ping;
  if (p == "Online" && (StateAt(st, now) != "running" || now >= st.agent_lost_at || AgentDownAt(st, now)))
    p = "ConnectionLost";
  *ping = p;
  return p == "Online";
}

// "50" or "10%" (already validated against SSM's pattern) of `targets`, at least `min_value`.
int CountOrPercent(const std::string& v, int targets, int min_value) {
  auto parsed = fleetpatch::CountOrPercent::Parse(v, std::numeric_limits<int>::max());
  return std::max(min_value, parsed.ok() ? static_cast<int>(parsed->Of(targets)) : 0);
}

std::string PluginFor(const Command& c, const InstanceState* st) {
  if (c.document == "AWS-RunPatchBaseline")
    return st && st->spec->platform == "windows" ? "PatchWindows" : "PatchLinux";
  return c.document == "AWS-RunPowerShellScript" ? "aws:runPowerShellScript" : "aws:runShellScript";
}

InvocationView ViewOf(const Invocation& inv, double now) {
  InvocationView v;
  if (now >= inv.end) {
    v.status = inv.status;
    v.details = inv.details;
    v.response_code = inv.response_code;
    v.terminal = true;
    v.started = !inv.never_started;
  } else if (inv.never_started || now < inv.start) {
    v.status = "Pending";
    v.details = "Pending";
  } else {
    v.status = "InProgress";
    v.details = "InProgress";
    v.started = true;
  }
  return v;
}

bool IsError(const Invocation& inv) {
  return inv.status == "Failed" ? inv.details != "Undeliverable" : inv.status == "TimedOut";
}

// The patch state an instance reports at simulated time `now`: the last run that ended with a
// result (Success or Failed), else the baseline scan.
PatchCounts CurrentPatchState(const Zone& z, const InstanceState& st, double now) {
  PatchCounts best = st.baseline;
  for (const auto& [cmd_id, idx] : st.patch_runs) {
    auto c = z.commands.find(cmd_id);
    if (c == z.commands.end()) continue;
    const Invocation& inv = c->second.invocations[idx];
    if (now < inv.end || (inv.status != "Success" && inv.status != "Failed")) continue;
    if (inv.patch_after.end >= best.end) best = inv.patch_after;
  }
  return best;
}

PatchCounts InstalledState(const Zone& z, const InstanceState& st, double now) {
  PatchCounts reported = CurrentPatchState(z, st, now);
  if (st.restored_at <= now && st.restored_at >= reported.end) return st.restored_counts;
  return reported;
}

void DenyIfReadOnly(const std::string& op, const CallContext& ctx) {
  if (ctx.identity->read_only)
    throw ApiError{400, "AccessDeniedException",
                   "User: " + ctx.identity->arn + " is not authorized to perform: ssm:" + op +
                       " because no identity-based policy allows the ssm:" + op + " action"};
}

}  // namespace fleetpatch::emulator
