#include "report/csv_writer.h"

#include "common/strings.h"
#include "report/report_format.h"
#include "report/text_util.h"

namespace fleetpatch::report {
namespace {

// A row under construction: Text() for anything that may hold untrusted or free text, Num() for
// numbers fleetpatch formats itself (negative values must stay numbers, so they are not
// neutralised).
class Row {
 public:
  void Text(std::string_view v) { Add(CsvField(v, true)); }
  void Num(int64_t v) { Add(CsvField(FormatNumber(v), false)); }
  void Num(double v) { Add(CsvField(FormatNumber(v), false)); }
  void Bool(bool v) { Add(v ? "true" : "false"); }
  void Empty() { Add(""); }
  std::string Finish() { return line_ + "\r\n"; }

 private:
  void Add(const std::string& field) {
    if (!first_) line_ += ',';
    first_ = false;
    line_ += field;
  }
  std::string line_;
  bool first_ = true;
};

void ProblemCells(Row& row, const ProblemInfo& p) {
  row.Text(p.category);
  row.Text(p.code);
  row.Text(p.message);
}

}  // namespace

const std::vector<std::string_view>& CsvColumns() {
  static const std::vector<std::string_view> kColumns = {
      "run_id", "zone", "account_id", "region", "availability_zone", "instance_id", "name", "platform",
      "platform_name", "instance_type", "state", "ssm_ping_status", "ssm_agent_version",
      "in_auto_scaling_group", "eligible", "ineligible_reason",
      // backup
      "backup_status", "ami_id", "ami_name", "snapshot_ids", "backup_cleaned_up", "backup_started_at",
      "backup_finished_at", "backup_duration_s", "backup_reason", "backup_error_category",
      "backup_error_code", "backup_error_message",
      // precheck
      "precheck_status", "precheck_failed_thresholds", "precheck_findings", "precheck_risks",
      "precheck_command_id", "precheck_started_at", "precheck_finished_at", "precheck_error_category",
      "precheck_error_code", "precheck_error_message",
      // patch
      "patch_status", "patch_wave", "patch_command_id", "patch_command_status", "patch_installed",
      "patch_missing", "patch_failed", "patch_installed_pending_reboot", "patch_started_at",
      "patch_finished_at", "patch_duration_s", "patch_reason", "patch_error_category", "patch_error_code",
      "patch_error_message",
      // everything else
      "timeline", "tags",
      // after the patch (docs/safety.md), appended so that earlier columns keep their positions
      "postcheck_status", "postcheck_regressions", "rollback_status", "rollback_reason"};
  return kColumns;
}

std::string CsvField(std::string_view value, bool text) {
  std::string v(value);
  if (text) {
    v = XmlSafeText(v);
    if (LooksLikeFormula(v)) v.insert(v.begin(), '\'');
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

void InfoCells(Row& row, const InstanceInfo& i) {
  row.Text(i.zone);
  row.Text(i.account_id);
  row.Text(i.region);
  row.Text(i.availability_zone);
  row.Text(i.instance_id);
  row.Text(i.name);
  row.Text(i.platform);
  row.Text(i.platform_name);
  row.Text(i.instance_type);
  row.Text(i.state);
  row.Text(i.ssm_ping_status);
  row.Text(i.ssm_agent_version);
  row.Bool(i.in_auto_scaling_group);
  row.Bool(i.eligible);
  row.Text(i.ineligible_reason);
}

// A phase that did not run: "not_run" and `empty` empty cells up to its error cells.
void NotRunCells(Row& row, int empty) {
  row.Text("not_run");
  for (int k = 0; k < empty; ++k) row.Empty();
}

void BackupCells(Row& row, const InstanceRun& inst) {
  if (const auto& b = inst.backup) {
    row.Text(BackupStatusName(b->status));
    row.Text(b->ami_id);
    row.Text(b->ami_name);
    row.Text(Join(b->snapshot_ids, " "));
    row.Bool(b->cleaned_up);
    row.Text(b->started_at);
    row.Text(b->finished_at);
    row.Num(b->duration_s);
    row.Text(b->reason);
  } else {
    NotRunCells(row, 8);
  }
  ProblemCells(row, PhaseProblem(inst, Phase::kBackup));
}

void PrecheckCells(Row& row, const InstanceRun& inst) {
  if (const auto& p = inst.precheck) {
    row.Text(PrecheckStatusName(p->status));
    row.Text(Join(p->reasons, "; "));
    row.Text(FormatFindings(p->findings));
    row.Text(Join(p->risks, "; "));
    row.Text(p->command_id);
    row.Text(p->started_at);
    row.Text(p->finished_at);
  } else {
    NotRunCells(row, 6);
  }
  ProblemCells(row, PhaseProblem(inst, Phase::kPrecheck));
}

void PatchCells(Row& row, const InstanceRun& inst) {
  if (const auto& p = inst.patch) {
    row.Text(PatchStatusName(p->status));
    row.Num(static_cast<int64_t>(p->wave));
    row.Text(p->command_id);
    row.Text(p->command_status);
    row.Num(p->installed);
    row.Num(p->missing);
    row.Num(p->failed);
    row.Num(p->installed_pending_reboot);
    row.Text(p->started_at);
    row.Text(p->finished_at);
    row.Num(p->duration_s);
    row.Text(p->reason);
  } else {
    NotRunCells(row, 11);
  }
  ProblemCells(row, PhaseProblem(inst, Phase::kPatch));
}

// The columns after the patch's, in CsvColumns() order.
void AfterPatchCells(Row& row, const InstanceRun& inst) {
  row.Text(TimelineText(inst));
  row.Text(FormatTags(inst.info.tags));
  row.Text(inst.postcheck ? PostcheckStatusName(inst.postcheck->status) : "not_run");
  row.Text(inst.postcheck ? Join(inst.postcheck->regressions, "; ") : "");
  row.Text(inst.rollback ? RollbackStatusName(inst.rollback->status) : "");
  row.Text(inst.rollback ? inst.rollback->reason : "");
}

}  // namespace

Status CsvWriter::Write(const ReportData& data, std::ostream& out) const {
  out << "\xEF\xBB\xBF";  // UTF-8 byte order mark, see the header comment
  {
    Row header;
    for (std::string_view c : CsvColumns()) header.Text(c);
    out << header.Finish();
  }
  const std::string& run_id = data.run().run_id;
  return data.source.ForEachInstance("", [&](const InstanceRun& inst) -> Status {
    Row row;
    row.Text(run_id);
    InfoCells(row, inst.info);
    BackupCells(row, inst);
    PrecheckCells(row, inst);
    PatchCells(row, inst);
    AfterPatchCells(row, inst);
    out << row.Finish();
    if (!out) return Error::Internal("writing the CSV report failed");
    return OkStatus();
  });
}

}  // namespace fleetpatch::report
