// ZoneAfterPatch: what a full (pipelined) run does with an instance once its patch ended (a
// patch-only run leaves that to `--workflow postcheck` and `fleetpatch rollback`), before the
// instance counts as ended for the rollout (docs/safety.md): its postcheck (workflow.phases.postcheck)
// and, with patch.rollback: auto, its rollback when the patch failed or the postcheck is degraded
// or unreachable. So the next wave starts only once the instances of this one are checked (and, if
// need be, rolled back), and a degraded postcheck or a rollback counts against the error budget.
//
// A patched instance passed its precheck (ready), so the postcheck compares with the thresholds
// alone: every critical service active, status checks ok, agent Online, disks within thresholds.
// Driven by ZonePipeline: Take() when a patch ends, Step() whenever NextCheck() has come.
// Not thread-safe: one zone thread owns it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workflow/postcheck.h"
#include "workflow/rollback.h"
#include "workflow/zone_context.h"

namespace fleetpatch::workflow {

// One instance whose checks (and rollback) ended.
struct AfterPatchEnd {
  std::string instance_id;
  bool counts = false;  // against the error budget: patch failed, postcheck not healthy, or rolled back
  std::optional<PostcheckResult> postcheck;
  std::optional<RollbackResult> rollback;
};

class ZoneAfterPatch {
 public:
  explicit ZoneAfterPatch(const ZoneContext& ctx);
  ~ZoneAfterPatch();

  // Takes `run`, whose patch just ended with `status`, when there is something to do after it (the
  // postcheck is on and the patch command ran on the instance). false: it ends with its patch.
  bool Take(const InstanceRun& run, PatchStatus status);
  // Does what is due now. An error is the zone's; the instances it concerned end (in memory: what
  // the store holds is resumed by the run-wide postcheck and rollback).
  Status Step();
  std::optional<SteadyTime> NextCheck() const;
  bool Idle() const;
  // The instances whose checks (and rollbacks) ended since the last call.
  std::vector<AfterPatchEnd> TakeEnded();

 private:
  struct Taken {
    InstanceRun run;
    bool patch_failed = false;
  };
  Status StepChecks();
  Status StepRollbacks();
  void CheckEnded(const std::string& id, const PostcheckResult& verdict,
                  std::vector<std::pair<InstanceRun, std::string>>* rollback);

  const ZoneContext& ctx_;
  std::vector<InstanceRun> new_;  // taken since the last Step: one postcheck for all of them
  std::map<std::string, Taken> taken_;
  std::vector<std::unique_ptr<ZonePostcheck>> checks_;
  std::vector<std::unique_ptr<ZoneRollback>> rollbacks_;
  std::vector<AfterPatchEnd> ended_;
};

}  // namespace fleetpatch::workflow
