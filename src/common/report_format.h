// The report formats and their names: one list for the config file, the command line and the
// report writers. A user chooses among csv, json, html and xml; the JUnit file is not chosen on its
// own but goes with the XML report (CI servers read it natively).
#pragma once

#include <string>
#include <vector>

namespace fleetpatch {

enum class ReportFormat { kCsv, kJson, kHtml, kXml, kJunit };

const char* ReportFormatName(ReportFormat f);  // "csv", "json", "html", "xml", "junit"
// Any format's name, junit included.
bool ParseReportFormat(const std::string& s, ReportFormat* out);
std::vector<ReportFormat> AllReportFormats();

// What a user may choose (`reporting.formats`, `--format`): every format but junit.
const std::vector<std::string>& ChoosableReportFormatNames();
bool ParseChoosableReportFormat(const std::string& s, ReportFormat* out);

// The formats written for `chosen`: the chosen ones, then junit when xml is among them.
std::vector<ReportFormat> FormatsToWrite(const std::vector<ReportFormat>& chosen);

}  // namespace fleetpatch
