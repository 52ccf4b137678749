// The emulated fleet: accounts (with their assumable roles), regions and instances, each instance
// carrying the state the emulator answers from (SSM agent, disks/load/services for the precheck,
// how an AMI of it turns out, what patching it does). Loaded from YAML with validation errors that
// name file, line and field; also built in (the demo fleet) or generated (synthetic large fleets).
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"

namespace fleetpatch::emulator {

struct RoleSpec {
  std::string name;         // role name; ARN is arn:aws:iam::<account>:role/<name>
  std::string external_id;  // required ExternalId in AssumeRole; empty: none required
  bool read_only = false;   // mutating EC2/SSM calls answer UnauthorizedOperation/AccessDenied
};

struct AccountSpec {
  std::string id;    // 12 digits
  std::string name;  // alias, for humans
  std::vector<std::string> regions;
  std::vector<RoleSpec> roles;
};

struct DiskSpec {
  std::string mount;  // "/", "/var" or "C:"
  uint64_t size_kb = 0;
  uint64_t avail_kb = 0;
};

// What an SSM patch run (AWS-RunPatchBaseline) does on this instance.
enum class PatchOutcome {
  kSuccess,    // installs the missing patches
  kFailed,     // some installs fail (failed_count > 0): invocation Failed
  kHang,       // runs past its execution timeout: TimedOut (ExecutionTimedOut)
  kAgentLost,  // the agent drops off when the command arrives: DeliveryTimedOut, ping ConnectionLost
};
const char* PatchOutcomeName(PatchOutcome o);

struct PatchSpec {
  PatchOutcome outcome = PatchOutcome::kSuccess;
  int installed = 120;           // patches already installed before any run
  int missing = 5;               // patches a Scan reports missing / an Install installs
  int failed = 0;                // of the missing, how many fail to install (outcome kFailed)
  int still_missing = 0;         // of the missing, how many an Install cannot find (not in the repositories):
                                 // the run succeeds and compliance still reports them missing
  bool reboot_required = false;  // installed patches need a reboot
  double duration_s = 300;       // simulated run time of an Install (a Scan takes a fifth)
  // The patch state before the emulator started (DescribeInstancePatchStates):
  std::string last_operation = "Scan";  // Scan | Install | never (never scanned: no patch state at all)
  double last_operation_days_ago = 1;   // age of that operation (stale instances: many days)
  int installed_pending_reboot = 0;  // reboot debt: installed, waiting for a reboot since the last operation
  std::string last_reboot_option = "RebootIfNeeded";  // of the last Install (NoReboot for reboot debt)
};

// What a reboot does: after an install with RebootIfNeeded that needs one, or during a root
// volume replacement.
struct RebootSpec {
  double duration_s = 60;              // the SSM agent is ConnectionLost this long from the reboot's start
  double status_initializing_s = 120;  // EC2 instance status "initializing" this long from the reboot's start
  bool never_returns = false;          // the instance never comes back from a patch reboot (agent
                                       // ConnectionLost, instance status impaired) until its root
                                       // volume is replaced
};

// An Auto Scaling group (EC2 Auto Scaling, AWS Query). Members name it in auto_scaling_group.
struct AutoScalingGroupSpec {
  std::string name;
  std::string account_id;
  std::string region;
  int min_size = 1;
  int max_size = 4;
  int desired_capacity = 2;
  std::string health_check_type = "EC2";  // EC2 | ELB
  int health_check_grace_period_s = 300;
  std::vector<std::string> suspended_processes;  // suspended when the emulator starts
  // An InService member whose status checks are not ok this long (a reboot without standby or a
  // suspended HealthCheck/ReplaceUnhealthy) is marked Unhealthy and terminated. Default: 30 s.
  double replace_unhealthy_after_s = 30;
};

// An SNS topic Publish accepts (arn:aws:sns:<region>:<account>:<name>).
struct SnsTopicSpec {
  std::string account_id;
  std::string region;
  std::string name;
};

// A snapshot in an AMI, or on its own (images/snapshots at the fleet's top level).
struct SnapshotSpec {
  std::string id;          // snap- + 8 or 17 hex digits
  std::string account_id;  // standalone snapshots only (an AMI's snapshots take the AMI's)
  std::string region;
  std::string device = "/dev/xvda";  // in an AMI: its block device
  std::string volume_id;             // default vol-ffffffff
  int size_gb = 8;
  std::string description;
  double created_days_ago = 30;  // standalone only (an AMI's take the AMI's)
  std::map<std::string, std::string> tags;
};

// An AMI that exists before the emulator starts (old fleetpatch backups, shared images).
struct ImageSpec {
  std::string id;          // ami- + 8 or 17 hex digits
  std::string account_id;  // the account and region it is visible in
  std::string region;
  std::string owner_id;  // default: account_id; another account's AMI is visible only if public
  bool is_public = false;
  std::string name;
  std::string description;
  std::string source_instance_id;
  std::string platform = "linux";
  std::string state = "available";  // available | failed
  double created_days_ago = 30;
  std::map<std::string, std::string> tags;
  std::vector<SnapshotSpec> snapshots;  // its block device mappings, root first
};

struct InstanceSpec {
  std::string id;  // i- + 8 or 17 hex digits
  std::string account_id;
  std::string region;
  std::string availability_zone;  // defaults to region + "a"
  std::string name;               // becomes the Name tag unless tags has one
  std::map<std::string, std::string> tags;
  std::string state = "running";   // pending|running|shutting-down|terminated|stopping|stopped
  std::string platform = "linux";  // linux|windows|macos (SSM can manage macOS; fleetpatch does not patch it)
  std::string platform_name;       // SSM PlatformName, e.g. "Amazon Linux"
  std::string platform_version;    // e.g. "2023"
  std::string instance_type = "t3.medium";
  std::string image_id = "ami-0abcdef1234567890";
  std::string private_ip;        // derived when empty
  bool status_impaired = false;  // DescribeInstanceStatus instanceStatus impaired

