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
  // The safety loop's steps, only when the run took them (docs/safety.md).
  if (inst.standby) j["standby"] = *inst.standby;
  if (inst.reboot) j["reboot"] = *inst.reboot;
  if (inst.postcheck) j["postcheck"] = *inst.postcheck;
  if (inst.rollback) j["rollback"] = *inst.rollback;
  j["timeline"] = InstanceTimeline(inst);
  nlohmann::json outcomes = nlohmann::json::object();
  for (Phase phase : kAllPhases) outcomes[PhaseName(phase)] = OutcomeName(PhaseOutcome(inst, phase));
  j["outcomes"] = std::move(outcomes);
  return j;
}

namespace {

// `v` as DumpJson writes it when nested `level` deep in a document indented by 2: the nested
// lines carry the enclosing levels' indentation. Dumped JSON has no raw newline inside strings,
// so every newline starts a structural line.
void WriteNested(std::ostream& out, const nlohmann::json& v, int level) {
  const std::string text = JsonEscapeBidi(DumpJson(v, 2));
  const std::string indent(static_cast<size_t>(2 * level), ' ');
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    out.write(text.data() + start, static_cast<std::streamsize>(nl + 1 - start));
    out << indent;
    start = nl + 1;
  }
  out.write(text.data() + start, static_cast<std::streamsize>(text.size() - start));
}

// The members of the top-level object, in the order nlohmann's (sorted) object gives them.
class TopLevel {
 public:
  explicit TopLevel(std::ostream& out) : out_(out) { out_ << "{"; }
  void Key(const char* key) {
    out_ << (first_ ? "\n  " : ",\n  ") << nlohmann::json(key).dump() << ": ";
    first_ = false;
  }
  void Member(const char* key, const nlohmann::json& v) {
    Key(key);
    WriteNested(out_, v, 1);
  }
  void Close() { out_ << (first_ ? "}" : "\n}") << "\n"; }

 private:
  std::ostream& out_;
  bool first_ = true;
};

// An array member written one element at a time.
class StreamedArray {
 public:
  explicit StreamedArray(std::ostream& out) : out_(out) {}
  void Add(const nlohmann::json& v) {
    out_ << (first_ ? "[\n    " : ",\n    ");
    first_ = false;
    WriteNested(out_, v, 2);
  }
  void Close() { out_ << (first_ ? "[]" : "\n  ]"); }

 private:
  std::ostream& out_;
  bool first_ = true;
};

Status StreamOk(const std::ostream& out) {
  if (!out) return Error::Internal("writing the JSON report failed");
  return OkStatus();
}

}  // namespace

Status JsonWriter::Write(const ReportData& data, std::ostream& out) const {
  const RunSummary& s = data.summary;
  // Keys in sorted order: errors, events, generated_at, generator, instances, report_version, run,
  // summary, zones (what an nlohmann object of the whole document dumps as).
  TopLevel doc(out);

  doc.Key("errors");
  StreamedArray errors(out);
  for (const ErrorEntry& e : s.errors) {
    errors.Add({{"zone", e.zone},
                {"account_id", e.account_id},
                {"region", e.region},
                {"instance_id", e.instance_id},
                {"instance_name", e.instance_name},
                {"phase", e.phase},
                {"category", e.problem.category},
                {"code", e.problem.code},
                {"message", e.problem.message}});
  }
  errors.Close();

  doc.Key("events");
  StreamedArray events(out);
  FP_RETURN_IF_ERROR(data.source.ForEachEvent([&](const Event& ev) -> Status {
    events.Add(ev);
    return StreamOk(out);
  }));
  events.Close();

  if (!data.generated_at.empty()) doc.Member("generated_at", data.generated_at);
  doc.Member("generator", "fleetpatch");

  doc.Key("instances");
  StreamedArray instances(out);
  FP_RETURN_IF_ERROR(data.source.ForEachInstance("", [&](const InstanceRun& inst) -> Status {
    instances.Add(InstanceJson(inst));
    return StreamOk(out);
  }));
  instances.Close();

  doc.Member("report_version", kReportVersion);
  nlohmann::json run = data.run();
  if (run["config"].is_null()) run["config"] = nlohmann::json::object();
  doc.Member("run", run);

  nlohmann::json left = nlohmann::json::array();
  for (const AutoScalingLeftover& l : s.auto_scaling_left) {
    left.push_back(
        {{"zone", l.zone}, {"instance_id", l.instance_id}, {"group", l.group}, {"status", l.status}});
  }
  nlohmann::json summary = {{"overall_status", s.overall_status},
                            {"auto_scaling_left", std::move(left)},
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
  doc.Member("summary", summary);

  nlohmann::json zones = nlohmann::json::array();
  for (const ZoneSummary& z : s.zones) {
    nlohmann::json zj = {{"name", z.zone},         {"account_id", z.account_id}, {"region", z.region},
                         {"role_arn", z.role_arn}, {"error", z.error},           {"instances", z.instances},
                         {"eligible", z.eligible}};
    zj["phases"] = nlohmann::json::array();
    for (const PhaseSummary& p : z.phases) zj["phases"].push_back(PhaseSummaryJson(p));
    zones.push_back(std::move(zj));
  }
  doc.Member("zones", zones);
  doc.Close();
  return StreamOk(out);
}

}  // namespace fleetpatch::report
