#include "common/report_format.h"

#include <algorithm>

namespace fleetpatch {

const char* ReportFormatName(ReportFormat f) {
  switch (f) {
    case ReportFormat::kCsv:
      return "csv";
    case ReportFormat::kJson:
      return "json";
    case ReportFormat::kHtml:
      return "html";
    case ReportFormat::kXml:
      return "xml";
    case ReportFormat::kJunit:
      return "junit";
  }
  return "csv";
}

std::vector<ReportFormat> AllReportFormats() {
  return {ReportFormat::kCsv, ReportFormat::kJson, ReportFormat::kHtml, ReportFormat::kXml,
          ReportFormat::kJunit};
}

bool ParseReportFormat(const std::string& s, ReportFormat* out) {
  for (ReportFormat f : AllReportFormats()) {
    if (s == ReportFormatName(f)) {
      *out = f;
      return true;
    }
  }
  return false;
}

const std::vector<std::string>& ChoosableReportFormatNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (ReportFormat f : AllReportFormats())
      if (f != ReportFormat::kJunit) out.push_back(ReportFormatName(f));
    return out;
  }();
  return names;
}

bool ParseChoosableReportFormat(const std::string& s, ReportFormat* out) {
  return s != ReportFormatName(ReportFormat::kJunit) && ParseReportFormat(s, out);
}

std::vector<ReportFormat> FormatsToWrite(const std::vector<ReportFormat>& chosen) {
  std::vector<ReportFormat> out = chosen;
  bool xml = std::find(out.begin(), out.end(), ReportFormat::kXml) != out.end();
  bool junit = std::find(out.begin(), out.end(), ReportFormat::kJunit) != out.end();
  if (xml && !junit) out.push_back(ReportFormat::kJunit);
  return out;
}

}  // namespace fleetpatch
