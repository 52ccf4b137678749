// EC2 DescribeSnapshots, DeleteSnapshot and CreateTags.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <regex>

#include "common/time_format.h"
#include "emulator/ec2_common.h"

namespace fleetpatch::emulator {

Response DescribeSnapshots(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const Params& p = in.params;
  const std::string op = "DescribeSnapshots";
  const std::string& account = ctx.identity->account_id;
  Zone& z = im.ZoneFor(account, ctx.region);
  XmlWriter x;
  std::vector<std::string> ids = ListParam(p, "SnapshotId");
  std::vector<std::string> owners = ListParam(p, "Owner");
  std::vector<Filter> filters = FilterParams(p);
  CheckFilters(filters,
               {"snapshot-id", "status", "volume-id", "description", "owner-id", "volume-size", "progress"});
  int max = MaxResults(p, 5, 1000);
  if (max && !ids.empty())
    throw ApiError{400, "InvalidParameterCombination",
                   "The parameter snapshotSet cannot be used with the parameter maxResults"};
  std::string start = StartKey(p);
  for (const auto& id : ids) CheckId(id, "snap", "InvalidSnapshotID.Malformed", "");
  Authorize(op, ctx);
  std::shared_lock<std::shared_mutex> lock(z.mu);
  for (const auto& id : ids) {
    auto it = z.snapshots.find(id);
    if (it == z.snapshots.end() || it->second.deleted || it->second.owner_id != account)
      throw ApiError{400, "InvalidSnapshot.NotFound", "The snapshot '" + id + "' does not exist."};
  }
  std::string root = Header(op, ctx, x);
  x.Open("snapshotSet");
  std::string next;
  int count = 0;
  for (auto it = z.snapshots.lower_bound(start); it != z.snapshots.end(); ++it) {
    const Snapshot& s = it->second;
    if (s.deleted || s.owner_id != account || !OwnerMatches(owners, s.owner_id, account)) continue;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), s.id) == ids.end()) continue;
    std::string state = SnapshotState(s, ctx.now);
    int progress = state == "pending"
                       ? static_cast<int>(99.0 * (ctx.now - s.started) / std::max(1e-9, s.ready - s.started))
                       : 100;
    if (state == "error") progress = 0;
    std::string progress_s = std::to_string(progress) + "%";
    bool match = true;
    for (const auto& f : filters) {
      bool m = false;
      if (TagFilter(f, s.tags, &m)) {
      } else if (f.name == "snapshot-id")
        m = MatchAny(f.values, s.id);
      else if (f.name == "status")
        m = MatchAny(f.values, state);
      else if (f.name == "volume-id")
        m = MatchAny(f.values, s.volume_id);
      else if (f.name == "description")
        m = MatchAny(f.values, s.description);
      else if (f.name == "owner-id")
        m = MatchAny(f.values, s.owner_id);
      else if (f.name == "volume-size")
        m = MatchAny(f.values, std::to_string(s.size_gb));
      else if (f.name == "progress")
        m = MatchAny(f.values, progress_s);
      match = match && m;
    }
    if (!match) continue;
    if (max && count == max) {
      next = s.id;
      break;
    }
    ++count;
    x.Open("item").Leaf("snapshotId", s.id).Leaf("volumeId", s.volume_id).Leaf("status", state);
    if (state == "error") x.Leaf("statusMessage", "Snapshot creation failed");
    x.Leaf("startTime", FormatIso8601Millis(im.SimToWall(s.started)))
        .Leaf("progress", progress_s)
        .Leaf("ownerId", s.owner_id);
    x.Leaf("volumeSize", s.size_gb).Leaf("description", s.description).Leaf("encrypted", false);
    WriteTags(x, s.tags);
    x.Leaf("storageTier", "standard");
    if (state == "completed") x.Leaf("completionTime", FormatIso8601Millis(im.SimToWall(s.ready)));
    x.Close("item");
  }
  x.Close("snapshotSet");
  if (!next.empty()) x.Leaf("nextToken", EncodeToken(next));
  x.Close(root);
  return Ec2Xml(x.str());
}

