// SSM (JSON 1.1) operations: instance information, Run Command and its invocation state machines,
// patch states.
//
// An invocation's whole life is decided when the command is sent: the emulator simulates the
// command's MaxConcurrency slots and MaxErrors threshold over the instances' configured outcomes and
// durations, and stores each invocation's delivery (start) and terminal (end) times. Reads then
// derive Pending / InProgress / terminal from the simulated clock, so no background thread is
// needed and every transition happens in order at any time scale. CancelCommand rewrites the
// invocations that have not ended by the cancel time.
#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "common/count_or_percent.h"
#include "emulator/emulator_impl.h"
#include "emulator/precheck_answer.h"

namespace fleetpatch::emulator {
namespace {

using json = nlohmann::json;

constexpr char kLatestAgent[] = "3.3.987.0";

ApiError Validation(const std::string& msg) { return {400, "ValidationException", "1 validation error detected: " + msg}; }

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string()) throw ApiError{400, "SerializationException", std::string("Expected a string for ") + key};
  return it->get<std::string>();
}

std::vector<std::string> StrList(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) throw ApiError{400, "SerializationException", std::string("Expected a list for ") + key};
  for (const auto& v : *it) {
    if (!v.is_string()) throw ApiError{400, "SerializationException", std::string("Expected strings in ") + key};
    out.push_back(v.get<std::string>());
  }
  return out;
}

