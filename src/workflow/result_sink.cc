#include "workflow/result_sink.h"

namespace fleetpatch::workflow {
namespace {

constexpr size_t kBatch = 50;  // results per store transaction

}  // namespace

ResultSink::ResultSink(state::StateStore& store, std::string run_id, Clock& clock, Progress::Options progress)
    : store_(store), run_id_(std::move(run_id)), clock_(clock), progress_options_(progress) {}

ResultSink::~ResultSink() = default;

void ResultSink::Open(Phase phase, int64_t total) {
  std::lock_guard<std::mutex> lock(mu_);
  summaries_[phase] = PhaseSummary{};
  summaries_[phase].phase = phase;
  progress_[phase] = std::make_unique<Progress>(PhaseName(phase), total, progress_options_, clock_);
}

Status ResultSink::Saved(Phase phase, Kind kind, Mode mode, size_t buffered) {
  if (mode == Mode::kCount && kind != Kind::kOpen) {
    PhaseSummary& s = summaries_[phase];
    Progress* p = progress_.count(phase) ? progress_[phase].get() : nullptr;
    switch (kind) {
      case Kind::kOk:
        ++s.succeeded;
        if (p) p->Done();
        break;
      case Kind::kFailed:
        ++s.failed;
        if (p) p->Done(Progress::Outcome::kFailed);
        break;
      default:
        ++s.skipped;
        if (p) p->Done(Progress::Outcome::kSkipped);
    }
  }
  return buffered >= kBatch ? FlushLocked() : OkStatus();
}

Status ResultSink::Backup(const std::string& zone, const std::string& id, const BackupResult& r, Mode mode) {
  Kind kind = Kind::kFailed;
  switch (r.status) {
    case BackupStatus::kPending:
      kind = Kind::kOpen;
      break;
    case BackupStatus::kAvailable:
      kind = Kind::kOk;
      break;
    case BackupStatus::kSkipped:
    case BackupStatus::kDisabled:
      kind = Kind::kSkipped;
      break;
    default:
      break;
  }
  if (kind == Kind::kFailed && mode == Mode::kCount) {
    Journal("error", zone, id, Phase::kBackup,
            "backup " + std::string(BackupStatusName(r.status)) + ": " + r.error.message);
  }
  std::lock_guard<std::mutex> lock(mu_);
  backups_.push_back({zone, id, r});
  return Saved(Phase::kBackup, kind, mode, backups_.size());
}

Status ResultSink::Precheck(const std::string& zone, const std::string& id, const PrecheckResult& r,
                            Mode mode) {
  Kind kind = r.status == PrecheckStatus::kReady     ? Kind::kOk
              : r.status == PrecheckStatus::kSkipped ? Kind::kSkipped
                                                     : Kind::kFailed;
  std::lock_guard<std::mutex> lock(mu_);
  prechecks_.push_back({zone, id, r});
  return Saved(Phase::kPrecheck, kind, mode, prechecks_.size());
}

Status ResultSink::Patch(const std::string& zone, const std::string& id, const PatchResult& r, Mode mode) {
  Kind kind = Kind::kFailed;
  switch (r.status) {
    case PatchStatus::kPending:
    case PatchStatus::kInProgress:
      kind = Kind::kOpen;
      break;
    case PatchStatus::kSuccess:
    case PatchStatus::kPartialSuccess:
    case PatchStatus::kInstalledPendingReboot:
      kind = Kind::kOk;
      break;
    case PatchStatus::kSkipped:
      kind = Kind::kSkipped;
      break;
    default:
      break;
  }
  if (kind == Kind::kFailed && mode == Mode::kCount) {
    Journal("error", zone, id, Phase::kPatch,
            std::string("patch ") + PatchStatusName(r.status) + ": " + r.reason + " " + r.error.message);
  }
  std::lock_guard<std::mutex> lock(mu_);
  patches_.push_back({zone, id, r});
  return Saved(Phase::kPatch, kind, mode, patches_.size());
}

Status ResultSink::FlushLocked() {
  Status st = OkStatus();
  if (!backups_.empty()) st = store_.SaveBackups(run_id_, backups_);
  backups_.clear();
  if (st.ok() && !prechecks_.empty()) st = store_.SavePrechecks(run_id_, prechecks_);
  prechecks_.clear();
  if (st.ok() && !patches_.empty()) st = store_.SavePatches(run_id_, patches_);
  patches_.clear();
  return st;
}

Status ResultSink::Standby(const std::string& zone, const std::string& instance_id, const StandbyResult& r) {
  return store_.SaveStandbys(run_id_, {{zone, instance_id, r}});
}

Status ResultSink::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  return FlushLocked();
}

void ResultSink::Skipped(Phase phase, int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  summaries_[phase].skipped += n;
  if (progress_.count(phase)) progress_[phase]->Done(Progress::Outcome::kSkipped, n);
}

void ResultSink::Tick(Phase phase, Progress::Outcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  if (progress_.count(phase)) progress_[phase]->Done(outcome);
}

void ResultSink::ZoneError(Phase phase, const Error& e) {
  std::lock_guard<std::mutex> lock(mu_);
  summaries_[phase].zone_errors.push_back(e);
}

void ResultSink::Journal(const std::string& level, const std::string& zone, const std::string& instance_id,
                         Phase phase, const std::string& message) {
  Event e;
  e.level = level;
  e.zone = zone;
  e.instance_id = instance_id;
  e.phase = PhaseName(phase);
  e.message = message;
  (void)store_.AppendEvent(run_id_, e);  // best effort: the results are saved separately
}

void ResultSink::Plan(std::string line) {
  std::lock_guard<std::mutex> lock(mu_);
  plan_.push_back(std::move(line));
}

std::vector<std::string> ResultSink::PlanLines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return plan_;
}

PhaseSummary ResultSink::Summary(Phase phase) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = summaries_.find(phase);
  if (it != summaries_.end()) return it->second;
  PhaseSummary s;
  s.phase = phase;
  return s;
}

PhaseSummary ResultSink::Close(Phase phase) {
  std::lock_guard<std::mutex> lock(mu_);
  if (progress_.count(phase)) progress_[phase]->Finish();
  PhaseSummary s = summaries_[phase];
  s.phase = phase;
  return s;
}

Status ResultSink::Postcheck(const std::string& zone, const std::string& id, const PostcheckResult& r) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.SavePostcheck(run_id_, zone, id, r);
}

Status ResultSink::Rollback(const std::string& zone, const std::string& id, const RollbackResult& r) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.SaveRollback(run_id_, zone, id, r);
}

}  // namespace fleetpatch::workflow
