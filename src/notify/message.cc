#include "notify/message.h"

#include "common/json_dump.h"
#include "common/redact.h"

namespace fleetpatch::notify {
namespace {

using nlohmann::json;

json Counts(const PhaseCounts& c) {
  return {{"succeeded", c.succeeded},
          {"failed", c.failed},
          {"skipped", c.skipped},
          {"pending", c.pending},
          {"not_run", c.not_run}};
}

std::string Ids(const std::vector<std::string>& ids, size_t max = 10) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < max; ++i) out += (i ? ", " : "") + ids[i];
  if (ids.size() > max) out += " and " + std::to_string(ids.size() - max) + " more";
  return out;
}

// Every string in `j` and the text go through RedactSecrets: the events carry no secret by
// contract; this keeps one that slipped into an error message out of chat channels.
json Redacted(const json& j) {
  if (j.is_string()) return RedactSecrets(j.get<std::string>());
  if (j.is_structured()) {
    json out = j;
    for (auto& [k, v] : out.items()) v = Redacted(v);
    return out;
  }
  return j;
}

Notification Make(const char* event, const std::string& run_id, std::string title, std::string text,
                  json summary) {
  Notification n;
  n.event = event;
  n.run_id = run_id;
  n.title = RedactSecrets(title);
  n.text = RedactSecrets(text);
  summary["event"] = event;
  summary["run_id"] = run_id;
  n.summary = Redacted(summary);
  return n;
}

}  // namespace

std::string Notification::Body() const {
  json j = {{"text", text}, {"event", event}, {"run_id", run_id}, {"summary", summary}};
  return DumpJson(j);
}

Notification FromEvent(const RunFinished& e) {
  json phases = json::object();
  std::string counts;
  for (const auto& [phase, c] : e.phases) {
    phases[PhaseName(phase)] = Counts(c);
    if (c.succeeded + c.failed + c.skipped == 0) continue;
    counts += std::string(counts.empty() ? "" : "; ") + PhaseName(phase) + " " + std::to_string(c.succeeded) +
              " ok, " + std::to_string(c.failed) + " failed, " + std::to_string(c.skipped) + " skipped";
  }
  std::string title = std::string("fleetpatch: run ") + e.run_id + " " + RunStatusName(e.status) +
                      (e.dry_run ? " (dry run)" : "");
  std::string text = title + " (exit " + std::to_string(e.exit_code) + "): " + std::to_string(e.instances) +
                     " instances, " + std::to_string(e.eligible) + " eligible" +
                     (counts.empty() ? "" : "; " + counts);
  if (e.zones_failed) text += "; " + std::to_string(e.zones_failed) + " landing zone(s) failed";
  if (!e.error.empty()) text += "\nError: " + e.error;
  json s = {{"status", RunStatusName(e.status)},
            {"exit_code", e.exit_code},
            {"dry_run", e.dry_run},
            {"instances", e.instances},
            {"eligible", e.eligible},
            {"zones_failed", e.zones_failed},
            {"phases", phases},
            {"reports", e.reports}};
  if (!e.error.empty()) s["error"] = e.error;
  return Make(kRunFinishedEvent, e.run_id, title, text, s);
}

Notification FromEvent(const RolloutHalted& e) {
  std::string title =
      std::string("fleetpatch: rollout halted (") + HaltReasonName(e.reason) + ") in run " + e.run_id;
  std::string text = title + ": " + std::to_string(e.failed) + " failed, " + std::to_string(e.not_started) +
                     " instances will not be patched" + (e.detail.empty() ? "" : ". " + e.detail);
  json s = {{"reason", HaltReasonName(e.reason)},
            {"failed", e.failed},
            {"not_started", e.not_started},
            {"detail", e.detail}};
  return Make(kRolloutHaltedEvent, e.run_id, title, text, s);
}

Notification FromEvent(const RollbackDone& e) {
  std::string title = "fleetpatch: rollback done in run " + e.run_id;
  std::string text =
      title + ": " + std::to_string(e.instance_ids.size()) + " rolled back (" + Ids(e.instance_ids) + ")" +
      (e.failed_ids.empty()
           ? ""
           : ", " + std::to_string(e.failed_ids.size()) + " failed (" + Ids(e.failed_ids) + ")");
  if (!e.detail.empty()) text += ". " + e.detail;
  json s = {{"rolled_back", e.instance_ids}, {"failed", e.failed_ids}, {"detail", e.detail}};
  return Make(kRollbackDoneEvent, e.run_id, title, text, s);
}

Notification FromEvent(const InstancesInStandby& e) {
  std::string title = "fleetpatch: instances left in standby in run " + e.run_id;
  std::string text = title + ": " + std::to_string(e.instance_ids.size()) + " (" + Ids(e.instance_ids) +
                     "); return them to service by hand" + (e.detail.empty() ? "" : ". " + e.detail);
  json s = {{"instance_ids", e.instance_ids}, {"detail", e.detail}};
  return Make(kInstancesInStandbyEvent, e.run_id, title, text, s);
}

}  // namespace fleetpatch::notify
