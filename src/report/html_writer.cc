#include "report/html_writer.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>

#include "common/strings.h"
#include "report/html_assets.h"
#include "report/json_writer.h"
#include "report/report_format.h"
#include "report/text_util.h"

namespace fleetpatch::report {
namespace {

std::string Sha256Base64(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

const char* OutcomeColor(Outcome o) {
  switch (o) {
    case Outcome::kSucceeded:
      return "#2e9d5b";
    case Outcome::kFailed:
      return "#d64545";
    case Outcome::kSkipped:
      return "#9aa5b1";
    case Outcome::kPending:
      return "#e0a100";
    case Outcome::kNotRun:
      return "#d3d9e0";
  }
  return "#d3d9e0";
}

// What a person reads: the outcome's name with spaces ("not run" for not_run).
std::string OutcomeLabel(Outcome o) {
  std::string label = OutcomeName(o);
  std::replace(label.begin(), label.end(), '_', ' ');
  return label;
}

// At most `max` code points of valid UTF-8 text, with an ellipsis when cut.
std::string Truncate(const std::string& s, size_t max) {
  std::string safe = SanitizeUtf8(s);
  size_t count = 0;
  for (size_t i = 0; i < safe.size(); ++i) {
    if ((static_cast<unsigned char>(safe[i]) & 0xC0) == 0x80) continue;
    if (count++ == max) return safe.substr(0, i) + "\xE2\x80\xA6";
  }
  return safe;
}

std::string E(std::string_view s) { return HtmlEscape(s); }

std::string Badge(const std::string& status) {
  return fmt::format("<span class=\"badge st-{0}\">{0}</span>", E(status));
}

struct ChartRow {
  std::string label;
  OutcomeCounts counts;
  std::string problem;  // drawn in red when the row has no bar (a zone that failed as a whole)
};

// A horizontal stacked bar per row, scaled to the largest row, with counts in the segments.
std::string StackedBarChart(const std::string& title, const std::vector<ChartRow>& rows) {
  if (rows.empty()) return "<p class=\"empty\">No data.</p>";
  constexpr int kWidth = 640, kLabel = 140, kBar = 440, kRow = 30, kBarHeight = 20;
  int64_t max_total = 1;
  for (const auto& r : rows) max_total = std::max(max_total, r.counts.total());
  int height = static_cast<int>(rows.size()) * kRow + 6;
  std::string svg = fmt::format(
      "<svg viewBox=\"0 0 {0} {1}\" width=\"100%\" role=\"img\" aria-label=\"{2}\" "
      "xmlns=\"http://www.w3.org/2000/svg\">",
      kWidth, height, E(title));
  for (size_t i = 0; i < rows.size(); ++i) {
    const ChartRow& r = rows[i];
    int y = static_cast<int>(i) * kRow + 4;
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\"><title>{}</title>{}</text>", kLabel - 8,
                       y + 15, E(r.label), E(Truncate(r.label, 18)));
    double x = kLabel;
    for (Outcome o : kAllOutcomes) {
      int64_t n = r.counts.Get(o);
      if (n == 0) continue;
      double w = static_cast<double>(n) * kBar / static_cast<double>(max_total);
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" rx=\"3\" fill=\"{}\">"
          "<title>{}: {} {}</title></rect>",
          x, y, std::max(w - 1.0, 1.0), kBarHeight, OutcomeColor(o), E(r.label), n, OutcomeLabel(o));
      if (w >= 24)
        svg += fmt::format("<text class=\"in{}\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                           o == Outcome::kNotRun ? " dark" : "", x + w / 2, y + 14, n);
      x += w;
    }
    if (!r.problem.empty())
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" fill=\"#d64545\">{}</text>", x + 6, y + 15,
                         E(Truncate(r.problem, 60)));
    else
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" fill=\"#616e7c\">{}</text>", x + 6, y + 15,
                         r.counts.total());
  }
  svg += "</svg><div class=\"legend\">";
  for (Outcome o : kAllOutcomes)
    svg += fmt::format("<span class=\"lg-{}\">{}</span>", OutcomeName(o), OutcomeLabel(o));
  svg += "</div>";
  return svg;
}

std::string Card(const std::string& label, const std::string& value, const std::string& sub,
                 const char* tone) {
  return fmt::format(
      "<div class=\"card {}\"><div class=\"label\">{}</div><div class=\"value\">{}</div>"
      "<div class=\"sub\">{}</div></div>",
      tone, E(label), E(value), E(sub));
}

