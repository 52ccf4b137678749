#include "config/config.h"

#include "common/redact.h"

#include "aws/endpoints.h"

#include <cmath>
#include <cstdio>

namespace fleetpatch::config {

int64_t CountOrPercent::Of(int64_t total) const {
  if (!percent) return static_cast<int64_t>(value);
  return static_cast<int64_t>(std::floor(static_cast<double>(total) * value / 100.0 + 1e-9));
}

std::string CountOrPercent::ToString() const {
  char buf[64];
  if (value == std::floor(value)) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(value));
  } else {
    std::snprintf(buf, sizeof buf, "%g", value);
  }
  return std::string(buf) + (percent ? "%" : "");
}

const char* PatchOperationName(PatchOperation op) {
  return op == PatchOperation::kInstall ? "Install" : "Scan";
}

const char* RebootOptionName(RebootOption r) {
  return r == RebootOption::kRebootIfNeeded ? "RebootIfNeeded" : "NoReboot";
}

const char* ReportFormatName(ReportFormat f) {
  switch (f) {
    case ReportFormat::kCsv:
      return "csv";
    case ReportFormat::kJson:
      return "json";
    case ReportFormat::kHtml:
      return "html";
    case ReportFormat::kXml:
      return "xml";
  }
  return "csv";
}

bool ParseReportFormat(const std::string& s, ReportFormat* out) {
  for (ReportFormat f : {ReportFormat::kCsv, ReportFormat::kJson, ReportFormat::kHtml, ReportFormat::kXml}) {
    if (s == ReportFormatName(f)) {
      *out = f;
      return true;
    }
  }
  return false;
}

std::string PartitionForRegion(const std::string& region) { return aws::PartitionForRegion(region); }

std::string RenderAmiName(const std::string& name_template, const std::string& run_id,
                          const std::string& instance_id, const std::string& date_yyyymmdd,
                          const std::string& zone) {
  std::string out;
  for (size_t i = 0; i < name_template.size();) {
    auto try_sub = [&](const char* key, const std::string& value) {
      std::string k = std::string("{") + key + "}";
      if (name_template.compare(i, k.size(), k) != 0) return false;
      out += value;
      i += k.size();
      return true;
    };
    if (name_template[i] == '{' && (try_sub("run_id", run_id) || try_sub("instance_id", instance_id) ||
                                    try_sub("date", date_yyyymmdd) || try_sub("zone", zone))) {
      continue;
    }
    out += name_template[i++];
  }
  return out;
}

namespace {

nlohmann::json TagsJson(const TagMatch& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

nlohmann::json RateJson(const RateLimit& r) { return {{"per_second", r.per_second}, {"burst", r.burst}}; }

}  // namespace

nlohmann::json ConfigToJson(const Config& c) {
  using nlohmann::json;
  json zones = json::array();
  for (const auto& z : c.landing_zones) {
    zones.push_back(
        {{"name", z.name},
         {"account_id", z.account_id},
         {"region", z.region},
         {"role_arn", z.role_arn},
         {"external_id", z.external_id.empty() ? "" : std::string(kRedacted)},
         {"session_name", z.session_name},
         {"endpoint_url", z.endpoint_url},
         {"enabled", z.enabled},
         {"filters", {{"tags", TagsJson(z.filter_tags)}, {"exclude_tags", TagsJson(z.exclude_tags)}}}});
  }
  json formats = json::array();
  for (auto f : c.reporting.formats) formats.push_back(ReportFormatName(f));
  const auto& p = c.precheck;
  const auto& rl = c.aws.rate_limits;
  return {
      {"workflow",
       {{"phases",
         {{"scan", c.workflow.phases.scan},
          {"backup", c.workflow.phases.backup},
          {"precheck", c.workflow.phases.precheck},
          {"patch", c.workflow.phases.patch}}},
        {"timeouts",
         {{"ami_creation", c.workflow.timeouts.ami_creation_s},
          {"patch_execution", c.workflow.timeouts.patch_execution_s},
          {"ssm_connection", c.workflow.timeouts.ssm_connection_s},
          {"precheck_command", c.workflow.timeouts.precheck_command_s}}}}},
      {"landing_zones_file", c.landing_zones_file},
      {"landing_zones", zones},
      {"concurrency",
       {{"zone_workers", c.concurrency.zone_workers},
        {"max_requests_per_zone", c.concurrency.max_requests_per_zone},
        {"max_pending_images_per_zone", c.concurrency.max_pending_images_per_zone},
        {"max_commands_per_zone", c.concurrency.max_commands_per_zone}}},
      {"error_budget", c.error_budget.ToString()},
      {"precheck",
       {{"min_free_disk_percent", p.min_free_disk_percent},
        {"min_free_disk_gib", p.min_free_disk_gib},
        {"mounts", p.mounts},
        {"max_load_per_cpu", p.max_load_per_cpu},
        {"min_free_memory_percent", p.min_free_memory_percent},
        {"min_free_memory_mib", p.min_free_memory_mib},
        {"critical_services",
         {{"linux", p.critical_services.linux_services}, {"windows", p.critical_services.windows_services}}},
        {"fail_on_pending_reboot", p.fail_on_pending_reboot},
        {"fail_on_package_lock", p.fail_on_package_lock},
        {"min_ssm_agent_version", p.min_ssm_agent_version}}},
      {"patch",
       {{"document", c.patch.document},
        {"operation", PatchOperationName(c.patch.operation)},
        {"reboot_option", RebootOptionName(c.patch.reboot_option)},
        {"baseline_override", c.patch.baseline_override},
        {"canary_size", c.patch.canary_size},
        {"max_concurrency", c.patch.max_concurrency},
        {"max_errors", c.patch.max_errors.ToString()},
        {"require_confirmation", c.patch.require_confirmation}}},
      {"backup",
       {{"required", c.backup.required},
        {"no_reboot", c.backup.no_reboot},
        {"name_template", c.backup.name_template},
        {"tags", c.backup.tags},
        {"retention_days", c.backup.retention_days},
        {"keep_failed", c.backup.keep_failed}}},
      {"reporting", {{"output_dir", c.reporting.output_dir}, {"formats", formats}}},
      {"state", {{"path", c.state.path}}},
      {"aws",
       {{"profile", c.aws.profile},
        {"region", c.aws.region},
        {"max_attempts", c.aws.max_attempts},
        {"role_session_duration", c.aws.role_session_duration_s},
        {"rate_limits",
         {{"ec2_non_mutating", RateJson(rl.ec2_non_mutating)},
          {"ec2_mutating", RateJson(rl.ec2_mutating)},
          {"ec2_create_tags", RateJson(rl.ec2_create_tags)},
          {"ssm_read", RateJson(rl.ssm_read)},
          {"ssm_write", RateJson(rl.ssm_write)},
          {"sts", RateJson(rl.sts)}}}}},
      {"dry_run", c.dry_run},
  };
}

}  // namespace fleetpatch::config
