// SSM DescribeInstancePatchStates: the patch compliance an instance reports.
#include "emulator/ssm_common.h"

namespace fleetpatch::emulator {

using nlohmann::json;

Response DescribeInstancePatchStates(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const json& body = in.body;
  const double now = ctx.now;
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::vector<std::string> ids = StrList(body, "InstanceIds");
  if (ids.empty())
    throw Validation("Value null at 'instanceIds' failed to satisfy constraint: Member must not be null");
  if (ids.size() > 50)
    throw Validation(
        "Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to "
        "50");
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
    if (CurrentPatchState(z, *st, now).operation == "never") continue;  // never scanned: no patch state
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
              {"OperationStartTime", Epoch(im.SimToWall(pc.start))},
              {"OperationEndTime", Epoch(im.SimToWall(pc.end))},
              {"Operation", pc.operation},
              {"RebootOption", pc.reboot_option},
              {"CriticalNonCompliantCount", pc.missing > 0 ? 1 : 0},
              {"SecurityNonCompliantCount", pc.missing / 2},
              {"OtherNonCompliantCount", pc.missing - pc.missing / 2}};
    if (pc.operation == "Install" && pc.reboot_option == "NoReboot")
      j["LastNoRebootInstallOperationTime"] = Epoch(im.SimToWall(pc.end));
    list.push_back(j);
  }
  if (!started) throw ApiError{400, "InvalidNextToken", "The specified token isn't valid."};
  json out = {{"InstancePatchStates", list}};
  if (!next.empty()) out["NextToken"] = EncodeToken(next);
  return JsonReply(out, ctx.request_id);
}

}  // namespace fleetpatch::emulator
