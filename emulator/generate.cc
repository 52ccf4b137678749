// The seeded synthetic fleet (GenerateFleet) and the command-line flags that shape it.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>

#include "common/strings.h"
#include "emulator/fleet.h"

namespace fleetpatch::emulator {
namespace {

struct Draw {
  std::mt19937_64 rng;
  std::uniform_real_distribution<double> u{0.0, 1.0};
  double operator()() { return u(rng); }
};

std::vector<AccountSpec> Accounts(const GeneratorOptions& o) {
  static const char* kRegions[] = {"us-east-1",      "us-west-2",      "eu-west-1",    "eu-central-1",
                                   "ap-southeast-2", "ap-northeast-1", "ca-central-1", "sa-east-1"};
  std::vector<AccountSpec> out;
  for (int z = 0; z < std::max(1, o.zones); ++z) {
    AccountSpec a;
    a.id = fmt::format("{:012}", 100000000000ULL + static_cast<uint64_t>(z) * 1111);
    a.name = fmt::format("zone-{:02}", z);
    a.regions = {kRegions[z % 8]};
    a.roles = {{o.role_name, o.external_id, false}};
    out.push_back(a);
  }
  return out;
}

// What patching does on the instance: its outcome, missing patches and run time.
void DrawPatchRun(const GeneratorOptions& o, Draw& u, PatchSpec& p) {
  p.missing = static_cast<int>(20 * u());
  p.duration_s = 120 + 1200 * u();
  p.reboot_required = u() < o.reboot_fraction && p.missing > 0;
  double x = u();
  if (x < o.patch_fail_fraction) {
    p.outcome = PatchOutcome::kFailed;
    p.missing = std::max(p.missing, 1);
    p.failed = 1 + static_cast<int>(u() * p.missing) % p.missing;
  } else if (x < o.patch_fail_fraction + o.patch_hang_fraction) {
    p.outcome = PatchOutcome::kHang;
  } else if (x < o.patch_fail_fraction + o.patch_hang_fraction + o.agent_lost_fraction) {
    p.outcome = PatchOutcome::kAgentLost;
  }
}

// The disks and services the precheck reads.
void DrawHost(const GeneratorOptions& o, Draw& u, InstanceSpec& in) {
  if (in.platform == "windows") {
    uint64_t size = 52428800;
    in.disks.push_back({"C:", size, u() < o.disk_full_fraction ? size / 100 : size / 2});
    in.services = {{"W32Time", "active"}, {"WinRM", "active"}};
  } else {
    uint64_t size = 8376300;
    in.disks.push_back({"/", size, u() < o.disk_full_fraction ? size / 100 : size / 2});
    in.services = {{"sshd", "active"}, {"chronyd", "active"}, {"amazon-ssm-agent", "active"}};
  }
  in.load1 = 2.0 * u();
}

InstanceSpec DrawInstance(const GeneratorOptions& o, const AccountSpec& a, int i, int zones, Draw& u) {
  static const char* kEnvs[] = {"prod", "staging", "dev"};
  InstanceSpec in;
  in.id =
      fmt::format("i-{:08x}{:09x}", static_cast<uint32_t>(o.seed * 2654435761ULL), static_cast<uint64_t>(i));
  in.account_id = a.id;
  in.region = a.regions[0];
  in.availability_zone = in.region + static_cast<char>('a' + (i / zones) % 3);
  in.name = fmt::format("{}-node-{:05}", a.name, i / zones);
  in.tags["Environment"] = kEnvs[(i / zones) % 3];
  in.tags["PatchGroup"] = fmt::format("group-{}", (i / zones) % 4);
  in.platform = u() < o.windows_fraction ? "windows" : "linux";
  if (u() < o.stopped_fraction) in.state = "stopped";
  if (u() < o.ssm_offline_fraction) in.ssm_ping = "ConnectionLost";
  in.ami_fails = u() < o.ami_fail_fraction;
  in.ami_duration_s = 300 + 900 * u();
  DrawPatchRun(o, u, in.patch);
  DrawHost(o, u, in);
  return in;
}

// The patch state before the emulator starts (the between-runs mix of GeneratorOptions).
void DrawPatchState(const GeneratorOptions& o, Draw& u, PatchSpec& p) {
  double x = u();
  double days = 1 + 13 * u();
  p.last_operation = "Install";
  p.last_reboot_option = "RebootIfNeeded";
  if (x < o.never_scanned_fraction) {
    p.last_operation = "never";
  } else if (x < o.never_scanned_fraction + o.stale_fraction) {
    days = 31 + 149 * u();
  } else if (x < o.never_scanned_fraction + o.stale_fraction + o.reboot_debt_fraction) {
    p.last_reboot_option = "NoReboot";
    p.installed_pending_reboot = 1 + static_cast<int>(20 * u()) % 20;
  }
  p.last_operation_days_ago = days;
}

// The k-th old backup AMI of the fleet (see GeneratorOptions::old_backups).
ImageSpec OldBackup(const InstanceSpec& in, int k, int j, Draw& u) {
  ImageSpec img;
  img.id = fmt::format("ami-0b{:015x}", static_cast<uint64_t>(k));
  img.account_id = in.account_id;
  img.region = in.region;
  img.created_days_ago = 37 + 7 * j;
  std::string run = fmt::format("gen-run-{:04}", j);
  img.name = fmt::format("fleetpatch-{}-{}", in.id, run);
  img.description = "fleetpatch backup of " + in.id;
  img.source_instance_id = in.id;
  img.platform = in.platform;
  img.tags = {{"fleetpatch:created-by", "fleetpatch"},
              {"fleetpatch:run-id", run},
              {"fleetpatch:instance-id", in.id},
              {"fleetpatch:backup-name", img.name}};
  std::map<std::string, std::string> snap_tags = {{"fleetpatch:created-by", "fleetpatch"},
                                                  {"fleetpatch:run-id", run}};
  SnapshotSpec root;
  root.id = fmt::format("snap-0b{:015x}", static_cast<uint64_t>(k));
  root.device = in.platform == "windows" ? "/dev/sda1" : "/dev/xvda";
  root.size_gb = in.platform == "windows" ? 30 : 8;
  root.tags = snap_tags;
  img.snapshots.push_back(root);
  if (u() < 0.25) {
    SnapshotSpec data;
    data.id = fmt::format("snap-0c{:015x}", static_cast<uint64_t>(k));
    data.device = "/dev/sdf";
    data.size_gb = 20;
    data.tags = snap_tags;
    img.snapshots.push_back(data);
  }
  return img;
}

void AddBetweenRuns(const GeneratorOptions& o, Fleet& fleet) {
  Draw u{std::mt19937_64(o.seed ^ 0x9e3779b97f4a7c15ULL)};
  if (o.never_scanned_fraction > 0 || o.stale_fraction > 0 || o.reboot_debt_fraction > 0) {
    for (auto& in : fleet.instances) DrawPatchState(o, u, in.patch);
  }
  const int n = static_cast<int>(fleet.instances.size());
  fleet.images.reserve(std::max(0, o.old_backups));
  for (int k = 0; n > 0 && k < o.old_backups; ++k)
    fleet.images.push_back(OldBackup(fleet.instances[k % n], k, k / n, u));
}

Result<double> Fraction(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= 0 && v <= 1))
    return Error::Config(flag + ": '" + text + "' is not a fraction between 0 and 1");
  return v;
}

