#include "report/json_writer.h"

#include "report/text_util.h"

namespace fleetpatch::report {

nlohmann::json PhaseSummaryJson(const PhaseSummary& p) {
  nlohmann::json j = {{"phase", PhaseName(p.phase)}};
  for (Outcome o : kAllOutcomes) j[OutcomeName(o)] = p.counts.Get(o);
  j["total"] = p.counts.total();
  j["by_status"] = p.by_status;
  return j;
}

nlohmann::json InstanceJson(const InstanceRun& inst) {
  nlohmann::json j = inst.info;
  j["backup"] = inst.backup ? nlohmann::json(*inst.backup) : nlohmann::json(nullptr);
  j["precheck"] = inst.precheck ? nlohmann::json(*inst.precheck) : nlohmann::json(nullptr);
  j["patch"] = inst.patch ? nlohmann::json(*inst.patch) : nlohmann::json(nullptr);
  nlohmann::json outcomes = nlohmann::json::object();
  for (Phase phase : kAllPhases) outcomes[PhaseName(phase)] = OutcomeName(PhaseOutcome(inst, phase));
  j["outcomes"] = std::move(outcomes);
  return j;
}

nlohmann::json ReportDocument(const ReportData& data) {
  const RunSnapshot& snap = data.snapshot;
  const RunSummary& s = data.summary;
  nlohmann::json doc = nlohmann::json::object();
  doc["report_version"] = kReportVersion;
  doc["generator"] = "fleetpatch";
  if (!data.generated_at.empty()) doc["generated_at"] = data.generated_at;
  nlohmann::json run = snap.run;
  if (run["config"].is_null()) run["config"] = nlohmann::json::object();
  doc["run"] = std::move(run);

  nlohmann::json summary = {{"overall_status", s.overall_status},
                            {"instances", s.instances},
                            {"eligible", s.eligible},
                            {"zones", static_cast<int64_t>(s.zones.size())},
                            {"zones_failed", s.zones_failed},
                            {"errors", static_cast<int64_t>(s.errors.size())}};
  nlohmann::json present = nlohmann::json::array();
  for (Phase p : s.phases_present) present.push_back(PhaseName(p));
  summary["phases_present"] = std::move(present);
  summary["phases"] = nlohmann::json::array();
  for (const PhaseSummary& p : s.phases) summary["phases"].push_back(PhaseSummaryJson(p));
  doc["summary"] = std::move(summary);

  doc["zones"] = nlohmann::json::array();
  for (const ZoneSummary& z : s.zones) {
    nlohmann::json zj = {{"name", z.zone},        {"account_id", z.account_id}, {"region", z.region},
                         {"role_arn", z.role_arn}, {"error", z.error},           {"instances", z.instances},
                         {"eligible", z.eligible}};
    zj["phases"] = nlohmann::json::array();
    for (const PhaseSummary& p : z.phases) zj["phases"].push_back(PhaseSummaryJson(p));
    doc["zones"].push_back(std::move(zj));
  }

  doc["errors"] = nlohmann::json::array();
  for (const ErrorEntry& e : s.errors) {
    doc["errors"].push_back({{"zone", e.zone},
                             {"account_id", e.account_id},
                             {"region", e.region},
                             {"instance_id", e.instance_id},
                             {"instance_name", e.instance_name},
                             {"phase", e.phase},
                             {"category", e.problem.category},
                             {"code", e.problem.code},
                             {"message", e.problem.message}});
  }

  doc["instances"] = nlohmann::json::array();
  for (const InstanceRun& inst : snap.instances) doc["instances"].push_back(InstanceJson(inst));
  doc["events"] = snap.events;
  return doc;
}

Result<std::string> JsonWriter::Render(const ReportData& data) const {
  return DumpJson(ReportDocument(data)) + "\n";
}

}  // namespace fleetpatch::report
