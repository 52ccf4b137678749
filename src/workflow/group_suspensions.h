// GroupSuspensions: which Auto Scaling groups a run has suspended (patch.auto_scaling: suspend)
// and which of their members are still to patch, for the whole run. Two landing zones may name one
// account and region (with different tag filters), so one group may have members in several zones:
// it is suspended once, stays suspended until its last member anywhere in the run is over, and is
// resumed once, by the zone that ends that member, which also marks every zone's records of it
// group_resumed. A group is named by GroupKey (account, region, name): the same name in another
// account or region is another group.
//
// A full run shares one (Workflow::Rollout, seeded with every member of the run before any zone
// starts); a zone alone (a `fleetpatch worker`, SettleZoneStandby) has its own, seeded with its own
// members by ZoneAutoScaling::Start.
// Thread-safe: one mutex; the zone threads of a run call it.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/run_model.h"

namespace fleetpatch::workflow {

std::string GroupKey(const std::string& account_id, const std::string& region, const std::string& group);

class GroupSuspensions {
 public:
  // A member's record group_suspended, to be turned group_resumed when its group is resumed.
  struct Record {
    std::string zone;
    std::string instance_id;
    StandbyResult standby;
  };

  // `instance_id` of group `key` is still to patch in this run (no-op when known).
  void Open(const std::string& key, const std::string& instance_id);
  // Its work in this run is over (patched, or it will not be patched).
  void Close(const std::string& key, const std::string& instance_id);
  bool Suspended(const std::string& key) const;
  // The group is suspended (by this run, now or by an earlier attempt); `record` is one of its
  // members' records saying so.
  void Suspend(const std::string& key, Record record);
  // When the group is suspended and none of its members is still open anywhere in the run: takes
  // it (it counts as resumed from now; the caller calls ResumeProcesses) and returns its members'
  // records. Else nullopt.
  std::optional<std::vector<Record>> TakeDone(const std::string& key);
  // ResumeProcesses failed after TakeDone(): the group is suspended again with `records`.
  void Untake(const std::string& key, std::vector<Record> records);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::set<std::string>> open_;     // group -> members still to patch
  std::map<std::string, std::vector<Record>> suspended_;  // group -> its group_suspended records
};

}  // namespace fleetpatch::workflow
