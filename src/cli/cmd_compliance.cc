// `fleetpatch compliance [--zone NAME ...] [--fail-on missing,failed,reboot,stale] [--output json]`:
// the patch compliance of every SSM-managed instance across the enabled landing zones, read-only
// (DescribeInstanceInformation, DescribeInstancePatchStates), written in every report format.
// Exit code: a zone error's code when a zone could not be read, else 1 when an instance fails a
// --fail-on check, else 0.
#include <mutex>
#include <ostream>

#include "cli/across_zones.h"
#include "cli/aws_stack.h"
#include "cli/run_engine.h"
#include "common/exit_codes.h"
#include "report/table_report.h"
#include "workflow/compliance.h"

namespace fleetpatch::cli {
namespace {

int64_t Fact(const report::TableReport& r, const std::string& key) {
  for (const auto& [k, v] : r.facts)
    if (k == key && v.is_number_integer()) return v.get<int64_t>();
  return 0;
}

void PrintText(std::ostream& out, const report::TableReport& r) {
  out << "Compliance of " << Fact(r, "instances") << " managed instance(s): " << Fact(r, "compliant")
      << " compliant, " << Fact(r, "missing") << " missing patches, " << Fact(r, "failed")
      << " failed patches, " << Fact(r, "reboot_pending") << " waiting for a reboot, " << Fact(r, "stale")
      << " stale (" << Fact(r, "never_scanned") << " never scanned)\n";
  for (const auto& s : r.summaries) {
    if (s.key != "by_zone") continue;
    for (const auto& row : s.rows) {
      out << "  " << row.cells[0].get<std::string>() << ": " << row.cells[1] << " instances, " << row.cells[2]
          << " compliant\n";
    }
  }
}

}  // namespace

Result<int> RunComplianceCommand(const Options& options, Context& ctx) {
  FP_ASSIGN_OR_RETURN(config::Config config, EffectiveConfig(options, ctx.env));
  std::vector<workflow::ComplianceCheck> checks;
  if (!options.fail_on.empty()) {
    FP_ASSIGN_OR_RETURN(checks, workflow::ParseComplianceChecks(options.fail_on));
  }
  FP_ASSIGN_OR_RETURN(auto zones, SelectZones(config, options.zones));
  if (zones.empty()) return Error::Config("no enabled landing zone: add one to the inventory or the config");

  RealClock& clock = DefaultClock();
  const auto now = clock.Now();
  FP_ASSIGN_OR_RETURN(auto aws, AwsStack::Create(config, options, ctx.env, clock, nullptr));
  workflow::ComplianceOptions copts;
  copts.max_age_days = config.compliance.max_age_days;
  // Each zone builds its part of the report batch by batch while its calls run (a rate-bound
  // zone mostly waits), and the part joins the report when the zone is done; a zone that fails
  // adds no rows, only its error. Only the report's rows are kept, never every ComplianceRow.
  std::mutex mu;
  workflow::ComplianceReportBuilder builder(checks);
  std::vector<Error> errors =
      ForEachZoneApi(aws->connector(), zones, config.concurrency.zone_workers,
                     [&](workflow::ZoneApi& api, const workflow::ZoneSpec& z) -> Status {
                       workflow::ComplianceReportBuilder part(checks);
                       FP_RETURN_IF_ERROR(workflow::CollectCompliance(
                           api, z.info, copts, now, [&](const workflow::ComplianceRow& r) { part.Add(r); }));
                       std::lock_guard<std::mutex> lock(mu);
                       builder.Merge(std::move(part));
                       return OkStatus();
                     });
  std::vector<std::string> error_texts;
  for (const auto& e : errors) error_texts.push_back(e.ToString());
  const bool failing = builder.failing();
  report::TableReport rep = builder.Finish(error_texts, FormatIso8601(now));
  auto written =
      report::WriteTableReports(rep, config.reporting.output_dir, ReportFormats(config), ReportStamp(now));

  int code = !errors.empty() ? ZoneErrorsExitCode(errors) : failing ? kExitInstanceFailures : kExitOk;
  return PrintOutcome(options, ctx, rep, written, errors, code, PrintText);
}

}  // namespace fleetpatch::cli
