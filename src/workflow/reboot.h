// The reboot wait of one landing zone: after a patch command with RebootIfNeeded ended and was
// verified, the instance must be back (SSM agent Online, both EC2 status checks ok) within
// `reboot_timeout` of the command's end; otherwise its patch is failed with what was still
// missing (reboot_wait.h decides). Polled with one DescribeInstanceInformation and one
// DescribeInstanceStatus per check for every instance waiting in the zone: the first check
// `first_poll.reboot` after a batch was added (poll_schedule.h), the next ones at doubling waits.
//
// State transitions (docs/pipeline.md): the patch stays recorded in_progress while the instance is
// waited for (a crash resumes by watching the command again, then waiting again), and ends with its
// verdict (back) or failed (not back). Fed and drained by ZonePatch.
// Not thread-safe: one zone thread owns it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workflow/zone_context.h"

namespace fleetpatch::workflow {

// Whether a verified patch verdict `p` has to wait for the instance to come back: RebootIfNeeded,
// an Install that ended without failing (success, partial_success).
bool NeedsRebootWait(const WorkflowOptions& options, const PatchResult& p);

class ZoneReboot {
 public:
  explicit ZoneReboot(const ZoneContext& ctx);

  // Waits for `r` whose patch command ended at `command_ended` (seen ending at `seen_ended`: its
  // first check is first_poll.reboot after that, or at once when that has passed), with the verdict
  // `p`.
  void Add(InstanceRun r, PatchResult p, std::chrono::system_clock::time_point command_ended,
           SteadyTime seen_ended);
  // Checks the waiting instances when due. A failed call is retried at the next check while the
  // deadline allows (the wait is then decided on the last answer). Does nothing once cancelled.
  Status Step();
  std::optional<SteadyTime> NextCheck() const;
  bool Idle() const { return waiting_.empty(); }
  // The instances whose wait ended since the last call, with their final patch result.
  std::vector<std::pair<InstanceRun, PatchResult>> TakeEnded() { return std::exchange(ended_, {}); }

 private:
  struct Waiting {
    InstanceRun run;
    PatchResult result;
    std::chrono::system_clock::time_point command_ended;
  };
  Status Check();

  const ZoneContext& ctx_;
  std::vector<Waiting> waiting_;
  PollSchedule poll_;
  std::vector<std::pair<InstanceRun, PatchResult>> ended_;
};

}  // namespace fleetpatch::workflow
