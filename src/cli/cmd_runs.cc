// `fleetpatch runs [--limit N] [--state PATH] [--output json]`: the recorded runs, newest first.
// Read-only: the store is opened without migrating or locking, so it works during a running workflow.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/store_access.h"
#include "common/json_dump.h"
#include "common/strings.h"

namespace fleetpatch::cli {
namespace {

// The phases as "scan,backup", or "-" for none.
std::string PhaseList(const std::vector<std::string>& phases) {
  return phases.empty() ? "-" : Join(phases, ",");
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

}  // namespace

Result<int> RunRunsCommand(const Options& options, Context& ctx) {
  FP_ASSIGN_OR_RETURN(std::string path, StatePathFor(options, ctx.env));
  FP_ASSIGN_OR_RETURN(auto store, OpenStoreReadOnly(path, DefaultClock()));
  FP_ASSIGN_OR_RETURN(std::vector<RunInfo> runs, store->ListRuns(options.runs_limit));

  struct Row {
    const RunInfo* run;
    int64_t instances;
  };
  std::vector<Row> rows;
  for (const auto& r : runs) {
    FP_ASSIGN_OR_RETURN(auto counts, store->CountByStatus(r.run_id, Phase::kScan));
    int64_t n = 0;
    for (const auto& [status, c] : counts) n += c;
    rows.push_back({&r, n});
  }

  if (options.output == OutputFormat::kJson) {
    nlohmann::json j;
    j["state"] = DisplayLocation(path);
    j["runs"] = nlohmann::json::array();
    for (const auto& row : rows) {
      const RunInfo& r = *row.run;
      j["runs"].push_back({{"run_id", r.run_id},
                           {"created_at", r.created_at},
                           {"updated_at", r.updated_at},
                           {"workflow", r.workflow},
                           {"status", RunStatusName(r.status)},
                           {"dry_run", r.dry_run},
                           {"phases_completed", r.phases_completed},
                           {"instances", row.instances},
                           {"user", r.user},
                           {"host", r.host}});
    }
    *ctx.out << DumpJson(j, 2) << "\n";
    return 0;
  }
  if (rows.empty()) {
    *ctx.out << "No runs recorded in " << DisplayLocation(path) << ".\n";
    return 0;
  }
  std::ostream& out = *ctx.out;
  out << Pad("RUN", 24) << Pad("CREATED", 22) << Pad("WORKFLOW", 10) << Pad("STATUS", 25) << Pad("PHASES", 25)
      << Pad("INSTANCES", 10) << "BY\n";
  for (const auto& row : rows) {
    const RunInfo& r = *row.run;
    std::string status = RunStatusName(r.status);
    if (r.dry_run) status += " (dry)";
    out << Pad(r.run_id, 24) << Pad(r.created_at, 22) << Pad(r.workflow, 10) << Pad(status, 25)
        << Pad(PhaseList(r.phases_completed), 25) << Pad(std::to_string(row.instances), 10) << r.user << "@"
        << r.host << "\n";
  }
  if (static_cast<int>(rows.size()) == options.runs_limit) {
    out << "(the newest " << rows.size() << "; --limit N shows more)\n";
  }
  return 0;
}

}  // namespace fleetpatch::cli
