// ReportWriter: renders one report format from a run, and WriteReports(), which writes the chosen
// formats for a run into a directory.
//
// ReportWriter is the seam between the run model and the file formats: each format (CSV, JSON,
// HTML dashboard, XML, JUnit XML) is one implementation, all fed the same ReportData (the
// snapshot plus the RunSummary computed once), so the formats never disagree. Rendering is pure
// (no I/O, no clock): the same snapshot always gives the same bytes, which the golden tests rely on.
//
// Files are named after the run id (fleetpatch-<run_id>.csv, .json, .html, .xml, -junit.xml) and
// written atomically with owner-only permissions: see WriteReports. docs/reports.md describes
// every format.
// Thread-safety: writers are stateless and const; WriteReports may run concurrently for different
// directories or runs.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/run_model.h"
#include "report/summary.h"

namespace fleetpatch::report {

// The version of the report documents' structure (JSON "report_version", XML version attribute).
// Bump it when a field is removed or changes meaning; adding fields keeps it.
inline constexpr int kReportVersion = 1;

enum class ReportFormat { kCsv, kJson, kHtml, kXml, kJunit };
const char* ReportFormatName(ReportFormat f);  // "csv", "json", "html", "xml", "junit"
bool ParseReportFormat(const std::string& s, ReportFormat* out);
std::vector<ReportFormat> AllReportFormats();
// Parses a comma-separated list ("csv,json,html"); "all" means every format. Duplicates collapse.
Result<std::vector<ReportFormat>> ParseReportFormats(const std::string& list);

struct ReportData {
  ReportData(const RunSnapshot& s, std::string generated = {})
      : snapshot(s), summary(Summarize(s)), generated_at(std::move(generated)) {}
  // The snapshot is referenced, not copied: it must outlive the ReportData.
  ReportData(RunSnapshot&&, std::string = {}) = delete;
  const RunSnapshot& snapshot;
  RunSummary summary;
  std::string generated_at;  // ISO 8601 UTC; shown when not empty. Default: empty (omitted)
};

class ReportWriter {
 public:
  virtual ~ReportWriter() = default;
  virtual ReportFormat format() const = 0;
  // The file name for this format, e.g. "fleetpatch-<run_id>.csv". run_id must be valid (see
  // ValidateRunIdForFileName).
  virtual std::string FileName(const std::string& run_id) const = 0;
  // The complete file content.
  virtual Result<std::string> Render(const ReportData& data) const = 0;
};

std::unique_ptr<ReportWriter> MakeReportWriter(ReportFormat format);

// Run ids end up in file names: only [A-Za-z0-9._-], 1..128 characters, not starting with '.' or
// '-'. Returns a validation error otherwise (so no run id can escape the output directory).
Status ValidateRunIdForFileName(const std::string& run_id);

// Writes `content` to `path` atomically: a temporary file in the same directory created with mode
// 0600, written, fsync'ed, renamed over `path`, and the directory fsync'ed. On failure the
// temporary file is removed and `path` is untouched.
Status WriteFileAtomic(const std::filesystem::path& path, const std::string& content);

// Creates `dir` and missing parents with mode 0700; an existing directory is left as it is.
Status EnsurePrivateDirectory(const std::filesystem::path& dir);

struct WriteOptions {
  std::string generated_at;  // see ReportData. Default: empty
};

// Renders and writes each format in `formats` into `output_dir` (created with 0700 if missing).
// Returns the paths written, in the order of `formats`. Stops at the first error; files already
// written stay (each is complete, as writes are atomic).
Result<std::vector<std::filesystem::path>> WriteReports(const RunSnapshot& snapshot,
                                                        const std::filesystem::path& output_dir,
                                                        const std::vector<ReportFormat>& formats,
                                                        const WriteOptions& options = {});

}  // namespace fleetpatch::report
