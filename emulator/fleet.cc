#include "emulator/fleet.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fleetpatch::emulator {
namespace {

// Collects the YAML-specific failure into a Config error naming file:line and the field path.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  Error Fail(const YAML::Node& node, const std::string& field, const std::string& what) const {
    int line = node.IsDefined() && node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
    if (line > 0) return Error::Config(fmt::format("{}:{}: {}: {}", source_, line, field, what));
    return Error::Config(fmt::format("{}: {}: {}", source_, field, what));
  }

  Status CheckKeys(const YAML::Node& map, const std::string& field,
                   const std::set<std::string>& allowed) const {
    if (!map.IsMap()) return Fail(map, field, "expected a mapping");
    for (const auto& kv : map) {
      std::string key = kv.first.as<std::string>();
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return Fail(kv.first, field + "." + key, "unknown field (expected one of: " + list + ")");
      }
    }
    return OkStatus();
  }

  template <class T>
  Status Get(const YAML::Node& map, const char* key, const std::string& field, T* out) const {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return OkStatus();
    if (!n.IsScalar()) return Fail(n, field + "." + key, "expected a scalar value");
    try {
      *out = n.as<T>();
    } catch (const YAML::Exception&) {
      return Fail(n, field + "." + key, "cannot read '" + n.Scalar() + "' as " + TypeName<T>());
    }
    return OkStatus();
  }

  Status Require(const YAML::Node& map, const char* key, const std::string& field) const {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return Fail(map, field + "." + key, "required field is missing");
    return OkStatus();
  }

 private:
  template <class T>
  static const char* TypeName() {
    if constexpr (std::is_same_v<T, bool>) return "a boolean (true/false)";
    if constexpr (std::is_integral_v<T>) return "an integer";
    if constexpr (std::is_floating_point_v<T>) return "a number";
    return "a string";
  }
  std::string source_;
};

Result<PatchOutcome> ParsePatchOutcome(const std::string& s) {
  if (s == "success") return PatchOutcome::kSuccess;
  if (s == "failed") return PatchOutcome::kFailed;
  if (s == "hang") return PatchOutcome::kHang;
  if (s == "agent_lost") return PatchOutcome::kAgentLost;
  return Error::Config("expected success, failed, hang or agent_lost");
}

