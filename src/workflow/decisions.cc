#include "workflow/decisions.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "common/strings.h"
#include "common/time_format.h"
#include "config/config.h"

namespace fleetpatch::workflow {

std::string NormalisePlatform(const std::string& ec2_platform, const std::string& ssm_platform_type) {
  std::string ssm = Lower(ssm_platform_type);
  if (ssm == "linux" || ssm == "windows" || ssm == "macos") return ssm;
  std::string ec2 = Lower(ec2_platform);
  if (ec2.find("windows") != std::string::npos) return "windows";
  if (ec2.find("mac") != std::string::npos) return "macos";
  if (ec2.empty() || ec2.find("linux") != std::string::npos)
    return "linux";  // EC2 leaves Platform empty on Linux
  return "";
}

void DecideEligibility(InstanceInfo& info, const EligibilityRules& rules) {
  info.eligible = false;
  if (info.state != "running") {
    info.ineligible_reason = "instance is " +
                             (info.state.empty() ? std::string("in an unknown state") : info.state) +
                             " (only running instances are patched)";
    return;
  }
  for (const auto& [key, values] : rules.exclude_tags) {
    auto it = info.tags.find(key);
    if (it == info.tags.end()) continue;
    if (values.empty() || std::find(values.begin(), values.end(), it->second) != values.end()) {
      info.ineligible_reason = "excluded by tag " + key + "=" + it->second;
      return;
    }
  }
  if (auto g = info.tags.find(kAutoScalingGroupTag);
      rules.skip_auto_scaling_members && g != info.tags.end()) {
    info.ineligible_reason = "member of Auto Scaling group " + g->second + " and patch.auto_scaling is skip";
    return;
  }
  if (std::find(rules.platforms.begin(), rules.platforms.end(), info.platform) == rules.platforms.end()) {
    info.ineligible_reason =
        "unsupported platform '" + (info.platform.empty() ? std::string("unknown") : info.platform) + "'";
    return;
  }
  if (info.ssm_ping_status.empty() || info.ssm_ping_status == "NotRegistered") {
    info.ineligible_reason = "SSM agent not registered (no managed instance in Systems Manager)";
    return;
  }
  if (info.ssm_ping_status != "Online") {
    info.ineligible_reason = "SSM agent offline (PingStatus " + info.ssm_ping_status + ")";
    return;
  }
  info.eligible = true;
  info.ineligible_reason.clear();
}

std::string RenderAmiName(const std::string& tmpl, const std::string& run_id, const InstanceInfo& info,
                          std::chrono::system_clock::time_point run_start) {
  const std::string date = FormatUtc(run_start, "%Y%m%d");
  std::string name = config::RenderAmiName(tmpl.empty() ? kDefaultAmiNameTemplate : tmpl, run_id,
                                           info.instance_id, date, info.zone);
  // The config checks the template; zone names and ids can still bring characters AMI names refuse.
  for (auto& c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '[' || c == ']' ||
              c == '.' || c == '/' || c == '\'' || c == '@' || c == '_' || c == '-' || c == ' ';
    if (!ok) c = '-';
  }
  if (name.size() > 128) name.resize(128);
  while (name.size() < 3) name += '-';
  return name;
}

void ClassifyPatch(const std::string& command_status, const std::optional<PatchCounts>& counts,
                   PatchResult& r) {
  r.command_status = command_status;
  if (counts) {
    r.installed = counts->installed;
    r.missing = counts->missing;
    r.failed = counts->failed;
    r.installed_pending_reboot = counts->installed_pending_reboot;
  }
  if (command_status == "TimedOut" || command_status == "DeliveryTimedOut") {
    r.status = PatchStatus::kTimedOut;
    r.reason = "patch command " + command_status;
    return;
  }
  if (command_status == "Cancelled" || command_status == "Cancelling") {
    r.status = PatchStatus::kCancelled;
    r.reason = "patch command was cancelled";
    return;
  }
  if (command_status != "Success") {
    r.status = PatchStatus::kFailed;
    r.reason =
        "patch command ended " + (command_status.empty() ? std::string("without a status") : command_status);
    return;
  }
  if (!counts || !counts->operation_after_command) {
    r.status = PatchStatus::kPartialSuccess;
    r.reason =
        "command succeeded but patch compliance could not be verified (no patch state after the command)";
    return;
  }
  if (counts->failed > 0) {
    r.status = PatchStatus::kFailed;
    r.reason = std::to_string(counts->failed) + " patch(es) failed to install";
    return;
  }
  if (counts->missing == 0 && counts->installed_pending_reboot > 0 && counts->pending_reboot_expected) {
    r.status = PatchStatus::kInstalledPendingReboot;
    r.reason = std::to_string(counts->installed_pending_reboot) +
               " patch(es) installed, waiting for a reboot (RebootOption NoReboot)";
    return;
  }
  std::vector<std::string> why;
  if (counts->missing > 0) why.push_back(std::to_string(counts->missing) + " patch(es) still missing");
  if (counts->installed_pending_reboot > 0) {
    why.push_back(std::to_string(counts->installed_pending_reboot) + " patch(es) installed pending reboot");
  }
  if (why.empty()) {
    r.status = PatchStatus::kSuccess;
    r.reason.clear();
    return;
  }
  r.status = PatchStatus::kPartialSuccess;
  r.reason = why[0];
  for (size_t i = 1; i < why.size(); ++i) r.reason += "; " + why[i];
}

}  // namespace fleetpatch::workflow
