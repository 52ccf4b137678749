// Helpers shared by the EC2 handler files (ec2_*.cc): parameter validation as EC2 answers it,
// filters, tags, resource states, the response header, and the EC2 handlers the table registers.
// Thread-safety: pure functions; handlers lock the zone themselves.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "emulator/service.h"

namespace fleetpatch::emulator {

// The device name of an instance's disk `index` (0: the root device) and its volume's id.
std::string DeviceName(const std::string& platform, size_t index);
std::string VolumeId(const std::string& instance_id, size_t index);
int StateCode(const std::string& state);
// MaxResults: absent -> 0 (no paging); outside [lo, hi] -> InvalidParameterValue.
int MaxResults(const Params& p, int lo, int hi);
// The key a NextToken carries; "" without one. InvalidParameterValue for a foreign token.
std::string StartKey(const Params& p);
// `id` must be "<prefix>-" + 8 or 17 hex digits, else ApiError `malformed_code`.
void CheckId(const std::string& id, const char* prefix, const char* malformed_code, const char* what);
bool MatchAny(const std::vector<std::string>& patterns, const std::string& value);
// Owner / OwnerId parameters: empty matches all; "self" the caller's account; an account id itself;
// aliases (amazon, aws-marketplace) match no emulated resource.
bool OwnerMatches(const std::vector<std::string>& owners, const std::string& owner_id,
                  const std::string& account);
// Tag filters shared by every resource type. Returns true if `f` is a tag filter (and sets *match).
bool TagFilter(const Filter& f, const std::map<std::string, std::string>& tags, bool* match);
// InvalidParameterValue for a filter name not in `names` (tag filters always allowed).
void CheckFilters(const std::vector<Filter>& filters, const std::set<std::string>& names);
void WriteTags(XmlWriter& x, const std::map<std::string, std::string>& tags);
void ValidateTags(const std::vector<Tag>& tags);
// Adds `add`; TagLimitExceeded past 50 tags.
void ApplyTags(std::map<std::string, std::string>& tags, const std::vector<Tag>& add);
std::string ImageState(const Image& img, double now);
std::string SnapshotState(const Snapshot& s, double now);
// Opens "<OpResponse xmlns=...><requestId>"; returns the root element's name.
std::string Header(const std::string& op, const CallContext& ctx, XmlWriter& x);
// Permission and DryRun, as EC2 answers them: a read-only identity gets UnauthorizedOperation for
// mutating calls (dry run or not); a permitted dry run gets DryRunOperation (HTTP 412).
void Authorize(const std::string& op, const CallContext& ctx);
// Resolves explicit instance ids: malformed -> InvalidInstanceID.Malformed; any unknown ->
// InvalidInstanceID.NotFound naming them all, as EC2 does. Sorted, without duplicates.
std::vector<const InstanceState*> ResolveInstances(const Zone& z, const std::vector<std::string>& ids);

// The EC2 handlers (one per operation), registered in Ec2Service() (ec2_service.cc).
Response DescribeInstances(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response DescribeInstanceStatus(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response CreateImage(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response DescribeImages(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response DeregisterImage(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response CreateTags(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response DescribeSnapshots(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response DeleteSnapshot(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response CreateReplaceRootVolumeTask(Emulator::Impl& im, const OpInput& in, CallContext& ctx);
Response DescribeReplaceRootVolumeTasks(Emulator::Impl& im, const OpInput& in, CallContext& ctx);

}  // namespace fleetpatch::emulator
