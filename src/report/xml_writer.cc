#include "report/xml_writer.h"

#include <pugixml.hpp>

#include "report/text_util.h"
#include "report/xml_util.h"

namespace fleetpatch::report {
namespace {

void AddProblem(pugi::xml_node parent, const ProblemInfo& p) {
  if (p.empty()) return;
  pugi::xml_node e = AddText(parent, "error", p.message);
  SetAttr(e, "category", p.category);
  SetAttr(e, "code", p.code);
}

void AddPhaseSummary(pugi::xml_node parent, const PhaseSummary& p) {
  pugi::xml_node n = parent.append_child("phase");
  SetAttr(n, "name", PhaseName(p.phase));
  SetAttr(n, "succeeded", p.counts.succeeded);
  SetAttr(n, "failed", p.counts.failed);
  SetAttr(n, "skipped", p.counts.skipped);
  SetAttr(n, "pending", p.counts.pending);
  SetAttr(n, "notRun", p.counts.not_run);
  SetAttr(n, "total", p.counts.total());
  for (const auto& [status, count] : p.by_status) {
    pugi::xml_node st = n.append_child("status");
    SetAttr(st, "name", status);
    SetAttr(st, "count", count);
  }
}

pugi::xml_node AddInstanceInfo(pugi::xml_node parent, const InstanceInfo& i) {
  pugi::xml_node n = parent.append_child("instance");
  SetAttr(n, "zone", i.zone);
  SetAttr(n, "accountId", i.account_id);
  SetAttr(n, "region", i.region);
  SetAttr(n, "availabilityZone", i.availability_zone);
  SetAttr(n, "instanceId", i.instance_id);
  SetAttr(n, "name", i.name);
  SetAttr(n, "platform", i.platform);
  SetAttr(n, "platformName", i.platform_name);
  SetAttr(n, "instanceType", i.instance_type);
  SetAttr(n, "state", i.state);
  SetAttr(n, "ssmPingStatus", i.ssm_ping_status);
  SetAttr(n, "ssmAgentVersion", i.ssm_agent_version);
  SetBoolAttr(n, "inAutoScalingGroup", i.in_auto_scaling_group);
  SetBoolAttr(n, "eligible", i.eligible);
  SetAttr(n, "ineligibleReason", i.ineligible_reason);
  pugi::xml_node tags = n.append_child("tags");
  for (const auto& [k, v] : i.tags) SetAttr(AddText(tags, "tag", v), "key", k);
  return n;
}

void AddBackup(pugi::xml_node n, const std::optional<BackupResult>& b) {
  if (b) {
    pugi::xml_node x = n.append_child("backup");
    SetAttr(x, "status", BackupStatusName(b->status));
    SetAttr(x, "amiId", b->ami_id);
    SetAttr(x, "amiName", b->ami_name);
    SetBoolAttr(x, "cleanedUp", b->cleaned_up);
    SetAttr(x, "startedAt", b->started_at);
    SetAttr(x, "finishedAt", b->finished_at);
    SetAttr(x, "durationS", b->duration_s);
    SetAttr(x, "reason", b->reason);
    for (const auto& id : b->snapshot_ids) AddText(x, "snapshot", id);
    AddProblem(x, b->error);
  }
}

void AddPrecheck(pugi::xml_node n, const std::optional<PrecheckResult>& p) {
  if (p) {
    pugi::xml_node x = n.append_child("precheck");
    SetAttr(x, "status", PrecheckStatusName(p->status));
    SetAttr(x, "commandId", p->command_id);
    SetAttr(x, "startedAt", p->started_at);
    SetAttr(x, "finishedAt", p->finished_at);
    for (const auto& r : p->reasons) AddText(x, "reason", r);
    for (const auto& r : p->risks) AddText(x, "risk", r);
    for (const auto& f : p->findings) {
      pugi::xml_node fx = x.append_child("finding");
      SetAttr(fx, "check", f.check);
      SetAttr(fx, "measured", f.measured);
      SetAttr(fx, "threshold", f.threshold);
      SetBoolAttr(fx, "passed", f.passed);
    }
    if (!p->output.empty()) AddText(x, "output", p->output);
    AddProblem(x, p->error);
  }
}

void AddPatch(pugi::xml_node n, const std::optional<PatchResult>& p) {
  if (p) {
    pugi::xml_node x = n.append_child("patch");
    SetAttr(x, "status", PatchStatusName(p->status));
    SetAttr(x, "wave", static_cast<int64_t>(p->wave));
    SetAttr(x, "commandId", p->command_id);
    SetAttr(x, "commandStatus", p->command_status);
    SetAttr(x, "installed", p->installed);
    SetAttr(x, "missing", p->missing);
    SetAttr(x, "failed", p->failed);
    SetAttr(x, "installedPendingReboot", p->installed_pending_reboot);
    SetAttr(x, "startedAt", p->started_at);
    SetAttr(x, "finishedAt", p->finished_at);
    SetAttr(x, "durationS", p->duration_s);
    SetAttr(x, "reason", p->reason);
    AddProblem(x, p->error);
  }
}

// The per-instance timeline, the safety loop's steps included (docs/safety.md).
void AddTimeline(pugi::xml_node n, const InstanceRun& inst) {
  pugi::xml_node timeline = n.append_child("timeline");
  for (const TimelineEntry& e : InstanceTimeline(inst)) {
    pugi::xml_node s = timeline.append_child("step");
    SetAttr(s, "name", e.step);
    SetAttr(s, "status", e.status);
    SetAttr(s, "startedAt", e.started_at);
    SetAttr(s, "finishedAt", e.finished_at);
    SetAttr(s, "detail", e.detail);
  }
}

void AddInstance(pugi::xml_node parent, const InstanceRun& inst) {
  pugi::xml_node n = AddInstanceInfo(parent, inst.info);
  pugi::xml_node outcomes = n.append_child("outcomes");
  for (Phase phase : kAllPhases) SetAttr(outcomes, PhaseName(phase), OutcomeName(PhaseOutcome(inst, phase)));
  AddBackup(n, inst.backup);
  AddPrecheck(n, inst.precheck);
  AddPatch(n, inst.patch);
  AddTimeline(n, inst);
}

void WriteRun(StreamedElement& root, const RunInfo& r) {
  pugi::xml_document piece;
  pugi::xml_node run = piece.append_child("run");
  SetAttr(run, "id", r.run_id);
  SetAttr(run, "workflow", r.workflow);
  SetAttr(run, "status", RunStatusName(r.status));
  SetBoolAttr(run, "dryRun", r.dry_run);
  SetAttr(run, "createdAt", r.created_at);
  SetAttr(run, "updatedAt", r.updated_at);
  SetAttr(run, "user", r.user);
  SetAttr(run, "host", r.host);
  pugi::xml_node completed = run.append_child("phasesCompleted");
  for (const auto& p : r.phases_completed) AddText(completed, "phase", p);
  // The config is free-form JSON; it is kept verbatim rather than mapped to elements.
  nlohmann::json config = r.config.is_null() ? nlohmann::json::object() : r.config;
  SetAttr(AddText(run, "config", DumpJson(config, 2)), "format", "json");
  root.Child(run);
}

void WriteSummary(StreamedElement& root, const RunSummary& s) {
  pugi::xml_document piece;
  pugi::xml_node summary = piece.append_child("summary");
  SetAttr(summary, "overallStatus", s.overall_status);
  SetAttr(summary, "instances", s.instances);
  SetAttr(summary, "eligible", s.eligible);
  SetAttr(summary, "zones", static_cast<int64_t>(s.zones.size()));
  SetAttr(summary, "zonesFailed", s.zones_failed);
  SetAttr(summary, "errors", static_cast<int64_t>(s.errors.size()));
  for (const PhaseSummary& p : s.phases) AddPhaseSummary(summary, p);
  for (const AutoScalingLeftover& l : s.auto_scaling_left) {  // docs/safety.md
    pugi::xml_node n = summary.append_child("autoScalingLeft");
    SetAttr(n, "zone", l.zone);
    SetAttr(n, "instanceId", l.instance_id);
    SetAttr(n, "group", l.group);
    SetAttr(n, "status", l.status);
  }
  root.Child(summary);
}

void WriteZones(StreamedElement& root, const RunSummary& s) {
  pugi::xml_document piece;
  pugi::xml_node zones = piece.append_child("zones");
  for (const ZoneSummary& z : s.zones) {
    pugi::xml_node zn = zones.append_child("zone");
    SetAttr(zn, "name", z.zone);
    SetAttr(zn, "accountId", z.account_id);
    SetAttr(zn, "region", z.region);
    SetAttr(zn, "roleArn", z.role_arn);
    SetAttr(zn, "instances", z.instances);
    SetAttr(zn, "eligible", z.eligible);
    AddProblem(zn, z.error);
    for (const PhaseSummary& p : z.phases) AddPhaseSummary(zn, p);
  }
  root.Child(zones);
}

void WriteErrors(std::ostream& out, const RunSummary& s) {
  StreamedElement errors(out, "errors", 1);
  for (const ErrorEntry& e : s.errors) {
    pugi::xml_document piece;
    pugi::xml_node en = AddText(piece, "error", e.problem.message);
    SetAttr(en, "zone", e.zone);
    SetAttr(en, "accountId", e.account_id);
    SetAttr(en, "region", e.region);
    SetAttr(en, "instanceId", e.instance_id);
    SetAttr(en, "instanceName", e.instance_name);
    SetAttr(en, "phase", e.phase);
    SetAttr(en, "category", e.problem.category);
    SetAttr(en, "code", e.problem.code);
    errors.Child(en);
  }
  errors.Close();
}

void AddEvent(pugi::xml_document& piece, const Event& ev) {
  pugi::xml_node en = AddText(piece, "event", ev.message);
  SetAttr(en, "seq", ev.seq);
  SetAttr(en, "time", ev.time);
  SetAttr(en, "level", ev.level);
  SetAttr(en, "zone", ev.zone);
  SetAttr(en, "instanceId", ev.instance_id);
  SetAttr(en, "phase", ev.phase);
}

}  // namespace

Status XmlWriter::Write(const ReportData& data, std::ostream& out) const {
  const RunInfo& r = data.run();
  const RunSummary& s = data.summary;
  auto stream_ok = [&out]() -> Status {
    return out ? OkStatus() : Error::Internal("writing the XML report failed");
  };
  out << kXmlDeclaration;
  StreamedElement root(out, "fleetpatchReport", 0);
  SetAttr(root.attributes(), "xmlns", kXmlNamespace);
  SetAttr(root.attributes(), "version", static_cast<int64_t>(kReportVersion));
  SetAttr(root.attributes(), "generator", "fleetpatch");
  if (!data.generated_at.empty()) SetAttr(root.attributes(), "generatedAt", data.generated_at);

  WriteRun(root, r);
  WriteSummary(root, s);
  WriteZones(root, s);

  // The parts that grow with the run are streamed, one small tree at a time.
  WriteErrors(out, s);
  {
    StreamedElement instances(out, "instances", 1);
    FP_RETURN_IF_ERROR(data.source.ForEachInstance("", [&](const InstanceRun& inst) -> Status {
      pugi::xml_document piece;
      AddInstance(piece, inst);
      instances.Child(piece.first_child());
      return stream_ok();
    }));
    instances.Close();
  }
  {
    StreamedElement events(out, "events", 1);
    FP_RETURN_IF_ERROR(data.source.ForEachEvent([&](const Event& ev) -> Status {
      pugi::xml_document piece;
      AddEvent(piece, ev);
      events.Child(piece.first_child());
      return stream_ok();
    }));
    events.Close();
  }
  root.Close();
  return stream_ok();
}

}  // namespace fleetpatch::report
