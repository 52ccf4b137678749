// What every phase needs to work on one landing zone (options, the zone's API, the run's result
// sink, the cancellation token), and the small helpers the phase files share: error -> report
// problem, SSM invocation status classes, batching, and PollSchedule (when in-flight work is next
// checked). Not thread-safe by itself: a ZoneContext belongs to the one thread working its zone.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/run_model.h"
#include "workflow/cancel_token.h"
#include "workflow/result_sink.h"
#include "workflow/workflow.h"
#include "workflow/zone_api.h"

namespace fleetpatch::workflow {

using SteadyTime = std::chrono::steady_clock::time_point;

struct ZoneContext {
  const WorkflowOptions& options;
  const ZoneSpec& zone;
  ZoneApi& api;
  ResultSink& sink;
  const CancelToken& cancel;
  std::chrono::system_clock::time_point run_start;  // the run's creation (stable AMI names)

  const std::string& name() const { return zone.info.name; }
  const std::string& run_id() const { return sink.run_id(); }
  Clock& clock() const { return sink.clock(); }
  std::string Now() const { return FormatIso8601(clock().Now()); }
};

inline constexpr size_t kSsmBatch = 50;  // SendCommand / DescribeInstancePatchStates cap

// A problem as reports show it; an error without an AWS code gets one named after its category.
ProblemInfo ToProblem(const Error& e, std::string code = "");
// Names the landing zone in a zone-level error.
Error InZone(Error e, const std::string& zone);
// An SSM invocation status that will not change any more.
bool TerminalInvocation(const std::string& status);
// An invocation status (or StatusDetails) that says the agent never got the command.
bool Undelivered(const std::string& status);

template <class T>
std::vector<std::vector<T>> Chunks(const std::vector<T>& v, size_t n) {
  std::vector<std::vector<T>> out;
  for (size_t i = 0; i < v.size(); i += n)
    out.emplace_back(v.begin() + i, v.begin() + std::min(v.size(), i + n));
  return out;
}

// When a zone's in-flight items of one kind (AMIs, commands) are next checked: an item started at t
// is first checked at t + first (the first moment it can have finished; at most the poll
// interval), and every check is followed by the next one poll_interval later. A check covers every
// item in flight (one batched call), so items started between checks add no calls of their own
// unless their first moment comes before the next regular check.
class PollSchedule {
 public:
  PollSchedule(std::chrono::nanoseconds first, std::chrono::nanoseconds interval)
      : first_(std::min(first, interval)), interval_(interval) {}
  void Started(SteadyTime t) { Earliest(t + first_); }
  void Checked(SteadyTime t) { due_ = t + interval_; }
  void Idle() { due_.reset(); }  // nothing in flight
  // The next check, or nullopt when nothing is in flight.
  std::optional<SteadyTime> Due() const { return due_; }
  bool DueBy(SteadyTime now) const { return due_ && *due_ <= now; }
  // At most `t` (a deadline that needs a look, e.g. the SSM connection timeout).
  void Earliest(SteadyTime t) {
    if (!due_ || t < *due_) due_ = t;
  }

 private:
  std::chrono::nanoseconds first_, interval_;
  std::optional<SteadyTime> due_;
};

// The earlier of two optional moments.
inline std::optional<SteadyTime> Earlier(std::optional<SteadyTime> a, std::optional<SteadyTime> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace fleetpatch::workflow
