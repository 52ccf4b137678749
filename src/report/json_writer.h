// JsonWriter: the whole run as one JSON document ("report_version" 1), described by
// schemas/report.schema.json. Written as a stream: the document's frame by hand and each instance
// and event as its own small nlohmann value, so the text is exactly what dumping the whole
// document with nlohmann (keys sorted, two-space indent) gives, without ever building it.
// Thread-safety: stateless.
#pragma once

#include <nlohmann/json.hpp>

#include "report/report_writer.h"

namespace fleetpatch::report {

// Pieces of the document, shared with other formats.
nlohmann::json PhaseSummaryJson(const PhaseSummary& p);
nlohmann::json InstanceJson(const InstanceRun& inst);

class JsonWriter final : public ReportWriter {
 public:
  ReportFormat format() const override { return ReportFormat::kJson; }
  std::string FileName(const std::string& run_id) const override { return "fleetpatch-" + run_id + ".json"; }
  Status Write(const ReportData& data, std::ostream& out) const override;
};

}  // namespace fleetpatch::report
