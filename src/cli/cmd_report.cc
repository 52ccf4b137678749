// `fleetpatch report RUN [--format csv,json,html,xml] [--output-dir DIR]`: writes a run's reports
// again from the state store, for any run (finished, failed, interrupted or still running: the
// reports then show what was recorded so far). Formats and directory default to what the run
// recorded in its config, so a plain `fleetpatch report latest` rewrites the same files.
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/store_access.h"
#include "common/json_dump.h"
#include "common/report_format.h"
#include "report/report_writer.h"
#include "report/run_source.h"

namespace fleetpatch::cli {
namespace {

std::vector<report::ReportFormat> FormatsFor(const Options& options, const nlohmann::json& config) {
  std::vector<ReportFormat> out;
  auto add = [&](const std::string& name) {
    ReportFormat f;
    if (ParseChoosableReportFormat(name, &f) && std::find(out.begin(), out.end(), f) == out.end())
      out.push_back(f);
  };
  if (!options.formats.empty()) {
    for (auto f : options.formats) add(config::ReportFormatName(f));
  } else if (config.is_object() && config.contains("reporting") && config["reporting"].is_object() &&
             config["reporting"].contains("formats") && config["reporting"]["formats"].is_array()) {
    for (const auto& f : config["reporting"]["formats"])
      if (f.is_string()) add(f.get<std::string>());
  }
  if (out.empty()) {
    for (auto f : config::Config().reporting.formats) add(config::ReportFormatName(f));
  }
  return FormatsToWrite(out);
}

std::string OutputDirFor(const Options& options, const nlohmann::json& config) {
  if (!options.output_dir.empty()) return options.output_dir;
  if (config.is_object() && config.contains("reporting") && config["reporting"].is_object()) {
    const auto& r = config["reporting"];
    if (r.contains("output_dir") && r["output_dir"].is_string() &&
        !r["output_dir"].get<std::string>().empty())
      return r["output_dir"].get<std::string>();
  }
  return config::Config().reporting.output_dir;
}

}  // namespace

Result<int> RunReportCommand(const Options& options, Context& ctx) {
  FP_ASSIGN_OR_RETURN(std::string path, StatePathFor(options, ctx.env));
  RealClock& clock = DefaultClock();
  FP_ASSIGN_OR_RETURN(auto store, OpenStoreReadOnly(path, clock));
  FP_ASSIGN_OR_RETURN(RunInfo run, ResolveRun(*store, options.target_run, path));
  std::vector<std::filesystem::path> written;
  // The instances are streamed from the store in batches (one pass for the summary, one per
  // format), never loaded all at once. All passes read one snapshot of the store, so the files
  // agree with each other even when a workflow is still writing the run in another process.
  FP_RETURN_IF_ERROR(store->ReadConsistently([&]() -> Status {
    FP_ASSIGN_OR_RETURN(std::unique_ptr<report::StoreSource> source,
                        report::StoreSource::Open(*store, run.run_id));
    FP_ASSIGN_OR_RETURN(report::RunSummary summary, report::Summarize(*source));
    const nlohmann::json& config = source->run().config;
    report::WriteOptions wopts;
    wopts.generated_at = FormatIso8601(clock.Now());
    FP_ASSIGN_OR_RETURN(written, report::WriteReports(*source, summary, OutputDirFor(options, config),
                                                      FormatsFor(options, config), wopts));
    return OkStatus();
  }));
  if (options.output == OutputFormat::kJson) {
    nlohmann::json j;
    j["run_id"] = run.run_id;
    j["status"] = RunStatusName(run.status);
    j["reports"] = nlohmann::json::array();
    for (const auto& p : written) j["reports"].push_back(p.string());
    *ctx.out << DumpJson(j, 2) << "\n";
    return 0;
  }
  *ctx.out << "Reports of run " << run.run_id << " (" << RunStatusName(run.status) << "):\n";
  for (const auto& p : written) *ctx.out << "  " << p.string() << "\n";
  return 0;
}

}  // namespace fleetpatch::cli
