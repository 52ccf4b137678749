#include "report/junit_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <pugixml.hpp>

#include "common/clock.h"
#include "common/strings.h"
#include "report/report_format.h"
#include "report/xml_util.h"

namespace fleetpatch::report {
namespace {

double PhaseSeconds(const InstanceRun& inst, Phase phase) {
  switch (phase) {
    case Phase::kBackup:
      return inst.backup ? inst.backup->duration_s : 0;
    case Phase::kPrecheck:
      return inst.precheck ? SecondsBetweenIso8601(inst.precheck->started_at, inst.precheck->finished_at) : 0;
    case Phase::kPatch:
      return inst.patch ? inst.patch->duration_s : 0;
    case Phase::kScan:
      return 0;
  }
  return 0;
}

// Why a phase is reported as skipped.
std::string SkipReason(const InstanceRun& inst, Phase phase, Outcome outcome) {
  if (outcome == Outcome::kNotRun)
    return fmt::format("the {} phase did not run for this instance", PhaseName(phase));
  std::string status = PhaseStatus(inst, phase);
  if (outcome == Outcome::kPending) return fmt::format("not finished (status {})", status);
  std::string reason;
  switch (phase) {
    case Phase::kScan:
      reason = inst.info.ineligible_reason;
      break;
    case Phase::kBackup:
      reason = inst.backup->reason;
      break;
    case Phase::kPrecheck:
      reason = Join(inst.precheck->reasons, "; ");
      break;
    case Phase::kPatch:
      reason = inst.patch->reason;
      break;
  }
  return reason.empty() ? status : status + ": " + reason;
}

// What CI shows under a test case: the phase's details, as plain text.
std::string Details(const InstanceRun& inst, Phase phase) {
  const InstanceInfo& i = inst.info;
  std::string out = fmt::format("instance {} ({}) in {} / {} / {}\nname: {}\nstatus: {}\n", i.instance_id,
                                i.platform.empty() ? "unknown platform" : i.platform, i.zone, i.account_id,
                                i.region, i.name, PhaseStatus(inst, phase));
  switch (phase) {
    case Phase::kScan:
      out += fmt::format("state: {}\nssm: {}\n", i.state, i.ssm_ping_status);
      break;
    case Phase::kBackup:
      if (inst.backup)
        out += fmt::format("ami: {}\nduration_s: {}\n", inst.backup->ami_id,
                           FormatNumber(inst.backup->duration_s));
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
        out += fmt::format("command id: {} ({})\ninstalled {}, missing {}, failed {}, pending reboot {}\n",
                           p.command_id, p.command_status, p.installed, p.missing, p.failed,
                           p.installed_pending_reboot);
      }
      out += "timeline: " + TimelineText(inst) + "\n";
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

// The test case of one phase of one instance (skipped when the phase is not in the run).
void AddTestCase(pugi::xml_node parent, const std::string& zone, const InstanceRun& inst, Phase phase) {
  Outcome outcome = PhaseOutcome(inst, phase);
  pugi::xml_node tc = parent.append_child("testcase");
  SetAttr(tc, "classname", zone);
  SetAttr(tc, "name", inst.info.instance_id + " " + PhaseName(phase));
  SetAttr(tc, "time", std::max(0.0, PhaseSeconds(inst, phase)));  // CI parsers reject negative times
  if (outcome == Outcome::kFailed) {
    ProblemInfo p = PhaseProblem(inst, phase);
    pugi::xml_node f = AddText(tc, "failure", Details(inst, phase));
    SetAttr(f, "message", p.code + ": " + p.message);
    SetAttr(f, "type", p.category);
  } else if (outcome != Outcome::kSucceeded) {
    SetAttr(tc.append_child("skipped"), "message", SkipReason(inst, phase, outcome));
  } else {
    AddText(tc, "system-out", Details(inst, phase));
  }
}

}  // namespace

Status JunitWriter::Write(const ReportData& data, std::ostream& out) const {
  const RunSummary& s = data.summary;
  auto stream_ok = [&out]() -> Status {
    return out ? OkStatus() : Error::Internal("writing the JUnit report failed");
  };

  // The suites' counts come before their test cases, so a first pass counts them. Times are summed
  // per zone in instance order, as the test cases list them, so the totals are the same doubles.
  std::vector<SuiteCounts> suites(s.zones.size());
  for (size_t i = 0; i < s.zones.size(); ++i) {
    if (s.zones[i].error.empty()) continue;
    ++suites[i].tests;
    ++suites[i].errors;
  }
  FP_RETURN_IF_ERROR(data.source.ForEachInstance("", [&](const InstanceRun& inst) -> Status {
    size_t zi = 0;
    while (zi < s.zones.size() && s.zones[zi].zone != inst.info.zone) ++zi;
    if (zi == s.zones.size()) return OkStatus();  // not in the summary (written concurrently): not listed
    SuiteCounts& c = suites[zi];
    for (Phase phase : s.phases_present) {
      Outcome outcome = PhaseOutcome(inst, phase);
      double seconds = std::max(0.0, PhaseSeconds(inst, phase));
      c.time += seconds;
      ++c.tests;
      if (outcome == Outcome::kFailed) {
        ++c.failures;
      } else if (outcome != Outcome::kSucceeded) {
        ++c.skipped;
      }
    }
    return OkStatus();
  }));
  SuiteCounts total;
  for (const SuiteCounts& c : suites) {
    total.tests += c.tests;
    total.failures += c.failures;
    total.errors += c.errors;
    total.skipped += c.skipped;
    total.time += c.time;
  }

  out << kXmlDeclaration;
  StreamedElement root(out, "testsuites", 0);
  SetAttr(root.attributes(), "name", "fleetpatch run " + data.run().run_id);
  total.Set(root.attributes());

  for (size_t zi = 0; zi < s.zones.size(); ++zi) {
    const ZoneSummary& z = s.zones[zi];
    root.Open();
    // The suite's test cases are printed one by one as the zone's instances are read.
    StreamedElement suite(out, "testsuite", 1);
    SetAttr(suite.attributes(), "name", z.zone);
    suites[zi].Set(suite.attributes());
    if (!z.error.empty()) {
      pugi::xml_document piece;
      pugi::xml_node tc = piece.append_child("testcase");
      SetAttr(tc, "classname", z.zone);
      SetAttr(tc, "name", z.zone + " landing zone");
      SetAttr(tc, "time", 0.0);
      pugi::xml_node err = AddText(tc, "error",
                                   fmt::format("account {} region {} role {}\n{}", z.account_id, z.region,
                                               z.role_arn, z.error.message));
      SetAttr(err, "message", z.error.code + ": " + z.error.message);
      SetAttr(err, "type", z.error.category);
      suite.Child(tc);
    }
    FP_RETURN_IF_ERROR(data.source.ForEachInstance(z.zone, [&](const InstanceRun& inst) -> Status {
      if (inst.info.zone != z.zone) return OkStatus();  // an empty zone name asks for every instance
      pugi::xml_document piece;
      for (Phase phase : s.phases_present) {
        AddTestCase(piece, z.zone, inst, phase);
        suite.Child(piece.last_child());
      }
      return stream_ok();
    }));
    suite.Close();
  }
  root.Close();
  return stream_ok();
}

}  // namespace fleetpatch::report
