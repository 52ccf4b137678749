// The dashboard's stylesheet and scripts, inlined into every HTML report (no external files).
// Internal to src/report. Thread-safety: constants.
#pragma once

namespace fleetpatch::report {

extern const char* const kDashboardCss;
// Runs first (in <head>): records script errors and CSP violations, so the self-test can report
// them, and in self-test mode turns alert() into a flag instead of a dialog.
extern const char* const kDashboardGuardScript;
// The instance table, details panel and self-test.
extern const char* const kDashboardScript;

}  // namespace fleetpatch::report
