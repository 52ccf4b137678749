// SSM Run Command reads and cancel: CancelCommand, ListCommandInvocations, GetCommandInvocation.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/time_format.h"
#include "emulator/ssm_common.h"

namespace fleetpatch::emulator {

using nlohmann::json;

json CommandToJson(const Emulator::Impl& im, const Command& c, double now) {
  int completed = 0, errors = 0, delivery = 0, pending = 0, cancelled = 0;
  for (const auto& inv : c.invocations) {
    InvocationView v = ViewOf(inv, now);
    if (!v.terminal) {
      pending += v.started ? 0 : 1;
      continue;
    }
    ++completed;
    if (inv.details == "DeliveryTimedOut")
      ++delivery;
    else if (IsError(inv))
      ++errors;
    if (inv.status == "Cancelled") ++cancelled;
  }
  int total = static_cast<int>(c.invocations.size());
  int max_errors = CountOrPercent(c.max_errors, total, 0);
  std::string status;
  if (completed < total)
    status = pending == total ? "Pending" : "InProgress";
  else if (cancelled > 0 && now >= c.cancelled_at)
    status = "Cancelled";
  else if (errors + delivery > max_errors)
    status = (errors == 0 && delivery > 0) ? "TimedOut" : "Failed";
  else
    status = "Success";
  json j = {{"CommandId", c.id},
            {"DocumentName", c.document},
            {"DocumentVersion", "$DEFAULT"},
            {"Comment", c.comment},
            {"ExpiresAfter", Epoch(im.SimToWall(c.requested + c.timeout_s + 3600))},
            {"Parameters", c.parameters},
            {"InstanceIds", c.instance_ids},
            {"Targets", c.targets},
            {"RequestedDateTime", Epoch(im.SimToWall(c.requested))},
            {"Status", status},
            {"StatusDetails", status},
            {"OutputS3Region", ""},
            {"OutputS3BucketName", ""},
            {"OutputS3KeyPrefix", ""},
            {"MaxConcurrency", c.max_concurrency},
            {"MaxErrors", c.max_errors},
            {"TargetCount", total},
            {"CompletedCount", completed},
            {"ErrorCount", errors},
            {"DeliveryTimedOutCount", delivery},
            {"ServiceRole", ""},
            {"NotificationConfig",
             {{"NotificationArn", ""}, {"NotificationEvents", json::array()}, {"NotificationType", ""}}},
            {"CloudWatchOutputConfig", {{"CloudWatchLogGroupName", ""}, {"CloudWatchOutputEnabled", false}}},
            {"TimeoutSeconds", c.timeout_s}};
  return j;
}

namespace {

json InvocationToJson(const Emulator::Impl& im, const Zone& z, const Command& c, const Invocation& inv,
                      double now, bool details) {
  InvocationView v = ViewOf(inv, now);
  const InstanceState* st = z.Find(inv.instance_id);
  json j = {{"CommandId", c.id},
            {"InstanceId", inv.instance_id},
            {"InstanceName", inv.instance_name},
            {"Comment", c.comment},
            {"DocumentName", c.document},
            {"DocumentVersion", "$DEFAULT"},
            {"RequestedDateTime", Epoch(im.SimToWall(c.requested))},
            {"Status", v.status},
            {"StatusDetails", v.details},
            {"TraceOutput", ""},
            {"StandardOutputUrl", ""},
            {"StandardErrorUrl", ""},
            {"CommandPlugins", json::array()},
            {"ServiceRole", ""},
            {"NotificationConfig",
             {{"NotificationArn", ""}, {"NotificationEvents", json::array()}, {"NotificationType", ""}}},
            {"CloudWatchOutputConfig", {{"CloudWatchLogGroupName", ""}, {"CloudWatchOutputEnabled", false}}}};
  if (details) {
    json plugin = {{"Name", PluginFor(c, st)},
                   {"Status", v.status == "Pending" ? "Pending" : v.status},
                   {"StatusDetails", v.details},
                   {"ResponseCode", v.response_code},
                   {"Output", v.terminal ? inv.stdout_text.substr(0, 2500) : ""},
                   {"StandardOutputUrl", ""},
                   {"StandardErrorUrl", ""},
                   {"OutputS3Region", z.region},
                   {"OutputS3BucketName", ""},
                   {"OutputS3KeyPrefix", ""}};
    if (v.started) plugin["ResponseStartDateTime"] = Epoch(im.SimToWall(inv.start));
    if (v.terminal && v.started) plugin["ResponseFinishDateTime"] = Epoch(im.SimToWall(inv.end));
    j["CommandPlugins"].push_back(plugin);
  }
  return j;
}
}  // namespace

Response CancelCommand(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const json& body = in.body;
  const double now = ctx.now;
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::string id = Str(body, "CommandId");
  if (id.empty())
    throw Validation("Value null at 'commandId' failed to satisfy constraint: Member must not be null");
  std::vector<std::string> ids = StrList(body, "InstanceIds");
  DenyIfReadOnly("CancelCommand", ctx);
  std::unique_lock<std::shared_mutex> lock(z.mu);
  auto it = z.commands.find(id);
  if (it == z.commands.end()) throw ApiError{400, "InvalidCommandId", ""};
  Command& c = it->second;
  for (const auto& i : ids)
    if (std::find(c.instance_ids.begin(), c.instance_ids.end(), i) == c.instance_ids.end())
      throw ApiError{400, "InvalidInstanceId", "Instance " + i + " is not a target of command " + id + "."};
  c.cancelled_at = std::min(c.cancelled_at, now);
  for (auto& inv : c.invocations) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), inv.instance_id) == ids.end()) continue;
    if (inv.end <= now) continue;
    if (now < inv.start) inv.never_started = true;
    inv.end = now;
    inv.status = "Cancelled";
    inv.details = "Cancelled";
    inv.response_code = -1;
    inv.stdout_text.clear();
    inv.stderr_text.clear();
  }
  return JsonReply(json::object(), ctx.request_id);
}

