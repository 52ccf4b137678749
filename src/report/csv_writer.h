// CsvWriter: the per-instance report as CSV (RFC 4180), one row per instance, for spreadsheets.
//
// Encoding: UTF-8 with a byte order mark (so Excel detects UTF-8; most other tools strip it),
// records end with CRLF, fields containing comma, quote, CR or LF are quoted with quotes doubled.
// Text cells a spreadsheet would run as a formula (first character = + - @ TAB CR) get a leading
// single quote; numeric columns that fleetpatch itself writes are never altered. The columns are
// stable and listed in docs/reports.md (kCsvColumns below is the single source).
// Thread-safety: stateless.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/report_writer.h"

namespace fleetpatch::report {

// The header row, in order.
const std::vector<std::string_view>& CsvColumns();

// One CSV field: `text` cells are made valid UTF-8/XML-safe and formula-neutralised; all fields
// are quoted when they contain a comma, quote, CR or LF.
std::string CsvField(std::string_view value, bool text);

class CsvWriter final : public ReportWriter {
 public:
  ReportFormat format() const override { return ReportFormat::kCsv; }
  std::string FileName(const std::string& run_id) const override { return "fleetpatch-" + run_id + ".csv"; }
  Status Write(const ReportData& data, std::ostream& out) const override;
};

}  // namespace fleetpatch::report
