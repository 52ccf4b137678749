// SsmClient: the Systems Manager operations fleetpatch uses, typed, with automatic pagination and
// the client-side batching limits SSM imposes (50 instance ids per SendCommand / CancelCommand /
// DescribeInstancePatchStates call). Built on an ApiCaller.
// Thread-safety: stateless apart from the ApiCaller reference; safe from many threads when the
// ApiCaller is.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws/api_caller.h"
#include "common/error.h"

namespace fleetpatch::aws {

using SysTime = std::chrono::system_clock::time_point;

// Instance ids per call for SendCommand, CancelCommand and DescribeInstancePatchStates.
inline constexpr size_t kSsmInstanceIdsPerCall = 50;

struct SsmFilter {
  std::string key;  // e.g. "InstanceIds", "PingStatus", "PlatformTypes", "tag:Env"
  std::vector<std::string> values;
};

struct InstanceInformation {
  std::string instance_id;
  std::string ping_status;  // Online | ConnectionLost | Inactive
  std::optional<SysTime> last_ping;
  std::string agent_version;
  std::optional<bool> is_latest_version;
  std::string platform_type;  // Windows | Linux | MacOS
  std::string platform_name;
  std::string platform_version;
  std::string resource_type;  // EC2Instance | ManagedInstance
  std::string computer_name;
  std::string ip_address;
  bool operator==(const InstanceInformation&) const = default;
};

struct SendCommandRequest {
  std::vector<std::string> instance_ids;  // any number; sent 50 per call
  std::string document_name;              // e.g. "AWS-RunPatchBaseline", "AWS-RunShellScript"
  std::map<std::string, std::vector<std::string>> parameters;
  std::string comment;
  std::optional<int> timeout_seconds;  // delivery timeout; Default: SSM's (3600)
  std::string max_concurrency;         // e.g. "50" or "10%"; empty: SSM default
  std::string max_errors;
  std::string output_s3_bucket;  // empty: no S3 output
  std::string output_s3_key_prefix;
  std::string cloudwatch_log_group;  // non-empty: enable CloudWatch output to this group
};

struct SentCommand {
  std::string command_id;
  std::vector<std::string> instance_ids;  // the batch this command covers
  std::string status;
  std::optional<SysTime> requested;
};

struct PluginResult {
  std::string name;
  std::string status;
  std::optional<int> response_code;
  std::string output;  // SSM's combined, truncated output
};

struct CommandInvocation {
  std::string command_id;
  std::string instance_id;
  std::string
      status;  // Pending | InProgress | Delayed | Success | Cancelled | TimedOut | Failed | Cancelling
  std::string status_details;
  std::optional<int> response_code;  // the first plugin that reports one (GetCommandInvocation: its own)
  std::string standard_output;
  std::string standard_error;
  std::optional<SysTime> requested;
  std::vector<PluginResult> plugins;
};

struct InstancePatchState {
  std::string instance_id;
  std::string patch_group;
  std::string baseline_id;
  std::string operation;      // Scan | Install
  std::string reboot_option;  // RebootIfNeeded | NoReboot
  int installed = 0;
  int installed_other = 0;
  int installed_pending_reboot = 0;
  int installed_rejected = 0;
  int missing = 0;
  int failed = 0;
  int not_applicable = 0;
  std::optional<int> critical_non_compliant;
  std::optional<int> security_non_compliant;
  std::optional<SysTime> operation_start;
  std::optional<SysTime> operation_end;
  std::optional<SysTime> last_no_reboot_install;
  bool operator==(const InstancePatchState&) const = default;
};

class SsmClient {
 public:
  explicit SsmClient(ApiCaller& caller) : caller_(caller) {}

  // Managed instances (50 a page, all pages).
  Result<std::vector<InstanceInformation>> DescribeInstanceInformation(
      const std::vector<SsmFilter>& filters = {});
  // Sends the command to every instance, 50 ids per call; one SentCommand per call, in order.
  // Stops at the first failing call and returns its error (commands already sent keep running).
  Result<std::vector<SentCommand>> SendCommand(const SendCommandRequest& request);
  // Every invocation of a command (Details=true, 50 a page), optionally for one instance.
  Result<std::vector<CommandInvocation>> ListCommandInvocations(const std::string& command_id,
                                                                const std::string& instance_id = "");
  Result<CommandInvocation> GetCommandInvocation(const std::string& command_id,
                                                 const std::string& instance_id,
                                                 const std::string& plugin_name = "");
  // Cancels on the given instances (50 per call), or on all of the command's instances when empty.
  Status CancelCommand(const std::string& command_id, const std::vector<std::string>& instance_ids = {});
  // Patch state of each instance (50 ids a call, all pages, merged).
  Result<std::vector<InstancePatchState>> DescribeInstancePatchStates(
      const std::vector<std::string>& instance_ids);

 private:
  ApiCaller& caller_;
};

// Splits a plugin's combined Output into stdout and stderr (SSM appends stderr after a
// "----------ERROR-------" line).
void SplitPluginOutput(const std::string& output, std::string* standard_output, std::string* standard_error);

}  // namespace fleetpatch::aws
