// ReportWriter: renders one report format from a run, and WriteReports(), which writes the chosen
// formats for a run into a directory.
//
// ReportWriter is the seam between the run model and the file formats: each format (CSV, JSON,
// HTML dashboard, XML, JUnit XML) is one implementation, all fed the same ReportData (the run's
// RunSource plus the RunSummary computed once), so the formats never disagree. Writers stream:
// they read the instances from the source one at a time and write to an std::ostream as they go,
// so their memory does not grow with the run (only the summary's error list grows, with the
// failures). Rendering is pure (no I/O but the source and the stream, no clock): the same run
// always gives the same bytes, which the golden tests rely on.
//
// Files are named after the run id (fleetpatch-<run_id>.csv, .json, .html, .xml, -junit.xml) and
// written atomically with owner-only permissions: see WriteReports. docs/reports.md describes
// every format.
// Thread-safety: writers are stateless and const; WriteReports may run concurrently for different
// directories or runs.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/report_format.h"
#include "common/run_model.h"
#include "report/run_source.h"
#include "report/summary.h"

namespace fleetpatch::report {

// The version of the report documents' structure (JSON "report_version", XML version attribute).
// Bump it when a field is removed or changes meaning; adding fields keeps it.
inline constexpr int kReportVersion = 1;

using ::fleetpatch::AllReportFormats;  // common/report_format.h
using ::fleetpatch::ReportFormat;
using ::fleetpatch::ReportFormatName;

struct ReportData {
 private:
  std::unique_ptr<const RunSource> owned_;  // declared first: `source` may refer to it

 public:
  // Over a snapshot in memory (tests, small runs); the summary is computed here. The snapshot is
  // referenced, not copied: it must outlive the ReportData.
  ReportData(const RunSnapshot& s, std::string generated = {});
  ReportData(RunSnapshot&&, std::string = {}) = delete;
  // Over any source, with its summary (Summarize(source)). The source must outlive the ReportData.
  ReportData(const RunSource& s, RunSummary sum, std::string generated = {})
      : source(s), summary(std::move(sum)), generated_at(std::move(generated)) {}
  ReportData(const ReportData&) = delete;
  ReportData& operator=(const ReportData&) = delete;

  const RunInfo& run() const { return source.run(); }

  const RunSource& source;
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
  // Writes the complete file content to `out`, reading the instances from data.source as it goes.
  // Returns the source's first error, or an error when the stream fails; `out` then holds a
  // partial document (WriteReports discards it).
  virtual Status Write(const ReportData& data, std::ostream& out) const = 0;
  // The complete file content as one string (tests; the CLI streams into files instead).
  Result<std::string> Render(const ReportData& data) const;
};

std::unique_ptr<ReportWriter> MakeReportWriter(ReportFormat format);

// Run ids end up in file names: only [A-Za-z0-9._-], 1..128 characters, not starting with '.' or
// '-'. Returns a validation error otherwise (so no run id can escape the output directory).
Status ValidateRunIdForFileName(const std::string& run_id);

// Writes `content` to `path` atomically: a temporary file in the same directory created with mode
// 0600, written, fsync'ed, renamed over `path`, and the directory fsync'ed. On failure the
// temporary file is removed and `path` is untouched.
Status WriteFileAtomic(const std::filesystem::path& path, const std::string& content);
// The same, with the content produced by `write` into a buffered stream over the temporary file:
// an error from `write` or from writing the file removes the temporary file, `path` is untouched.
Status WriteFileAtomic(const std::filesystem::path& path, const std::function<Status(std::ostream&)>& write);

// Creates `dir` and missing parents with mode 0700; an existing directory is left as it is.
Status EnsurePrivateDirectory(const std::filesystem::path& dir);

struct WriteOptions {
  std::string generated_at;  // see ReportData. Default: empty
};

// Renders and writes each format in `formats` into `output_dir` (created with 0700 if missing),
// streaming each into its file (one pass over the source's instances per format; JUnit makes one
// per landing zone). `summary` is Summarize(source). Returns the paths written, in the order of
// `formats`. Stops at the first error; files already written stay (each is complete, as writes are
// atomic).
Result<std::vector<std::filesystem::path>> WriteReports(const RunSource& source, const RunSummary& summary,
                                                        const std::filesystem::path& output_dir,
                                                        const std::vector<ReportFormat>& formats,
                                                        const WriteOptions& options = {});
// The same over a snapshot in memory (computes the summary).
Result<std::vector<std::filesystem::path>> WriteReports(const RunSnapshot& snapshot,
                                                        const std::filesystem::path& output_dir,
                                                        const std::vector<ReportFormat>& formats,
                                                        const WriteOptions& options = {});

}  // namespace fleetpatch::report
