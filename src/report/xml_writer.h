// XmlWriter: the whole run as one XML document in namespace urn:fleetpatch:report:1, described by
// schemas/report.xsd (validated in tests with xmllint). Untrusted text is made XML 1.0-safe
// (invalid UTF-8 and forbidden control characters become U+FFFD) and escaped by pugixml.
// Thread-safety: stateless.
#pragma once

#include "report/report_writer.h"

namespace fleetpatch::report {

inline constexpr const char* kXmlNamespace = "urn:fleetpatch:report:1";

class XmlWriter final : public ReportWriter {
 public:
  ReportFormat format() const override { return ReportFormat::kXml; }
  std::string FileName(const std::string& run_id) const override { return "fleetpatch-" + run_id + ".xml"; }
  Status Write(const ReportData& data, std::ostream& out) const override;
};

}  // namespace fleetpatch::report
