// Notification: what a channel sends for one run event. `text` is one or two human lines that
// Slack, Microsoft Teams and Google Chat show as is; `summary` is the same facts as structured
// JSON for machines. Built only from the event's fields (counts, ids, statuses, report paths and
// secret-free error messages) and passed through RedactSecrets, so no secret can be in it.
// Thread-safety: plain values and pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/run_events.h"

namespace fleetpatch::notify {

struct Notification {
  std::string event;  // kRunFinishedEvent, ... (run_events.h)
  std::string run_id;
  std::string title;  // short, printable ASCII (an SNS subject): "fleetpatch: run ... succeeded"
  std::string text;
  nlohmann::json summary;

  // {"text": ..., "event": ..., "run_id": ..., "summary": {...}}: the webhook body and SNS message.
  std::string Body() const;
};

Notification FromEvent(const RunFinished& e);
Notification FromEvent(const RolloutHalted& e);
Notification FromEvent(const RollbackDone& e);
Notification FromEvent(const InstancesInStandby& e);

}  // namespace fleetpatch::notify