Status ParseTags(const Reader& r, const YAML::Node& n, const std::string& f,
                 std::map<std::string, std::string>* out) {
  YAML::Node t = n["tags"];
  if (!t.IsDefined() || t.IsNull()) return OkStatus();
  if (!t.IsMap()) return r.Fail(t, f + ".tags", "expected a mapping of tag key to value");
  for (const auto& kv : t) {
    if (!kv.second.IsScalar())
      return r.Fail(kv.second, f + ".tags." + kv.first.as<std::string>(), "expected a string");
    (*out)[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return OkStatus();
}

Status ParseStringList(const Reader& r, const YAML::Node& n, const char* key, const std::string& f,
                       std::vector<std::string>* out) {
  YAML::Node l = n[key];
  if (!l.IsDefined() || l.IsNull()) return OkStatus();
  if (!l.IsSequence()) return r.Fail(l, f + "." + key, "expected a list of strings");
  for (const auto& v : l) {
    if (!v.IsScalar()) return r.Fail(v, f + "." + key, "expected a list of strings");
    out->push_back(v.as<std::string>());
  }
  return OkStatus();
}

Status ParseDisks(const Reader& r, const YAML::Node& d, const std::string& hf, InstanceSpec* in) {
  if (!d.IsDefined() || d.IsNull()) return OkStatus();
  if (!d.IsSequence()) return r.Fail(d, hf + ".disks", "expected a list of {mount, size_kb, avail_kb}");
  for (size_t i = 0; i < d.size(); ++i) {
    std::string df = fmt::format("{}.disks[{}]", hf, i);
    DiskSpec disk;
    FP_RETURN_IF_ERROR(r.CheckKeys(d[i], df, {"mount", "size_kb", "avail_kb"}));
    FP_RETURN_IF_ERROR(r.Require(d[i], "mount", df));
    FP_RETURN_IF_ERROR(r.Require(d[i], "size_kb", df));
    FP_RETURN_IF_ERROR(r.Require(d[i], "avail_kb", df));
    FP_RETURN_IF_ERROR(r.Get(d[i], "mount", df, &disk.mount));
    FP_RETURN_IF_ERROR(r.Get(d[i], "size_kb", df, &disk.size_kb));
    FP_RETURN_IF_ERROR(r.Get(d[i], "avail_kb", df, &disk.avail_kb));
    if (disk.avail_kb > disk.size_kb)
      return r.Fail(d[i]["avail_kb"], df + ".avail_kb", "must not exceed size_kb");
    in->disks.push_back(disk);
  }
  return OkStatus();
}

Status ParseHost(const Reader& r, const YAML::Node& h, const std::string& hf, InstanceSpec* in) {
  if (!h.IsDefined() || h.IsNull()) return OkStatus();
  FP_RETURN_IF_ERROR(r.CheckKeys(h, hf,
                                 {"disks", "cpus", "load1", "mem_total_kb", "mem_available_kb", "services",
                                  "reboot_pending", "pkg_lock"}));
  FP_RETURN_IF_ERROR(r.Get(h, "cpus", hf, &in->cpus));
  FP_RETURN_IF_ERROR(r.Get(h, "load1", hf, &in->load1));
  FP_RETURN_IF_ERROR(r.Get(h, "mem_total_kb", hf, &in->mem_total_kb));
  FP_RETURN_IF_ERROR(r.Get(h, "mem_available_kb", hf, &in->mem_available_kb));
  FP_RETURN_IF_ERROR(r.Get(h, "reboot_pending", hf, &in->reboot_pending));
  FP_RETURN_IF_ERROR(r.Get(h, "pkg_lock", hf, &in->pkg_lock));
  FP_RETURN_IF_ERROR(ParseDisks(r, h["disks"], hf, in));
  if (YAML::Node sv = h["services"]; sv.IsDefined() && !sv.IsNull()) {
    if (!sv.IsMap())
      return r.Fail(sv, hf + ".services", "expected a mapping of service name to active/inactive/failed");
    for (const auto& kv : sv) {
      std::string name = kv.first.as<std::string>();
      std::string state = kv.second.IsScalar() ? kv.second.as<std::string>() : "";
      if (state != "active" && state != "inactive" && state != "failed")
        return r.Fail(kv.second, hf + ".services." + name, "expected active, inactive or failed");
      in->services[name] = state;
    }
  }
  return OkStatus();
}

Status ParsePatch(const Reader& r, const YAML::Node& p, const std::string& pf, PatchSpec* patch) {
  if (!p.IsDefined() || p.IsNull()) return OkStatus();
  FP_RETURN_IF_ERROR(r.CheckKeys(
      p, pf,
      {"outcome", "installed", "missing", "failed", "still_missing", "reboot_required", "duration_s",
       "last_operation", "last_operation_days_ago", "installed_pending_reboot", "last_reboot_option"}));
  std::string outcome = "success";
  FP_RETURN_IF_ERROR(r.Get(p, "outcome", pf, &outcome));
  auto o = ParsePatchOutcome(outcome);
  if (!o.ok()) return r.Fail(p["outcome"], pf + ".outcome", o.error().message);
  patch->outcome = *o;
  FP_RETURN_IF_ERROR(r.Get(p, "installed", pf, &patch->installed));
  FP_RETURN_IF_ERROR(r.Get(p, "missing", pf, &patch->missing));
  FP_RETURN_IF_ERROR(r.Get(p, "failed", pf, &patch->failed));
  FP_RETURN_IF_ERROR(r.Get(p, "still_missing", pf, &patch->still_missing));
  FP_RETURN_IF_ERROR(r.Get(p, "reboot_required", pf, &patch->reboot_required));
  FP_RETURN_IF_ERROR(r.Get(p, "duration_s", pf, &patch->duration_s));
  FP_RETURN_IF_ERROR(r.Get(p, "last_operation", pf, &patch->last_operation));
  FP_RETURN_IF_ERROR(r.Get(p, "last_operation_days_ago", pf, &patch->last_operation_days_ago));
  FP_RETURN_IF_ERROR(r.Get(p, "installed_pending_reboot", pf, &patch->installed_pending_reboot));
  FP_RETURN_IF_ERROR(r.Get(p, "last_reboot_option", pf, &patch->last_reboot_option));
  if (patch->last_operation != "Scan" && patch->last_operation != "Install" &&
      patch->last_operation != "never")
    return r.Fail(p["last_operation"], pf + ".last_operation", "expected Scan, Install or never");
  if (patch->last_reboot_option != "RebootIfNeeded" && patch->last_reboot_option != "NoReboot")
    return r.Fail(p["last_reboot_option"], pf + ".last_reboot_option", "expected RebootIfNeeded or NoReboot");
  return OkStatus();
}

Status ParseSsmAndAmi(const Reader& r, const YAML::Node& n, const std::string& f, InstanceSpec* in) {
  if (YAML::Node s = n["ssm"]; s.IsDefined() && !s.IsNull()) {
    std::string sf = f + ".ssm";
    FP_RETURN_IF_ERROR(r.CheckKeys(s, sf, {"ping_status", "agent_version", "lost_after_s"}));
    FP_RETURN_IF_ERROR(r.Get(s, "ping_status", sf, &in->ssm_ping));
    FP_RETURN_IF_ERROR(r.Get(s, "agent_version", sf, &in->agent_version));
    FP_RETURN_IF_ERROR(r.Get(s, "lost_after_s", sf, &in->ssm_lost_after_s));
  }
  if (YAML::Node a = n["ami"]; a.IsDefined() && !a.IsNull()) {
    std::string af = f + ".ami";
    FP_RETURN_IF_ERROR(r.CheckKeys(a, af, {"outcome", "duration_s"}));
    std::string outcome = "available";
    FP_RETURN_IF_ERROR(r.Get(a, "outcome", af, &outcome));
    if (outcome != "available" && outcome != "failed")
      return r.Fail(a["outcome"], af + ".outcome", "expected available or failed");
    in->ami_fails = outcome == "failed";
    FP_RETURN_IF_ERROR(r.Get(a, "duration_s", af, &in->ami_duration_s));
  }
  return OkStatus();
}

// reboot, post_patch, root_volume and auto_scaling_group.
Status ParseAfterPatch(const Reader& r, const YAML::Node& n, const std::string& f, InstanceSpec* in) {
  if (YAML::Node b = n["reboot"]; b.IsDefined() && !b.IsNull()) {
    std::string bf = f + ".reboot";
    FP_RETURN_IF_ERROR(r.CheckKeys(b, bf, {"duration_s", "status_initializing_s", "never_returns"}));
    FP_RETURN_IF_ERROR(r.Get(b, "duration_s", bf, &in->reboot.duration_s));
    FP_RETURN_IF_ERROR(r.Get(b, "status_initializing_s", bf, &in->reboot.status_initializing_s));
    FP_RETURN_IF_ERROR(r.Get(b, "never_returns", bf, &in->reboot.never_returns));
  }
  if (YAML::Node pp = n["post_patch"]; pp.IsDefined() && !pp.IsNull()) {
    FP_RETURN_IF_ERROR(r.CheckKeys(pp, f + ".post_patch", {"failed_services"}));
    FP_RETURN_IF_ERROR(
        ParseStringList(r, pp, "failed_services", f + ".post_patch", &in->post_patch_failed_services));
  }
  if (YAML::Node rv = n["root_volume"]; rv.IsDefined() && !rv.IsNull()) {
    std::string rf = f + ".root_volume";
    FP_RETURN_IF_ERROR(r.CheckKeys(rv, rf, {"device_type", "replace_duration_s"}));
    FP_RETURN_IF_ERROR(r.Get(rv, "device_type", rf, &in->root_device_type));
    FP_RETURN_IF_ERROR(r.Get(rv, "replace_duration_s", rf, &in->replace_root_volume_s));
    if (in->root_device_type != "ebs" && in->root_device_type != "instance-store")
      return r.Fail(rv["device_type"], rf + ".device_type", "expected ebs or instance-store");
  }
  return r.Get(n, "auto_scaling_group", f, &in->auto_scaling_group);
}

Status ParseInstance(const Reader& r, const YAML::Node& n, const std::string& f, InstanceSpec* in) {
  FP_RETURN_IF_ERROR(r.CheckKeys(n, f,
                                 {"id",
                                  "account",
                                  "region",
                                  "availability_zone",
                                  "name",
                                  "tags",
                                  "state",
                                  "platform",
                                  "platform_name",
                                  "platform_version",
                                  "instance_type",
                                  "image_id",
                                  "private_ip",
                                  "status_impaired",
                                  "ssm",
                                  "host",
                                  "ami",
                                  "patch",
                                  "command_duration_s",
                                  "reboot",
                                  "post_patch",
                                  "root_volume",
                                  "auto_scaling_group"}));
  FP_RETURN_IF_ERROR(r.Require(n, "id", f));
  FP_RETURN_IF_ERROR(r.Require(n, "account", f));
  FP_RETURN_IF_ERROR(r.Require(n, "region", f));
  FP_RETURN_IF_ERROR(r.Get(n, "id", f, &in->id));
  FP_RETURN_IF_ERROR(r.Get(n, "account", f, &in->account_id));
  FP_RETURN_IF_ERROR(r.Get(n, "region", f, &in->region));
  FP_RETURN_IF_ERROR(r.Get(n, "availability_zone", f, &in->availability_zone));
  FP_RETURN_IF_ERROR(r.Get(n, "name", f, &in->name));
  FP_RETURN_IF_ERROR(r.Get(n, "state", f, &in->state));
  FP_RETURN_IF_ERROR(r.Get(n, "platform", f, &in->platform));
  FP_RETURN_IF_ERROR(r.Get(n, "platform_name", f, &in->platform_name));
  FP_RETURN_IF_ERROR(r.Get(n, "platform_version", f, &in->platform_version));
  FP_RETURN_IF_ERROR(r.Get(n, "instance_type", f, &in->instance_type));
  FP_RETURN_IF_ERROR(r.Get(n, "image_id", f, &in->image_id));
  FP_RETURN_IF_ERROR(r.Get(n, "private_ip", f, &in->private_ip));
  FP_RETURN_IF_ERROR(r.Get(n, "status_impaired", f, &in->status_impaired));
  FP_RETURN_IF_ERROR(r.Get(n, "command_duration_s", f, &in->command_duration_s));
  FP_RETURN_IF_ERROR(ParseTags(r, n, f, &in->tags));
  FP_RETURN_IF_ERROR(ParseSsmAndAmi(r, n, f, in));
  FP_RETURN_IF_ERROR(ParseHost(r, n["host"], f + ".host", in));
  FP_RETURN_IF_ERROR(ParsePatch(r, n["patch"], f + ".patch", &in->patch));
  return ParseAfterPatch(r, n, f, in);
}

Status ParseGroup(const Reader& r, const YAML::Node& n, const std::string& f, AutoScalingGroupSpec* g) {
  FP_RETURN_IF_ERROR(r.CheckKeys(
      n, f,
      {"name", "account", "region", "min_size", "max_size", "desired_capacity", "health_check_type",
       "health_check_grace_period_s", "suspended_processes", "replace_unhealthy_after_s"}));
  for (const char* k : {"name", "account", "region"}) FP_RETURN_IF_ERROR(r.Require(n, k, f));
  FP_RETURN_IF_ERROR(r.Get(n, "name", f, &g->name));
  FP_RETURN_IF_ERROR(r.Get(n, "account", f, &g->account_id));
  FP_RETURN_IF_ERROR(r.Get(n, "region", f, &g->region));
  FP_RETURN_IF_ERROR(r.Get(n, "min_size", f, &g->min_size));
  FP_RETURN_IF_ERROR(r.Get(n, "max_size", f, &g->max_size));
  FP_RETURN_IF_ERROR(r.Get(n, "desired_capacity", f, &g->desired_capacity));
  FP_RETURN_IF_ERROR(r.Get(n, "health_check_type", f, &g->health_check_type));
  FP_RETURN_IF_ERROR(r.Get(n, "health_check_grace_period_s", f, &g->health_check_grace_period_s));
  FP_RETURN_IF_ERROR(r.Get(n, "replace_unhealthy_after_s", f, &g->replace_unhealthy_after_s));
  return ParseStringList(r, n, "suspended_processes", f, &g->suspended_processes);
}

Status ParseSnapshot(const Reader& r, const YAML::Node& n, const std::string& f, bool standalone,
                     SnapshotSpec* s) {
  std::set<std::string> keys = {"id", "device", "volume_id", "size_gb", "description", "tags"};
  if (standalone) keys.insert({"account", "region", "created_days_ago"});
  FP_RETURN_IF_ERROR(r.CheckKeys(n, f, keys));
  FP_RETURN_IF_ERROR(r.Require(n, "id", f));
  if (standalone) {
    FP_RETURN_IF_ERROR(r.Require(n, "account", f));
    FP_RETURN_IF_ERROR(r.Require(n, "region", f));
    FP_RETURN_IF_ERROR(r.Get(n, "account", f, &s->account_id));
    FP_RETURN_IF_ERROR(r.Get(n, "region", f, &s->region));
    FP_RETURN_IF_ERROR(r.Get(n, "created_days_ago", f, &s->created_days_ago));
  }
  FP_RETURN_IF_ERROR(r.Get(n, "id", f, &s->id));
  FP_RETURN_IF_ERROR(r.Get(n, "device", f, &s->device));
  FP_RETURN_IF_ERROR(r.Get(n, "volume_id", f, &s->volume_id));
  FP_RETURN_IF_ERROR(r.Get(n, "size_gb", f, &s->size_gb));
  FP_RETURN_IF_ERROR(r.Get(n, "description", f, &s->description));
  return ParseTags(r, n, f, &s->tags);
}

Status ParseImage(const Reader& r, const YAML::Node& n, const std::string& f, ImageSpec* img) {
  FP_RETURN_IF_ERROR(
      r.CheckKeys(n, f,
                  {"id", "account", "region", "owner", "public", "name", "description", "source_instance",
                   "platform", "state", "created_days_ago", "tags", "snapshots"}));
  for (const char* k : {"id", "account", "region", "name"}) FP_RETURN_IF_ERROR(r.Require(n, k, f));
  FP_RETURN_IF_ERROR(r.Get(n, "id", f, &img->id));
  FP_RETURN_IF_ERROR(r.Get(n, "account", f, &img->account_id));
  FP_RETURN_IF_ERROR(r.Get(n, "region", f, &img->region));
  FP_RETURN_IF_ERROR(r.Get(n, "owner", f, &img->owner_id));
  FP_RETURN_IF_ERROR(r.Get(n, "public", f, &img->is_public));
  FP_RETURN_IF_ERROR(r.Get(n, "name", f, &img->name));
  FP_RETURN_IF_ERROR(r.Get(n, "description", f, &img->description));
  FP_RETURN_IF_ERROR(r.Get(n, "source_instance", f, &img->source_instance_id));
  FP_RETURN_IF_ERROR(r.Get(n, "platform", f, &img->platform));
  FP_RETURN_IF_ERROR(r.Get(n, "state", f, &img->state));
  FP_RETURN_IF_ERROR(r.Get(n, "created_days_ago", f, &img->created_days_ago));
  FP_RETURN_IF_ERROR(ParseTags(r, n, f, &img->tags));
  if (img->state != "available" && img->state != "failed")
    return r.Fail(n["state"], f + ".state", "expected available or failed");
  YAML::Node snaps = n["snapshots"];
  if (!snaps.IsDefined() || snaps.IsNull()) return OkStatus();
  if (!snaps.IsSequence()) return r.Fail(snaps, f + ".snapshots", "expected a list of snapshots");
  for (size_t i = 0; i < snaps.size(); ++i) {
    SnapshotSpec s;
    FP_RETURN_IF_ERROR(ParseSnapshot(r, snaps[i], fmt::format("{}.snapshots[{}]", f, i), false, &s));
    img->snapshots.push_back(std::move(s));
  }
  return OkStatus();
}

Status ParseAccount(const Reader& r, const YAML::Node& a, const std::string& f, AccountSpec* acct) {
  FP_RETURN_IF_ERROR(r.CheckKeys(a, f, {"id", "name", "regions", "roles"}));
  FP_RETURN_IF_ERROR(r.Require(a, "id", f));
  FP_RETURN_IF_ERROR(r.Get(a, "id", f, &acct->id));
  FP_RETURN_IF_ERROR(r.Get(a, "name", f, &acct->name));
  YAML::Node regions = a["regions"];
  if (!regions.IsSequence()) return r.Fail(a, f + ".regions", "required: a list of region names");
  for (const auto& reg : regions) acct->regions.push_back(reg.as<std::string>());
  YAML::Node roles = a["roles"];
  if (!roles.IsDefined() || roles.IsNull()) return OkStatus();
  if (!roles.IsSequence()) return r.Fail(roles, f + ".roles", "expected a list of {name, external_id}");
  for (size_t j = 0; j < roles.size(); ++j) {
    std::string rf = fmt::format("{}.roles[{}]", f, j);
    FP_RETURN_IF_ERROR(r.CheckKeys(roles[j], rf, {"name", "external_id", "read_only"}));
    FP_RETURN_IF_ERROR(r.Require(roles[j], "name", rf));
    RoleSpec role;
    FP_RETURN_IF_ERROR(r.Get(roles[j], "name", rf, &role.name));
    FP_RETURN_IF_ERROR(r.Get(roles[j], "external_id", rf, &role.external_id));
    FP_RETURN_IF_ERROR(r.Get(roles[j], "read_only", rf, &role.read_only));
    acct->roles.push_back(role);
  }
  return OkStatus();
}

Status ParseTopic(const Reader& r, const YAML::Node& n, const std::string& f, SnsTopicSpec* t) {
  FP_RETURN_IF_ERROR(r.CheckKeys(n, f, {"account", "region", "name"}));
  for (const char* k : {"account", "region", "name"}) FP_RETURN_IF_ERROR(r.Require(n, k, f));
  FP_RETURN_IF_ERROR(r.Get(n, "account", f, &t->account_id));
  FP_RETURN_IF_ERROR(r.Get(n, "region", f, &t->region));
  return r.Get(n, "name", f, &t->name);
}

// Parses the list at root[key] with `parse` into *out.
template <class T, class Parse>
Status ParseList(const Reader& r, const YAML::Node& root, const char* key, Parse parse, std::vector<T>* out) {
  YAML::Node list = root[key];
  if (!list.IsDefined() || list.IsNull()) return OkStatus();
  if (!list.IsSequence()) return r.Fail(list, key, "expected a list");
  for (size_t i = 0; i < list.size(); ++i) {
    T item;
    FP_RETURN_IF_ERROR(parse(r, list[i], fmt::format("{}[{}]", key, i), &item));
    out->push_back(std::move(item));
  }
  return OkStatus();
}

// Where each instance was declared, for validation messages after parsing.
struct Marks {
  std::vector<int> instance_lines;
  std::vector<int> account_lines;
};

// Hand-written checks instead of std::regex for the per-instance fields: validating 100,000
// generated instances must stay fast.
bool AllOf(const std::string& s, size_t from, const char* set) {
  for (size_t i = from; i < s.size(); ++i)
    if (!std::strchr(set, s[i])) return false;
  return true;
}
bool IsAccount(const std::string& s) { return s.size() == 12 && AllOf(s, 0, "0123456789"); }
// prefix- + 8 or 17 lowercase hex digits (i-, ami-, snap-).
bool IsResourceId(const std::string& s, const std::string& prefix) {
  size_t n = prefix.size() + 1;
  return (s.size() == n + 8 || s.size() == n + 17) && s.rfind(prefix + "-", 0) == 0 &&
         AllOf(s, n, "0123456789abcdef");
}

std::string Where(const std::string& source, const std::vector<int>* lines, size_t i) {
  if (lines && i < lines->size() && (*lines)[i] > 0) return fmt::format("{}:{}", source, (*lines)[i]);
  return source;
}

Status ValidateAccounts(const Fleet& fleet, const std::string& source, const Marks* marks) {
  static const std::regex kRegion("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$");
  if (!IsAccount(fleet.caller.account_id))
    return Error::Config(fmt::format("{}: caller.account_id: '{}' is not a 12-digit account id", source,
                                     fleet.caller.account_id));
  if (fleet.caller.access_key_id.size() < 16 || fleet.caller.secret_access_key.size() < 16)
    return Error::Config(
        fmt::format("{}: caller: access_key_id and secret_access_key need at least 16 characters", source));
  if (fleet.accounts.empty())
    return Error::Config(fmt::format("{}: accounts: at least one account is required", source));
  std::set<std::string> ids;
  for (size_t i = 0; i < fleet.accounts.size(); ++i) {
    const AccountSpec& a = fleet.accounts[i];
    std::string f =
        fmt::format("{}: accounts[{}]", Where(source, marks ? &marks->account_lines : nullptr, i), i);
    if (!IsAccount(a.id))
      return Error::Config(fmt::format("{}.id: '{}' is not a 12-digit account id", f, a.id));
    if (!ids.insert(a.id).second)
      return Error::Config(fmt::format("{}.id: account {} is defined twice", f, a.id));
    if (a.regions.empty()) return Error::Config(fmt::format("{}.regions: list at least one region", f));
    for (const auto& r : a.regions)
      if (!std::regex_match(r, kRegion))
        return Error::Config(fmt::format("{}.regions: '{}' is not a region name like us-east-1", f, r));
    std::set<std::string> role_names;
    for (const auto& role : a.roles) {
      if (role.name.empty()) return Error::Config(fmt::format("{}.roles: a role has no name", f));
      if (!role_names.insert(role.name).second)
        return Error::Config(fmt::format("{}.roles: role {} is defined twice", f, role.name));
    }
  }
  return OkStatus();
}

// `what` in (account, region) must name a defined account and one of its regions.
Status CheckPlace(const Fleet& fleet, const std::string& f, const std::string& account,
                  const std::string& region) {
  for (const auto& a : fleet.accounts) {
    if (a.id != account) continue;
    if (std::find(a.regions.begin(), a.regions.end(), region) == a.regions.end())
      return Error::Config(
          fmt::format("{}.region: '{}' is not one of account {}'s regions", f, region, account));
    return OkStatus();
  }
  return Error::Config(fmt::format("{}.account: account '{}' is not defined under accounts", f, account));
}

Status CheckInstanceValues(const InstanceSpec& in, const std::string& f) {
  static const std::set<std::string> kStates = {"pending",    "running",  "shutting-down",
                                                "terminated", "stopping", "stopped"};
  static const std::set<std::string> kPing = {"Online", "ConnectionLost", "Inactive", "None"};
  if (!kStates.count(in.state))
    return Error::Config(fmt::format(
        "{}.state: '{}' is not one of pending, running, shutting-down, terminated, stopping, stopped", f,
        in.state));
  if (in.platform != "linux" && in.platform != "windows" && in.platform != "macos")
    return Error::Config(fmt::format("{}.platform: '{}' must be linux, windows or macos", f, in.platform));
  if (!kPing.count(in.ssm_ping))
    return Error::Config(fmt::format(
        "{}.ssm.ping_status: '{}' must be Online, ConnectionLost, Inactive or None", f, in.ssm_ping));
  if (in.cpus < 1) return Error::Config(fmt::format("{}.host.cpus: must be at least 1", f));
  if (in.load1 < 0) return Error::Config(fmt::format("{}.host.load1: must not be negative", f));
  if (in.mem_available_kb > in.mem_total_kb)
    return Error::Config(fmt::format("{}.host.mem_available_kb: exceeds mem_total_kb", f));
  if (in.ami_duration_s < 0 || in.patch.duration_s < 0 || in.command_duration_s < 0 ||
      in.reboot.duration_s < 0 || in.reboot.status_initializing_s < 0 || in.replace_root_volume_s < 0 ||
      in.patch.last_operation_days_ago < 0)
    return Error::Config(fmt::format("{}: durations must not be negative", f));
  const PatchSpec& p = in.patch;
  if (p.installed < 0 || p.missing < 0 || p.failed < 0 || p.still_missing < 0 ||
      p.installed_pending_reboot < 0 || p.failed + p.still_missing > p.missing)
    return Error::Config(
        fmt::format("{}.patch: counts must be >= 0 and failed + still_missing <= missing", f));
  if (p.outcome == PatchOutcome::kFailed && p.failed == 0)
    return Error::Config(fmt::format("{}.patch.failed: outcome 'failed' needs failed >= 1", f));
  for (const auto& svc : in.post_patch_failed_services)
    if (!in.services.count(svc))
      return Error::Config(
          fmt::format("{}.post_patch.failed_services: '{}' is not one of host.services", f, svc));
  return OkStatus();
}

void FillInstanceDefaults(InstanceSpec& in) {
  if (in.availability_zone.empty()) in.availability_zone = in.region + "a";
  if (in.name.empty()) {
    auto it = in.tags.find("Name");
    if (it != in.tags.end()) in.name = it->second;
  } else if (!in.tags.count("Name")) {
    in.tags["Name"] = in.name;
  }
  if (!in.auto_scaling_group.empty()) in.tags["aws:autoscaling:groupName"] = in.auto_scaling_group;
  if (in.platform_name.empty())
    in.platform_name = in.platform == "windows" ? "Microsoft Windows Server 2022 Datacenter"
                       : in.platform == "macos" ? "macOS"
                                                : "Amazon Linux";
  if (in.platform_version.empty())
    in.platform_version = in.platform == "windows" ? "10.0.20348" : in.platform == "macos" ? "14.5" : "2023";
  if (in.disks.empty()) {
    if (in.platform == "windows")
      in.disks.push_back({"C:", 52428800, 31457280});
    else
      in.disks.push_back({"/", 8376300, 5242880});
  }
  if (in.private_ip.empty()) {
    size_t h = std::hash<std::string>{}(in.id);
    in.private_ip = fmt::format("10.{}.{}.{}", (h >> 16) % 256, (h >> 8) % 256, 4 + h % 250);
  }
}

Status ValidateInstances(Fleet& fleet, const std::string& source, const Marks* marks) {
  std::set<std::string> ids, groups;
  for (const auto& g : fleet.auto_scaling_groups) groups.insert(g.account_id + "/" + g.region + "/" + g.name);
  for (size_t i = 0; i < fleet.instances.size(); ++i) {
    InstanceSpec& in = fleet.instances[i];
    std::string f =
        fmt::format("{}: instances[{}]", Where(source, marks ? &marks->instance_lines : nullptr, i), i);
    if (!IsResourceId(in.id, "i"))
      return Error::Config(
          fmt::format("{}.id: '{}' is not an instance id (i- and 8 or 17 lowercase hex digits)", f, in.id));
    if (!ids.insert(in.id).second)
      return Error::Config(fmt::format("{}.id: instance {} is defined twice", f, in.id));
    FP_RETURN_IF_ERROR(CheckPlace(fleet, f, in.account_id, in.region));
    if (in.availability_zone.empty()) in.availability_zone = in.region + "a";
    if (in.availability_zone.rfind(in.region, 0) != 0 || in.availability_zone.size() != in.region.size() + 1)
      return Error::Config(
          fmt::format("{}.availability_zone: '{}' is not a zone of {}", f, in.availability_zone, in.region));
    FP_RETURN_IF_ERROR(CheckInstanceValues(in, f));
    if (!in.auto_scaling_group.empty() &&
        !groups.count(in.account_id + "/" + in.region + "/" + in.auto_scaling_group))
      return Error::Config(
          fmt::format("{}.auto_scaling_group: '{}' is not defined under auto_scaling_groups for {} {}", f,
                      in.auto_scaling_group, in.account_id, in.region));
    FillInstanceDefaults(in);
  }
  return OkStatus();
}

Status ValidateGroups(const Fleet& fleet, const std::string& source) {
  std::set<std::string> seen;
  for (size_t i = 0; i < fleet.auto_scaling_groups.size(); ++i) {
    const auto& g = fleet.auto_scaling_groups[i];
    std::string f = fmt::format("{}: auto_scaling_groups[{}]", source, i);
    FP_RETURN_IF_ERROR(CheckPlace(fleet, f, g.account_id, g.region));
    if (!seen.insert(g.account_id + "/" + g.region + "/" + g.name).second)
      return Error::Config(fmt::format("{}.name: group {} is defined twice", f, g.name));
    if (g.min_size < 0 || g.min_size > g.desired_capacity || g.desired_capacity > g.max_size)
      return Error::Config(
          fmt::format("{}: sizes must satisfy 0 <= min_size <= desired_capacity <= max_size", f));
    if (g.health_check_type != "EC2" && g.health_check_type != "ELB")
      return Error::Config(
          fmt::format("{}.health_check_type: '{}' must be EC2 or ELB", f, g.health_check_type));
    for (const auto& p : g.suspended_processes)
      if (!IsScalingProcess(p))
        return Error::Config(fmt::format("{}.suspended_processes: '{}' is not a scaling process", f, p));
  }
  return OkStatus();
}

Status ValidateSnapshotIds(const std::vector<SnapshotSpec>& snaps, const std::string& f,
                           std::set<std::string>* seen) {
  for (const auto& s : snaps) {
    if (!IsResourceId(s.id, "snap"))
      return Error::Config(
          fmt::format("{}: '{}' is not a snapshot id (snap- and 8 or 17 hex digits)", f, s.id));
    if (!seen->insert(s.id).second)
      return Error::Config(fmt::format("{}: snapshot {} is defined twice", f, s.id));
    if (s.size_gb < 1)
      return Error::Config(fmt::format("{}: snapshot {}: size_gb must be at least 1", f, s.id));
  }
  return OkStatus();
}

Status ValidateImages(Fleet& fleet, const std::string& source) {
  std::set<std::string> images, snaps;
  for (size_t i = 0; i < fleet.images.size(); ++i) {
    ImageSpec& img = fleet.images[i];
    std::string f = fmt::format("{}: images[{}]", source, i);
    FP_RETURN_IF_ERROR(CheckPlace(fleet, f, img.account_id, img.region));
    if (!IsResourceId(img.id, "ami"))
      return Error::Config(
          fmt::format("{}.id: '{}' is not an AMI id (ami- and 8 or 17 hex digits)", f, img.id));
    if (!images.insert(img.id).second)
      return Error::Config(fmt::format("{}.id: image {} is defined twice", f, img.id));
    if (img.owner_id.empty()) img.owner_id = img.account_id;
    if (!IsAccount(img.owner_id))
      return Error::Config(fmt::format("{}.owner: '{}' is not a 12-digit account id", f, img.owner_id));
    if (img.created_days_ago < 0)
      return Error::Config(fmt::format("{}.created_days_ago: must not be negative", f));
    FP_RETURN_IF_ERROR(ValidateSnapshotIds(img.snapshots, f + ".snapshots", &snaps));
  }
  for (size_t i = 0; i < fleet.sns_topics.size(); ++i)
    FP_RETURN_IF_ERROR(CheckPlace(fleet, fmt::format("{}: sns_topics[{}]", source, i),
                                  fleet.sns_topics[i].account_id, fleet.sns_topics[i].region));
  for (size_t i = 0; i < fleet.snapshots.size(); ++i)
    FP_RETURN_IF_ERROR(CheckPlace(fleet, fmt::format("{}: snapshots[{}]", source, i),
                                  fleet.snapshots[i].account_id, fleet.snapshots[i].region));
  return ValidateSnapshotIds(fleet.snapshots, source + ": snapshots", &snaps);
}

Status Validate(Fleet& fleet, const std::string& source, const Marks* marks) {
  FP_RETURN_IF_ERROR(ValidateAccounts(fleet, source, marks));
  FP_RETURN_IF_ERROR(ValidateGroups(fleet, source));
  FP_RETURN_IF_ERROR(ValidateInstances(fleet, source, marks));
  return ValidateImages(fleet, source);
}

}  // namespace

bool IsScalingProcess(const std::string& name) {
  static const std::set<std::string> kProcesses = {
      "Launch",      "Terminate",       "AddToLoadBalancer", "AlarmNotification", "AZRebalance",
      "HealthCheck", "InstanceRefresh", "ReplaceUnhealthy",  "ScheduledActions"};
  return kProcesses.count(name) > 0;
}

const char* PatchOutcomeName(PatchOutcome o) {
  switch (o) {
    case PatchOutcome::kSuccess:
      return "success";
    case PatchOutcome::kFailed:
      return "failed";
    case PatchOutcome::kHang:
      return "hang";
    case PatchOutcome::kAgentLost:
      return "agent_lost";
  }
  return "?";
}

std::string RoleArn(const std::string& account_id, const std::string& role_name) {
  return "arn:aws:iam::" + account_id + ":role/" + role_name;
}

Status ValidateFleet(Fleet& fleet, const std::string& source) { return Validate(fleet, source, nullptr); }

Result<Fleet> ParseFleetYaml(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Error::Config(fmt::format("{}:{}: invalid YAML: {}", source, e.mark.line + 1, e.msg));
  }
  Reader r(source);
  Fleet fleet;
  Marks marks;
  try {
    if (!root.IsMap()) return Error::Config(source + ": expected a mapping with 'accounts' and 'instances'");
    FP_RETURN_IF_ERROR(r.CheckKeys(
        root, "fleet",
        {"caller", "accounts", "instances", "auto_scaling_groups", "images", "snapshots", "sns_topics"}));
    if (YAML::Node c = root["caller"]; c.IsDefined() && !c.IsNull()) {
      FP_RETURN_IF_ERROR(
          r.CheckKeys(c, "caller", {"account_id", "user_name", "access_key_id", "secret_access_key"}));
      FP_RETURN_IF_ERROR(r.Get(c, "account_id", "caller", &fleet.caller.account_id));
      FP_RETURN_IF_ERROR(r.Get(c, "user_name", "caller", &fleet.caller.user_name));
      FP_RETURN_IF_ERROR(r.Get(c, "access_key_id", "caller", &fleet.caller.access_key_id));
      FP_RETURN_IF_ERROR(r.Get(c, "secret_access_key", "caller", &fleet.caller.secret_access_key));
    }
    YAML::Node accounts = root["accounts"];
    if (!accounts.IsSequence()) return r.Fail(root, "accounts", "required: a list of accounts");
    for (size_t i = 0; i < accounts.size(); ++i) {
      AccountSpec acct;
      FP_RETURN_IF_ERROR(ParseAccount(r, accounts[i], fmt::format("accounts[{}]", i), &acct));
      marks.account_lines.push_back(accounts[i].Mark().line + 1);
      fleet.accounts.push_back(std::move(acct));
    }
    if (YAML::Node instances = root["instances"]; instances.IsDefined() && !instances.IsNull()) {
      if (!instances.IsSequence()) return r.Fail(instances, "instances", "expected a list of instances");
      fleet.instances.reserve(instances.size());
      for (size_t i = 0; i < instances.size(); ++i) {
        InstanceSpec in;
        FP_RETURN_IF_ERROR(ParseInstance(r, instances[i], fmt::format("instances[{}]", i), &in));
        marks.instance_lines.push_back(instances[i].Mark().line + 1);
        fleet.instances.push_back(std::move(in));
      }
    }
    FP_RETURN_IF_ERROR(ParseList(r, root, "auto_scaling_groups", ParseGroup, &fleet.auto_scaling_groups));
    FP_RETURN_IF_ERROR(ParseList(r, root, "images", ParseImage, &fleet.images));
    auto standalone = [](const Reader& rd, const YAML::Node& n, const std::string& f, SnapshotSpec* sn) {
      return ParseSnapshot(rd, n, f, true, sn);
    };
    FP_RETURN_IF_ERROR(ParseList(r, root, "snapshots", standalone, &fleet.snapshots));
    FP_RETURN_IF_ERROR(ParseList(r, root, "sns_topics", ParseTopic, &fleet.sns_topics));
  } catch (const YAML::Exception& e) {
    return Error::Config(fmt::format("{}:{}: {}", source, e.mark.line + 1, e.msg));
  }
  FP_RETURN_IF_ERROR(Validate(fleet, source, &marks));
  return fleet;
}

