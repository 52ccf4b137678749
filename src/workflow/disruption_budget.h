// DisruptionBudget: how many instances of one group may be unavailable (in Standby, patching,
// rebooting, in postcheck or rollback) at the same time, per `patch.max_unavailable` (a count or a
// percentage of the group). Groups are each Auto Scaling group (per account and region) and each
// value of the configured tag keys (e.g. App=web), counted across every zone and account of the
// run. No wave ever takes more than the limit of one group down at once: an instance starts only
// when every group it belongs to has room, and gives its places back when it is done.
// A percentage is rounded down but never below 1, so every group can make progress.
// Thread-safety: all methods lock; one budget is shared by every zone worker of a run.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"

namespace fleetpatch::workflow {

struct BudgetMember {
  std::string instance_id;
  std::string account_id;
  std::string region;
  std::string auto_scaling_group;  // "" when in no group
  std::map<std::string, std::string> tags;
};

class DisruptionBudget {
 public:
  // `members`: every instance of the run (eligible or not: a percentage is of the whole group).
  // `tag_keys`: the tags that form groups. An instance without one of these tags is in no group
  // for that key.
  DisruptionBudget(const CountOrPercent& max_unavailable, const std::vector<std::string>& tag_keys,
                   const std::vector<BudgetMember>& members);

  // Takes a place in each of the instance's groups and returns true, or takes none and returns
  // false when one of them is full. An instance in no group always fits. Taking twice is a no-op.
  bool TryAcquire(const std::string& instance_id);
  // Gives the instance's places back (no-op when it holds none).
  void Release(const std::string& instance_id);
  // From `candidates` (in order), acquires up to `max_count` that fit; returns them in order.
  std::vector<std::string> SelectWave(const std::vector<std::string>& candidates, size_t max_count);

  // The groups of an instance ("asg:<account>/<region>/<name>", "tag:<key>=<value>") and a group's
  // limit; for reports and tests.
  std::vector<std::string> GroupsOf(const std::string& instance_id) const;
  int64_t LimitOf(const std::string& group) const;
  // Why `instance_id` cannot start now: the first full group and its limit; "" when it fits.
  std::string BlockedBy(const std::string& instance_id) const;

 private:
  std::string FullGroupLocked(const std::string& instance_id) const;

  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::string>> groups_of_;  // instance -> groups
  std::map<std::string, int64_t> limit_;                       // group -> max unavailable
  std::map<std::string, int64_t> in_use_;                      // group -> unavailable now
  std::set<std::string> holding_;                              // instances holding places
};

}  // namespace fleetpatch::workflow
