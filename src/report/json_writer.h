// JsonWriter: the whole run as one JSON document ("report_version" 1), described by
// schemas/report.schema.json. Also exposes the document as a value for the HTML dashboard, which
// embeds the same data.
// Thread-safety: stateless.
#pragma once

#include <nlohmann/json.hpp>

#include "report/report_writer.h"

namespace fleetpatch::report {

// The report document (see docs/reports.md and schemas/report.schema.json).
nlohmann::json ReportDocument(const ReportData& data);
// Pieces of it, shared with other formats.
nlohmann::json PhaseSummaryJson(const PhaseSummary& p);
nlohmann::json InstanceJson(const InstanceRun& inst);

class JsonWriter final : public ReportWriter {
 public:
  ReportFormat format() const override { return ReportFormat::kJson; }
  std::string FileName(const std::string& run_id) const override { return "fleetpatch-" + run_id + ".json"; }
  Result<std::string> Render(const ReportData& data) const override;
};

}  // namespace fleetpatch::report
