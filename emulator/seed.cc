// The zones' starting resources besides instances: Auto Scaling groups, AMIs and snapshots that
// exist before the emulator starts (old fleetpatch backups for prune), and SNS topics.
#include <cmath>

#include "emulator/emulator_impl.h"

namespace fleetpatch::emulator {
namespace {

Snapshot MakeSnapshot(const SnapshotSpec& s, const std::string& owner, double created) {
  Snapshot snap;
  snap.id = s.id;
  snap.volume_id = s.volume_id.empty() ? "vol-ffffffff" : s.volume_id;
  snap.owner_id = owner;
  snap.description = s.description;
  snap.size_gb = s.size_gb;
  snap.started = snap.ready = created;
  snap.tags = s.tags;
  return snap;
}

void SeedImage(Zone& z, const ImageSpec& spec) {
  Image img;
  img.id = spec.id;
  img.name = spec.name;
  img.description = spec.description;
  img.instance_id = spec.source_instance_id;
  img.owner_id = spec.owner_id;
  img.is_public = spec.is_public;
  img.platform = spec.platform;
  img.created = img.ready = -86400 * spec.created_days_ago;
  img.fails = spec.state == "failed";
  img.tags = spec.tags;
  for (const auto& s : spec.snapshots) {
    Snapshot snap = MakeSnapshot(s, spec.owner_id, img.created);
    if (snap.description.empty()) snap.description = "Created by CreateImage for " + spec.id;
    snap.image_id = spec.id;
    z.snapshots[snap.id] = snap;
    img.devices.push_back({s.device, s.id, s.size_gb});
  }
  z.images[img.id] = img;
}

}  // namespace

void SeedZones(Emulator::Impl& im) {
  for (const auto& g : im.fleet.auto_scaling_groups) {
    AutoScalingGroup group;
    group.spec = &g;
    group.desired = g.desired_capacity;
    for (const auto& p : g.suspended_processes) group.suspended[p] = "User suspended at emulator start";
    im.ZoneFor(g.account_id, g.region).groups[g.name] = group;
  }
  for (const auto& img : im.fleet.images) SeedImage(im.ZoneFor(img.account_id, img.region), img);
  for (const auto& s : im.fleet.snapshots)
    im.ZoneFor(s.account_id, s.region).snapshots[s.id] =
        MakeSnapshot(s, s.account_id, -86400 * s.created_days_ago);
  for (const auto& t : im.fleet.sns_topics) im.ZoneFor(t.account_id, t.region).sns_topics.push_back(t.name);
}

}  // namespace fleetpatch::emulator
