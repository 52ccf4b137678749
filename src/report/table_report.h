// TableReport: a report that is one table of rows plus grouped summaries, for the commands that
// work between runs (`fleetpatch compliance`, `fleetpatch prune`). One structure is rendered in
// every report format (CSV, JSON, HTML, XML, JUnit), so the formats never disagree; every cell
// passes through the same escaping as the run reports (text_util.h), since tag values, names and
// AWS text are untrusted.
//
// A row may be flagged (a compliance problem, an AMI that could not be deleted): JUnit shows a
// flagged row as a failed test case with the flag's reason, the HTML view highlights it.
// Thread-safety: plain values and pure functions.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "common/error.h"
#include "report/report_writer.h"

namespace fleetpatch::report {

struct TableColumn {
  std::string key;    // machine name: JSON member, XML attribute value, CSV header
  std::string title;  // what a person reads (HTML header)
};

struct TableRow {
  std::vector<nlohmann::json> cells;  // one per column: a string, number or boolean
  std::string flag;                   // empty: not flagged; else why (JUnit failure message)
};

// A count table: one line per value of a grouping (zone, account, platform, ...).
struct TableSummary {
  std::string key;    // "by_zone"
  std::string title;  // "By landing zone"
  std::vector<TableColumn> columns;
  std::vector<TableRow> rows;
};

struct TableReport {
  std::string kind;          // "compliance" | "prune": names the files and the document element
  std::string title;         // the HTML page's heading
  std::string generated_at;  // ISO 8601 UTC
  std::vector<std::pair<std::string, nlohmann::json>> facts;  // headline figures, in order
  std::vector<TableColumn> columns;
  std::vector<TableRow> rows;
  std::vector<TableSummary> summaries;
  // The JUnit test case name of a row: the cells of these column indexes joined with "/".
  std::vector<size_t> name_columns = {0};
};

// Each format written to a stream. Errors: kInternal when a row has more or fewer cells than the
// report has columns; an error when the stream fails.
Status WriteTableCsv(const TableReport& report, std::ostream& out);
Status WriteTableJson(const TableReport& report, std::ostream& out);
Status WriteTableHtml(const TableReport& report, std::ostream& out);
Status WriteTableXml(const TableReport& report, std::ostream& out);
Status WriteTableJunit(const TableReport& report, std::ostream& out);

// The JSON document, written row by row so that a report of 100,000 rows never exists as one JSON
// value; `extra` (an object) adds top-level members (what `--output json` prints: the exit code,
// the report paths, the zone errors). The text is exactly nlohmann's dump with an indent of 2.
Status StreamTableJson(const TableReport& report, const nlohmann::json& extra, std::ostream& out);

// What StreamTableJson(report, extra, out) prints, made from `path`, the file WriteTableJson wrote
// for that report: its members are copied as text (100,000 rows are not serialised a second time)
// with `extra`'s members put in at their sorted places (a member the file has wins over extra's).
// Errors (kInternal): the file cannot be read, or is not laid out as WriteTableJson lays it out
// (then `out` may hold the start of the document); an error when the stream fails.
Status CopyTableJson(const std::filesystem::path& path, const nlohmann::json& extra, std::ostream& out);

// Writes each format as <dir>/fleetpatch-<kind>-<stamp>.<ext> (JUnit: -junit.xml), atomically and
// owner-only (WriteFileAtomic, EnsurePrivateDirectory). `stamp` must be a valid file-name part
// (ValidateRunIdForFileName). Returns the paths in the order of `formats`.
Result<std::vector<std::filesystem::path>> WriteTableReports(const TableReport& report,
                                                             const std::filesystem::path& dir,
                                                             const std::vector<ReportFormat>& formats,
                                                             const std::string& stamp);

}  // namespace fleetpatch::report
