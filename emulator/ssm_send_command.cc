// SSM SendCommand: validates the request, resolves its targets and simulates every invocation's
// life at once: the command's MaxConcurrency slots and MaxErrors threshold over the instances'
// configured outcomes and durations (see ssm_common.h for how reads then derive the status).
#include <fmt/format.h>

#include <algorithm>
#include <queue>
#include <regex>
#include <set>

#include "emulator/precheck_answer.h"
#include "emulator/ssm_common.h"

namespace fleetpatch::emulator {
namespace {

using nlohmann::json;

struct SendRequest {
  std::string document, comment;
  std::vector<std::string> ids;
  json targets = json::array();
  json params = json::object();
  int timeout_s = 3600;
  std::string max_concurrency = "50", max_errors = "0";
  std::vector<std::string> commands;
  std::string operation = "Scan", reboot_option = "RebootIfNeeded";
  double exec_timeout = 3600;
};

void ParsePatchParameters(SendRequest* r) {
  auto op_list = StrList(r->params, "Operation");
  if (op_list.empty()) throw ApiError{400, "InvalidParameters", "Parameter \"Operation\" is required."};
  r->operation = op_list[0];
  if (r->operation != "Scan" && r->operation != "Install")
    throw ApiError{400, "InvalidParameters", "Parameter \"Operation\" must be one of: Scan, Install."};
  auto rb = StrList(r->params, "RebootOption");
  if (!rb.empty()) r->reboot_option = rb[0];
  if (r->reboot_option != "RebootIfNeeded" && r->reboot_option != "NoReboot")
    throw ApiError{400, "InvalidParameters",
                   "Parameter \"RebootOption\" must be one of: RebootIfNeeded, NoReboot."};
  r->exec_timeout = 7200;
}

void ParseScriptParameters(SendRequest* r) {
  r->commands = StrList(r->params, "commands");
  if (r->commands.empty()) throw ApiError{400, "InvalidParameters", "Parameter \"commands\" is required."};
  auto et = StrList(r->params, "executionTimeout");
  if (et.empty()) return;
  try {
    r->exec_timeout = std::stod(et[0]);
  } catch (const std::exception&) {
    throw ApiError{400, "InvalidParameters", "Parameter \"executionTimeout\" must be a number of seconds."};
  }
  if (r->exec_timeout < 1 || r->exec_timeout > 172800)
    throw ApiError{400, "InvalidParameters", "Parameter \"executionTimeout\" must be between 1 and 172800."};
}

void ParseDocumentParameters(SendRequest* r) {
  if (!r->params.is_object()) throw ApiError{400, "SerializationException", "Parameters must be a map"};
  bool patch = r->document == "AWS-RunPatchBaseline";
  std::set<std::string> allowed =
      patch ? std::set<std::string>{"Operation",           "RebootOption",     "SnapshotId",
                                    "InstallOverrideList", "BaselineOverride", "AssociationId"}
            : std::set<std::string>{"commands", "workingDirectory", "executionTimeout"};
  if (patch)
    ParsePatchParameters(r);
  else
    ParseScriptParameters(r);
  for (auto it = r->params.begin(); it != r->params.end(); ++it) {
    if (!allowed.count(it.key()))
      throw ApiError{400, "InvalidParameters",
                     "Parameter \"" + it.key() + "\" is not defined in document " + r->document + "."};
    if (!it->is_array())
      throw ApiError{400, "SerializationException", "Parameter values must be lists of strings"};
  }
}

void CheckRateControls(const SendRequest& r) {
  static const std::regex kConc("^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$"),
      kErr("^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$");
  if (r.max_concurrency.size() > 7 || !std::regex_match(r.max_concurrency, kConc))
    throw Validation("Value '" + r.max_concurrency +
                     "' at 'maxConcurrency' failed to satisfy constraint: Member must satisfy regular "
                     "expression pattern: ^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$");
  if (r.max_errors.size() > 7 || !std::regex_match(r.max_errors, kErr))
    throw Validation("Value '" + r.max_errors +
                     "' at 'maxErrors' failed to satisfy constraint: Member must satisfy regular expression "
                     "pattern: ^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$");
}

SendRequest ParseSendCommand(const json& body) {
  SendRequest r;
  r.document = Str(body, "DocumentName");
  if (r.document.empty())
    throw Validation("Value null at 'documentName' failed to satisfy constraint: Member must not be null");
  static const std::set<std::string> kDocs = {"AWS-RunShellScript", "AWS-RunPowerShellScript",
                                              "AWS-RunPatchBaseline"};
  if (!kDocs.count(r.document))
    throw ApiError{400, "InvalidDocument", "Document with name " + r.document + " does not exist."};
  r.ids = StrList(body, "InstanceIds");
  if (r.ids.size() > 50)
    throw Validation(
        "Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to "
        "50");
  if (body.contains("Targets")) r.targets = body["Targets"];
  if (!r.targets.is_array()) throw ApiError{400, "SerializationException", "Targets must be a list"};
  if (r.ids.empty() == r.targets.empty())
    throw ApiError{400, "InvalidParameters",
                   r.ids.empty() ? "Specify either InstanceIds or Targets."
                                 : "InstanceIds and Targets can't be used together."};
  r.timeout_s = Int(body, "TimeoutSeconds", 3600, 30, 2592000, "timeoutSeconds");
  if (std::string c = Str(body, "MaxConcurrency"); !c.empty()) r.max_concurrency = c;
  if (std::string e = Str(body, "MaxErrors"); !e.empty()) r.max_errors = e;
  CheckRateControls(r);
  if (body.contains("Parameters")) r.params = body["Parameters"];
  ParseDocumentParameters(&r);
  r.comment = Str(body, "Comment");
  return r;
}

std::vector<InstanceState*> ResolveIds(Zone& z, const std::vector<std::string>& ids,
                                       const std::string& account) {
  std::vector<InstanceState*> insts;
  std::set<std::string> seen;
  std::vector<std::string> bad;
  for (const auto& id : ids) {
    if (!seen.insert(id).second)
      throw ApiError{400, "DuplicateInstanceId", "Instance " + id + " is listed more than once."};
    InstanceState* st = z.Find(id);
    if (!st || st->spec->ssm_ping == "None")
      bad.push_back(id);
    else
      insts.push_back(st);
  }
  if (!bad.empty()) {
    std::string list;
    for (const auto& b : bad) list += (list.empty() ? "" : ", ") + b;
    throw ApiError{400, "InvalidInstanceId",
                   "Instances [[" + list + "]] not in a valid state for account " + account};
  }
  return insts;
}

bool TargetMatches(const InstanceState& st, const std::string& key, const std::vector<std::string>& values) {
  if (key == "InstanceIds") return std::find(values.begin(), values.end(), st.spec->id) != values.end();
  if (key.rfind("tag:", 0) == 0) {
    auto tag = st.tags.find(key.substr(4));
    return tag != st.tags.end() && std::find(values.begin(), values.end(), tag->second) != values.end();
  }
  if (key == "tag-key")
    return std::any_of(values.begin(), values.end(),
                       [&](const std::string& v) { return st.tags.count(v) > 0; });
  throw ApiError{400, "InvalidParameters",
                 "Target key " + key + " is not supported (use InstanceIds, tag:KEY or tag-key)."};
}

std::vector<InstanceState*> ResolveTargets(Zone& z, const SendRequest& r, const std::string& account) {
  if (!r.ids.empty()) return ResolveIds(z, r.ids, account);
  std::vector<InstanceState*> insts;
  std::set<const InstanceState*> chosen;
  for (const auto& t : r.targets) {
    std::string key = Str(t, "Key");
    std::vector<std::string> values = StrList(t, "Values");
    for (auto& st : z.instances)
      if (st.spec->ssm_ping != "None" && TargetMatches(st, key, values) && chosen.insert(&st).second)
        insts.push_back(&st);
  }
  return insts;
}

void CheckPlatforms(const SendRequest& r, const std::vector<InstanceState*>& insts) {
  if (r.document == "AWS-RunPatchBaseline") return;
  bool windows_doc = r.document == "AWS-RunPowerShellScript";
  for (auto* st : insts)
    if ((st->spec->platform == "windows") != windows_doc)
      throw ApiError{400, "UnsupportedPlatformType",
                     "The document " + r.document + " is not supported on the platform of instance " +
                         st->spec->id + "."};
}

// The command's MaxConcurrency slots and MaxErrors threshold while invocations are simulated in order.
struct Schedule {
  int slots = 1;
  int allowed_errors = 0;
  std::priority_queue<double, std::vector<double>, std::greater<double>> running;  // end times
  std::vector<std::pair<double, bool>> finished;                                   // (end, counts as error)

