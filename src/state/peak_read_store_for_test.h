// PeakReadStore: a StateStore that forwards every call to another one and records the most
// instance records one read handed over at once (QueryInstances, LoadInstances, LoadSnapshot, one
// ForEachInstance batch). A test gives a pass over a run of more than a batch and checks that the
// pass streamed the run instead of loading it whole: the memory a pass needs, without measuring it.
// Tests only. Thread-safety: as the wrapped store (the peak is an atomic).
#pragma once

#include <atomic>
#include <cstddef>

#include "state/state_store.h"

namespace fleetpatch::state {

class PeakReadStore final : public StateStore {
 public:
  // `inner` must outlive this store.
  explicit PeakReadStore(StateStore& inner) : inner_(inner) {}

  // The most instance records one read returned since construction or the last ResetPeak().
  size_t largest_read() const { return largest_; }
  void ResetPeak() { largest_ = 0; }

  Status CreateRun(const RunInfo& run) override { return inner_.CreateRun(run); }
  Status UpdateRunStatus(const std::string& run_id, RunStatus status) override {
    return inner_.UpdateRunStatus(run_id, status);
  }
  Status MarkPhaseCompleted(const std::string& run_id, Phase phase) override {
    return inner_.MarkPhaseCompleted(run_id, phase);
  }
  Result<RunInfo> GetRun(const std::string& run_id) override { return inner_.GetRun(run_id); }
  Result<RunInfo> LatestRun() override { return inner_.LatestRun(); }
  Result<std::vector<RunInfo>> ListRuns(int limit) override { return inner_.ListRuns(limit); }

  Status SaveZones(const std::string& run_id, const std::vector<LandingZoneInfo>& zones) override {
    return inner_.SaveZones(run_id, zones);
  }
  Result<std::vector<LandingZoneInfo>> LoadZones(const std::string& run_id) override {
    return inner_.LoadZones(run_id);
  }
  Status SaveInstances(const std::string& run_id, const std::vector<InstanceInfo>& instances) override {
    return inner_.SaveInstances(run_id, instances);
  }
  Result<std::vector<InstanceInfo>> LoadInstances(const std::string& run_id) override {
    return Seen(inner_.LoadInstances(run_id));
  }

  Status SaveBackups(const std::string& run_id, const std::vector<BackupUpdate>& r) override {
    return inner_.SaveBackups(run_id, r);
  }
  Status SavePrechecks(const std::string& run_id, const std::vector<PrecheckUpdate>& r) override {
    return inner_.SavePrechecks(run_id, r);
  }
  Status SavePatches(const std::string& run_id, const std::vector<PatchUpdate>& r) override {
    return inner_.SavePatches(run_id, r);
  }
  Status SaveStandbys(const std::string& run_id, const std::vector<StandbyUpdate>& r) override {
    return inner_.SaveStandbys(run_id, r);
  }
  Status SavePostchecks(const std::string& run_id, const std::vector<PostcheckUpdate>& r) override {
    return inner_.SavePostchecks(run_id, r);
  }
  Status SaveRollbacks(const std::string& run_id, const std::vector<RollbackUpdate>& r) override {
    return inner_.SaveRollbacks(run_id, r);
  }

  Result<std::vector<InstanceRun>> QueryInstances(const std::string& run_id,
                                                  const InstanceQuery& q) override {
    return Seen(inner_.QueryInstances(run_id, q));
  }
  Result<std::map<std::string, int64_t>> CountByStatus(const std::string& run_id, Phase phase) override {
    return inner_.CountByStatus(run_id, phase);
  }
  Result<RunSnapshot> LoadSnapshot(const std::string& run_id) override {
    auto s = inner_.LoadSnapshot(run_id);
    if (s.ok()) Note(s->instances.size());
    return s;
  }
  Status ForEachInstance(const std::string& run_id, const InstanceQuery& q, size_t batch_size,
                         const std::function<Status(std::vector<InstanceRun>&&)>& fn) override {
    return inner_.ForEachInstance(run_id, q, batch_size, [&](std::vector<InstanceRun>&& batch) {
      Note(batch.size());
      return fn(std::move(batch));
    });
  }
  Status ForEachEvent(const std::string& run_id, size_t batch_size,
                      const std::function<Status(std::vector<Event>&&)>& fn) override {
    return inner_.ForEachEvent(run_id, batch_size, fn);
  }
  Status ReadConsistently(const std::function<Status()>& fn) override { return inner_.ReadConsistently(fn); }

  Result<int64_t> AppendEvent(const std::string& run_id, const Event& event) override {
    return inner_.AppendEvent(run_id, event);
  }
  Status AppendEvents(const std::string& run_id, const std::vector<Event>& events) override {
    return inner_.AppendEvents(run_id, events);
  }
  Result<std::vector<Event>> LoadEvents(const std::string& run_id, int64_t after_seq) override {
    return inner_.LoadEvents(run_id, after_seq);
  }

  Result<std::unique_ptr<RunLock>> AcquireRunLock(const std::string& run_id) override {
    return inner_.AcquireRunLock(run_id);
  }
  Result<std::optional<LockHolder>> GetRunLockHolder(const std::string& run_id) override {
    return inner_.GetRunLockHolder(run_id);
  }
  Status BreakRunLock(const std::string& run_id) override { return inner_.BreakRunLock(run_id); }

  Result<std::optional<ZoneLease>> ClaimZone(const std::string& run_id, const std::string& worker_id,
                                             const std::vector<std::string>& only_zones,
                                             std::chrono::milliseconds ttl) override {
    return inner_.ClaimZone(run_id, worker_id, only_zones, ttl);
  }
  Status RenewZoneLease(ZoneLease* lease, std::chrono::milliseconds ttl) override {
    return inner_.RenewZoneLease(lease, ttl);
  }
  Status ReleaseZone(const ZoneLease& lease, bool done) override { return inner_.ReleaseZone(lease, done); }
  Result<std::vector<ZoneLeaseInfo>> ListZoneLeases(const std::string& run_id) override {
    return inner_.ListZoneLeases(run_id);
  }

  Result<RolloutStatus> StartRollout(const std::string& run_id, const RolloutPolicy& policy) override {
    return inner_.StartRollout(run_id, policy);
  }
  Result<Admission> AdmitToWave(const std::string& run_id, const std::string& zone,
                                const std::string& instance_id) override {
    return inner_.AdmitToWave(run_id, zone, instance_id);
  }
  Result<RolloutStatus> RecordPatchEnd(const std::string& run_id, const std::string& zone,
                                       const std::string& instance_id, bool failed) override {
    return inner_.RecordPatchEnd(run_id, zone, instance_id, failed);
  }
  Result<RolloutStatus> GetRollout(const std::string& run_id) override { return inner_.GetRollout(run_id); }

 private:
  void Note(size_t n) {
    size_t seen = largest_;
    while (n > seen && !largest_.compare_exchange_weak(seen, n)) {
    }
  }
  template <class T>
  Result<std::vector<T>> Seen(Result<std::vector<T>> r) {
    if (r.ok()) Note(r->size());
    return r;
  }

  StateStore& inner_;
  std::atomic<size_t> largest_{0};
};

}  // namespace fleetpatch::state
