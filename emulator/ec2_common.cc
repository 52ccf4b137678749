// Helpers shared by the EC2 handler files.
#include "emulator/ec2_common.h"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

namespace fleetpatch::emulator {

std::string DeviceName(const std::string& platform, size_t index) {
  if (index == 0) return platform == "windows" ? "/dev/sda1" : "/dev/xvda";
  size_t n = index - 1 + ('f' - 'a');  // /dev/sdf ... /dev/sdz, then /dev/sdaa, /dev/sdab, ...
  if (n < 26) return fmt::format("/dev/sd{}", static_cast<char>('a' + n));
  return fmt::format("/dev/sd{}{}", static_cast<char>('a' + n / 26 - 1), static_cast<char>('a' + n % 26));
}

std::string VolumeId(const std::string& instance_id, size_t index) {
  return fmt::format("vol-{}{:x}", instance_id.substr(2, 16), index);
}

int StateCode(const std::string& state) {
  if (state == "pending") return 0;
  if (state == "running") return 16;
  if (state == "shutting-down") return 32;
  if (state == "terminated") return 48;
  if (state == "stopping") return 64;
  return 80;
}

// MaxResults: absent -> 0 (no paging); outside [lo, hi] -> InvalidParameterValue.
int MaxResults(const Params& p, int lo, int hi) {
  std::string v = Get(p, "MaxResults");
  if (v.empty()) return 0;
  int n = 0;
  try {
    n = std::stoi(v);
  } catch (const std::exception&) {
    throw ApiError{400, "InvalidParameterValue",
                   "Value (" + v + ") for parameter maxResults is invalid. Expecting an integer."};
  }
  if (n < lo || n > hi)
    throw ApiError{
        400, "InvalidParameterValue",
        fmt::format("Value ( {} ) for parameter maxResults is invalid. Expecting a value between {} and {}.",
                    n, lo, hi)};
  return n;
}

std::string StartKey(const Params& p) {
  std::string token = Get(p, "NextToken");
  if (token.empty()) return "";
  std::string key;
  if (!DecodeToken(token, &key))
    throw ApiError{400, "InvalidParameterValue", "Invalid value '" + token + "' for nextToken"};
  return key;
}

void CheckId(const std::string& id, const char* prefix, const char* malformed_code, const char* what) {
  static const std::regex kHex("^[0-9a-f]{8}([0-9a-f]{9})?$");
  std::string pre = std::string(prefix) + "-";
  if (id.rfind(pre, 0) != 0 || !std::regex_match(id.substr(pre.size()), kHex))
    throw ApiError{400, malformed_code,
                   fmt::format("Invalid id: \"{}\" (expecting \"{}-...\")", id, prefix) + what};
}

bool OwnerMatches(const std::vector<std::string>& owners, const std::string& owner_id,
                  const std::string& account) {
  if (owners.empty()) return true;
  for (const auto& o : owners)
    if ((o == "self" && owner_id == account) || o == owner_id) return true;
  return false;
}

bool MatchAny(const std::vector<std::string>& patterns, const std::string& value) {
  for (const auto& p : patterns)
    if (WildcardMatch(p, value)) return true;
  return false;
}

// Tag filters shared by every resource type. Returns true if `f` is a tag filter (and sets *match).
bool TagFilter(const Filter& f, const std::map<std::string, std::string>& tags, bool* match) {
  if (f.name.rfind("tag:", 0) == 0) {
    auto it = tags.find(f.name.substr(4));
    *match = it != tags.end() && MatchAny(f.values, it->second);
    return true;
  }
  if (f.name == "tag-key") {
    *match = false;
    for (const auto& [k, v] : tags) *match = *match || MatchAny(f.values, k);
    return true;
  }
  if (f.name == "tag-value") {
    *match = false;
    for (const auto& [k, v] : tags) *match = *match || MatchAny(f.values, v);
    return true;
  }
  return false;
}

void CheckFilters(const std::vector<Filter>& filters, const std::set<std::string>& names) {
  for (const auto& f : filters) {
    if (f.name.rfind("tag:", 0) == 0 || f.name == "tag-key" || f.name == "tag-value" || names.count(f.name))
      continue;
    throw ApiError{400, "InvalidParameterValue", "The filter '" + f.name + "' is invalid"};
  }
}

void WriteTags(XmlWriter& x, const std::map<std::string, std::string>& tags) {
  if (tags.empty()) return;
  x.Open("tagSet");
  for (const auto& [k, v] : tags) x.Open("item").Leaf("key", k).Leaf("value", v).Close("item");
  x.Close("tagSet");
}

void ValidateTags(const std::vector<Tag>& tags) {
  for (const auto& t : tags) {
    if (t.key.empty() || t.key.size() > 128)
      throw ApiError{400, "InvalidParameterValue", "Tag keys must be between 1 and 128 characters"};
    if (t.value.size() > 256)
      throw ApiError{400, "InvalidParameterValue", "Tag values must be at most 256 characters"};
    if (t.key.rfind("aws:", 0) == 0)
      throw ApiError{400, "InvalidParameterValue",
                     "Tag keys starting with 'aws:' are reserved for internal use"};
  }
}

void ApplyTags(std::map<std::string, std::string>& tags, const std::vector<Tag>& add) {
  for (const auto& t : add) tags[t.key] = t.value;
  if (tags.size() > 50)
    throw ApiError{400, "TagLimitExceeded", "The maximum number of tags per resource (50) would be exceeded"};
}

std::string ImageState(const Image& img, double now) {
  if (img.deregistered) return "deregistered";
  if (now < img.ready) return "pending";
  return img.fails ? "failed" : "available";
}

std::string SnapshotState(const Snapshot& s, double now) {
  if (now < s.ready) return "pending";
  return s.fails ? "error" : "completed";
}

std::string Header(const std::string& op, const CallContext& ctx, XmlWriter& x) {
  x.OpenNs(op + "Response", Ec2Service().xml_namespace).Leaf("requestId", ctx.request_id);
  return op + "Response";
}

// Permission and DryRun, as EC2 answers them: a read-only identity gets UnauthorizedOperation for
// mutating calls (dry run or not); a permitted dry run gets DryRunOperation (HTTP 412).
void Authorize(const std::string& op, const CallContext& ctx) {
  const Operation* o = Ec2Service().Find(op);
  if (o && o->mutating && ctx.identity->read_only)
    throw ApiError{403, "UnauthorizedOperation",
                   "You are not authorized to perform this operation. User: " + ctx.identity->arn +
                       " is not authorized to perform: ec2:" + op +
                       " because no identity-based policy allows the ec2:" + op + " action"};
  if (ctx.dry_run)
    throw ApiError{412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set."};
}

// Resolves explicit instance ids: malformed -> InvalidInstanceID.Malformed; any unknown ->
// InvalidInstanceID.NotFound naming them all, as EC2 does.
std::vector<const InstanceState*> ResolveInstances(const Zone& z, const std::vector<std::string>& ids) {
  std::vector<const InstanceState*> out;
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    CheckId(id, "i", "InvalidInstanceID.Malformed", "");
    const InstanceState* st = z.Find(id);
    if (!st)
      missing.push_back(id);
    else
      out.push_back(st);
  }
  if (missing.size() == 1)
    throw ApiError{400, "InvalidInstanceID.NotFound", "The instance ID '" + missing[0] + "' does not exist"};
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw ApiError{400, "InvalidInstanceID.NotFound", "The instance IDs '" + list + "' do not exist"};
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->spec->id < b->spec->id; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace fleetpatch::emulator