  // The time the next invocation gets a slot.
  double NextSlot(double now) {
    double slot = now;
    if (static_cast<int>(running.size()) >= slots) {
      slot = std::max(slot, running.top());
      running.pop();
    }
    return slot;
  }
  // When MaxErrors was passed before `slot`, the time it was passed; else a negative number.
  double ErrorThresholdBefore(double slot, double now) const {
    std::vector<double> error_ends;
    for (const auto& [end, err] : finished)
      if (err) error_ends.push_back(end);
    int so_far = static_cast<int>(
        std::count_if(error_ends.begin(), error_ends.end(), [&](double e) { return e <= slot; }));
    if (so_far <= allowed_errors) return -1;
    std::sort(error_ends.begin(), error_ends.end());
    return std::max(now, error_ends[allowed_errors]);
  }
  void Done(const Invocation& inv) {
    running.push(inv.end);
    finished.push_back({inv.end, IsError(inv)});
  }
};

void EndWithoutRunning(Invocation* inv, double at, const char* status, const char* details) {
  inv->never_started = true;
  inv->start = inv->end = at;
  inv->status = status;
  inv->details = details;
  inv->response_code = -1;
}

}  // namespace

Response SendCommand(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  SendRequest r = ParseSendCommand(in.body);
  DenyIfReadOnly("SendCommand", ctx);
  const std::string& account = ctx.identity->account_id;
  const double now = ctx.now;
  Zone& z = im.ZoneFor(account, ctx.region);
  std::unique_lock<std::shared_mutex> lock(z.mu);
  std::vector<InstanceState*> insts = ResolveTargets(z, r, account);
  CheckPlatforms(r, insts);

  Command c;
  c.id = im.NewRequestId();
  c.document = r.document;
  c.comment = r.comment;
  c.parameters = r.params;
  c.targets = r.targets;
  for (auto* st : insts) c.instance_ids.push_back(st->spec->id);
  c.max_concurrency = r.max_concurrency;
  c.max_errors = r.max_errors;
  c.timeout_s = r.timeout_s;
  c.requested = now;

  int total = static_cast<int>(insts.size());
  Schedule schedule;
  schedule.slots = CountOrPercent(r.max_concurrency, total, 1);
  schedule.allowed_errors = CountOrPercent(r.max_errors, total, 0);
  SendRunContext run{r.document, r.operation, r.reboot_option, r.exec_timeout, now, false, {}};
  run.is_precheck = RecognisePrecheck(r.commands, &run.precheck_services);
  for (auto* st : insts) {
    Invocation inv;
    inv.instance_id = st->spec->id;
    inv.instance_name = st->tags.count("Name") ? st->tags.at("Name") : "";
    double slot = schedule.NextSlot(now);
    std::string ping;
    bool online = EffectiveOnline(*st, now, &ping);
    bool install = r.document == "AWS-RunPatchBaseline" && r.operation == "Install";
    bool agent_drops = install && st->spec->patch.outcome == PatchOutcome::kAgentLost && online;
    double delivered = slot + im.options.ssm_delivery_s;
    if (double threshold = schedule.ErrorThresholdBefore(slot, now); threshold >= 0) {
      // MaxErrors reached before this target's turn: it is never sent.
      EndWithoutRunning(&inv, threshold, "Cancelled", "Cancelled");
      c.invocations.push_back(inv);
      continue;
    }
    if (ping == "Inactive") {
      EndWithoutRunning(&inv, now + 1, "Failed", "Undeliverable");
      c.invocations.push_back(inv);
      continue;
    }
    if (agent_drops) st->agent_lost_at = std::min(st->agent_lost_at, now);
    // An agent that drops before the command reaches it never gets it, as on SSM.
    if (!online || agent_drops || delivered > now + r.timeout_s || delivered >= st->agent_lost_at) {
      EndWithoutRunning(&inv, std::max(now + r.timeout_s, slot), "TimedOut", "DeliveryTimedOut");
    } else {
      inv.start = delivered;
      SimulateRun(im, z, *st, run, &inv);
    }
    schedule.Done(inv);
    c.invocations.push_back(inv);
  }
  for (size_t i = 0; i < c.invocations.size(); ++i)
    if (c.invocations[i].is_patch) insts[i]->patch_runs.push_back({c.id, i});
  z.command_order.push_back(c.id);
  json out = {{"Command", CommandToJson(im, c, now)}};
  z.commands[c.id] = std::move(c);
  return JsonReply(out, ctx.request_id);
}

}  // namespace fleetpatch::emulator
