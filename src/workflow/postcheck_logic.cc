#include "workflow/postcheck_logic.h"

#include <map>

namespace fleetpatch::workflow {
namespace {

bool IsDiskCheck(const std::string& check) { return check.rfind("disk", 0) == 0; }

// The failed disk checks of one measurement, check name -> measured value.
std::map<std::string, std::string> FailedDisks(const PrecheckMeasurements& m, const PrecheckThresholds& t) {
  std::map<std::string, std::string> out;
  for (const CheckFinding& f : EvaluatePrecheck(m, t).findings) {
    if (IsDiskCheck(f.check) && !f.passed) out[f.check] = f.measured + " (required " + f.threshold + ")";
  }
  return out;
}

void CompareServices(const std::optional<PrecheckMeasurements>& before, const PrecheckMeasurements& after,
                     const PrecheckThresholds& t, std::vector<std::string>* out) {
  for (const std::string& s : t.critical_services) {
    auto b = before ? before->services.find(s) : after.services.end();
    bool was_active = before ? (b != before->services.end() && b->second == "active") : true;
    auto a = after.services.find(s);
    std::string now = a == after.services.end() ? "not reported" : a->second;
    if (was_active && now != "active") {
      out->push_back("service:" + s + " was " + (before ? "active" : "required active") + ", now " + now);
    }
  }
}

void CompareDisks(const std::optional<PrecheckMeasurements>& before, const PrecheckMeasurements& after,
                  const PrecheckThresholds& t, std::vector<std::string>* out) {
  std::map<std::string, std::string> failed_before;
  if (before) failed_before = FailedDisks(*before, t);
  for (const auto& [check, measured] : FailedDisks(after, t)) {
    if (failed_before.count(check) == 0) out->push_back(check + " is " + measured);
  }
}

}  // namespace

PostcheckVerdict ComparePostcheck(const std::optional<PrecheckMeasurements>& before,
                                  const PostcheckObservation& now, const PrecheckThresholds& thresholds) {
  PostcheckVerdict v;
  if (!now.after) {
    v.status = PostcheckStatus::kUnreachable;
    std::string why = now.unreachable_reason.empty() ? "the postcheck script returned no measurement"
                                                     : now.unreachable_reason;
    if (now.ping_status != "Online")
      why += " (SSM agent " + (now.ping_status.empty() ? "unknown" : now.ping_status) + ")";
    v.regressions.push_back(why);
    return v;
  }
  if (now.ping_status != "Online")
    v.regressions.push_back("SSM agent is " + now.ping_status + ", not Online");
  if (now.system_status != "ok") v.regressions.push_back("system status check is " + now.system_status);
  if (now.instance_status != "ok") v.regressions.push_back("instance status check is " + now.instance_status);
  CompareServices(before, *now.after, thresholds, &v.regressions);
  CompareDisks(before, *now.after, thresholds, &v.regressions);
  v.status = v.regressions.empty() ? PostcheckStatus::kHealthy : PostcheckStatus::kDegraded;
  return v;
}

}  // namespace fleetpatch::workflow
