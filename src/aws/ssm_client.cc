#include "aws/ssm_client.h"

#include <fmt/format.h>

#include "aws/output_fields.h"
#include "aws/paginate.h"
#include "aws/ssm_pages.h"
#include "common/chunks.h"

namespace fleetpatch::aws {
namespace {

using nlohmann::json;
using namespace fields;  // NOLINT(google-build-using-namespace)

constexpr int kInstanceInformationPageSize = 50;
constexpr int kCommandInvocationsPageSize = 50;
constexpr int kPatchStatesPageSize = 50;
constexpr const char* kErrorMarker = "----------ERROR-------";

std::optional<int> OptInt(const json& j, const char* key) {
  auto v = Int(j, key);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

CommandInvocation InvocationFromJson(const json& inv) {
  CommandInvocation out;
  out.command_id = Str(inv, "CommandId");
  out.instance_id = Str(inv, "InstanceId");
  out.status = Str(inv, "Status");
  out.status_details = Str(inv, "StatusDetails");
  out.requested = Time(inv, "RequestedDateTime");
  for (const auto& p : Array(inv, "CommandPlugins")) {
    PluginResult plugin{Str(p, "Name"), Str(p, "Status"), OptInt(p, "ResponseCode"), Str(p, "Output")};
    if (!out.response_code && plugin.response_code && *plugin.response_code != -1) {
      out.response_code = plugin.response_code;
    }
    std::string so, se;
    SplitPluginOutput(plugin.output, &so, &se);
    out.standard_output += so;
    out.standard_error += se;
    out.plugins.push_back(std::move(plugin));
  }
  return out;
}

}  // namespace

void SplitPluginOutput(const std::string& output, std::string* standard_output, std::string* standard_error) {
  auto pos = output.find(kErrorMarker);
  if (pos == std::string::npos) {
    *standard_output = output;
    standard_error->clear();
    return;
  }
  std::string out = output.substr(0, pos);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  std::string err = output.substr(pos + std::char_traits<char>::length(kErrorMarker));
  if (!err.empty() && err.front() == '\n') err.erase(0, 1);
  *standard_output = std::move(out);
  *standard_error = std::move(err);
}

Result<std::vector<InstanceInformation>> SsmClient::DescribeInstanceInformation(
    const std::vector<SsmFilter>& filters) {
  json params = {{"MaxResults", kInstanceInformationPageSize}};
  if (!filters.empty()) {
    json f = json::array();
    for (const auto& filter : filters) f.push_back({{"Key", filter.key}, {"Values", filter.values}});
    params["Filters"] = std::move(f);
  }
  std::vector<InstanceInformation> out;
  FP_RETURN_IF_ERROR(PaginateReading(caller_, "DescribeInstanceInformation", params,
                                     [&](std::string_view body, std::string* next_token) {
                                       return ReadInstanceInformationPage(body, &out, next_token);
                                     }));
  return out;
}

Result<std::vector<SentCommand>> SsmClient::SendCommand(const SendCommandRequest& request) {
  if (request.document_name.empty()) return Error::Validation("SendCommand needs a document name");
  if (request.instance_ids.empty()) return Error::Validation("SendCommand needs at least one instance id");
  json base = {{"DocumentName", request.document_name}};
  if (!request.parameters.empty()) base["Parameters"] = request.parameters;
  if (!request.comment.empty()) base["Comment"] = request.comment.substr(0, 100);  // SSM's limit
  if (request.timeout_seconds) base["TimeoutSeconds"] = *request.timeout_seconds;
  if (!request.max_concurrency.empty()) base["MaxConcurrency"] = request.max_concurrency;
  if (!request.max_errors.empty()) base["MaxErrors"] = request.max_errors;
  if (!request.output_s3_bucket.empty()) {
    base["OutputS3BucketName"] = request.output_s3_bucket;
    if (!request.output_s3_key_prefix.empty()) base["OutputS3KeyPrefix"] = request.output_s3_key_prefix;
  }
  if (!request.cloudwatch_log_group.empty()) {
    base["CloudWatchOutputConfig"] = {{"CloudWatchOutputEnabled", true},
                                      {"CloudWatchLogGroupName", request.cloudwatch_log_group}};
  }
  std::vector<SentCommand> sent;
  for (auto& batch : Chunks(request.instance_ids, kSsmInstanceIdsPerCall)) {
    json params = base;
    params["InstanceIds"] = batch;
    FP_ASSIGN_OR_RETURN(json out, caller_.Call("SendCommand", params));
    const json& cmd = out.contains("Command") ? out["Command"] : json::object();
    SentCommand s{Str(cmd, "CommandId"), std::move(batch), Str(cmd, "Status"),
                  Time(cmd, "RequestedDateTime")};
    if (s.command_id.empty()) {
      return Error{ErrorCategory::kAws,
                   fmt::format("SendCommand ({}) returned no CommandId", request.document_name)};
    }
    sent.push_back(std::move(s));
  }
  return sent;
}

Result<std::vector<CommandInvocation>> SsmClient::ListCommandInvocations(const std::string& command_id,
                                                                         const std::string& instance_id) {
  if (command_id.empty()) return Error::Validation("ListCommandInvocations needs a command id");
  json params = {{"CommandId", command_id}, {"Details", true}, {"MaxResults", kCommandInvocationsPageSize}};
  if (!instance_id.empty()) params["InstanceId"] = instance_id;
  std::vector<CommandInvocation> out;
  FP_RETURN_IF_ERROR(Paginate(caller_, "ListCommandInvocations", params, [&](const json& page) -> Status {
    for (const auto& inv : Array(page, "CommandInvocations")) out.push_back(InvocationFromJson(inv));
    return OkStatus();
  }));
  return out;
}

Result<CommandInvocation> SsmClient::GetCommandInvocation(const std::string& command_id,
                                                          const std::string& instance_id,
                                                          const std::string& plugin_name) {
  if (command_id.empty() || instance_id.empty()) {
    return Error::Validation("GetCommandInvocation needs a command id and an instance id");
  }
  json params = {{"CommandId", command_id}, {"InstanceId", instance_id}};
  if (!plugin_name.empty()) params["PluginName"] = plugin_name;
  FP_ASSIGN_OR_RETURN(json r, caller_.Call("GetCommandInvocation", params));
  CommandInvocation out;
  out.command_id = Str(r, "CommandId");
  out.instance_id = Str(r, "InstanceId");
  out.status = Str(r, "Status");
  out.status_details = Str(r, "StatusDetails");
  out.response_code = OptInt(r, "ResponseCode");
  out.standard_output = Str(r, "StandardOutputContent");
  out.standard_error = Str(r, "StandardErrorContent");
  if (!Str(r, "PluginName").empty()) {
    out.plugins.push_back(
        PluginResult{Str(r, "PluginName"), Str(r, "Status"), out.response_code, out.standard_output});
  }
  return out;
}

Status SsmClient::CancelCommand(const std::string& command_id, const std::vector<std::string>& instance_ids) {
  if (command_id.empty()) return Error::Validation("CancelCommand needs a command id");
  if (instance_ids.empty()) {
    FP_RETURN_IF_ERROR(caller_.Call("CancelCommand", {{"CommandId", command_id}}));
    return OkStatus();
  }
  for (const auto& batch : Chunks(instance_ids, kSsmInstanceIdsPerCall)) {
    FP_RETURN_IF_ERROR(caller_.Call("CancelCommand", {{"CommandId", command_id}, {"InstanceIds", batch}}));
  }
  return OkStatus();
}

Result<std::vector<InstancePatchState>> SsmClient::DescribeInstancePatchStates(
    const std::vector<std::string>& instance_ids) {
  std::vector<InstancePatchState> out;
  for (const auto& batch : Chunks(instance_ids, kSsmInstanceIdsPerCall)) {
    json params = {{"InstanceIds", batch}, {"MaxResults", kPatchStatesPageSize}};
    FP_RETURN_IF_ERROR(PaginateReading(caller_, "DescribeInstancePatchStates", params,
                                       [&](std::string_view body, std::string* next_token) {
                                         return ReadPatchStatesPage(body, &out, next_token);
                                       }));
  }
  return out;
}

}  // namespace fleetpatch::aws
