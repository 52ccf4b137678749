// Shared fixtures for the state store tests: sample runs, instances and phase results with every
// field set, so round trips check every column and JSON field.
// Thread-safety: plain functions.
#pragma once

#include <string>

#include "common/run_model.h"

namespace fleetpatch::state::testutil {

inline RunInfo SampleRun(const std::string& run_id) {
  RunInfo r;
  r.run_id = run_id;
  r.workflow = "full";
  r.user = "alice";
  r.host = "build-01";
  r.dry_run = true;
  r.status = RunStatus::kRunning;
  r.config = {{"workflow", {{"phases", {{"scan", true}, {"patch", false}}}}},
              {"timeouts", {{"ami_creation", 1800}}}};
  return r;
}

inline InstanceInfo SampleInstance(const std::string& zone, const std::string& id, bool eligible = true) {
  InstanceInfo i;
  i.zone = zone;
  i.account_id = "012345678901";
  i.region = "eu-west-1";
  i.instance_id = id;
  i.name = "web <\"'&> \xC3\xA9";  // untrusted text with quotes, markup and UTF-8
  i.platform = "linux";
  i.platform_name = "Amazon Linux";
  i.state = eligible ? "running" : "stopped";
  i.availability_zone = "eu-west-1a";
  i.instance_type = "t3.micro";
  i.tags = {{"Name", i.name}, {"Patch", "yes"}};
  i.ssm_ping_status = "Online";
  i.ssm_agent_version = "3.2.1";
  i.in_auto_scaling_group = true;
  i.eligible = eligible;
  i.ineligible_reason = eligible ? "" : "stopped";
  return i;
}

inline BackupResult SampleBackup(BackupStatus status = BackupStatus::kAvailable) {
  BackupResult b;
  b.status = status;
  b.ami_id = "ami-0123456789abcdef0";
  b.ami_name = "fleetpatch-run-i-1";
  b.snapshot_ids = {"snap-1", "snap-2"};
  b.cleaned_up = status == BackupStatus::kFailed;
  b.started_at = "2026-11-25T19:42:00Z";
  b.finished_at = "2026-11-25T19:52:00Z";
  b.duration_s = 600.5;
  b.reason = "because";
  b.error = {"timeout", "BackupTimedOut", "AMI did not become available"};
  return b;
}

inline PrecheckResult SamplePrecheck(PrecheckStatus status = PrecheckStatus::kNotReady) {
  PrecheckResult p;
  p.status = status;
  p.reasons = {"disk_free:/ 4.2% < 10%"};
  p.risks = {"member of an Auto Scaling group", "old SSM agent"};
  p.findings = {{"disk_free:/", "4.2%", ">= 10%", false}, {"load_per_cpu", "0.3", "<= 2", true}};
  p.command_id = "cmd-1";
  p.started_at = "2026-11-25T19:42:00Z";
  p.finished_at = "2026-11-25T19:43:00Z";
  p.output = "{\"disk\":[]}\n</script>";
  p.error = {"aws", "InvalidInstanceId", "not connected"};
  return p;
}

inline PatchResult SamplePatch(PatchStatus status = PatchStatus::kPartialSuccess) {
  PatchResult p;
  p.status = status;
  p.wave = 2;
  p.command_id = "cmd-2";
  p.command_status = "Success";
  p.installed = 12;
  p.missing = 1;
  p.failed = 0;
  p.installed_pending_reboot = 3;
  p.started_at = "2026-11-25T20:00:00Z";
  p.finished_at = "2026-11-25T20:05:00Z";
  p.duration_s = 300.25;
  p.reason = "reboot pending";
  p.error = {};
  return p;
}

}  // namespace fleetpatch::state::testutil