Result<Fleet> LoadFleetFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Config("cannot read fleet file " + path + ": check the path and permissions");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseFleetYaml(ss.str(), path);
}

namespace {

void EmitAfterPatch(YAML::Emitter& out, const InstanceSpec& in) {
  out << YAML::Key << "reboot" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "duration_s" << YAML::Value << in.reboot.duration_s;
  out << YAML::Key << "status_initializing_s" << YAML::Value << in.reboot.status_initializing_s;
  out << YAML::Key << "never_returns" << YAML::Value << in.reboot.never_returns << YAML::EndMap;
  if (!in.post_patch_failed_services.empty())
    out << YAML::Key << "post_patch" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
        << "failed_services" << YAML::Value << in.post_patch_failed_services << YAML::EndMap;
  out << YAML::Key << "root_volume" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
      << "device_type" << YAML::Value << in.root_device_type << YAML::Key << "replace_duration_s"
      << YAML::Value << in.replace_root_volume_s << YAML::EndMap;
  if (!in.auto_scaling_group.empty())
    out << YAML::Key << "auto_scaling_group" << YAML::Value << in.auto_scaling_group;
}

void EmitInstance(YAML::Emitter& out, const InstanceSpec& in) {
  out << YAML::BeginMap;
  out << YAML::Key << "id" << YAML::Value << in.id;
  out << YAML::Key << "account" << YAML::Value << YAML::DoubleQuoted << in.account_id;
  out << YAML::Key << "region" << YAML::Value << in.region;
  out << YAML::Key << "availability_zone" << YAML::Value << in.availability_zone;
  out << YAML::Key << "name" << YAML::Value << in.name;
  out << YAML::Key << "tags" << YAML::Value << YAML::Flow << in.tags;
  out << YAML::Key << "state" << YAML::Value << in.state;
  out << YAML::Key << "platform" << YAML::Value << in.platform;
  out << YAML::Key << "instance_type" << YAML::Value << in.instance_type;
  out << YAML::Key << "ssm" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "ping_status"
      << YAML::Value << in.ssm_ping << YAML::Key << "agent_version" << YAML::Value << in.agent_version;
  if (in.ssm_lost_after_s >= 0) out << YAML::Key << "lost_after_s" << YAML::Value << in.ssm_lost_after_s;
  out << YAML::EndMap;
  out << YAML::Key << "host" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "disks" << YAML::Value << YAML::BeginSeq;
  for (const auto& d : in.disks)
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "mount" << YAML::Value << d.mount << YAML::Key
        << "size_kb" << YAML::Value << d.size_kb << YAML::Key << "avail_kb" << YAML::Value << d.avail_kb
        << YAML::EndMap;
  out << YAML::EndSeq;
  out << YAML::Key << "cpus" << YAML::Value << in.cpus << YAML::Key << "load1" << YAML::Value << in.load1;
  out << YAML::Key << "mem_total_kb" << YAML::Value << in.mem_total_kb;
  out << YAML::Key << "mem_available_kb" << YAML::Value << in.mem_available_kb;
  if (!in.services.empty()) out << YAML::Key << "services" << YAML::Value << YAML::Flow << in.services;
  out << YAML::Key << "reboot_pending" << YAML::Value << in.reboot_pending;
  out << YAML::Key << "pkg_lock" << YAML::Value << in.pkg_lock;
  out << YAML::EndMap;
  out << YAML::Key << "ami" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "outcome"
      << YAML::Value << (in.ami_fails ? "failed" : "available") << YAML::Key << "duration_s" << YAML::Value
      << in.ami_duration_s << YAML::EndMap;
  out << YAML::Key << "patch" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "outcome" << YAML::Value << PatchOutcomeName(in.patch.outcome);
  out << YAML::Key << "installed" << YAML::Value << in.patch.installed;
  out << YAML::Key << "missing" << YAML::Value << in.patch.missing;
  out << YAML::Key << "failed" << YAML::Value << in.patch.failed;
  if (in.patch.still_missing > 0)
    out << YAML::Key << "still_missing" << YAML::Value << in.patch.still_missing;
  out << YAML::Key << "reboot_required" << YAML::Value << in.patch.reboot_required;
  out << YAML::Key << "duration_s" << YAML::Value << in.patch.duration_s;
  out << YAML::Key << "last_operation" << YAML::Value << in.patch.last_operation;
  out << YAML::Key << "last_operation_days_ago" << YAML::Value << in.patch.last_operation_days_ago;
  if (in.patch.installed_pending_reboot > 0)
    out << YAML::Key << "installed_pending_reboot" << YAML::Value << in.patch.installed_pending_reboot;
  out << YAML::Key << "last_reboot_option" << YAML::Value << in.patch.last_reboot_option;
  out << YAML::EndMap;
  EmitAfterPatch(out, in);
  out << YAML::EndMap;
}

void EmitGroups(YAML::Emitter& out, const std::vector<AutoScalingGroupSpec>& groups) {
  out << YAML::Key << "auto_scaling_groups" << YAML::Value << YAML::BeginSeq;
  for (const auto& g : groups) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << g.name;
    out << YAML::Key << "account" << YAML::Value << YAML::DoubleQuoted << g.account_id << YAML::Key
        << "region" << YAML::Value << g.region;
    out << YAML::Key << "min_size" << YAML::Value << g.min_size << YAML::Key << "max_size" << YAML::Value
        << g.max_size;
    out << YAML::Key << "desired_capacity" << YAML::Value << g.desired_capacity;
    out << YAML::Key << "health_check_type" << YAML::Value << g.health_check_type;
    out << YAML::Key << "health_check_grace_period_s" << YAML::Value << g.health_check_grace_period_s;
    out << YAML::Key << "suspended_processes" << YAML::Value << g.suspended_processes;
    out << YAML::Key << "replace_unhealthy_after_s" << YAML::Value << g.replace_unhealthy_after_s
        << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void EmitSnapshot(YAML::Emitter& out, const SnapshotSpec& s, bool standalone) {
  out << YAML::Flow << YAML::BeginMap << YAML::Key << "id" << YAML::Value << s.id;
  if (standalone) {
    out << YAML::Key << "account" << YAML::Value << YAML::DoubleQuoted << s.account_id << YAML::Key
        << "region" << YAML::Value << s.region;
    out << YAML::Key << "created_days_ago" << YAML::Value << s.created_days_ago;
  }
  out << YAML::Key << "device" << YAML::Value << s.device << YAML::Key << "size_gb" << YAML::Value
      << s.size_gb;
  if (!s.volume_id.empty()) out << YAML::Key << "volume_id" << YAML::Value << s.volume_id;
  if (!s.description.empty()) out << YAML::Key << "description" << YAML::Value << s.description;
  out << YAML::Key << "tags" << YAML::Value << s.tags << YAML::EndMap;
}

void EmitImages(YAML::Emitter& out, const Fleet& fleet) {
  out << YAML::Key << "images" << YAML::Value << YAML::BeginSeq;
  for (const auto& img : fleet.images) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << img.id;
    out << YAML::Key << "account" << YAML::Value << YAML::DoubleQuoted << img.account_id << YAML::Key
        << "region" << YAML::Value << img.region;
    out << YAML::Key << "owner" << YAML::Value << YAML::DoubleQuoted << img.owner_id << YAML::Key << "public"
        << YAML::Value << img.is_public;
    out << YAML::Key << "name" << YAML::Value << img.name << YAML::Key << "description" << YAML::Value
        << img.description;
    out << YAML::Key << "source_instance" << YAML::Value << img.source_instance_id << YAML::Key << "platform"
        << YAML::Value << img.platform;
    out << YAML::Key << "state" << YAML::Value << img.state << YAML::Key << "created_days_ago" << YAML::Value
        << img.created_days_ago;
    out << YAML::Key << "tags" << YAML::Value << YAML::Flow << img.tags;
    out << YAML::Key << "snapshots" << YAML::Value << YAML::BeginSeq;
    for (const auto& sn : img.snapshots) EmitSnapshot(out, sn, false);
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::Key << "snapshots" << YAML::Value << YAML::BeginSeq;
  for (const auto& sn : fleet.snapshots) EmitSnapshot(out, sn, true);
  out << YAML::EndSeq << YAML::Key << "sns_topics" << YAML::Value << YAML::BeginSeq;
  for (const auto& t : fleet.sns_topics)
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "account" << YAML::Value << YAML::DoubleQuoted
        << t.account_id << YAML::Key << "region" << YAML::Value << t.region << YAML::Key << "name"
        << YAML::Value << t.name << YAML::EndMap;
  out << YAML::EndSeq;
}

}  // namespace

std::string FleetToYaml(const Fleet& fleet) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "caller" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "account_id" << YAML::Value << YAML::DoubleQuoted << fleet.caller.account_id;
  out << YAML::Key << "user_name" << YAML::Value << fleet.caller.user_name;
  out << YAML::Key << "access_key_id" << YAML::Value << fleet.caller.access_key_id;
  out << YAML::Key << "secret_access_key" << YAML::Value << fleet.caller.secret_access_key;
  out << YAML::EndMap;
  out << YAML::Key << "accounts" << YAML::Value << YAML::BeginSeq;
  for (const auto& a : fleet.accounts) {
    out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << YAML::DoubleQuoted << a.id;
    out << YAML::Key << "name" << YAML::Value << a.name;
    out << YAML::Key << "regions" << YAML::Value << YAML::Flow << a.regions;
    out << YAML::Key << "roles" << YAML::Value << YAML::BeginSeq;
    for (const auto& r : a.roles) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << r.name;
      out << YAML::Key << "external_id" << YAML::Value << r.external_id;
      if (r.read_only) out << YAML::Key << "read_only" << YAML::Value << true;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "instances" << YAML::Value << YAML::BeginSeq;
  for (const auto& in : fleet.instances) EmitInstance(out, in);
  out << YAML::EndSeq;
  EmitGroups(out, fleet.auto_scaling_groups);
  EmitImages(out, fleet);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace fleetpatch::emulator