int Int(const json& j, const char* key, int dflt, int lo, int hi, const char* wire_name) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (!it->is_number_integer()) throw ApiError{400, "SerializationException", std::string("Expected an integer for ") + key};
  long long v = it->get<long long>();
  if (v < lo) throw Validation(fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have value greater than or equal to {}", v, wire_name, lo));
  if (v > hi) throw Validation(fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have value less than or equal to {}", v, wire_name, hi));
  return static_cast<int>(v);
}

double Epoch(const std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

std::string StartKey(const json& body) {
  std::string token = Str(body, "NextToken");
  if (token.empty()) return "";
  std::string key;
  if (!DecodeToken(token, &key)) throw ApiError{400, "InvalidNextToken", "The specified token isn't valid."};
  return key;
}

bool EffectiveOnline(const InstanceState& st, double now, std::string* ping) {
  std::string p = st.spec->ssm_ping;
  if (p == "Online" && (st.spec->state != "running" || now >= st.agent_lost_at)) p = "ConnectionLost";
  *ping = p;
  return p == "Online";
}

// "50" or "10%" (already validated against SSM's pattern) of `targets`, at least `min_value`.
int CountOrPercent(const std::string& v, int targets, int min_value) {
  auto parsed = fleetpatch::CountOrPercent::Parse(v, std::numeric_limits<int>::max());
  return std::max(min_value, parsed.ok() ? static_cast<int>(parsed->Of(targets)) : 0);
}

std::string PluginName(const Command& c) {
  if (c.document == "AWS-RunPatchBaseline") return "PatchLinux";  // replaced per platform below
  if (c.document == "AWS-RunPowerShellScript") return "aws:runPowerShellScript";
  return "aws:runShellScript";
}

std::string PluginFor(const Command& c, const InstanceState* st) {
  if (c.document == "AWS-RunPatchBaseline") return st && st->spec->platform == "windows" ? "PatchWindows" : "PatchLinux";
  return PluginName(c);
}

struct InvocationView {
  std::string status;
  std::string details;
  int response_code = -1;
  bool terminal = false;
  bool started = false;
};

InvocationView ViewOf(const Invocation& inv, double now) {
  InvocationView v;
  if (now >= inv.end) {
    v.status = inv.status;
    v.details = inv.details;
    v.response_code = inv.response_code;
    v.terminal = true;
    v.started = !inv.never_started;
  } else if (inv.never_started || now < inv.start) {
    v.status = "Pending";
    v.details = "Pending";
  } else {
    v.status = "InProgress";
    v.details = "InProgress";
    v.started = true;
  }
  return v;
}

bool IsError(const Invocation& inv) {
  return inv.status == "Failed" ? inv.details != "Undeliverable" : inv.status == "TimedOut";
}

// The patch state an instance reports at simulated time `now`: the last run that ended with a
// result (Success or Failed), else the baseline scan.
PatchCounts CurrentPatchState(const Zone& z, const InstanceState& st, double now) {
  PatchCounts best = st.baseline;
  for (const auto& [cmd_id, idx] : st.patch_runs) {
    auto c = z.commands.find(cmd_id);
    if (c == z.commands.end()) continue;
    const Invocation& inv = c->second.invocations[idx];
    if (now < inv.end || (inv.status != "Success" && inv.status != "Failed")) continue;
    if (inv.patch_after.end >= best.end) best = inv.patch_after;
  }
  return best;
}

std::string PatchOutput(const InstanceSpec& s, const PatchCounts& after, bool install, bool rebooted) {
  std::string out = fmt::format(
      "/usr/bin/python3\nPatch group: {}\nOperation type: {}\nReboot option: {}\nInstalled: {}\nInstalledOther: {}\n"
      "InstalledPendingReboot: {}\nMissing: {}\nFailed: {}\n",
      s.tags.count("PatchGroup") ? s.tags.at("PatchGroup") : "", after.operation, after.reboot_option, after.installed,
      after.installed_other, after.installed_pending_reboot, after.missing, after.failed);
  if (install && after.failed > 0) out += fmt::format("ERROR: {} package(s) failed to install\n", after.failed);
  if (rebooted) out += "Rebooting the instance to finish installing patches.\n";
  return out;
}


json CommandToJson(const Emulator::Impl& im, const Command& c, double now) {
  int completed = 0, errors = 0, delivery = 0, pending = 0, cancelled = 0;
  for (const auto& inv : c.invocations) {
    InvocationView v = ViewOf(inv, now);
    if (!v.terminal) {
      pending += v.started ? 0 : 1;
      continue;
    }
    ++completed;
    if (inv.details == "DeliveryTimedOut") ++delivery;
    else if (IsError(inv)) ++errors;
    if (inv.status == "Cancelled") ++cancelled;
  }
  int total = static_cast<int>(c.invocations.size());
  int max_errors = CountOrPercent(c.max_errors, total, 0);
  std::string status;
  if (completed < total) status = pending == total ? "Pending" : "InProgress";
  else if (cancelled > 0 && now >= c.cancelled_at) status = "Cancelled";
  else if (errors + delivery > max_errors) status = (errors == 0 && delivery > 0) ? "TimedOut" : "Failed";
  else status = "Success";
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
            {"NotificationConfig", {{"NotificationArn", ""}, {"NotificationEvents", json::array()}, {"NotificationType", ""}}},
            {"CloudWatchOutputConfig", {{"CloudWatchLogGroupName", ""}, {"CloudWatchOutputEnabled", false}}},
            {"TimeoutSeconds", c.timeout_s}};
  return j;
}

json InvocationToJson(const Emulator::Impl& im, const Zone& z, const Command& c, const Invocation& inv, double now,
                      bool details) {
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
            {"NotificationConfig", {{"NotificationArn", ""}, {"NotificationEvents", json::array()}, {"NotificationType", ""}}},
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

Response Emulator::Impl::HandleSsm(const std::string& op, const json& body, CallContext& ctx) {
  const std::string& account = ctx.identity->account_id;
  Zone& z = ZoneFor(account, ctx.region);
  const double now = ctx.now;
  auto deny_if_read_only = [&]() {
    if (ctx.identity->read_only)
      throw ApiError{400, "AccessDeniedException",
                     "User: " + ctx.identity->arn + " is not authorized to perform: ssm:" + op + " because no identity-based policy allows the ssm:" + op + " action"};
  };

  if (op == "DescribeInstanceInformation") {
    int max = Int(body, "MaxResults", 10, 5, 50, "maxResults");
    std::string start = StartKey(body);
    // Both filter styles reduce to (key, allowed values); tag filters match instance tags.
    std::vector<std::pair<std::string, std::vector<std::string>>> filters;
    static const std::set<std::string> kKeys = {"InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes",
                                                "ActivationIds", "IamRole", "ResourceType", "AssociationStatus"};
    if (auto it = body.find("InstanceInformationFilterList"); it != body.end() && it->is_array()) {
      for (const auto& f : *it) {
        std::string key = Str(f, "key");
        if (!kKeys.count(key)) throw ApiError{400, "InvalidFilterKey", "The specified key '" + key + "' isn't valid."};
        filters.push_back({key, StrList(f, "valueSet")});
      }
    }
    if (auto it = body.find("Filters"); it != body.end() && it->is_array()) {
      for (const auto& f : *it) {
        std::string key = Str(f, "Key");
        if (!kKeys.count(key) && key.rfind("tag:", 0) != 0 && key != "tag-key" && key != "PatchGroup")
          throw ApiError{400, "InvalidFilterKey", "The specified key '" + key + "' isn't valid."};
        filters.push_back({key, StrList(f, "Values")});
      }
    }
    for (const auto& [key, values] : filters) {
      if (values.empty()) throw ApiError{400, "InvalidInstanceInformationFilterValue", "Filter " + key + " needs at least one value."};
      if (key == "PingStatus")
        for (const auto& v : values)
          if (v != "Online" && v != "ConnectionLost" && v != "Inactive")
            throw ApiError{400, "InvalidInstanceInformationFilterValue", "The filter value '" + v + "' isn't valid for PingStatus."};
      if (key == "InstanceIds")
        for (const auto& v : values)
          if (v.rfind("i-", 0) != 0 && v.rfind("mi-", 0) != 0)
            throw ApiError{400, "InvalidInstanceId", "Invalid instance id: " + v};
    }
    std::shared_lock<std::shared_mutex> lock(z.mu);
    json list = json::array();
    std::string next;
    auto it = std::lower_bound(z.instances.begin(), z.instances.end(), start,
                               [](const InstanceState& s, const std::string& k) { return s.spec->id < k; });
    for (; it != z.instances.end(); ++it) {
      const InstanceState& st = *it;
      const InstanceSpec& s = *st.spec;
      if (s.ssm_ping == "None") continue;
      std::string ping;
      EffectiveOnline(st, now, &ping);
      std::string platform_type = s.platform == "windows" ? "Windows" : s.platform == "macos" ? "MacOS" : "Linux";
      bool match = true;
      for (const auto& [key, values] : filters) {
        auto has = [&](const std::string& v) { return std::find(values.begin(), values.end(), v) != values.end(); };
        if (key == "InstanceIds") match = match && has(s.id);
        else if (key == "PingStatus") match = match && has(ping);
        else if (key == "PlatformTypes") match = match && has(platform_type);
        else if (key == "AgentVersion") match = match && has(s.agent_version);
        else if (key == "ResourceType") match = match && has("EC2Instance");
        else if (key == "AssociationStatus") match = match && has("Success");
        else if (key == "ActivationIds") match = false;
        else if (key == "IamRole") match = match && has("SSMManagedInstance");
        else if (key == "PatchGroup") match = match && st.tags.count("PatchGroup") && has(st.tags.at("PatchGroup"));
        else if (key == "tag-key") {
          bool any = false;
          for (const auto& v : values) any = any || st.tags.count(v);
          match = match && any;
        } else if (key.rfind("tag:", 0) == 0) {
          auto t = st.tags.find(key.substr(4));
          match = match && t != st.tags.end() && has(t->second);
        }
      }
      if (!match) continue;
      if (static_cast<int>(list.size()) == max) {
        next = s.id;
        break;
      }
      double last_ping = ping == "Online" ? now - 30 : (ping == "ConnectionLost" ? std::min(now, st.agent_lost_at) - 600 : -30 * 86400.0);
      if (ping == "ConnectionLost" && st.agent_lost_at == kNever) last_ping = -3 * 3600;
      json info = {{"InstanceId", s.id},
                   {"PingStatus", ping},
                   {"LastPingDateTime", Epoch(SimToWall(last_ping))},
                   {"AgentVersion", s.agent_version},
                   {"IsLatestVersion", s.agent_version == kLatestAgent},
                   {"PlatformType", platform_type},
                   {"PlatformName", s.platform_name},
                   {"PlatformVersion", s.platform_version},
                   {"IamRole", "SSMManagedInstance"},
                   {"ResourceType", "EC2Instance"},
                   {"IPAddress", s.private_ip},
                   {"ComputerName", s.platform == "windows" ? s.name.substr(0, 15) : "ip-" + s.private_ip + ".ec2.internal"},
                   {"AssociationStatus", "Success"},
                   {"LastAssociationExecutionDate", Epoch(SimToWall(-3600))},
                   {"LastSuccessfulAssociationExecutionDate", Epoch(SimToWall(-3600))},
                   {"AssociationOverview", {{"DetailedStatus", "Success"}, {"InstanceAssociationStatusAggregatedCount", {{"Success", 1}}}}},
                   {"SourceId", s.id},
                   {"SourceType", "AWS::EC2::Instance"}};
      list.push_back(info);
    }
    json out = {{"InstanceInformationList", list}};
    if (!next.empty()) out["NextToken"] = EncodeToken(next);
    return SsmJson(out, ctx.request_id);
  }

  if (op == "SendCommand") {
    std::string document = Str(body, "DocumentName");
    if (document.empty()) throw Validation("Value null at 'documentName' failed to satisfy constraint: Member must not be null");
    static const std::set<std::string> kDocs = {"AWS-RunShellScript", "AWS-RunPowerShellScript", "AWS-RunPatchBaseline"};
    if (!kDocs.count(document)) throw ApiError{400, "InvalidDocument", "Document with name " + document + " does not exist."};
    std::vector<std::string> ids = StrList(body, "InstanceIds");
    if (ids.size() > 50) throw Validation("Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50");
    json targets = body.contains("Targets") ? body["Targets"] : json::array();
    if (!targets.is_array()) throw ApiError{400, "SerializationException", "Targets must be a list"};
    if (ids.empty() == targets.empty())
      throw ApiError{400, "InvalidParameters" , ids.empty() ? "Specify either InstanceIds or Targets." : "InstanceIds and Targets can't be used together."};
    int timeout_s = Int(body, "TimeoutSeconds", 3600, 30, 2592000, "timeoutSeconds");
    std::string max_concurrency = Str(body, "MaxConcurrency"), max_errors = Str(body, "MaxErrors");
    if (max_concurrency.empty()) max_concurrency = "50";
    if (max_errors.empty()) max_errors = "0";
    static const std::regex kConc("^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$"), kErr("^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$");
    if (max_concurrency.size() > 7 || !std::regex_match(max_concurrency, kConc))
      throw Validation("Value '" + max_concurrency + "' at 'maxConcurrency' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$");
    if (max_errors.size() > 7 || !std::regex_match(max_errors, kErr))
      throw Validation("Value '" + max_errors + "' at 'maxErrors' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$");
    json params = body.contains("Parameters") ? body["Parameters"] : json::object();
    if (!params.is_object()) throw ApiError{400, "SerializationException", "Parameters must be a map"};
    std::vector<std::string> commands;
    std::set<std::string> allowed;
    std::string operation = "Scan", reboot_option = "RebootIfNeeded";
    double exec_timeout = 3600;
    if (document == "AWS-RunPatchBaseline") {
      allowed = {"Operation", "RebootOption", "SnapshotId", "InstallOverrideList", "BaselineOverride", "AssociationId"};
      auto op_list = StrList(params, "Operation");
      if (op_list.empty()) throw ApiError{400, "InvalidParameters", "Parameter \"Operation\" is required."};
      operation = op_list[0];
      if (operation != "Scan" && operation != "Install")
        throw ApiError{400, "InvalidParameters", "Parameter \"Operation\" must be one of: Scan, Install."};
      auto rb = StrList(params, "RebootOption");
      if (!rb.empty()) reboot_option = rb[0];
      if (reboot_option != "RebootIfNeeded" && reboot_option != "NoReboot")
        throw ApiError{400, "InvalidParameters", "Parameter \"RebootOption\" must be one of: RebootIfNeeded, NoReboot."};
      exec_timeout = 7200;
    } else {
      allowed = {"commands", "workingDirectory", "executionTimeout"};
      commands = StrList(params, "commands");
      if (commands.empty()) throw ApiError{400, "InvalidParameters", "Parameter \"commands\" is required."};
      auto et = StrList(params, "executionTimeout");
      if (!et.empty()) {
        try {
          exec_timeout = std::stod(et[0]);
        } catch (const std::exception&) {
          throw ApiError{400, "InvalidParameters", "Parameter \"executionTimeout\" must be a number of seconds."};
        }
        if (exec_timeout < 1 || exec_timeout > 172800)
          throw ApiError{400, "InvalidParameters", "Parameter \"executionTimeout\" must be between 1 and 172800."};
      }
    }
    for (auto it = params.begin(); it != params.end(); ++it) {
      if (!allowed.count(it.key())) throw ApiError{400, "InvalidParameters", "Parameter \"" + it.key() + "\" is not defined in document " + document + "."};
      if (!it->is_array()) throw ApiError{400, "SerializationException", "Parameter values must be lists of strings"};
    }
    deny_if_read_only();
    std::unique_lock<std::shared_mutex> lock(z.mu);
    // Resolve targets.
    std::vector<InstanceState*> insts;
    if (!ids.empty()) {
      std::set<std::string> seen;
      std::vector<std::string> bad;
      for (const auto& id : ids) {
        if (!seen.insert(id).second) throw ApiError{400, "DuplicateInstanceId", "Instance " + id + " is listed more than once."};
        InstanceState* st = z.Find(id);
        if (!st || st->spec->ssm_ping == "None") bad.push_back(id);
        else insts.push_back(st);
      }
      if (!bad.empty()) {
        std::string list;
        for (const auto& b : bad) list += (list.empty() ? "" : ", ") + b;
        throw ApiError{400, "InvalidInstanceId", "Instances [[" + list + "]] not in a valid state for account " + account};
      }
    } else {
      std::set<const InstanceState*> chosen;
      for (const auto& t : targets) {
        std::string key = Str(t, "Key");
        std::vector<std::string> values = StrList(t, "Values");
        for (auto& st : z.instances) {
          if (st.spec->ssm_ping == "None") continue;
          bool m = false;
          if (key == "InstanceIds") m = std::find(values.begin(), values.end(), st.spec->id) != values.end();
          else if (key.rfind("tag:", 0) == 0) {
            auto tag = st.tags.find(key.substr(4));
            m = tag != st.tags.end() && std::find(values.begin(), values.end(), tag->second) != values.end();
          } else if (key == "tag-key") {
            for (const auto& v : values) m = m || st.tags.count(v);
          } else {
            throw ApiError{400, "InvalidParameters", "Target key " + key + " is not supported (use InstanceIds, tag:KEY or tag-key)."};
          }
          if (m && chosen.insert(&st).second) insts.push_back(&st);
        }
      }
    }
    bool windows_doc = document == "AWS-RunPowerShellScript";
    if (document != "AWS-RunPatchBaseline")
      for (auto* st : insts)
        if ((st->spec->platform == "windows") != windows_doc)
          throw ApiError{400, "UnsupportedPlatformType", "The document " + document + " is not supported on the platform of instance " + st->spec->id + "."};

    Command c;
    c.id = NewRequestId();
    c.document = document;
    c.comment = Str(body, "Comment");
    c.parameters = params;
    c.targets = targets;
    for (auto* st : insts) c.instance_ids.push_back(st->spec->id);
    c.max_concurrency = max_concurrency;
    c.max_errors = max_errors;
    c.timeout_s = timeout_s;
    c.requested = now;

    // Simulate the slots and the error threshold.
    int total = static_cast<int>(insts.size());
    int slots = CountOrPercent(max_concurrency, total, 1);
    int allowed_errors = CountOrPercent(max_errors, total, 0);
    std::priority_queue<double, std::vector<double>, std::greater<double>> running;  // end times
    std::vector<std::pair<double, bool>> finished;  // (end, counts as error)
    std::vector<std::string> precheck_services;
    bool is_precheck = RecognisePrecheck(commands, &precheck_services);
    for (auto* st : insts) {
      const InstanceSpec& s = *st->spec;
      Invocation inv;
      inv.instance_id = s.id;
      inv.instance_name = st->tags.count("Name") ? st->tags.at("Name") : "";
      double slot = now;
      if (static_cast<int>(running.size()) >= slots) {
        slot = std::max(slot, running.top());
        running.pop();
      }
      int errors_so_far = 0;
      for (const auto& [end, err] : finished) errors_so_far += (err && end <= slot) ? 1 : 0;
      std::string ping;
      bool online = EffectiveOnline(*st, now, &ping);
      bool install = document == "AWS-RunPatchBaseline" && operation == "Install";
      if (errors_so_far > allowed_errors) {
        // MaxErrors reached before this target's turn: it is never sent.
        double threshold = slot;
        std::vector<double> error_ends;
        for (const auto& [end, err] : finished) if (err) error_ends.push_back(end);
        std::sort(error_ends.begin(), error_ends.end());
        if (static_cast<int>(error_ends.size()) > allowed_errors) threshold = std::max(now, error_ends[allowed_errors]);
        inv.never_started = true;
        inv.start = inv.end = threshold;
        inv.status = "Cancelled";
        inv.details = "Cancelled";
        inv.response_code = -1;
        c.invocations.push_back(inv);
        continue;
      }
      if (ping == "Inactive") {
        inv.never_started = true;
        inv.start = inv.end = now + 1;
        inv.status = "Failed";
        inv.details = "Undeliverable";
        inv.response_code = -1;
        c.invocations.push_back(inv);
        continue;
      }
      bool agent_drops = install && s.patch.outcome == PatchOutcome::kAgentLost && online;
      if (agent_drops) st->agent_lost_at = std::min(st->agent_lost_at, now);
      double delivered = slot + options.ssm_delivery_s;
      // An agent that drops before the command reaches it never gets it, as on SSM.
      if (!online || agent_drops || delivered > now + timeout_s || delivered >= st->agent_lost_at) {
        inv.never_started = true;
        inv.start = inv.end = std::max(now + timeout_s, slot);
        inv.status = "TimedOut";
        inv.details = "DeliveryTimedOut";
        inv.response_code = -1;
      } else {
        inv.start = delivered;
        if (document == "AWS-RunPatchBaseline") {
          inv.is_patch = true;
          PatchCounts before = CurrentPatchState(z, *st, now);
          PatchCounts after = before;
          after.operation = operation;
          after.reboot_option = reboot_option;
          double run = operation == "Install" ? s.patch.duration_s : s.patch.duration_s / 5;
          bool rebooted = false;
          if (operation == "Install") {
            // Patches the repositories do not have stay missing (the run still succeeds); of the
            // rest, the configured number fail to install.
            after.missing = std::min(s.patch.still_missing, before.missing);
            int installable = before.missing - after.missing;
            after.failed = s.patch.outcome == PatchOutcome::kFailed ? std::min(s.patch.failed, installable) : 0;
            int newly = std::max(0, installable - after.failed);
            after.installed = before.installed + newly;
            if (s.patch.reboot_required && newly > 0) {
              if (reboot_option == "RebootIfNeeded") {
                rebooted = true;
                run += 90;  // the reboot and the agent's post-reboot report
                after.installed_pending_reboot = 0;
              } else {
                after.installed_pending_reboot = before.installed_pending_reboot + newly;
              }
            } else if (reboot_option == "RebootIfNeeded") {
              after.installed_pending_reboot = 0;
            }
          }
          after.start = inv.start;
          if (operation == "Install" && s.patch.outcome == PatchOutcome::kHang) {
            inv.end = inv.start + exec_timeout;
            inv.status = "TimedOut";
            inv.details = "ExecutionTimedOut";
            inv.response_code = -1;
            inv.stdout_text = "Installing patches...\n";
            inv.stderr_text = "failed to run commands: execution timed out\n";
          } else {
            inv.end = inv.start + std::min(run, exec_timeout);
            after.end = inv.end;
            inv.patch_after = after;
            bool failed = operation == "Install" && after.failed > 0;
            inv.status = failed ? "Failed" : "Success";
            inv.details = failed ? "Failed" : "Success";
            inv.response_code = failed ? 1 : 0;
            inv.stdout_text = PatchOutput(s, after, operation == "Install", rebooted);
            if (failed) inv.stderr_text = fmt::format("{} package(s) failed to install\n", after.failed);
          }
        } else {
          inv.end = inv.start + std::min(s.command_duration_s, exec_timeout);
          inv.status = "Success";
          inv.details = "Success";
          inv.response_code = 0;
          if (is_precheck) {
            bool pending_reboot = CurrentPatchState(z, *st, now).installed_pending_reboot > 0;
            inv.stdout_text = PrecheckOutput(s, precheck_services, pending_reboot);
          }
          if (s.command_duration_s > exec_timeout) {
            inv.status = "TimedOut";
            inv.details = "ExecutionTimedOut";
            inv.response_code = -1;
          }
        }
      }
      running.push(inv.end);
      finished.push_back({inv.end, IsError(inv)});
      c.invocations.push_back(inv);
    }
    for (size_t i = 0; i < c.invocations.size(); ++i)
      if (c.invocations[i].is_patch) insts[i]->patch_runs.push_back({c.id, i});
    z.command_order.push_back(c.id);
    json out = {{"Command", CommandToJson(*this, c, now)}};
    z.commands[c.id] = std::move(c);
    return SsmJson(out, ctx.request_id);
  }

  if (op == "CancelCommand") {
    std::string id = Str(body, "CommandId");
    if (id.empty()) throw Validation("Value null at 'commandId' failed to satisfy constraint: Member must not be null");
    std::vector<std::string> ids = StrList(body, "InstanceIds");
    deny_if_read_only();
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
    return SsmJson(json::object(), ctx.request_id);
  }

  if (op == "ListCommandInvocations") {
    std::string id = Str(body, "CommandId"), instance = Str(body, "InstanceId");
    int max = Int(body, "MaxResults", 50, 1, 50, "maxResults");
    bool details = body.contains("Details") && body["Details"].is_boolean() && body["Details"].get<bool>();
    std::string start = StartKey(body);
    std::vector<std::pair<std::string, std::string>> filters;
    if (auto f = body.find("Filters"); f != body.end() && f->is_array()) {
      for (const auto& e : *f) {
        std::string key = Str(e, "key");
        static const std::set<std::string> kKeys = {"InvokedAfter", "InvokedBefore", "Status", "ExecutionStage", "DocumentName"};
        if (!kKeys.count(key)) throw ApiError{400, "InvalidFilterKey", "The specified key '" + key + "' isn't valid."};
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
      for (auto it = z.command_order.rbegin(); it != z.command_order.rend(); ++it) cmds.push_back(&z.commands.at(*it));
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
          if (k == "Status") match = match && v.status == val;
          else if (k == "DocumentName") match = match && c->document == val;
          else if (k == "ExecutionStage") match = match && ((val == "Executing") != v.terminal);
          else {
            std::chrono::system_clock::time_point t;
            if (!ParseIso8601(val, &t)) throw ApiError{400, "InvalidFilterValue", "The filter value '" + val + "' isn't a valid date."};
            auto requested = SimToWall(c->requested);
            match = match && (k == "InvokedAfter" ? requested >= t : requested <= t);
          }
        }
        if (!match) continue;
        if (static_cast<int>(list.size()) == max) {
          next = key;
          break;
        }
        list.push_back(InvocationToJson(*this, z, *c, inv, now, details));
      }
      if (!next.empty()) break;
    }
    if (!started) throw ApiError{400, "InvalidNextToken", "The specified token isn't valid."};
    json out = {{"CommandInvocations", list}};
    if (!next.empty()) out["NextToken"] = EncodeToken(next);
    return SsmJson(out, ctx.request_id);
  }

  if (op == "GetCommandInvocation") {
    std::string id = Str(body, "CommandId"), instance = Str(body, "InstanceId"), plugin = Str(body, "PluginName");
    if (id.empty()) throw Validation("Value null at 'commandId' failed to satisfy constraint: Member must not be null");
    if (instance.empty()) throw Validation("Value null at 'instanceId' failed to satisfy constraint: Member must not be null");
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
    auto iso = [&](double t) { return IsoMillis(SimToWall(t)); };
    std::string start_s = v.started ? iso(inv->start) : "";
    std::string end_s = v.terminal && v.started ? iso(inv->end) : "";
    std::string elapsed = v.started ? fmt::format("PT{:.3f}S", (v.terminal ? inv->end : now) - inv->start) : "";
    json out = {{"CommandId", c.id},
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
    return SsmJson(out, ctx.request_id);
  }

  if (op == "DescribeInstancePatchStates") {
    std::vector<std::string> ids = StrList(body, "InstanceIds");
    if (ids.empty()) throw Validation("Value null at 'instanceIds' failed to satisfy constraint: Member must not be null");
    if (ids.size() > 50) throw Validation("Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50");
    int max = Int(body, "MaxResults", 50, 10, 100, "maxResults");
    std::string start = StartKey(body);
    std::shared_lock<std::shared_mutex> lock(z.mu);
    json list = json::array();
    std::string next;
    bool started = start.empty();
    for (const auto& id : ids) {
      if (!started) {
        if (id != start) continue;
        started = true;
      }
      const InstanceState* st = z.Find(id);
      if (!st || st->spec->ssm_ping == "None") continue;
      if (static_cast<int>(list.size()) == max) {
        next = id;
        break;
      }
      PatchCounts pc = CurrentPatchState(z, *st, now);
      const InstanceSpec& s = *st->spec;
      json j = {{"InstanceId", id},
                {"PatchGroup", st->tags.count("PatchGroup") ? st->tags.at("PatchGroup") : ""},
                {"BaselineId", s.platform == "windows" ? "pb-016cce9f0a2b8e7a1" : "pb-0a6b4c3d2e1f09876"},
                {"InstalledCount", pc.installed},
                {"InstalledOtherCount", pc.installed_other},
                {"InstalledPendingRebootCount", pc.installed_pending_reboot},
                {"InstalledRejectedCount", 0},
                {"MissingCount", pc.missing},
                {"FailedCount", pc.failed},
                {"UnreportedNotApplicableCount", 0},
                {"NotApplicableCount", 312},
                {"OperationStartTime", Epoch(SimToWall(pc.start))},
                {"OperationEndTime", Epoch(SimToWall(pc.end))},
                {"Operation", pc.operation},
                {"RebootOption", pc.reboot_option},
                {"CriticalNonCompliantCount", pc.missing > 0 ? 1 : 0},
                {"SecurityNonCompliantCount", pc.missing / 2},
                {"OtherNonCompliantCount", pc.missing - pc.missing / 2}};
      if (pc.operation == "Install" && pc.reboot_option == "NoReboot") j["LastNoRebootInstallOperationTime"] = Epoch(SimToWall(pc.end));
      list.push_back(j);
    }
    if (!started) throw ApiError{400, "InvalidNextToken", "The specified token isn't valid."};
    json out = {{"InstancePatchStates", list}};
    if (!next.empty()) out["NextToken"] = EncodeToken(next);
    return SsmJson(out, ctx.request_id);
  }

  throw ApiError{400, "InvalidAction", "Operation " + op + " is not supported by this emulator."};
}

}  // namespace fleetpatch::emulator
