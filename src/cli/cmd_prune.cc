// `fleetpatch prune [--zone NAME ...] [--yes] [--output json]`: plans (default) or deletes the
// expired backup AMIs fleetpatch created, in every enabled landing zone (workflow/prune.h has the
// rules and the trust checks). With --yes the deletion is a "prune" run in the state store, whose
// events are the journal that lets a prune killed half-way be finished by the next one.
// Exit code: a zone error's code when a zone could not be read, else 1 when an image could not be
// deleted, else 0.
#include <mutex>
#include <ostream>

#include "cli/across_zones.h"
#include "cli/aws_stack.h"
#include "cli/run_engine.h"
#include "cli/store_access.h"
#include "common/exit_codes.h"
#include "report/table_report.h"
#include "state/run_id.h"
#include "workflow/prune.h"

namespace fleetpatch::cli {
namespace {

using workflow::PruneAction;
using workflow::PruneDecision;

constexpr int kRunsConsulted = 1000;  // the newest runs whose unfinished state and rollbacks protect AMIs

// Reads the candidate images of every zone: owner self, tagged created-by=fleetpatch.
std::vector<Error> ListImages(workflow::ZoneConnector& connector,
                              const std::vector<workflow::ZoneSpec>& zones, int workers,
                              std::vector<workflow::PruneImage>* out) {
  std::mutex mu;
  return ForEachZoneApi(
      connector, zones, workers, [&](workflow::ZoneApi& api, const workflow::ZoneSpec& z) -> Status {
        FP_ASSIGN_OR_RETURN(auto images, api.DescribeImagesByTag(workflow::kCreatedByTag, "fleetpatch"));
        std::lock_guard<std::mutex> lock(mu);
        for (auto& img : images) out->push_back({z.info.name, z.info.account_id, std::move(img)});
        return OkStatus();
      });
}

// Finishes earlier prunes' intents, then deletes the planned images, zone by zone in parallel.
std::vector<Error> Execute(workflow::ZoneConnector& connector, const std::vector<workflow::ZoneSpec>& zones,
                           int workers, state::StateStore& store, Clock& clock, const std::string& run_id,
                           const workflow::PendingPrune& pending, std::vector<PruneDecision>& plan) {
  workflow::StorePruneJournal journal(store, clock, run_id);
  std::map<std::string, std::vector<PruneDecision*>>
      planned;  // by zone, split before the zones run in parallel
  for (auto& d : plan)
    if (d.action == PruneAction::kDelete) planned[d.candidate.zone].push_back(&d);
  return ForEachZoneApi(connector, zones, workers,
                        [&](workflow::ZoneApi& api, const workflow::ZoneSpec& z) -> Status {
                          for (const auto& intent : pending.intents) {
                            if (intent.zone == z.info.name)
                              FP_RETURN_IF_ERROR(workflow::FinishIntent(api, journal, intent));
                          }
                          workflow::ExecutePrune(api, journal, planned[z.info.name]);
                          return OkStatus();
                        });
}

report::TableSummary ByZone(const std::vector<PruneDecision>& plan) {
  struct Tally {
    int64_t images = 0, planned = 0, deleted = 0, kept = 0, not_ours = 0, failed = 0, gib = 0;
  };
  std::map<std::string, Tally> t;
  for (const auto& d : plan) {
    Tally& z = t[d.candidate.zone];
    ++z.images;
    bool freeing = d.action == PruneAction::kDelete || d.action == PruneAction::kDeleted;
    z.planned += d.action == PruneAction::kDelete;
    z.deleted += d.action == PruneAction::kDeleted || d.action == PruneAction::kAlreadyGone;
    z.kept += d.action == PruneAction::kKeep;
    z.not_ours += d.action == PruneAction::kNotOurs;
    z.failed += d.action == PruneAction::kFailed;
    if (freeing) z.gib += d.candidate.image.size_gib;
  }
  report::TableSummary s{"by_zone",
                         "By landing zone",
                         {{"zone", "Landing zone"},
                          {"images", "Images"},
                          {"to_delete", "To delete"},
                          {"deleted", "Deleted"},
                          {"kept", "Kept"},
                          {"not_ours", "Not fleetpatch's"},
                          {"failed", "Failed"},
                          {"gib", "GiB freed"}},
                         {}};
  for (const auto& [zone, z] : t) {
    s.rows.push_back({{zone, z.images, z.planned, z.deleted, z.kept, z.not_ours, z.failed, z.gib},
                      z.failed ? "deletions failed" : ""});
  }
  return s;
}

report::TableReport PruneReport(const std::vector<PruneDecision>& plan, bool executed,
                                const std::string& now) {
  report::TableReport r;
  r.kind = "prune";
  r.title = executed ? "fleetpatch prune" : "fleetpatch prune (plan)";
  r.generated_at = now;
  r.columns = {{"zone", "Landing zone"},   {"account_id", "Account"},   {"image_id", "AMI"},
               {"name", "Name"},           {"instance_id", "Instance"}, {"run_id", "Run"},
               {"created", "Created"},     {"state", "State"},          {"size_gib", "GiB"},
               {"snapshots", "Snapshots"}, {"action", "Action"},        {"reason", "Reason"}};
  r.name_columns = {0, 2};
  int64_t planned = 0, deleted = 0, gib = 0;
  for (const auto& d : plan) {
    const auto& img = d.candidate.image;
    std::string snaps;
    for (const auto& s : img.snapshot_ids) snaps += (snaps.empty() ? "" : " ") + s;
    r.rows.push_back(
        {{d.candidate.zone, d.candidate.account_id, img.image_id, img.name, d.instance_id, d.run_id,
          img.creation_date, img.state, img.size_gib, snaps, PruneActionName(d.action), d.reason},
         d.action == PruneAction::kFailed ? d.reason : ""});
    planned += d.action == PruneAction::kDelete;
    deleted += d.action == PruneAction::kDeleted || d.action == PruneAction::kAlreadyGone;
    if (d.action == PruneAction::kDelete || d.action == PruneAction::kDeleted) gib += img.size_gib;
  }
  r.facts = {{"mode", executed ? "delete" : "plan"},
             {"images", static_cast<int64_t>(plan.size())},
             {"to_delete", planned},
             {"deleted", deleted},
             {"gib", gib}};
  r.summaries = {ByZone(plan)};
  return r;
}

void PrintText(std::ostream& out, const report::TableReport& r) {
  for (const auto& [k, v] : r.facts) out << (k == "mode" ? "" : " ") << k << "=" << v;
  out << "\n";
  for (const auto& row : r.summaries.front().rows) {
    out << "  " << row.cells[0].get<std::string>() << ": " << row.cells[1] << " images, " << row.cells[2]
        << " to delete, " << row.cells[3] << " deleted, " << row.cells[7] << " GiB\n";
  }
}

// A new "prune" run: its events are the journal of this deletion.
Result<std::string> StartPruneRun(state::StateStore& store, Clock& clock, const config::Config& config) {
  RunInfo run;
  run.run_id = state::NewRunId(clock);
  run.workflow = state::kPruneWorkflow;
  run.created_at = run.updated_at = FormatIso8601(clock.Now());
  run.config = config::ConfigToJson(config);
  FP_RETURN_IF_ERROR(store.CreateRun(run));
  return run.run_id;
}

Status FinishPendingRuns(state::StateStore& store, const workflow::PendingPrune& pending,
                         const std::vector<Error>& errors) {
  if (!errors.empty()) return OkStatus();  // some intents may still be open: the next prune retries
  for (const auto& id : pending.run_ids) FP_RETURN_IF_ERROR(store.UpdateRunStatus(id, RunStatus::kSucceeded));
  return OkStatus();
}

}  // namespace

Result<int> RunPruneCommand(const Options& options, Context& ctx) {
  FP_ASSIGN_OR_RETURN(config::Config config, EffectiveConfig(options, ctx.env));
  FP_ASSIGN_OR_RETURN(auto zones, SelectZones(config, options.zones));
  if (zones.empty()) return Error::Config("no enabled landing zone: add one to the inventory or the config");
  RealClock& clock = DefaultClock();
  FP_ASSIGN_OR_RETURN(auto store,
                      OpenStore(StateLocationFor(options.state_path, config.state, ctx.env), clock));
  FP_ASSIGN_OR_RETURN(workflow::PruneProtection protection,
                      workflow::ProtectionFromStore(*store, kRunsConsulted));
  FP_ASSIGN_OR_RETURN(auto aws, AwsStack::Create(config, options, ctx.env, clock, nullptr));
  const int workers = config.concurrency.zone_workers;
  ConnectOnce connector(aws->connector());  // the listing's zone APIs serve the deletion too

  std::vector<workflow::PruneImage> images;
  std::vector<Error> errors = ListImages(connector, zones, workers, &images);
  std::vector<PruneDecision> plan = workflow::PlanPrune(
      std::move(images), {config.backup.retention_days, config.backup.keep_last}, protection, clock.Now());
  if (options.yes && !config.dry_run) {
    FP_ASSIGN_OR_RETURN(workflow::PendingPrune pending, workflow::FindPendingPrunes(*store));
    FP_ASSIGN_OR_RETURN(std::string run_id, StartPruneRun(*store, clock, config));
    auto exec_errors = Execute(connector, zones, workers, *store, clock, run_id, pending, plan);
    FP_RETURN_IF_ERROR(FinishPendingRuns(*store, pending, exec_errors));
    errors.insert(errors.end(), exec_errors.begin(), exec_errors.end());
    bool failed =
        std::any_of(plan.begin(), plan.end(), [](const auto& d) { return d.action == PruneAction::kFailed; });
    FP_RETURN_IF_ERROR(store->UpdateRunStatus(
        run_id, errors.empty() && !failed ? RunStatus::kSucceeded : RunStatus::kCompletedWithFailures));
  }
  const std::string now = FormatIso8601(clock.Now());
  report::TableReport rep = PruneReport(plan, options.yes && !config.dry_run, now);
  auto written = report::WriteTableReports(rep, config.reporting.output_dir, ReportFormats(config),
                                           ReportStamp(clock.Now()));
  bool failed =
      std::any_of(plan.begin(), plan.end(), [](const auto& d) { return d.action == PruneAction::kFailed; });
  int code = !errors.empty() ? ZoneErrorsExitCode(errors) : failed ? kExitInstanceFailures : kExitOk;
  return PrintOutcome(options, ctx, rep, written, errors, code, PrintText);
}

}  // namespace fleetpatch::cli