Response DeleteSnapshot(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const Params& p = in.params;
  const std::string op = "DeleteSnapshot";
  const std::string& account = ctx.identity->account_id;
  Zone& z = im.ZoneFor(account, ctx.region);
  XmlWriter x;
  std::string id = Get(p, "SnapshotId");
  if (id.empty())
    throw ApiError{400, "MissingParameter", "The request must contain the parameter snapshotId"};
  CheckId(id, "snap", "InvalidSnapshotID.Malformed", "");
  Authorize(op, ctx);
  std::unique_lock<std::shared_mutex> lock(z.mu);
  auto it = z.snapshots.find(id);
  if (it == z.snapshots.end() || it->second.deleted || it->second.owner_id != account)
    throw ApiError{400, "InvalidSnapshot.NotFound", "The snapshot '" + id + "' does not exist."};
  if (!it->second.image_id.empty()) {
    auto img = z.images.find(it->second.image_id);
    if (img != z.images.end() && !img->second.deregistered)
      throw ApiError{400, "InvalidSnapshot.InUse",
                     "The snapshot " + id + " is currently in use by " + img->first};
  }
  it->second.deleted = true;
  std::string root = Header(op, ctx, x);
  x.Leaf("return", true).Close(root);
  return Ec2Xml(x.str());
}

Response CreateTags(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const Params& p = in.params;
  const std::string op = "CreateTags";
  const std::string& account = ctx.identity->account_id;
  Zone& z = im.ZoneFor(account, ctx.region);
  XmlWriter x;
  std::vector<std::string> resources = ListParam(p, "ResourceId");
  std::vector<Tag> tags = TagParams(p, "Tag");
  if (resources.empty())
    throw ApiError{400, "MissingParameter", "The request must contain the parameter resourceIdSet"};
  if (tags.empty()) throw ApiError{400, "MissingParameter", "The request must contain the parameter tagSet"};
  ValidateTags(tags);
  for (const auto& r : resources) {
    if (r.rfind("i-", 0) == 0)
      CheckId(r, "i", "InvalidInstanceID.Malformed", "");
    else if (r.rfind("ami-", 0) == 0)
      CheckId(r, "ami", "InvalidAMIID.Malformed", "");
    else if (r.rfind("snap-", 0) == 0)
      CheckId(r, "snap", "InvalidSnapshotID.Malformed", "");
    else
      throw ApiError{400, "InvalidID", "The ID '" + r + "' is not valid"};
  }
  Authorize(op, ctx);
  std::unique_lock<std::shared_mutex> lock(z.mu);
  std::vector<std::map<std::string, std::string>*> targets;
  for (const auto& r : resources) {
    if (r.rfind("i-", 0) == 0) {
      InstanceState* st = z.Find(r);
      if (!st)
        throw ApiError{400, "InvalidInstanceID.NotFound", "The instance ID '" + r + "' does not exist"};
      targets.push_back(&st->tags);
    } else if (r.rfind("ami-", 0) == 0) {
      auto it = z.images.find(r);
      if (it == z.images.end() || it->second.deregistered)
        throw ApiError{400, "InvalidAMIID.NotFound", "The image id '[" + r + "]' does not exist"};
      targets.push_back(&it->second.tags);
    } else {
      auto it = z.snapshots.find(r);
      if (it == z.snapshots.end() || it->second.deleted || it->second.owner_id != account)
        throw ApiError{400, "InvalidSnapshot.NotFound", "The snapshot '" + r + "' does not exist."};
      targets.push_back(&it->second.tags);
    }
  }
  // Check every limit before changing anything: CreateTags is all or nothing.
  for (auto* t : targets) {
    auto copy = *t;
    ApplyTags(copy, tags);
  }
  for (auto* t : targets) ApplyTags(*t, tags);
  std::string root = Header(op, ctx, x);
  x.Leaf("return", true).Close(root);
  return Ec2Xml(x.str());
}

}  // namespace fleetpatch::emulator
