// What every phase needs to work on one landing zone (options, the zone's API, the run's result
// sink, the cancellation token), and the small helpers the phase files share: error -> report
// problem, SSM invocation status classes, batching (when in-flight work is next checked is
// poll_schedule.h). Not thread-safe by itself: a ZoneContext belongs to the one thread working its
// zone.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/chunks.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/run_model.h"
#include "workflow/cancel_token.h"
#include "workflow/poll_schedule.h"
#include "workflow/result_sink.h"
#include "workflow/workflow.h"
#include "workflow/zone_api.h"

namespace fleetpatch::workflow {

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

// The earlier of two optional moments.
inline std::optional<SteadyTime> Earlier(std::optional<SteadyTime> a, std::optional<SteadyTime> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace fleetpatch::workflow