std::string CountsText(const OutcomeCounts& c) {
  std::vector<std::string> parts;
  if (c.failed) parts.push_back(fmt::format("{} failed", c.failed));
  if (c.skipped) parts.push_back(fmt::format("{} skipped", c.skipped));
  if (c.pending) parts.push_back(fmt::format("{} pending", c.pending));
  if (c.not_run) parts.push_back(fmt::format("{} not run", c.not_run));
  return parts.empty() ? "no failures" : Join(parts, " \xC2\xB7 ");
}

std::string Cards(const RunSummary& s) {
  std::string out = "<section class=\"cards\">";
  out += Card("Instances", std::to_string(s.instances),
              fmt::format("{} eligible \xC2\xB7 {} ineligible", s.eligible, s.instances - s.eligible), "");
  out += Card("Landing zones", std::to_string(s.zones.size()),
              s.zones_failed ? fmt::format("{} failed", s.zones_failed) : "all reachable",
              s.zones_failed ? "bad" : "good");
  for (Phase phase : s.phases_present) {
    if (phase == Phase::kScan) continue;
    const PhaseSummary& p = s.phases[static_cast<size_t>(phase)];
    const char* label = phase == Phase::kBackup     ? "Backups available"
                        : phase == Phase::kPrecheck ? "Prechecks ready"
                                                    : "Patched";
    out += Card(label, std::to_string(p.counts.succeeded), CountsText(p.counts),
                p.counts.failed ? "bad" : "good");
  }
  const PatchTotals& t = s.patch_totals;  // summed in the summary's pass over the instances
  if (t.any)
    out += Card("Updates installed", std::to_string(t.installed),
                fmt::format("{} missing \xC2\xB7 {} failed \xC2\xB7 {} pending reboot", t.missing, t.failed,
                            t.installed_pending_reboot),
                t.failed ? "bad" : "good");
  out +=
      Card("Errors", std::to_string(s.errors.size()),
           s.errors.empty() ? "nothing to chase" : "see the error list", s.errors.empty() ? "good" : "bad");
  out += "</section>";
  return out;
}

std::string Charts(const RunSummary& s) {
  std::vector<ChartRow> phase_rows;
  for (Phase phase : s.phases_present)
    phase_rows.push_back({PhaseName(phase), s.phases[static_cast<size_t>(phase)].counts, ""});
  std::vector<ChartRow> zone_rows;
  for (const ZoneSummary& z : s.zones)
    zone_rows.push_back({z.zone, z.overall, z.error.empty() ? "" : "zone failed: " + z.error.code});
  return "<section class=\"panels\"><div class=\"panel\"><h2>Outcomes per phase</h2>" +
         StackedBarChart("Outcomes per phase", phase_rows) +
         "</div><div class=\"panel\"><h2>Instance outcomes per landing zone</h2>" +
         StackedBarChart("Instance outcomes per landing zone", zone_rows) + "</div></section>";
}

std::string InstancesSection(const RunSummary& s) {
  std::string out =
      "<section class=\"panel\" id=\"instances\"><h2>Instances</h2><div class=\"toolbar\">"
      "<input id=\"fp-search\" type=\"search\" placeholder=\"Filter: id, name, zone, status, error\" "
      "aria-label=\"Filter instances\">"
      "<select id=\"fp-outcome\" aria-label=\"Outcome\"><option value=\"\">All outcomes</option>";
  for (Outcome o : kAllOutcomes)
    out += fmt::format("<option value=\"{}\">{}</option>", OutcomeName(o), OutcomeLabel(o));
  out +=
      "</select><select id=\"fp-zone\" aria-label=\"Landing zone\"><option value=\"\">All "
      "zones</option></select>";
  out += fmt::format("<span class=\"count\" id=\"fp-count\">{} instances</span></div>", s.instances);
  out +=
      "<table id=\"fp-instances\" class=\"data\"><thead></thead><tbody></tbody></table>"
      "<noscript><p class=\"empty\">The instance table needs JavaScript; the CSV, JSON and XML reports hold "
      "the "
      "same data.</p></noscript></section>";
  return out;
}

