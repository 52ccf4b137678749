// HtmlWriter: the run as a single self-contained HTML dashboard that works offline.
//
// Summary cards, SVG charts of outcomes per phase and per landing zone (rendered here, so they
// show without JavaScript), a sortable and filterable instance table with per-instance details
// (vanilla JavaScript, built with textContent only), the error list and the run's details.
//
// Safety: all text is HTML-escaped; the data for the script is JSON in a
// <script type="application/json"> element with <, >, &, U+2028/2029 escaped; a
// Content-Security-Policy meta tag allows nothing but the page's own inline style and scripts,
// pinned by SHA-256 hash (default-src 'none': no network access, no injected script can run).
// Opening the file with "#selftest" runs a built-in check of sorting and filtering that writes its
// results into #fp-selftest (used by the headless Chromium test).
// Thread-safety: stateless.
#pragma once

#include <string>

#include "report/report_writer.h"

namespace fleetpatch::report {

// The Content-Security-Policy the dashboard carries (hashes of its inline style and scripts).
std::string DashboardCsp();

class HtmlWriter final : public ReportWriter {
 public:
  ReportFormat format() const override { return ReportFormat::kHtml; }
  std::string FileName(const std::string& run_id) const override { return "fleetpatch-" + run_id + ".html"; }
  Status Write(const ReportData& data, std::ostream& out) const override;
};

}  // namespace fleetpatch::report
