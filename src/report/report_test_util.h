// Test helpers for the report tests: a fixed demo run (with hostile text in tags and output) and
// small utilities. Header-only, used only by *_test.cc in src/report.
// Thread-safety: pure functions.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/run_model.h"
#include "testing/ci.h"

namespace fleetpatch::report::testutil {

inline constexpr const char* kImgPayload = "<img src=x onerror=alert(1)>";
inline constexpr const char* kScriptPayload = "</script><script>alert(1)</script>";

inline InstanceInfo Info(const std::string& zone, const std::string& account, const std::string& region,
                         const std::string& id, const std::string& name, const std::string& platform) {
  InstanceInfo i;
  i.zone = zone;
  i.account_id = account;
  i.region = region;
  i.availability_zone = region + "a";
  i.instance_id = id;
  i.name = name;
  i.platform = platform;
  i.platform_name = platform == "windows" ? "Microsoft Windows Server 2022 Datacenter" : "Amazon Linux";
  i.instance_type = "t3.medium";
  i.state = "running";
  i.ssm_ping_status = "Online";
  i.ssm_agent_version = "3.3.40.0";
  i.eligible = true;
  if (!name.empty()) i.tags["Name"] = name;
  i.tags["Patch"] = "true";
  return i;
}

inline BackupResult Backup(BackupStatus status, const std::string& ami, double duration_s) {
  BackupResult b;
  b.status = status;
  b.ami_id = ami;
  b.ami_name = ami.empty() ? "" : "fleetpatch-" + ami;
  if (!ami.empty()) b.snapshot_ids = {"snap-0" + ami.substr(4) + "1", "snap-0" + ami.substr(4) + "2"};
  b.started_at = "2026-11-25T19:42:10Z";
  b.finished_at = "2026-11-25T19:43:00Z";
  b.duration_s = duration_s;
  return b;
}

inline PrecheckResult Precheck(PrecheckStatus status, const std::string& command_id) {
  PrecheckResult p;
  p.status = status;
  p.command_id = command_id;
  p.started_at = "2026-11-25T19:43:05Z";
  p.finished_at = "2026-11-25T19:43:35Z";
  p.findings = {{"disk_free:/", "42.0%", ">= 10%", true},
                {"load_per_cpu", "0.35", "<= 2.0", true},
                {"memory_free", "61%", ">= 5%", true}};
  p.risks = {"kernel update pending: reboot likely"};
  return p;
}

inline PatchResult Patch(PatchStatus status, int64_t installed, int64_t missing, int64_t failed,
                         int64_t reboot) {
  PatchResult p;
  p.status = status;
  p.wave = 1;
  p.command_id = "cmd-patch-0001";
  p.command_status = status == PatchStatus::kSuccess ? "Success" : "Failed";
  p.installed = installed;
  p.missing = missing;
  p.failed = failed;
  p.installed_pending_reboot = reboot;
  p.started_at = "2026-11-25T19:44:00Z";
  p.finished_at = "2026-11-25T19:50:30Z";
  p.duration_s = 390;
  return p;
}

// A full run over three landing zones (one of which failed as a whole) and nine instances that
// cover every outcome, plus hostile text: HTML/script payloads, formula-like cells, commas,
// quotes, newlines, tabs, control characters and invalid UTF-8.
inline RunSnapshot DemoSnapshot() {
  RunSnapshot s;
  s.run.run_id = "20261125-194200-a1b2c3";
  s.run.workflow = "full";
  s.run.created_at = "2026-11-25T19:42:00Z";
  s.run.updated_at = "2026-11-25T19:52:12Z";
  s.run.user = "ops";
  s.run.host = "bastion-1";
  s.run.dry_run = false;
  s.run.status = RunStatus::kCompletedWithFailures;
  s.run.config = {{"waves", {{"canary", 1}, {"size", 5}}},
                  {"precheck", {{"min_disk_free_pct", 10}, {"max_load_per_cpu", 2.0}}},
                  {"backup", {{"enabled", true}, {"timeout_s", 1800}}}};
  s.run.phases_completed = {"scan", "backup", "precheck", "patch"};

  s.zones = {{"prod-eu", "111111111111", "eu-west-1", "arn:aws:iam::111111111111:role/FleetPatch", {}},
             {"prod-us", "222222222222", "us-east-1", "arn:aws:iam::222222222222:role/FleetPatch", {}},
             {"legacy",
              "333333333333",
              "ap-southeast-2",
              "arn:aws:iam::333333333333:role/FleetPatch",
              {"authentication", "AccessDenied",
               "cannot assume role arn:aws:iam::333333333333:role/FleetPatch: check its trust policy"}}};

  const std::string eu = "prod-eu", ea = "111111111111", er = "eu-west-1";
  const std::string us = "prod-us", ua = "222222222222", ur = "us-east-1";

  {  // 1: everything went well
    InstanceRun r;
    r.info = Info(eu, ea, er, "i-0a1b2c3d4e5f60001", "web-1", "linux");
    r.backup = Backup(BackupStatus::kAvailable, "ami-0a000000000000001", 42.5);
    r.precheck = Precheck(PrecheckStatus::kReady, "cmd-pre-0001");
    r.precheck->output = "disk_free:/=42.0%\nload_per_cpu=0.35\n";
    r.patch = Patch(PatchStatus::kSuccess, 12, 0, 0, 2);
    r.patch->wave = 0;
    r.postcheck = PostcheckResult{PostcheckStatus::kHealthy, {}, "cmd-post-0001", "2026-11-25T19:50:00Z",
                                  "2026-11-25T19:50:20Z",    {}};
    s.instances.push_back(std::move(r));
  }
  {  // 2: HTML payload in the Name tag; not ready (disk full)
    InstanceRun r;
    r.info = Info(eu, ea, er, "i-0a1b2c3d4e5f60002", kImgPayload, "linux");
    r.backup = Backup(BackupStatus::kAvailable, "ami-0a000000000000002", 38);
    r.precheck = Precheck(PrecheckStatus::kNotReady, "cmd-pre-0002");
    r.precheck->findings[0] = {"disk_free:/", "4.2%", ">= 10%", false};
    r.precheck->reasons = {"disk_free:/ is 4.2%, needs >= 10%"};
    r.precheck->output = "<b>disk</b> & \"quotes\" 'single'";
    r.patch = PatchResult{};
    r.patch->status = PatchStatus::kSkipped;
    r.patch->reason = "precheck not ready";
    s.instances.push_back(std::move(r));
  }
  {  // 3: script payload in the Name tag; backup failed
    InstanceRun r;
    r.info = Info(eu, ea, er, "i-0a1b2c3d4e5f60003", kScriptPayload, "windows");
    r.backup = Backup(BackupStatus::kFailed, "", 12);
    r.backup->error = {"aws", "InvalidParameterValue",
                       "CreateImage refused the request: <script>alert(2)</script>"};
    r.patch = PatchResult{};
    r.patch->status = PatchStatus::kSkipped;
    r.patch->reason = "no backup";
    s.instances.push_back(std::move(r));
  }
  {  // 4: formula-like text; ineligible
    InstanceRun r;
    r.info = Info(eu, ea, er, "i-0a1b2c3d4e5f60004", "=HYPERLINK(\"http://example.invalid\",\"x\")", "linux");
    r.info.tags["Owner"] = "+cmd|' /C calc'!A0";
    r.info.tags["CostCenter"] = "-2+3";
    r.info.tags["Team"] = "@SUM(1+1)";
    r.info.ssm_ping_status = "ConnectionLost";
    r.info.eligible = false;
    r.info.ineligible_reason = "-SSM agent not online (ConnectionLost)";
    s.instances.push_back(std::move(r));
  }
  {  // 5: backup timed out with a negative duration (clock skew), patch timed out
    InstanceRun r;
    r.info = Info(eu, ea, er, "i-0a1b2c3d4e5f60005", "db-1", "linux");
    r.info.in_auto_scaling_group = true;
    r.backup = Backup(BackupStatus::kTimedOut, "ami-0a000000000000005", -1.5);
    r.backup->cleaned_up = true;
    r.precheck = Precheck(PrecheckStatus::kReady, "cmd-pre-0005");
    r.patch = Patch(PatchStatus::kTimedOut, 0, 7, 0, 0);
    r.patch->error = {"timeout", "PatchTimedOut", "the patch command did not finish within 3600 s"};
    s.instances.push_back(std::move(r));
  }
  {  // 6: commas, quotes, newline; partial success
    InstanceRun r;
    r.info = Info(us, ua, ur, "i-0b1b2c3d4e5f60006", "app, \"quoted\"\nsecond line", "linux");
    r.backup = Backup(BackupStatus::kAvailable, "ami-0b000000000000006", 51.25);
    r.precheck = Precheck(PrecheckStatus::kReady, "cmd-pre-0006");
    r.patch = Patch(PatchStatus::kPartialSuccess, 5, 1, 2, 0);
    r.patch->reason = "2 updates failed: KB5031364, KB5031455";
    // The safety loop: degraded after the patch (untrusted service name), rolled back automatically.
    r.postcheck =
        PostcheckResult{PostcheckStatus::kDegraded,
                        {"service:<b>nginx</b> was active, now failed", "instance status check is impaired"},
                        "cmd-post-0006",
                        "2026-11-25T19:50:00Z",
                        "2026-11-25T19:50:30Z",
                        {}};
    RollbackResult rb;
    rb.status = RollbackStatus::kRolledBack;
    rb.ami_id = "ami-0b000000000000006";
    rb.task_id = "replacevol-0b0000000000000006";
    rb.task_state = "succeeded";
    rb.automatic = true;
    rb.reason = "postcheck degraded: service:<b>nginx</b> was active, now failed";
    rb.postcheck = "healthy";
    rb.started_at = "2026-11-25T19:50:31Z";
    rb.finished_at = "2026-11-25T19:56:02Z";
    r.rollback = rb;
    s.instances.push_back(std::move(r));
  }
  {  // 7: tab in name; stopped, ineligible
    InstanceRun r;
    r.info = Info(us, ua, ur, "i-0b1b2c3d4e5f60007", "\tbatch-worker", "linux");
    r.info.state = "stopped";
    r.info.ssm_ping_status = "ConnectionLost";
    r.info.eligible = false;
    r.info.ineligible_reason = "instance is stopped";
    s.instances.push_back(std::move(r));
  }
  {  // 8: non-ASCII text, control characters and invalid UTF-8 in output; still patching
    InstanceRun r;
    r.info = Info(us, ua, ur, "i-0b1b2c3d4e5f60008", "日本語 ünïcødé", "linux");
    r.backup = Backup(BackupStatus::kAvailable, "ami-0b000000000000008", 40);
    r.precheck = Precheck(PrecheckStatus::kReady, "cmd-pre-0008");
    r.precheck->output = std::string("ok\x01\x1b[31mred\x7f \xff\xfe bad bytes \xe2\x80\xa8 sep");
    r.patch = Patch(PatchStatus::kInProgress, 0, 0, 0, 0);
    r.patch->command_status = "InProgress";
    r.patch->finished_at = "";
    r.patch->duration_s = 0;
    s.instances.push_back(std::move(r));
  }
  {  // 9: unreachable precheck, no explicit error (synthesised), windows
    InstanceRun r;
    r.info = Info(us, ua, ur, "i-0b1b2c3d4e5f60009", "win-app-2", "windows");
    r.backup = Backup(BackupStatus::kAvailable, "ami-0b000000000000009", 95);
    r.precheck = Precheck(PrecheckStatus::kUnreachable, "cmd-pre-0009");
    r.precheck->findings.clear();
    r.patch = PatchResult{};
    r.patch->status = PatchStatus::kSkipped;
    r.patch->reason = "precheck unreachable";
    s.instances.push_back(std::move(r));
  }

  s.events = {{1, "2026-11-25T19:42:00Z", "info", "", "", "", "run started"},
              {2, "2026-11-25T19:42:01Z", "error", "legacy", "", "scan", "cannot assume role: AccessDenied"},
              {3, "2026-11-25T19:43:35Z", "warning", "prod-eu", "i-0a1b2c3d4e5f60002", "precheck",
               std::string("not ready: ") + kImgPayload},
              {4, "2026-11-25T19:52:12Z", "info", "", "", "", "run finished: completed_with_failures"}};
  return s;
}

// FP_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing; ignored under CI=true, where a
// difference must fail.
inline bool UpdateGolden() {
  if (fleetpatch::testing::RunningInCi()) return false;
  const char* v = std::getenv("FP_UPDATE_GOLDEN");
  return v && *v && std::string(v) != "0";
}

inline std::filesystem::path SourcePath(const std::string& rel) {
  return std::filesystem::path(FP_SOURCE_DIR) / rel;
}
inline std::filesystem::path BinaryPath(const std::string& rel) {
  return std::filesystem::path(FP_BINARY_DIR) / rel;
}

// Runs a shell command; returns its exit status and stdout+stderr.
inline int RunCommand(const std::string& cmd, std::string* output) {
  output->clear();
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = ::fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  int rc = ::pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The demo run with Auto Scaling records on its first four instances: in_standby (interrupted),
// left_in_standby (not known good), group_suspended, exited_standby (restored: not listed).
inline RunSnapshot DemoSnapshotWithStandby() {
  RunSnapshot snap = DemoSnapshot();
  const StandbyStatus statuses[] = {StandbyStatus::kInStandby, StandbyStatus::kLeftInStandby,
                                    StandbyStatus::kSuspended, StandbyStatus::kExitedStandby};
  for (size_t i = 0; i < 4 && i < snap.instances.size(); ++i) {
    StandbyResult s;
    s.status = statuses[i];
    s.group = i == 2 ? "api-asg" : "web-asg <b>";
    s.mode = i == 2 ? "suspend" : "standby";
    s.entered_at = "2026-11-25T19:50:00Z";
    snap.instances[i].standby = s;
  }
  return snap;
}

}  // namespace fleetpatch::report::testutil
