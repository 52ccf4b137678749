#include "workflow/reboot_wait.h"

#include <fmt/format.h>

#include <vector>

#include "common/strings.h"

namespace fleetpatch::workflow {
namespace {

std::string OrUnknown(const std::string& s) { return s.empty() ? "unknown" : s; }

// What keeps the instance from counting as back, in a fixed order; empty when it is back.
std::vector<std::string> Missing(const RebootObservation& o) {
  std::vector<std::string> out;
  if (o.ping_status != "Online") out.push_back("SSM agent " + OrUnknown(o.ping_status));
  if (o.system_status != "ok") out.push_back("system status check " + OrUnknown(o.system_status));
  if (o.instance_status != "ok") out.push_back("instance status check " + OrUnknown(o.instance_status));
  return out;
}

}  // namespace

RebootDecision EvaluateReboot(const RebootObservation& now, std::chrono::seconds elapsed,
                              std::chrono::seconds timeout) {
  if (!now.instance_state.empty() && now.instance_state != "running" && now.instance_state != "pending") {
    return {RebootVerdict::kFailed,
            fmt::format("the instance is {} after the patch reboot", now.instance_state)};
  }
  std::vector<std::string> missing = Missing(now);
  if (missing.empty()) return {RebootVerdict::kBack, ""};
  std::string what = Join(missing, ", ");
  if (elapsed >= timeout) {
    return {RebootVerdict::kFailed,
            fmt::format("not back from the patch reboot within timeouts.reboot ({} s): {}", timeout.count(),
                        what)};
  }
  return {RebootVerdict::kWaiting, what};
}

}  // namespace fleetpatch::workflow
