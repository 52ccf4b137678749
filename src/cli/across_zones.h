// What the commands that work between runs (prune, compliance) share: the zones they work on,
// visiting each zone's API on a bounded pool, and how their reports are named.
// Thread-safety: ForEachZoneApi calls `fn` from several threads at once (one zone each).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/error.h"
#include "config/config.h"
#include "report/table_report.h"
#include "workflow/workflow.h"
#include "workflow/zone_api.h"

namespace fleetpatch::cli {

// The enabled zones of `config`, or only those named in `names` (each must be a zone of the
// config: kConfig naming the unknown one and listing the known ones).
Result<std::vector<workflow::ZoneSpec>> SelectZones(const config::Config& config,
                                                    const std::vector<std::string>& names);

// A connector that connects each zone (assumes its role) once and hands the same API to later
// passes over the zones (prune lists, then deletes: one AssumeRole per zone, not two). The API's
// AssumeRole provider renews its session before it expires. Thread-safe; different zones connect
// in parallel.
class ConnectOnce final : public workflow::ZoneConnector {
 public:
  explicit ConnectOnce(workflow::ZoneConnector& connector) : connector_(connector) {}
  Result<std::shared_ptr<workflow::ZoneApi>> Connect(const workflow::ZoneSpec& zone) override;

 private:
  workflow::ZoneConnector& connector_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<workflow::ZoneApi>> apis_;  // by zone name
};

// Connects each zone (assuming its role) and calls fn on up to `workers` zones at a time. Returns
// the zones' errors, each message prefixed with "landing zone 'NAME': ", in zone order.
std::vector<Error> ForEachZoneApi(
    workflow::ZoneConnector& connector, const std::vector<workflow::ZoneSpec>& zones, int workers,
    const std::function<Status(workflow::ZoneApi&, const workflow::ZoneSpec&)>& fn);

// "20261204-133000": the UTC time as it names a report file.
std::string ReportStamp(std::chrono::system_clock::time_point t);

// The exit code after zone errors: 0 with none, else the code of the first error's category.
int ZoneErrorsExitCode(const std::vector<Error>& errors);

// Prints a between-runs command's outcome: with --output json the report's JSON document plus
// "exit_code", "reports" and "zone_errors" on stdout (copied from the JSON report file when one
// was written: report::CopyTableJson); else `text`'s summary and the report paths on
// stdout and each zone error on stderr. A failure to write the reports is printed on stderr and,
// when `code` is 0, gives that error's exit code. Returns the exit code.
using TextSummary = void (*)(std::ostream& out, const report::TableReport& report);
int PrintOutcome(const Options& options, Context& ctx, const report::TableReport& report,
                 const Result<std::vector<std::filesystem::path>>& written,
                 const std::vector<Error>& zone_errors, int code, TextSummary text);

}  // namespace fleetpatch::cli
