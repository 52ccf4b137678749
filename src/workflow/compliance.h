// Compliance: the patch state of every SSM-managed instance across the landing zones, read-only,
// between runs. Per zone it makes one DescribeInstanceInformation pass (pages of 50) and one
// DescribeInstancePatchStates call per 50 managed instances, and classifies each instance
// (ClassifyCompliance, pure): missing or failed patches, reboot debt (installed patches waiting
// for a reboot, and since when), stale (no Install within max_age_days), never scanned.
// ComplianceReportBuilder turns the rows into a TableReport with summaries per zone, account,
// platform and patch group, for every report format.
// Thread-safety: pure functions, and CollectCompliance uses only the ZoneApi given (thread-safe),
// so zones may be collected in parallel.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/run_model.h"
#include "report/table_report.h"
#include "workflow/zone_api.h"

namespace fleetpatch::workflow {

struct ComplianceOptions {
  int max_age_days = 30;  // Default: 30 (compliance.max_age_days): older Installs make an instance stale
};

// What `--fail-on` can name.
enum class ComplianceCheck { kMissing, kFailed, kReboot, kStale };
// Parses "missing,failed,reboot,stale" (any subset, comma-separated). kConfig error naming the
// bad word and the allowed ones.
Result<std::vector<ComplianceCheck>> ParseComplianceChecks(const std::string& list);

struct ComplianceRow {
  std::string zone;
  std::string account_id;
  std::string region;
  SsmInstanceView instance;
  std::optional<PatchStateView> state;  // none: never scanned by Patch Manager
  // Derived by ClassifyCompliance.
  bool missing = false;      // missing patches > 0
  bool failed = false;       // failed patches > 0
  bool reboot_debt = false;  // installed, pending reboot > 0
  std::string reboot_since;  // ISO 8601: the NoReboot Install that left it pending (or the last operation)
  bool stale = false;        // no Install ended within max_age_days (never scanned counts as stale)
  double age_days = -1;      // since the last operation ended; -1: no operation recorded
  std::string status;        // the worst of: never_scanned, failed, missing, reboot_pending, stale, compliant
};

// Fills the derived fields of `row` from its state at `now`.
void ClassifyCompliance(ComplianceRow& row, const ComplianceOptions& options,
                        std::chrono::system_clock::time_point now);

// True when `row` matches any of `checks` (stale also matches never-scanned instances).
bool FailsCompliance(const ComplianceRow& row, const std::vector<ComplianceCheck>& checks);

// Reads one zone's managed instances and their patch states, classified, and hands each row to
// `on_row` as soon as its DescribeInstancePatchStates batch (50 instances) has answered: the rows
// are reported while the zone's later calls still wait for the rate limit. Rows come in the order
// DescribeInstanceInformation listed them. Errors are the zone's (the caller names the zone); rows
// already handed over stay with the caller, which decides what a failed zone's rows are worth.
Status CollectCompliance(ZoneApi& api, const LandingZoneInfo& zone, const ComplianceOptions& options,
                         std::chrono::system_clock::time_point now,
                         const std::function<void(const ComplianceRow&)>& on_row);

// The counts of one summary line (a zone, account, platform or patch group, or the whole report).
struct ComplianceTally {
  int64_t instances = 0, compliant = 0, missing = 0, failed = 0, reboot = 0, stale = 0, never = 0;
  void Add(const ComplianceRow& row);
  void Add(const ComplianceTally& other);
};

// Builds the report one instance at a time (batch by batch as the answers come, a zone's part
// merged as the zone finishes), so that no caller keeps every instance's ComplianceRow: only the
// report's rows and the summaries' counts grow with the fleet. Thread-safety: none; callers
// serialise Add and Merge on one builder.
class ComplianceReportBuilder {
 public:
  explicit ComplianceReportBuilder(std::vector<ComplianceCheck> checks) : checks_(std::move(checks)) {}
  // One row (flagged when it fails a check) and its counts.
  void Add(const ComplianceRow& row);
  // Moves the rows and counts of `part` (a builder with the same checks, e.g. one zone's, filled
  // while its calls ran) into this one, and leaves `part` empty.
  void Merge(ComplianceReportBuilder&& part);
  // True once a row that fails a check was added.
  bool failing() const { return failing_ > 0; }
  // The report: rows sorted by zone, then instance (rows that compare equal keep their order),
  // summaries by zone, account, platform and patch group, headline counts, `zone_errors` as facts.
  // Leaves the builder empty.
  report::TableReport Finish(const std::vector<std::string>& zone_errors, const std::string& generated_at);

 private:
  std::vector<ComplianceCheck> checks_;
  std::vector<report::TableRow> rows_;
  ComplianceTally total_;
  std::map<std::string, ComplianceTally> by_zone_, by_account_, by_platform_, by_patch_group_;
  int64_t failing_ = 0;
};

// The report of `rows` at once (ComplianceReportBuilder).
report::TableReport ComplianceReport(const std::vector<ComplianceRow>& rows,
                                     const std::vector<ComplianceCheck>& checks,
                                     const std::vector<std::string>& zone_errors,
                                     const std::string& generated_at);

}  // namespace fleetpatch::workflow
