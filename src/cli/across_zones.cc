#include "cli/across_zones.h"

#include <mutex>

#include "cli/run_engine.h"
#include "common/exit_codes.h"
#include "common/time_format.h"
#include "workflow/executor.h"

namespace fleetpatch::cli {

Result<std::vector<workflow::ZoneSpec>> SelectZones(const config::Config& config,
                                                    const std::vector<std::string>& names) {
  std::vector<workflow::ZoneSpec> all = ZoneSpecsFrom(config);
  if (names.empty()) return all;
  std::vector<workflow::ZoneSpec> out;
  for (const auto& name : names) {
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const workflow::ZoneSpec& z) { return z.info.name == name; });
    if (it == all.end()) {
      std::string known;
      for (const auto& z : all) known += (known.empty() ? "" : ", ") + z.info.name;
      return Error::Config("--zone: no enabled landing zone is named '" + name +
                           "'; the enabled ones: " + (known.empty() ? "none" : known));
    }
    out.push_back(*it);
  }
  return out;
}

Result<std::shared_ptr<workflow::ZoneApi>> ConnectOnce::Connect(const workflow::ZoneSpec& zone) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = apis_.find(zone.info.name); it != apis_.end()) return it->second;
  }
  FP_ASSIGN_OR_RETURN(std::shared_ptr<workflow::ZoneApi> api, connector_.Connect(zone));
  std::lock_guard<std::mutex> lock(mu_);
  return apis_.emplace(zone.info.name, std::move(api)).first->second;
}

std::vector<Error> ForEachZoneApi(
    workflow::ZoneConnector& connector, const std::vector<workflow::ZoneSpec>& zones, int workers,
    const std::function<Status(workflow::ZoneApi&, const workflow::ZoneSpec&)>& fn) {
  std::vector<std::optional<Error>> errors(zones.size());
  workflow::ParallelFor(zones.size(), static_cast<size_t>(std::max(1, workers)), [&](size_t i) {
    Status st = [&]() -> Status {
      FP_ASSIGN_OR_RETURN(auto api, connector.Connect(zones[i]));
      return fn(*api, zones[i]);
    }();
    if (st.ok()) return;
    Error e = st.error();
    e.message = "landing zone '" + zones[i].info.name + "': " + e.message;
    errors[i] = std::move(e);
  });
  std::vector<Error> out;
  for (auto& e : errors)
    if (e) out.push_back(std::move(*e));
  return out;
}

std::string ReportStamp(std::chrono::system_clock::time_point t) { return FormatUtc(t, "%Y%m%d-%H%M%S"); }

int ZoneErrorsExitCode(const std::vector<Error>& errors) {
  return errors.empty() ? kExitOk : ExitCodeFor(errors.front().category);
}

int PrintOutcome(const Options& options, Context& ctx, const report::TableReport& report,
                 const Result<std::vector<std::filesystem::path>>& written,
                 const std::vector<Error>& zone_errors, int code, TextSummary text) {
  if (!written.ok()) {
    *ctx.err << "fleetpatch: could not write the reports: " << written.error().ToString() << "\n";
    if (code == kExitOk) code = ExitCodeFor(written.error().category);
  }
  if (options.output == OutputFormat::kJson) {
    nlohmann::json extra = {
        {"exit_code", code}, {"reports", nlohmann::json::array()}, {"zone_errors", nlohmann::json::array()}};
    if (written.ok())
      for (const auto& p : *written) extra["reports"].push_back(p.string());
    for (const auto& e : zone_errors)
      extra["zone_errors"].push_back({{"category", CategoryName(e.category)}, {"message", e.ToString()}});
    // The JSON report file, when one was written, is copied rather than serialised again.
    const std::filesystem::path* file = nullptr;
    if (written.ok())
      for (const auto& p : *written)
        if (p.extension() == ".json") file = &p;
    Status st = file ? report::CopyTableJson(*file, extra, *ctx.out)
                     : report::StreamTableJson(report, extra, *ctx.out);
    if (!st.ok()) *ctx.err << "fleetpatch: could not print the report: " << st.error().ToString() << "\n";
    return code;
  }
  text(*ctx.out, report);
  for (const auto& e : zone_errors)
    *ctx.err << "fleetpatch: zone error [" << CategoryName(e.category) << "]: " << e.ToString() << "\n";
  if (written.ok()) {
    *ctx.out << "Reports:\n";
    for (const auto& p : *written) *ctx.out << "  " << p.string() << "\n";
  }
  return code;
}

}  // namespace fleetpatch::cli
