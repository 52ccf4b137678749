#include "workflow/after_patch.h"

#include <algorithm>

#include "workflow/patch.h"
#include "workflow/rollback_logic.h"

namespace fleetpatch::workflow {
namespace {

// The patch command ran on the instance: its health may have changed.
bool CommandRan(PatchStatus s) {
  return s == PatchStatus::kSuccess || s == PatchStatus::kInstalledPendingReboot ||
         s == PatchStatus::kPartialSuccess || s == PatchStatus::kFailed || s == PatchStatus::kTimedOut;
}

template <class Engine>
void DropDone(std::vector<std::unique_ptr<Engine>>& engines) {
  engines.erase(std::remove_if(engines.begin(), engines.end(), [](const auto& e) { return e->Done(); }),
                engines.end());
}

}  // namespace

ZoneAfterPatch::ZoneAfterPatch(const ZoneContext& ctx) : ctx_(ctx) {}

ZoneAfterPatch::~ZoneAfterPatch() = default;

bool ZoneAfterPatch::Take(const InstanceRun& run, PatchStatus status) {
  if (!ctx_.options.postcheck || ctx_.options.dry_run || !CommandRan(status)) return false;
  Taken t{run, PatchFailed(status)};
  t.run.patch = PatchResult{};
  t.run.patch->status = status;
  t.run.precheck.reset();  // ready, or it was not patched: the thresholds alone are the "before"
  new_.push_back(t.run);
  taken_[run.info.instance_id] = std::move(t);
  return true;
}

std::vector<AfterPatchEnd> ZoneAfterPatch::TakeEnded() { return std::exchange(ended_, {}); }

bool ZoneAfterPatch::Idle() const { return new_.empty() && checks_.empty() && rollbacks_.empty(); }

std::optional<SteadyTime> ZoneAfterPatch::NextCheck() const {
  if (!new_.empty()) return ctx_.clock().SteadyNow();
  std::optional<SteadyTime> due;
  for (const auto& c : checks_) due = Earlier(due, c->NextCheck());
  for (const auto& r : rollbacks_) due = Earlier(due, r->NextCheck());
  return due;
}

Status ZoneAfterPatch::Step() {
  if (!new_.empty()) checks_.push_back(std::make_unique<ZonePostcheck>(ctx_, std::exchange(new_, {})));
  Status checked = StepChecks();
  Status rolled = StepRollbacks();
  return checked.ok() ? rolled : checked;
}

// Each verdict ends the instance, or (patch.rollback: auto) hands it to a rollback.
Status ZoneAfterPatch::StepChecks() {
  Status out = OkStatus();
  std::vector<std::pair<InstanceRun, std::string>> rollback;
  for (auto& c : checks_) {
    Status st = c->Step();
    if (!st.ok() && out.ok()) out = st;
    for (const auto& [id, verdict] : c->TakeEnded()) CheckEnded(id, verdict, &rollback);
  }
  DropDone(checks_);
  if (!rollback.empty())
    rollbacks_.push_back(std::make_unique<ZoneRollback>(ctx_, std::move(rollback), true));
  return out;
}

void ZoneAfterPatch::CheckEnded(const std::string& id, const PostcheckResult& verdict,
                                std::vector<std::pair<InstanceRun, std::string>>* rollback) {
  Taken& t = taken_.at(id);
  t.run.postcheck = verdict;
  if (ctx_.options.rollback == "auto") {
    if (std::string need = RollbackNeed(t.run); !need.empty()) {
      rollback->emplace_back(t.run, std::move(need));
      return;
    }
  }
  ended_.push_back(
      {id, t.patch_failed || verdict.status != PostcheckStatus::kHealthy, verdict, std::nullopt});
  taken_.erase(id);
}

// A rollback counts against the error budget, whatever its end.
Status ZoneAfterPatch::StepRollbacks() {
  Status out = OkStatus();
  for (auto& r : rollbacks_) {
    Status st = r->Step();
    if (!st.ok() && out.ok()) out = st;
    for (const auto& [id, result] : r->TakeEnded()) {
      ended_.push_back({id, true, taken_.at(id).run.postcheck, result});
      taken_.erase(id);
    }
  }
  DropDone(rollbacks_);
  return out;
}

}  // namespace fleetpatch::workflow