// Written straight to the stream: the list grows with the failures.
void ErrorsSection(std::ostream& out, const RunSummary& s) {
  out << fmt::format("<section class=\"panel\" id=\"errors\"><h2>Errors ({})</h2>", s.errors.size());
  if (s.errors.empty()) {
    out << "<p class=\"empty\">No errors.</p></section>";
    return;
  }
  out << "<table class=\"data\"><thead><tr><th>Category</th><th>Zone</th><th>Account</th><th>Region</th>"
         "<th>Phase</th><th>Instance</th><th>Name</th><th>Code</th><th>Message</th></tr></thead><tbody>";
  for (const ErrorEntry& e : s.errors) {
    out << fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td "
        "class=\"wrap\">{}</td>"
        "<td class=\"fail-text\">{}</td><td class=\"wrap\">{}</td></tr>",
        Badge(e.problem.category), E(e.zone), E(e.account_id), E(e.region), E(e.phase), E(e.instance_id),
        E(e.instance_name), E(e.problem.code), E(e.problem.message));
  }
  out << "</tbody></table></section>";
}

std::string ZonesSection(const RunSummary& s) {
  std::string out = "<section class=\"panel\" id=\"zones\"><h2>Landing zones</h2>";
  if (s.zones.empty()) return out + "<p class=\"empty\">No landing zones.</p></section>";
  out +=
      "<table class=\"data\"><thead><tr><th>Zone / role</th><th>Account</th><th>Region</th><th>Instances</th>"
      "<th>Eligible</th>";
  for (Phase phase : s.phases_present)
    if (phase != Phase::kScan) out += fmt::format("<th>{}</th>", PhaseName(phase));
  out += "</tr></thead><tbody>";
  for (const ZoneSummary& z : s.zones) {
    std::string zone_error = z.error.empty()
                                 ? ""
                                 : fmt::format("<div class=\"fail-text wrap\">[{}] {}: {}</div>",
                                               E(z.error.category), E(z.error.code), E(z.error.message));
    out += fmt::format(
        "<tr><td class=\"wrap\">{}<div class=\"sub mono\">{}</div>{}</td><td>{}</td><td>{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td>",
        E(z.zone), E(z.role_arn), zone_error, E(z.account_id), E(z.region), z.instances, z.eligible);
    for (Phase phase : s.phases_present) {
      if (phase == Phase::kScan) continue;
      const OutcomeCounts& c = z.phases[static_cast<size_t>(phase)].counts;
      std::vector<std::string> parts{fmt::format("<span class=\"ok-text\">{} ok</span>", c.succeeded)};
      if (c.failed) parts.push_back(fmt::format("<span class=\"fail-text\">{} failed</span>", c.failed));
      if (c.skipped) parts.push_back(fmt::format("{} skipped", c.skipped));
      if (c.pending) parts.push_back(fmt::format("{} pending", c.pending));
      if (c.not_run) parts.push_back(fmt::format("<span class=\"muted\">{} not run</span>", c.not_run));
      out += "<td class=\"wrap\">" + Join(parts, " \xC2\xB7 ") + "</td>";
    }
    out += "</tr>";
  }
  return out + "</tbody></table></section>";
}

std::string RunSection(const ReportData& data) {
  const RunInfo& r = data.run();
  std::string out = "<section class=\"panel\" id=\"run\"><h2>Run details</h2><dl class=\"kv\">";
  auto row = [&out](const char* k, const std::string& v) {
    out += fmt::format("<dt>{}</dt><dd>{}</dd>", k, E(v));
  };
  row("Run id", r.run_id);
  row("Workflow", r.workflow);
  row("Status", RunStatusName(r.status));
  row("Dry run", r.dry_run ? "yes" : "no");
  row("Started by", r.user);
  row("Host", r.host);
  row("Created", r.created_at);
  row("Updated", r.updated_at);
  row("Phases completed", Join(r.phases_completed, ", "));
  if (!data.generated_at.empty()) row("Report generated", data.generated_at);
  out += "</dl><details><summary>Configuration</summary><pre>" +
         E(DumpJson(r.config.is_null() ? nlohmann::json::object() : r.config, 2)) +
         "</pre></details></section>";
  return out;
}

// The events table, row by row from the source (a resumed run can journal one event per instance).
Status EventsSection(std::ostream& out, const ReportData& data) {
  out << fmt::format("<section class=\"panel\" id=\"events\"><details><summary>Events ({})</summary>",
                     data.summary.events);
  if (data.summary.events > 0) {
    out << "<table "
           "class=\"data\"><thead><tr><th>#</th><th>Time</th><th>Level</th><th>Zone</th><th>Instance</"
           "th><th>Phase</th>"
           "<th>Message</th></tr></thead><tbody>";
    FP_RETURN_IF_ERROR(data.source.ForEachEvent([&](const Event& e) -> Status {
      out << fmt::format(
          "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td>"
          "<td>{}</td><td class=\"wrap\">{}</td></tr>",
          e.seq, E(e.time), E(e.level), E(e.zone), E(e.instance_id), E(e.phase), E(e.message));
      return out ? OkStatus() : Error::Internal("writing the HTML report failed");
    }));
    out << "</tbody></table>";
  }
  out << "</details></section>";
  return OkStatus();
}

