// SSM DescribeInstancePatchStates: the patch compliance an instance reports.
#include "emulator/json_writer.h"
#include "emulator/ssm_common.h"

namespace fleetpatch::emulator {
namespace {

using nlohmann::json;

// One record, written straight into the page (its members in byte order: JsonWriter checks it).
void WritePatchState(JsonWriter& w, const Emulator::Impl& im, const std::string& id, const InstanceState& st,
                     const PatchCounts& pc) {
  auto group = st.tags.find("PatchGroup");
  w.BeginObject()
      .Member("BaselineId", st.spec->platform == "windows" ? "pb-016cce9f0a2b8e7a1" : "pb-0a6b4c3d2e1f09876")
      .Member("CriticalNonCompliantCount", pc.missing > 0 ? 1 : 0)
      .Member("FailedCount", pc.failed)
      .Member("InstalledCount", pc.installed)
      .Member("InstalledOtherCount", pc.installed_other)
      .Member("InstalledPendingRebootCount", pc.installed_pending_reboot)
      .Member("InstalledRejectedCount", 0)
      .Member("InstanceId", id);
  if (pc.operation == "Install" && pc.reboot_option == "NoReboot")
    w.Member("LastNoRebootInstallOperationTime", Epoch(im.SimToWall(pc.end)));
  w.Member("MissingCount", pc.missing)
      .Member("NotApplicableCount", 312)
      .Member("Operation", pc.operation)
      .Member("OperationEndTime", Epoch(im.SimToWall(pc.end)))
      .Member("OperationStartTime", Epoch(im.SimToWall(pc.start)))
      .Member("OtherNonCompliantCount", pc.missing - pc.missing / 2)
      .Member("PatchGroup", group != st.tags.end() ? std::string_view(group->second) : std::string_view())
      .Member("RebootOption", pc.reboot_option)
      .Member("SecurityNonCompliantCount", pc.missing / 2)
      .Member("UnreportedNotApplicableCount", 0)
      .EndObject();
}

}  // namespace

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
  JsonWriter w;
  w.BeginObject().Key("InstancePatchStates").BeginArray();
  int listed = 0;
  std::string next;
  bool started = start.empty();
  for (const auto& id : ids) {
    if (!started) {
      if (id != start) continue;
      started = true;
    }
    const InstanceState* st = z.Find(id);
    if (!st || st->spec->ssm_ping == "None") continue;
    PatchCounts pc = CurrentPatchState(z, *st, now);
    if (pc.operation == "never") continue;  // never scanned: no patch state
    if (listed == max) {
      next = id;
      break;
    }
    WritePatchState(w, im, id, *st, pc);
    ++listed;
  }
  if (!started) throw ApiError{400, "InvalidNextToken", "The specified token isn't valid."};
  w.EndArray();
  if (!next.empty()) w.Member("NextToken", EncodeToken(next));
  w.EndObject();
  return JsonBodyReply(w.Take(), ctx.request_id);
}

}  // namespace fleetpatch::emulator