Status ApplyPatchStates(const std::string& value, GeneratorOptions* o) {
  const std::map<std::string, double*> kKeys = {{"never", &o->never_scanned_fraction},
                                                {"stale", &o->stale_fraction},
                                                {"reboot", &o->reboot_debt_fraction}};
  for (const auto& piece : Split(value, ',')) {
    auto eq = piece.find('=');
    auto it = kKeys.find(piece.substr(0, eq));
    if (eq == std::string::npos || it == kKeys.end())
      return Error::Config("--patch-states: '" + piece + "' is not never=F, stale=F or reboot=F");
    FP_ASSIGN_OR_RETURN(*it->second, Fraction("--patch-states " + it->first, piece.substr(eq + 1)));
  }
  if (o->never_scanned_fraction + o->stale_fraction + o->reboot_debt_fraction > 1)
    return Error::Config("--patch-states: the fractions add up to more than 1");
  return OkStatus();
}

}  // namespace

Fleet GenerateFleet(const GeneratorOptions& o) {
  Draw u{std::mt19937_64(o.seed)};
  Fleet fleet;
  fleet.accounts = Accounts(o);
  const int zones = static_cast<int>(fleet.accounts.size());
  fleet.instances.reserve(std::max(0, o.instances));
  for (int i = 0; i < o.instances; ++i)
    fleet.instances.push_back(DrawInstance(o, fleet.accounts[i % zones], i, zones, u));
  AddBetweenRuns(o, fleet);
  Status st = ValidateFleet(fleet, "generated fleet");
  if (!st.ok()) {  // a bug in this generator, not an input error
    std::fprintf(stderr, "GenerateFleet: %s\n", st.error().message.c_str());
    std::abort();
  }
  return fleet;
}

Result<bool> ApplyGeneratorFlag(const std::string& flag, const std::string& value, GeneratorOptions* o) {
  if (flag == "--patch-states") {
    FP_RETURN_IF_ERROR(ApplyPatchStates(value, o));
    return true;
  }
  if (flag == "--old-backups") {
    char* end = nullptr;
    long k = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || k < 0 || k > 10000000)
      return Error::Config("--old-backups: '" + value + "' is not a count from 0 to 10000000");
    o->old_backups = static_cast<int>(k);
    return true;
  }
  return false;
}

}  // namespace fleetpatch::emulator