  // SSM agent
  std::string ssm_ping = "Online";  // Online|ConnectionLost|Inactive|None (not managed by SSM)
  std::string agent_version = "3.3.987.0";
  // Simulated second at which an Online agent drops off (ConnectionLost from then on); < 0: never.
  // Lets an instance be Online when scanned and unreachable when prechecked.
  double ssm_lost_after_s = -1;

  // Host state answered to the precheck script.
  std::vector<DiskSpec> disks;
  int cpus = 2;
  double load1 = 0.25;
  uint64_t mem_total_kb = 4030000;
  uint64_t mem_available_kb = 2900000;
  std::map<std::string, std::string> services;  // name -> active|inactive|failed
  bool reboot_pending = false;
  bool pkg_lock = false;

  // AMI backup
  bool ami_fails = false;       // CreateImage ends in state "failed"
  double ami_duration_s = 600;  // simulated pending -> available/failed time

  PatchSpec patch;
  double command_duration_s = 3;  // simulated run time of a shell/PowerShell command

  // After patching.
  RebootSpec reboot;
  std::vector<std::string> post_patch_failed_services;  // services that fail once an install ends,
                                                        // until the root volume is replaced
  std::string root_device_type = "ebs";  // ebs | instance-store (root volume replacement unsupported)
  double replace_root_volume_s = 300;    // simulated time of a CreateReplaceRootVolumeTask
  std::string auto_scaling_group;        // member of this group (auto_scaling_groups), "" for none
};

// The long-term credentials callers start from (the "base" identity, an IAM user).
struct CallerSpec {
  std::string account_id = "000000000000";
  std::string user_name = "fleetpatch-operator";
  std::string access_key_id = "AKIDFPEMULATOR000001";
  std::string secret_access_key = "fpEmulatorSecretKey/DoNotUseInProduction0";
};

struct Fleet {
  CallerSpec caller;
  std::vector<AccountSpec> accounts;
  std::vector<InstanceSpec> instances;
  std::vector<AutoScalingGroupSpec> auto_scaling_groups;
  std::vector<ImageSpec> images;        // AMIs that exist at start
  std::vector<SnapshotSpec> snapshots;  // snapshots of no AMI that exist at start
  std::vector<SnsTopicSpec> sns_topics;
};

// Parses YAML text. `source` names the file in error messages ("fleet.yml:12: instances[3].state: ...").
// Errors are kConfig.
Result<Fleet> ParseFleetYaml(const std::string& text, const std::string& source);
Result<Fleet> LoadFleetFile(const std::string& path);
// Checks cross-references and value ranges (also applied by ParseFleetYaml). Fills defaults
// (availability zone, Name tag, disks, private IP).
Status ValidateFleet(Fleet& fleet, const std::string& source);
// Serialises a fleet back to YAML (round-trips through ParseFleetYaml).
std::string FleetToYaml(const Fleet& fleet);

// The built-in demo fleet: three landing zones, ~30 instances, at least one of every outcome.
const char* DemoFleetYaml();
Fleet DemoFleet();
// The demo fleet's landing-zones inventory for fleetpatch (examples/demo/landing_zones.yml).
const char* DemoLandingZonesYaml();

// A seeded synthetic fleet (emulator/generate.cc): `instances` spread over `zones` (account,
// region) pairs, one account per zone (region cycling through a fixed list), a mix of outcomes in
// the given fractions.
struct GeneratorOptions {
  int instances = 10000;
  int zones = 20;
  uint64_t seed = 1;
  double windows_fraction = 0.2;
  double ssm_offline_fraction = 0.02;
  double ami_fail_fraction = 0.01;
  double patch_fail_fraction = 0.03;
  double patch_hang_fraction = 0.005;
  double agent_lost_fraction = 0.005;
  double reboot_fraction = 0.2;
  double disk_full_fraction = 0.02;
  double stopped_fraction = 0.05;
  std::string role_name = "FleetPatchRole";
  std::string external_id = "fleetpatch-bench";
  // Between runs (`fleetpatch compliance` and `prune`). Drawn from a stream of their own, so the
  // fleet above is the same for a seed whatever these are. While all three fractions are 0 (the
  // default) every patch state is the InstanceSpec default (a Scan a day ago); otherwise the
  // instances none of them picks report an Install 1-14 days ago.
  double never_scanned_fraction = 0;  // no patch state at all
  double stale_fraction = 0;          // the last Install 31-180 days ago
  double reboot_debt_fraction =
      0;  // the last Install (NoReboot) 1-14 days ago left 1-20 patches pending a reboot
  // Old fleetpatch backup AMIs (images), spread round-robin over the instances: an instance's j-th
  // is 37 + 7j days old (past the default backup.retention_days of 30), has a root snapshot and, one
  // time in four, a data volume snapshot. Default: 0.
  int old_backups = 0;
};
Fleet GenerateFleet(const GeneratorOptions& options);
// Applies one generator flag of the emulator's command line to *o: --patch-states
// never=F,stale=F,reboot=F (fractions, any subset) or --old-backups K. Returns false when `flag` is
// none of them; a kConfig error naming the flag for a bad value.
Result<bool> ApplyGeneratorFlag(const std::string& flag, const std::string& value, GeneratorOptions* o);

// The EC2 Auto Scaling process names (Launch, Terminate, HealthCheck, ReplaceUnhealthy, AZRebalance, ...).
bool IsScalingProcess(const std::string& name);

// "arn:aws:iam::<account>:role/<name>"
std::string RoleArn(const std::string& account_id, const std::string& role_name);

}  // namespace fleetpatch::emulator
