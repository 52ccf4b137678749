// RunSource: where a report reads its run from, one instance at a time, so that writing the
// reports of a 100,000-instance run holds no more than a batch of instances in memory.
//
// - SnapshotSource: over a RunSnapshot already in memory (tests, small tools).
// - StoreSource: over the state store; the run and its landing zones (small) are read once, the
//   instances and events are read in bounded batches (StateStore::ForEachInstance) on every pass.
//   Each pass reads one snapshot of the store; to make several passes (the summary, then each
//   format) agree while another process writes the run, run them all inside
//   StateStore::ReadConsistently (WriteStoreReports does).
//
// A pass may fail (the store can); every method returns the first error and stops.
// Thread-safety: sources are read-only after construction; StoreSource calls the store, which is
// thread-safe, but one pass should run at a time per source (passes are sequential in practice).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/run_model.h"
#include "state/state_store.h"

namespace fleetpatch::report {

class RunSource {
 public:
  using InstanceFn = std::function<Status(const InstanceRun&)>;
  using EventFn = std::function<Status(const Event&)>;

  virtual ~RunSource() = default;
  virtual const RunInfo& run() const = 0;
  // The run's landing zones in first-save order.
  virtual const std::vector<LandingZoneInfo>& zones() const = 0;
  // Every instance, or only those of landing zone `zone` when it is not empty, in first-save order.
  virtual Status ForEachInstance(const std::string& zone, const InstanceFn& fn) const = 0;
  // The run's events in order.
  virtual Status ForEachEvent(const EventFn& fn) const = 0;
};

class SnapshotSource final : public RunSource {
 public:
  // The snapshot is referenced, not copied: it must outlive the source.
  explicit SnapshotSource(const RunSnapshot& snapshot) : snap_(snapshot) {}
  explicit SnapshotSource(RunSnapshot&&) = delete;
  const RunInfo& run() const override { return snap_.run; }
  const std::vector<LandingZoneInfo>& zones() const override { return snap_.zones; }
  Status ForEachInstance(const std::string& zone, const InstanceFn& fn) const override;
  Status ForEachEvent(const EventFn& fn) const override;

 private:
  const RunSnapshot& snap_;
};

// How many instances a StoreSource reads at once: each can carry a few KiB (precheck findings and
// up to 4000 characters of output), so 256 keep a batch around a MiB.
inline constexpr size_t kDefaultReportBatch = 256;

class StoreSource final : public RunSource {
 public:
  // Reads the run and its zones; kNotFound when the run does not exist. The store must outlive
  // the source.
  static Result<std::unique_ptr<StoreSource>> Open(state::StateStore& store, const std::string& run_id,
                                                   size_t batch_size = kDefaultReportBatch);
  const RunInfo& run() const override { return run_; }
  const std::vector<LandingZoneInfo>& zones() const override { return zones_; }
  Status ForEachInstance(const std::string& zone, const InstanceFn& fn) const override;
  Status ForEachEvent(const EventFn& fn) const override;
  // Replaces the run's status as the reports show it (the run engine decides it after the summary
  // pass and writes it to the store before the reports).
  void SetRunStatus(RunStatus status) { run_.status = status; }

 private:
  StoreSource(state::StateStore& store, RunInfo run, std::vector<LandingZoneInfo> zones, size_t batch_size)
      : store_(store), run_(std::move(run)), zones_(std::move(zones)), batch_size_(batch_size) {}
  state::StateStore& store_;
  RunInfo run_;
  std::vector<LandingZoneInfo> zones_;
  size_t batch_size_;
};

}  // namespace fleetpatch::report
