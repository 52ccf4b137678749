#include "report/junit_writer.h"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <pugixml.hpp>

#include "common/clock.h"
#include "report/report_format.h"
#include "report/xml_util.h"

namespace fleetpatch::report {
namespace {

double SecondsBetween(const std::string& start, const std::string& end) {
  std::chrono::system_clock::time_point a, b;
  if (!ParseIso8601(start, &a) || !ParseIso8601(end, &b) || b < a) return 0;
  return std::chrono::duration<double>(b - a).count();
}

double PhaseSeconds(const InstanceRun& inst, Phase phase) {
  switch (phase) {
    case Phase::kBackup: return inst.backup ? inst.backup->duration_s : 0;
    case Phase::kPrecheck: return inst.precheck ? SecondsBetween(inst.precheck->started_at, inst.precheck->finished_at) : 0;
    case Phase::kPatch: return inst.patch ? inst.patch->duration_s : 0;
    case Phase::kScan: return 0;
  }
  return 0;
}

// Why a phase is reported as skipped.
std::string SkipReason(const InstanceRun& inst, Phase phase, Outcome outcome) {
  if (outcome == Outcome::kNotRun) return fmt::format("the {} phase did not run for this instance", PhaseName(phase));
  std::string status = PhaseStatus(inst, phase);
  if (outcome == Outcome::kPending) return fmt::format("not finished (status {})", status);
  std::string reason;
  switch (phase) {
    case Phase::kScan: reason = inst.info.ineligible_reason; break;
    case Phase::kBackup: reason = inst.backup->reason; break;
    case Phase::kPrecheck: reason = Join(inst.precheck->reasons, "; "); break;
    case Phase::kPatch: reason = inst.patch->reason; break;
  }
  return reason.empty() ? status : status + ": " + reason;
}

// What CI shows under a test case: the phase's details, as plain text.
std::string Details(const InstanceRun& inst, Phase phase) {
  const InstanceInfo& i = inst.info;
  std::string out = fmt::format("instance {} ({}) in {} / {} / {}\nname: {}\nstatus: {}\n", i.instance_id,
                                i.platform.empty() ? "unknown platform" : i.platform, i.zone, i.account_id, i.region,
                                i.name, PhaseStatus(inst, phase));
  switch (phase) {
    case Phase::kScan:
      out += fmt::format("state: {}\nssm: {}\n", i.state, i.ssm_ping_status);
      break;
    case Phase::kBackup:
      if (inst.backup) out += fmt::format("ami: {}\nduration_s: {}\n", inst.backup->ami_id, FormatNumber(inst.backup->duration_s));
      break;
    case Phase::kPrecheck:
      if (inst.precheck) {
        out += fmt::format("command id: {}\n", inst.precheck->command_id);
        for (const auto& f : inst.precheck->findings) out += FormatFinding(f) + "\n";
        for (const auto& r : inst.precheck->risks) out += "risk: " + r + "\n";
        if (!inst.precheck->output.empty()) out += "output:\n" + inst.precheck->output + "\n";
      }
      break;
    case Phase::kPatch:
      if (inst.patch) {
        const PatchResult& p = *inst.patch;
        out += fmt::format("command id: {} ({})\ninstalled {}, missing {}, failed {}, pending reboot {}\n", p.command_id,
                           p.command_status, p.installed, p.missing, p.failed, p.installed_pending_reboot);
      }
      break;
  }
  return out;
}

struct SuiteCounts {
  int64_t tests = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
  void Set(pugi::xml_node n) const {
    SetAttr(n, "tests", tests);
    SetAttr(n, "failures", failures);
    SetAttr(n, "errors", errors);
    SetAttr(n, "skipped", skipped);
    SetAttr(n, "time", time);
  }
};

}  // namespace

Result<std::string> JunitWriter::Render(const ReportData& data) const {
  const RunSnapshot& snap = data.snapshot;
  const RunSummary& s = data.summary;
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node suites = doc.append_child("testsuites");
  SetAttr(suites, "name", "fleetpatch run " + snap.run.run_id);
  SuiteCounts total;

  for (const ZoneSummary& z : s.zones) {
    pugi::xml_node suite = suites.append_child("testsuite");
    SetAttr(suite, "name", z.zone);
    SuiteCounts counts;
    if (!z.error.empty()) {
      pugi::xml_node tc = suite.append_child("testcase");
      SetAttr(tc, "classname", z.zone);
      SetAttr(tc, "name", z.zone + " landing zone");
      SetAttr(tc, "time", 0.0);
      pugi::xml_node err = AddText(tc, "error",
                                   fmt::format("account {} region {} role {}\n{}", z.account_id, z.region, z.role_arn,
                                               z.error.message));
      SetAttr(err, "message", z.error.code + ": " + z.error.message);
      SetAttr(err, "type", z.error.category);
      ++counts.tests;
      ++counts.errors;
    }
    for (const InstanceRun& inst : snap.instances) {
      if (inst.info.zone != z.zone) continue;
      for (Phase phase : s.phases_present) {
        Outcome outcome = PhaseOutcome(inst, phase);
        pugi::xml_node tc = suite.append_child("testcase");
        SetAttr(tc, "classname", z.zone);
        SetAttr(tc, "name", inst.info.instance_id + " " + PhaseName(phase));
        double seconds = std::max(0.0, PhaseSeconds(inst, phase));  // CI parsers reject negative times
        SetAttr(tc, "time", seconds);
        counts.time += seconds;
        ++counts.tests;
        if (outcome == Outcome::kFailed) {
          ProblemInfo p = PhaseProblem(inst, phase);
          pugi::xml_node f = AddText(tc, "failure", Details(inst, phase));
          SetAttr(f, "message", p.code + ": " + p.message);
          SetAttr(f, "type", p.category);
          ++counts.failures;
        } else if (outcome != Outcome::kSucceeded) {
          SetAttr(tc.append_child("skipped"), "message", SkipReason(inst, phase, outcome));
          ++counts.skipped;
        } else {
          AddText(tc, "system-out", Details(inst, phase));
        }
      }
    }
    counts.Set(suite);
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
    total.skipped += counts.skipped;
    total.time += counts.time;
  }
  total.Set(suites);
  return SaveXml(doc);
}

}  // namespace fleetpatch::report
