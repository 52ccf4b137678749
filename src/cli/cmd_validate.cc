// fleetpatch validate --config F [--landing-zones F]: loads and checks without touching AWS.
// Prints OK with a summary of the zones, or every problem (exit code 2).
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/commands.h"
#include "common/exit_codes.h"
#include "common/json_dump.h"

namespace fleetpatch::cli {
namespace {

std::string FormatsList(const config::Config& c) {
  std::string s;
  for (auto f : c.reporting.formats) s += (s.empty() ? "" : ", ") + std::string(config::ReportFormatName(f));
  return s;
}

std::string PhasesList(const Options& o, const config::Config& c) {
  std::string s;
  for (Phase p : PhasesToRun(o, c)) s += (s.empty() ? "" : ", ") + std::string(PhaseName(p));
  return s.empty() ? "none" : s;
}

void PrintText(const Options& o, const config::Config& c, std::ostream& out) {
  std::vector<std::string> files;
  if (!o.config_path.empty()) files.push_back(o.config_path);
  if (!o.landing_zones_path.empty()) files.push_back(o.landing_zones_path);
  out << "OK:";
  for (const auto& f : files) out << " " << f;
  out << "\n";
  size_t enabled = 0, name_w = 4;
  for (const auto& z : c.landing_zones) {
    enabled += z.enabled ? 1 : 0;
    name_w = std::max(name_w, z.name.size());
  }
  out << "landing zones: " << c.landing_zones.size() << " (" << enabled << " enabled)";
  if (!c.landing_zones_file.empty()) out << " from " << c.landing_zones_file;
  out << "\n";
  if (c.landing_zones.empty()) {
    out << "  none: give --landing-zones FILE or set landing_zones in the config before running a workflow\n";
  } else {
    out << "  " << std::left << std::setw(static_cast<int>(name_w)) << "NAME"
        << "  ACCOUNT       " << std::setw(16) << "REGION"
        << "ROLE\n";
    for (const auto& z : c.landing_zones) {
      out << "  " << std::setw(static_cast<int>(name_w)) << z.name << "  " << z.account_id << "  "
          << std::setw(16) << z.region << z.role_arn << (z.enabled ? "" : "  (disabled)") << "\n";
    }
  }
  out << "phases (" << WorkflowName(o.workflow) << "): " << PhasesList(o, c)
      << (c.dry_run ? " (dry run)" : "") << "\n";
  out << "state: " << c.state.path << "\n";
  out << "reports: " << c.reporting.output_dir << " (" << FormatsList(c) << ")\n";
}

}  // namespace

Result<int> RunValidateCommand(const Options& options, Context& ctx) {
  config::Config c;
  auto problems = CheckEffectiveConfig(options, ctx.env, &c);
  if (options.output == OutputFormat::kJson) {
    nlohmann::json j;
    j["ok"] = problems.empty();
    if (problems.empty()) {
      j["config"] = config::ConfigToJson(c);
    } else {
      j["problems"] = nlohmann::json::array();
      for (const auto& p : problems) {
        j["problems"].push_back({{"file", p.file},
                                 {"line", p.line},
                                 {"column", p.column},
                                 {"path", p.path},
                                 {"message", p.message}});
      }
    }
    *ctx.out << DumpJson(j, 2) << "\n";
    return problems.empty() ? kExitOk : kExitConfig;
  }
  if (!problems.empty()) {
    *ctx.err << "fleetpatch: " << problems.size() << (problems.size() == 1 ? " problem" : " problems")
             << " found:\n";
    for (const auto& p : problems) *ctx.err << p.ToString() << "\n";
    return kExitConfig;
  }
  PrintText(options, c, *ctx.out);
  return kExitOk;
}

}  // namespace fleetpatch::cli
