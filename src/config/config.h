// The fleetpatch configuration: the workflow config file (prepatch_config.yml) and the landing-zone
// inventory, as plain structs. Every field's initializer here is its default: the one place a
// default is written. Each file key's path, type, range and doc line are in the field table
// (fields.h), from which the loader reads the YAML and the JSON Schemas (schemas/) and the reference
// in docs/configuration.md are generated, with these defaults (config_docs_test.cc checks them).
// The loader (loader.h) fills these from YAML; the command line (src/cli) overrides some of them.
// Thread-safety: plain values; a loaded Config is immutable in practice and safe to share.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/count_or_percent.h"
#include "common/report_format.h"
#include "config/safety_config.h"

namespace fleetpatch::config {

// Tag key -> accepted values (an instance matches when its tag has any of the values).
using TagMatch = std::map<std::string, std::vector<std::string>>;

// Fields that landing zones inherit when they do not set them: the inventory's `defaults:` block,
// or the config's `landing_zone_defaults:` for inline zones and as the base for an inventory file.
struct ZoneDefaults {
  std::string role_name = "FleetPatchRole";  // Default: "FleetPatchRole"
  std::string external_id;                   // Default: "" (no ExternalId)
  std::string session_name = "fleetpatch";   // Default: "fleetpatch"
  std::string endpoint_url;                  // Default: "" (AWS's regional endpoints)
  TagMatch filter_tags;                      // Default: {} (every instance)
  TagMatch exclude_tags;                     // Default: {} (exclude none)
};

// One landing zone: an account and region fleetpatch enters by assuming a role.
struct LandingZone {
  std::string name;        // Required; unique in the inventory.
  std::string account_id;  // Required; exactly 12 digits, kept as a string (leading zeros matter).
  std::string region;      // Required; e.g. "eu-west-1".
  // The role to assume. After loading this is always set: either as written, or built from
  // role_name as arn:<partition of region>:iam::<account_id>:role/<role_name>.
  std::string role_arn;
  std::string role_name;  // Default: the defaults' role_name ("FleetPatchRole"); "" when role_arn was given.
  std::string external_id;   // Default: the defaults' external_id ("" = none). Treated as a secret in output.
  std::string session_name;  // Default: the defaults' session_name ("fleetpatch").
  std::string endpoint_url;  // Default: the defaults' endpoint_url ("" = AWS's endpoints); e.g. the emulator.
  bool enabled = true;       // Default: true. Disabled zones are kept in the inventory but never entered.
  TagMatch filter_tags;      // Default: the defaults' filters.tags. Instances must match every key.
  TagMatch exclude_tags;     // Default: the defaults' filters.exclude_tags. A match on any key excludes.
};

struct PhasesConfig {     // which phases `--workflow full` (and a plain `--config F` run) performs
  bool scan = true;       // Default: true
  bool backup = true;     // Default: true
  bool precheck = true;   // Default: true
  bool patch = true;      // Default: true
  bool postcheck = true;  // Default: true (after patch; docs/safety.md)
};

struct TimeoutsConfig {
  std::chrono::seconds ami_creation{1800};     // Default: 30 min per AMI, from CreateImage to available
  std::chrono::seconds patch_execution{3600};  // Default: 1 h per patch command invocation
  std::chrono::seconds ssm_connection{300};    // Default: 5 min for an instance's SSM agent to be Online
  std::chrono::seconds precheck_command{600};  // Default: 10 min for the precheck script to finish
  std::chrono::seconds reboot{900};  // Default: 15 min for agent Online + status checks ok after a reboot
  // Default: 10 min from EnterStandby to Standby (EnteringStandby lasts while load balancers drain
  // the instance: their deregistration delay, 300 s by default, fits).
  std::chrono::seconds standby{600};
};

// When new work is first checked: the first moment any of it can have finished (capped at
// poll_interval); then at waits doubling from it up to poll_interval (workflow/poll_schedule.h).
struct FirstPollConfig {
  std::chrono::seconds ami{60};      // Default: 60 s (no AMI is available sooner)
  std::chrono::seconds precheck{3};  // Default: 3 s (delivery about 2 s, then the script)
  std::chrono::seconds patch{60};    // Default: 60 s (a patch run takes minutes)
  // Default: 30 s after a patch command ended (it reports its end once the agent is back from the
  // reboot; EC2's status checks follow about half a minute later).
  std::chrono::seconds reboot{30};
};

struct WorkflowConfig {
  PhasesConfig phases;
  TimeoutsConfig timeouts;
  std::chrono::seconds poll_interval{10};  // Default: 10 s between two status polls of the same work
  WindowConfig window;                     // Default: none (new waves may start at any time)
  FirstPollConfig first_poll;
};

struct ConcurrencyConfig {
  int zone_workers = 4;                  // Default: 4 landing zones worked on at once
  int max_requests_per_zone = 8;         // Default: 8 AWS requests in flight per zone
  int max_pending_images_per_zone = 50;  // Default: 50 AMIs being created at once per zone
  int max_commands_per_zone = 200;       // Default: 200 SSM command invocations in flight per zone
};

struct CriticalServices {
  std::vector<std::string> linux_services = {"sshd"};                // Default: [sshd]
  std::vector<std::string> windows_services = {"W32Time", "WinRM"};  // Default: [W32Time, WinRM]
};

struct PrecheckConfig {
  double min_free_disk_percent = 10;            // Default: 10 (%) free on every checked mount
  double min_free_disk_gib = 1;                 // Default: 1 GiB free on every checked mount
  std::vector<std::string> mounts;              // Default: [] = every local mount the script reports
  double max_load_per_cpu = 2.0;                // Default: 2.0 (1-minute load average / CPUs)
  double min_free_memory_percent = 5;           // Default: 5 (% of total memory available)
  double min_free_memory_mib = 128;             // Default: 128 MiB available
  CriticalServices critical_services;           // must be running
  bool fail_on_pending_reboot = false;          // Default: false (a pending reboot is listed as a risk only)
  bool fail_on_package_lock = true;             // Default: true (another process holds the package manager)
  std::string min_ssm_agent_version = "3.0.0";  // Default: "3.0.0"; older agents are listed as a risk
};

enum class PatchOperation { kInstall, kScan };
enum class RebootOption { kRebootIfNeeded, kNoReboot };
const char* PatchOperationName(PatchOperation op);  // "Install" | "Scan"
const char* RebootOptionName(RebootOption r);       // "RebootIfNeeded" | "NoReboot"

struct PatchConfig {
  std::string document = "AWS-RunPatchBaseline";               // Default: "AWS-RunPatchBaseline"
  PatchOperation operation = PatchOperation::kInstall;         // Default: Install
  RebootOption reboot_option = RebootOption::kRebootIfNeeded;  // Default: RebootIfNeeded
  std::string baseline_override;        // Default: "" (the patch group's baseline); an s3:// or https:// URL
  int canary_size = 1;                  // Default: 1 instance in the first wave; 0 = no canary wave
  int max_concurrency = 50;             // Default: 50 instances per wave after the canary
  CountOrPercent max_errors{false, 0};  // Default: "0" (SSM MaxErrors per command)
  bool require_confirmation = true;     // Default: true (ask on a terminal before patching; --yes skips)
  // The safety loop (docs/safety.md).
  bool fail_on_pending_reboot = false;            // Default: false (NoReboot's pending reboots exit 0)
  RollbackMode rollback = RollbackMode::kManual;  // Default: manual
  bool delete_replaced_root_volume = false;       // Default: false (the old root volume is kept)
  AutoScalingMode auto_scaling = AutoScalingMode::kStandby;  // Default: standby
  std::optional<CountOrPercent> max_unavailable;             // Default: none (no disruption budget)
  std::vector<std::string> max_unavailable_tags;  // Default: [] (budget groups: Auto Scaling groups only)
};

struct BackupConfig {
  // Patch only instances whose backup AMI is available. Ignored (must be false) when
  // workflow.phases.backup is false: turning the phase off is how backups are turned off.
  bool required = true;   // Default: true
  bool no_reboot = true;  // Default: true (CreateImage NoReboot: no reboot, crash-consistent image)
  // Placeholders: {run_id}, {instance_id}, {date} (YYYYMMDD, UTC), {zone}. Must contain {run_id}
  // and {instance_id} so names are unique per run and instance (a resumed run finds its AMI by name).
  std::string name_template = "fleetpatch-{instance_id}-{date}-{run_id}";  // Default: as shown
  std::map<std::string, std::string> tags;  // Default: {} (extra tags on the AMI and its snapshots)
  int retention_days = 30;                  // Default: 30 (written as the delete-after tag)
  bool keep_failed = false;  // Default: false (a failed or timed-out AMI is deregistered, snapshots deleted)
  int keep_last = 1;         // Default: 1 (`fleetpatch prune` keeps the newest N available AMIs per instance)
};

using ::fleetpatch::ReportFormat;  // common/report_format.h: the names and which a user may choose
using ::fleetpatch::ReportFormatName;

struct ReportingConfig {
  std::string output_dir = "reports";  // Default: "reports" (relative to the working directory)
  std::vector<ReportFormat> formats = {ReportFormat::kCsv, ReportFormat::kJson, ReportFormat::kHtml,
                                       ReportFormat::kXml};  // Default: [csv, json, html, xml]
};

struct StateConfig {
  std::string path = ".fleetpatch/state.db";  // Default: ".fleetpatch/state.db"
  // A shared PostgreSQL store (postgresql://...) instead of the SQLite file; FLEETPATCH_STATE_URL
  // and --state override it. Default: "" (use path). docs/team.md.
  std::string url;
};

struct RateLimit {
  double per_second = 0;  // sustained refill rate
  double burst = 0;       // bucket size
};

// Per account, region and API family; defaults follow AWS's published EC2 buckets and
// conservative SSM/STS rates.
struct RateLimits {
  // EC2 defaults are 90% of AWS's published account buckets (100/20, 50/5, 100/10): pacing at
  // exactly AWS's refill rate would meet an empty bucket on every bit of jitter.
  RateLimit ec2_non_mutating{18, 90};  // Default: 18/s, burst 90
  RateLimit ec2_mutating{4.5, 45};     // Default: 4.5/s, burst 45
  RateLimit ec2_create_tags{9, 90};    // Default: 9/s, burst 90
  RateLimit ssm_read{10, 20};          // Default: 10/s, burst 20
  RateLimit ssm_write{3, 10};          // Default: 3/s, burst 10
  RateLimit sts{10, 20};               // Default: 10/s, burst 20
};

struct AwsConfig {
  std::string profile;   // Default: "" (AWS_PROFILE, else the default credential chain)
  std::string region;    // Default: "" (AWS_REGION / the profile's region); base region for STS and whoami
  int max_attempts = 3;  // Default: 3 (AWS "standard" retry mode)
  std::chrono::seconds role_session_duration{3600};  // Default: 1 h (AssumeRole DurationSeconds)
  RateLimits rate_limits;
};

// `fleetpatch compliance`.
struct ComplianceConfig {
  int max_age_days = 30;  // Default: 30 (no Install within that many days makes an instance stale)
};

// notifications: where run events go (src/notify). Event names: run_finished, rollout_halted,
// rollback_done, instances_in_standby; an empty list means every event.
struct WebhookConfig {
  std::string url;                  // Required; https://. May be "${SLACK_WEBHOOK_URL}" (secret URLs)
  std::string secret_env;           // Default: "" (unsigned); the env variable holding the HMAC secret
  std::vector<std::string> events;  // Default: [] (every event)
};

struct SnsTopicConfig {
  std::string topic_arn;            // Required; arn:aws:sns:<region>:<account>:<topic>
  std::vector<std::string> events;  // Default: [] (every event)
};

struct NotificationsConfig {
  std::vector<WebhookConfig> webhooks;  // Default: []
  std::vector<SnsTopicConfig> sns;      // Default: []
  int attempts = 3;                     // Default: 3 per notification and channel
  std::chrono::seconds backoff{2};      // Default: 2 s before the 2nd attempt, doubled after each
  std::chrono::seconds timeout{10};     // Default: 10 s per HTTP attempt
};

struct Config {
  WorkflowConfig workflow;
  // Where the zones came from: the inventory file's path, or "" when inline / none.
  std::string landing_zones_file;  // Default: ""
  ZoneDefaults landing_zone_defaults;
  std::vector<LandingZone> landing_zones;  // Default: [] (a run needs at least one enabled zone)
  ConcurrencyConfig concurrency;
  CountOrPercent error_budget{true, 10};  // Default: "10%" of the instances the patch phase starts with
  PrecheckConfig precheck;
  PatchConfig patch;
  BackupConfig backup;
  ReportingConfig reporting;
  StateConfig state;
  AwsConfig aws;
  ComplianceConfig compliance;
  bool dry_run = false;               // Default: false
  NotificationsConfig notifications;  // Not in ConfigToJson: webhook URLs can be secrets.
};

// The AMI name for one instance in one run: name_template with {run_id}, {instance_id},
// {date} (YYYYMMDD) and {zone} replaced. Deterministic, so a resumed run finds the same name.
std::string RenderAmiName(const std::string& name_template, const std::string& run_id,
                          const std::string& instance_id, const std::string& date_yyyymmdd,
                          const std::string& zone);

// The effective config as JSON, for the state store and reports. external_id is redacted.
nlohmann::json ConfigToJson(const Config& c);

}  // namespace fleetpatch::config
