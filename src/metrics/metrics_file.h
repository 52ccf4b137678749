// MetricsFile: the run's metrics in the Prometheus text exposition format, for node_exporter's
// textfile collector (`--metrics-file PATH`). It is a RunObserver (instances per phase and
// outcome, phase durations, run status) and an AWS attempt observer (calls and throttles per
// operation). The file is rewritten at the run's start, at each phase end, at most every
// `min_interval` while AWS calls are made, and at the end; each write goes to a temporary file in
// the same directory and is renamed over PATH, so a scrape never sees half a file.
// fleetpatch_last_success_timestamp_seconds survives runs that fail: it is carried over from the
// previous file at PATH.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "aws/service_client.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/run_events.h"

namespace fleetpatch::metrics {

class MetricsFile final : public RunObserver {
 public:
  // Reads the previous file at `path` (if any) for the last success timestamp. Writes nothing yet.
  MetricsFile(std::string path, Clock& clock, std::chrono::seconds min_interval = std::chrono::seconds(15));

  void OnRunStarted(const RunStarted& e) override;
  void OnPhaseEnded(const PhaseEnded& e) override;
  void OnRunFinished(const RunFinished& e) override;
  // Counts one HTTP attempt; may rewrite the file (at most every min_interval).
  void OnAttempt(const aws::AttemptRecord& record);

  // The exposition text as it would be written now.
  std::string Render() const;
  // Writes the file now. kInternal naming the path and errno on failure. The observer methods
  // call it and log a warning (once) instead of failing the run; this is for callers and tests.
  Status Write();

 private:
  struct OpCounts {
    int64_t calls = 0;
    int64_t attempts = 0;
    int64_t throttles = 0;
  };
  std::string RenderLocked() const;
  Status WriteLocked();
  void WriteOrWarnLocked();

  const std::string path_;
  Clock& clock_;
  const std::chrono::seconds min_interval_;
  mutable std::mutex mu_;
  std::string run_id_;
  std::optional<std::chrono::system_clock::time_point> started_;
  std::map<Phase, PhaseCounts> instances_;
  std::map<Phase, double> durations_s_;
  std::map<std::string, OpCounts> ops_;
  std::optional<RunStatus> status_;
  int exit_code_ = 0;
  std::optional<double> last_success_s_;
  std::chrono::steady_clock::time_point last_write_{};
  bool warned_ = false;
};

// Label values escaped as the text format wants (backslash, double quote, newline).
std::string EscapeLabelValue(const std::string& value);

}  // namespace fleetpatch::metrics