// The data the table script reads: each instance as in the JSON report, plus its overall outcome
// and its problems per phase (as the error list shows them), as {"instances":[...],"run_id":...}
// (an nlohmann object's sorted keys), one instance at a time. The element is
// <script type="application/json">: data, not script, so the CSP's script hashes do not cover it;
// ScriptSafeJson on each piece escapes exactly what it escapes on the whole (every escaped
// character lies inside one piece), so nothing in the data can close the element.
Status ScriptData(std::ostream& out, const ReportData& data) {
  const RunSummary& s = data.summary;
  out << "{\"instances\":[";
  bool first = true;
  FP_RETURN_IF_ERROR(data.source.ForEachInstance("", [&](const InstanceRun& inst) -> Status {
    nlohmann::json j = InstanceJson(inst);
    j["overall"] = OutcomeName(InstanceOutcome(inst, s.phases_present));
    nlohmann::json problems = nlohmann::json::array();
    for (Phase phase : kAllPhases) {
      ProblemInfo p = PhaseProblem(inst, phase);
      if (p.empty()) continue;
      nlohmann::json pj = p;
      pj["phase"] = PhaseName(phase);
      problems.push_back(std::move(pj));
    }
    j["problems"] = std::move(problems);
    if (!first) out << ',';
    first = false;
    out << ScriptSafeJson(j);
    return out ? OkStatus() : Error::Internal("writing the HTML report failed");
  }));
  out << "],\"run_id\":" << ScriptSafeJson(nlohmann::json(data.run().run_id)) << "}";
  return OkStatus();
}

}  // namespace

std::string DashboardCsp() {
  return fmt::format(
      "default-src 'none'; style-src 'sha256-{}'; script-src 'sha256-{}' 'sha256-{}'; img-src 'none'; "
      "base-uri 'none'; form-action 'none'",
      Sha256Base64(kDashboardCss), Sha256Base64(kDashboardGuardScript), Sha256Base64(kDashboardScript));
}

Status HtmlWriter::Write(const ReportData& data, std::ostream& out) const {
  const RunSummary& s = data.summary;
  const RunInfo& r = data.run();
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out << "<meta http-equiv=\"Content-Security-Policy\" content=\"" << E(DashboardCsp()) << "\">\n";
  out << "<meta name=\"referrer\" content=\"no-referrer\">\n";
  out << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out << "<title>fleetpatch run " << E(r.run_id) << "</title>\n";
  out << "<style>" << kDashboardCss << "</style>\n";
  out << "<script>" << kDashboardGuardScript << "</script>\n</head>\n<body>\n";

  std::string meta = fmt::format(
      "workflow {} \xC2\xB7 {}started by {} on {} \xC2\xB7 created {} \xC2\xB7 updated {}", r.workflow,
      r.dry_run ? "dry run \xC2\xB7 " : "", r.user, r.host, r.created_at, r.updated_at);
  out << fmt::format(
      "<header><h1>fleetpatch run <code>{}</code>{}</h1><div class=\"meta\">{}</div></header>\n", E(r.run_id),
      Badge(s.overall_status), E(meta));
  out << "<main>\n" << Cards(s) << "\n" << Charts(s) << "\n" << InstancesSection(s) << "\n";
  ErrorsSection(out, s);
  out << "\n" << ZonesSection(s) << "\n" << RunSection(data) << "\n";
  FP_RETURN_IF_ERROR(EventsSection(out, data));
  out << "\n</main>\n";
  out << fmt::format("<footer>fleetpatch report version {}</footer>\n", kReportVersion);
  out << "<div id=\"fp-selftest\"></div>\n";
  out << "<script type=\"application/json\" id=\"fp-data\">";
  FP_RETURN_IF_ERROR(ScriptData(out, data));
  out << "</script>\n";
  out << "<script>" << kDashboardScript << "</script>\n</body>\n</html>\n";
  if (!out) return Error::Internal("writing the HTML report failed");
  return OkStatus();
}

}  // namespace fleetpatch::report
