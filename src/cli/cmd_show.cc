// `fleetpatch show RUN [--output json]`: one run in detail: who ran it and with what config, the
// counts per landing zone and phase, every error, and who holds the run's lock if anyone does.
// Read-only (works while the run is being worked by another process).
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/store_access.h"
#include "common/json_dump.h"
#include "report/run_source.h"
#include "report/summary.h"
#include "report/text_util.h"

namespace fleetpatch::cli {
namespace {

using nlohmann::json;
using report::TerminalSafe;

// A value from the recorded config, tolerating older or partial records.
std::string ConfigString(const json& config, std::initializer_list<const char*> path) {
  const json* j = &config;
  for (const char* key : path) {
    if (!j->is_object() || !j->contains(key)) return "";
    j = &(*j)[key];
  }
  if (j->is_string()) return j->get<std::string>();
  if (j->is_null()) return "";
  return j->dump();
}

std::string EnabledPhases(const json& config) {
  std::string out;
  for (const char* p : {"scan", "backup", "precheck", "patch"}) {
    if (ConfigString(config, {"workflow", "phases", p}) == "true")
      out += (out.empty() ? "" : ", ") + std::string(p);
  }
  return out.empty() ? "-" : out;
}

std::string Formats(const json& config) {
  std::string out;
  if (config.is_object() && config.contains("reporting") && config["reporting"].is_object() &&
      config["reporting"].contains("formats") && config["reporting"]["formats"].is_array()) {
    for (const auto& f : config["reporting"]["formats"])
      if (f.is_string()) out += (out.empty() ? "" : ",") + f.get<std::string>();
  }
  return out.empty() ? "-" : out;
}

json CountsJson(const report::OutcomeCounts& c) {
  return {{"succeeded", c.succeeded},
          {"failed", c.failed},
          {"skipped", c.skipped},
          {"pending", c.pending},
          {"not_run", c.not_run}};
}

json ProblemJson(const ProblemInfo& p) {
  return {{"category", p.category}, {"code", p.code}, {"message", p.message}};
}

// `show --output json`: the run record, its summary and its lock holder.
json ShowJson(const RunInfo& run, const report::RunSummary& summary,
              const std::optional<state::LockHolder>& holder, const std::string& path) {
  const json& config = run.config;
  json j;
  j["run_id"] = run.run_id;
  j["workflow"] = run.workflow;
  j["status"] = RunStatusName(run.status);
  j["dry_run"] = run.dry_run;
  j["created_at"] = run.created_at;
  j["updated_at"] = run.updated_at;
  j["user"] = run.user;
  j["host"] = run.host;
  j["phases_completed"] = run.phases_completed;
  j["state"] = DisplayLocation(path);
  j["config"] = config;
  j["instances"] = summary.instances;
  j["eligible"] = summary.eligible;
  j["zones_failed"] = summary.zones_failed;
  for (Phase p : report::kAllPhases)
    j["phases"][PhaseName(p)] = CountsJson(summary.phases[static_cast<size_t>(p)].counts);
  j["zones"] = json::array();
  for (const auto& z : summary.zones) {
    json zj = {{"name", z.zone},
               {"account_id", z.account_id},
               {"region", z.region},
               {"role_arn", z.role_arn},
               {"instances", z.instances},
               {"eligible", z.eligible},
               {"overall", CountsJson(z.overall)}};
    if (!z.error.empty()) zj["error"] = ProblemJson(z.error);
    for (Phase p : report::kAllPhases)
      zj["phases"][PhaseName(p)] = CountsJson(z.phases[static_cast<size_t>(p)].counts);
    j["zones"].push_back(std::move(zj));
  }
  j["errors"] = json::array();
  for (const auto& e : summary.errors) {
    j["errors"].push_back({{"zone", e.zone},
                           {"account_id", e.account_id},
                           {"region", e.region},
                           {"instance_id", e.instance_id},
                           {"instance_name", e.instance_name},
                           {"phase", e.phase},
                           {"problem", ProblemJson(e.problem)}});
  }
  j["lock"] =
      holder ? json{{"pid", holder->pid}, {"host", holder->host}, {"since", holder->since}} : json(nullptr);
  return j;
}

// `show` for a terminal: the summary, then what was recorded, the config, the zones and the lock.
void ShowText(std::ostream& out, const RunInfo& run, const report::RunSummary& summary,
              const std::optional<state::LockHolder>& holder, const std::string& path) {
  const json& config = run.config;
  out << report::FormatSummaryText(run, summary);
  out << "Recorded:\n"
      << "  created   " << run.created_at << " by " << TerminalSafe(run.user) << "@" << TerminalSafe(run.host)
      << "\n"
      << "  updated   " << run.updated_at << "\n"
      << "  completed " << (run.phases_completed.empty() ? "-" : "");
  for (size_t i = 0; i < run.phases_completed.size(); ++i) out << (i ? ", " : "") << run.phases_completed[i];
  out << "\n  state     " << DisplayLocation(path) << "\n";
  out << "Config:\n"
      << "  phases    " << EnabledPhases(config) << "\n"
      << "  inventory "
      << TerminalSafe(ConfigString(config, {"landing_zones_file"}).empty()
                          ? std::string("(inline)")
                          : ConfigString(config, {"landing_zones_file"}))
      << "\n"
      << "  patch     " << TerminalSafe(ConfigString(config, {"patch", "document"})) << ", "
      << ConfigString(config, {"patch", "operation"}) << ", "
      << ConfigString(config, {"patch", "reboot_option"}) << ", canary "
      << ConfigString(config, {"patch", "canary_size"}) << ", waves of "
      << ConfigString(config, {"patch", "max_concurrency"}) << "\n"
      << "  budget    " << TerminalSafe(ConfigString(config, {"error_budget"})) << "\n"
      << "  timeouts  ami " << ConfigString(config, {"workflow", "timeouts", "ami_creation"}) << " s, patch "
      << ConfigString(config, {"workflow", "timeouts", "patch_execution"}) << " s, ssm "
      << ConfigString(config, {"workflow", "timeouts", "ssm_connection"}) << " s\n"
      << "  reports   " << TerminalSafe(ConfigString(config, {"reporting", "output_dir"})) << " ("
      << Formats(config) << ")\n";
  if (!summary.zones.empty()) {
    out << "Zones:\n";
    out << fmt::format("  {:<20} {:<13} {:<15} {:>9} {:>8}  {:<12} {:<12} {:<12} {}\n", "ZONE", "ACCOUNT",
                       "REGION", "INSTANCES", "ELIGIBLE", "BACKUP", "PRECHECK", "PATCH", "");
    auto cell = [](const report::OutcomeCounts& c) {
      if (c.total() == c.not_run) return std::string("-");
      std::string s = fmt::format("{} ok", c.succeeded);
      if (c.failed) s += fmt::format(" {} fail", c.failed);
      if (c.pending) s += fmt::format(" {} pend", c.pending);
      return s;
    };
    for (const auto& z : summary.zones) {
      out << fmt::format("  {:<20} {:<13} {:<15} {:>9} {:>8}  {:<12} {:<12} {:<12} {}\n",
                         TerminalSafe(z.zone), z.account_id, z.region, z.instances, z.eligible,
                         cell(z.phases[static_cast<size_t>(Phase::kBackup)].counts),
                         cell(z.phases[static_cast<size_t>(Phase::kPrecheck)].counts),
                         cell(z.phases[static_cast<size_t>(Phase::kPatch)].counts),
                         z.error.empty() ? "" : "zone failed: " + TerminalSafe(z.error.code));
    }
  }
  if (holder) {
    out << "Locked by pid " << holder->pid << " on " << TerminalSafe(holder->host) << " since "
        << holder->since
        << " (a workflow is working this run now, or crashed: a stale lock on this host is taken over)\n";
  } else {
    out << "Not locked.\n";
  }
}

}  // namespace

Result<int> RunShowCommand(const Options& options, Context& ctx) {
  FP_ASSIGN_OR_RETURN(std::string path, StatePathFor(options, ctx.env));
  FP_ASSIGN_OR_RETURN(auto store, OpenStoreReadOnly(path, DefaultClock()));
  FP_ASSIGN_OR_RETURN(RunInfo run, ResolveRun(*store, options.target_run, path));
  FP_ASSIGN_OR_RETURN(std::optional<state::LockHolder> holder, store->GetRunLockHolder(run.run_id));
  // Only the summary is shown: one streamed pass over the instances, not the whole run in memory.
  report::RunSummary summary;
  FP_RETURN_IF_ERROR(store->ReadConsistently([&]() -> Status {
    FP_ASSIGN_OR_RETURN(std::unique_ptr<report::StoreSource> source,
                        report::StoreSource::Open(*store, run.run_id));
    FP_ASSIGN_OR_RETURN(summary, report::Summarize(*source));
    return OkStatus();
  }));

  if (options.output == OutputFormat::kJson) {
    *ctx.out << DumpJson(ShowJson(run, summary, holder, path), 2) << "\n";
  } else {
    ShowText(*ctx.out, run, summary, holder, path);
  }
  return 0;
}

}  // namespace fleetpatch::cli