Response ListCommandInvocations(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const json& body = in.body;
  const double now = ctx.now;
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::string id = Str(body, "CommandId"), instance = Str(body, "InstanceId");
  int max = Int(body, "MaxResults", 50, 1, 50, "maxResults");
  bool details = body.contains("Details") && body["Details"].is_boolean() && body["Details"].get<bool>();
  std::string start = StartKey(body);
  std::vector<std::pair<std::string, std::string>> filters;
  if (auto f = body.find("Filters"); f != body.end() && f->is_array()) {
    for (const auto& e : *f) {
      std::string key = Str(e, "key");
      static const std::set<std::string> kKeys = {"InvokedAfter", "InvokedBefore", "Status", "ExecutionStage",
                                                  "DocumentName"};
      if (!kKeys.count(key))
        throw ApiError{400, "InvalidFilterKey", "The specified key '" + key + "' isn't valid."};
      filters.push_back({key, Str(e, "value")});
    }
  }
  std::shared_lock<std::shared_mutex> lock(z.mu);
  std::vector<const Command*> cmds;
  if (!id.empty()) {
    auto it = z.commands.find(id);
    if (it == z.commands.end()) throw ApiError{400, "InvalidCommandId", ""};
    cmds.push_back(&it->second);
  } else {
    for (auto it = z.command_order.rbegin(); it != z.command_order.rend(); ++it)
      cmds.push_back(&z.commands.at(*it));
  }
  json list = json::array();
  std::string next;
  bool started = start.empty();
  for (const Command* c : cmds) {
    for (const auto& inv : c->invocations) {
      std::string key = c->id + "|" + inv.instance_id;
      if (!started) {
        if (key != start) continue;
        started = true;
      }
      if (!instance.empty() && inv.instance_id != instance) continue;
      InvocationView v = ViewOf(inv, now);
      bool match = true;
      for (const auto& [k, val] : filters) {
        if (k == "Status")
          match = match && v.status == val;
        else if (k == "DocumentName")
          match = match && c->document == val;
        else if (k == "ExecutionStage")
          match = match && ((val == "Executing") != v.terminal);
        else {
          std::chrono::system_clock::time_point t;
          if (!ParseIso8601(val, &t))
            throw ApiError{400, "InvalidFilterValue", "The filter value '" + val + "' isn't a valid date."};
          auto requested = im.SimToWall(c->requested);
          match = match && (k == "InvokedAfter" ? requested >= t : requested <= t);
        }
      }
      if (!match) continue;
      if (static_cast<int>(list.size()) == max) {
        next = key;
        break;
      }
      list.push_back(InvocationToJson(im, z, *c, inv, now, details));
    }
    if (!next.empty()) break;
  }
  if (!started) throw ApiError{400, "InvalidNextToken", "The specified token isn't valid."};
  json out = {{"CommandInvocations", list}};
  if (!next.empty()) out["NextToken"] = EncodeToken(next);
  return JsonReply(out, ctx.request_id);
}

Response GetCommandInvocation(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const json& body = in.body;
  const double now = ctx.now;
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::string id = Str(body, "CommandId"), instance = Str(body, "InstanceId"),
              plugin = Str(body, "PluginName");
  if (id.empty())
    throw Validation("Value null at 'commandId' failed to satisfy constraint: Member must not be null");
  if (instance.empty())
    throw Validation("Value null at 'instanceId' failed to satisfy constraint: Member must not be null");
  std::shared_lock<std::shared_mutex> lock(z.mu);
  auto it = z.commands.find(id);
  if (it == z.commands.end()) throw ApiError{400, "InvalidCommandId", ""};
  const Command& c = it->second;
  const Invocation* inv = nullptr;
  for (const auto& i : c.invocations)
    if (i.instance_id == instance) inv = &i;
  if (!inv) throw ApiError{400, "InvocationDoesNotExist", ""};
  const InstanceState* st = z.Find(instance);
  std::string plugin_name = PluginFor(c, st);
  if (!plugin.empty() && plugin != plugin_name) throw ApiError{400, "InvalidPluginName", ""};
  InvocationView v = ViewOf(*inv, now);
  auto iso = [&](double t) { return FormatIso8601Millis(im.SimToWall(t)); };
  std::string start_s = v.started ? iso(inv->start) : "";
  std::string end_s = v.terminal && v.started ? iso(inv->end) : "";
  std::string elapsed = v.started ? fmt::format("PT{:.3f}S", (v.terminal ? inv->end : now) - inv->start) : "";
  json out = {
      {"CommandId", c.id},
      {"InstanceId", instance},
      {"Comment", c.comment},
      {"DocumentName", c.document},
      {"DocumentVersion", "$DEFAULT"},
      {"PluginName", plugin_name},
      {"ResponseCode", v.response_code},
      {"ExecutionStartDateTime", start_s},
      {"ExecutionElapsedTime", elapsed},
      {"ExecutionEndDateTime", end_s},
      {"Status", v.status},
      {"StatusDetails", v.details},
      {"StandardOutputContent", v.terminal ? inv->stdout_text.substr(0, 24000) : ""},
      {"StandardOutputUrl", ""},
      {"StandardErrorContent", v.terminal ? inv->stderr_text.substr(0, 8000) : ""},
      {"StandardErrorUrl", ""},
      {"CloudWatchOutputConfig", {{"CloudWatchLogGroupName", ""}, {"CloudWatchOutputEnabled", false}}}};
  return JsonReply(out, ctx.request_id);
}

}  // namespace fleetpatch::emulator
