#include "workflow/precheck_logic.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "config/names.h"

namespace fleetpatch::embedded {
extern const unsigned char kPrecheckSh[];
extern const std::size_t kPrecheckSh_size;
extern const unsigned char kPrecheckPs1[];
extern const std::size_t kPrecheckPs1_size;
}  // namespace fleetpatch::embedded

namespace fleetpatch::workflow {
namespace {

constexpr std::string_view kMarker = "FLEETPATCH_PRECHECK_V1 ";
constexpr std::string_view kServicesPlaceholder = "__FP_SERVICES__";

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Gib(int64_t kb) { return Fixed(static_cast<double>(kb) / (1024.0 * 1024.0), 1) + " GiB"; }

}  // namespace

Status ValidateServiceName(const std::string& name) {
  if (std::string why = config::CheckServiceName(name); !why.empty())
    return Error::Config("service name '" + name + "': " + why);
  return OkStatus();
}

Result<std::string> BuildPrecheckScript(const std::string& platform,
                                        const std::vector<std::string>& services) {
  for (const auto& s : services) FP_RETURN_IF_ERROR(ValidateServiceName(s));
  std::string script;
  std::string list;
  if (platform == "linux") {
    script.assign(reinterpret_cast<const char*>(embedded::kPrecheckSh), embedded::kPrecheckSh_size);
    for (const auto& s : services) list += (list.empty() ? "" : " ") + s;
  } else if (platform == "windows") {
    script.assign(reinterpret_cast<const char*>(embedded::kPrecheckPs1), embedded::kPrecheckPs1_size);
    for (const auto& s : services) list += (list.empty() ? "'" : ",'") + s + "'";
  } else {
    return Error::Validation("no precheck script for platform '" + platform +
                             "' (supported: linux, windows)");
  }
  auto pos = script.find(kServicesPlaceholder);
  if (pos == std::string::npos) return Error::Internal("precheck script has no services placeholder");
  script.replace(pos, kServicesPlaceholder.size(), list);
  return script;
}

namespace {

// A count from the instance's (untrusted) output: a JSON integer, or a float in range, truncated
// as before (PowerShell's ConvertTo-Json may print a computed size as 1234.5). nlohmann's get<int64_t>() of
// 2e65 is a float-to-integer conversion out of range, which is undefined behaviour (found by fuzz_precheck),
// so the range is checked here first.
int64_t CountField(const nlohmann::json& v, const char* name) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      throw std::out_of_range(std::string(name) + " is out of range");
    }
    return v.get<int64_t>();
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    // 2^63 is exact in a double; NaN fails both comparisons.
    if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0)) {
      throw std::out_of_range(std::string(name) + " is out of range");
    }
    return static_cast<int64_t>(d);
  }
  throw std::invalid_argument(std::string(name) + " is not a number");
}

int64_t CountField(const nlohmann::json& object, const char* name, int64_t fallback) {
  auto it = object.find(name);
  return it == object.end() ? fallback : CountField(*it, name);
}

}  // namespace

Result<PrecheckMeasurements> ParsePrecheckOutput(std::string_view output) {
  size_t pos = 0;
  while (true) {
    pos = output.find(kMarker, pos);
    if (pos == std::string_view::npos) {
      std::string head(output.substr(0, std::min<size_t>(output.size(), 200)));
      return Error::Validation("precheck output has no FLEETPATCH_PRECHECK_V1 line (output began: '" + head +
                               "')");
    }
    if (pos == 0 || output[pos - 1] == '\n') break;
    pos += kMarker.size();
  }
  size_t start = pos + kMarker.size();
  size_t end = output.find('\n', start);
  std::string_view line =
      output.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error::Validation("precheck output line is not valid JSON: '" +
                             std::string(line.substr(0, std::min<size_t>(line.size(), 200))) + "'");
  }
  PrecheckMeasurements m;
  try {
    for (const auto& d : j.value("disks", nlohmann::json::array())) {
      m.disks.push_back({d.at("mount").get<std::string>(), CountField(d.at("size_kb"), "size_kb"),
                         CountField(d.at("avail_kb"), "avail_kb")});
    }
    m.cpus = static_cast<int>(std::clamp<int64_t>(CountField(j, "cpus", 1), 1, 1 << 20));
    m.load1 = j.value("load1", -1.0);
    m.mem_total_kb = CountField(j, "mem_total_kb", 0);
    m.mem_available_kb = CountField(j, "mem_available_kb", 0);
    if (auto it = j.find("services"); it != j.end() && it->is_object()) {
      for (auto s = it->begin(); s != it->end(); ++s) m.services[s.key()] = s.value().get<std::string>();
    }
    m.reboot_required = j.value("reboot_required", false);
    m.pkg_lock = j.value("pkg_lock", false);
  } catch (const nlohmann::json::exception& e) {
    return Error::Validation(std::string("precheck output has a field of the wrong type: ") + e.what());
  } catch (const std::logic_error& e) {  // CountField: out_of_range, invalid_argument
    return Error::Validation(std::string("precheck output has a bad count: ") + e.what());
  }
  return m;
}

PrecheckResult EvaluatePrecheck(const PrecheckMeasurements& m, const PrecheckThresholds& t) {
  PrecheckResult r;
  auto add = [&](std::string check, std::string measured, std::string threshold, bool passed) {
    if (!passed) r.reasons.push_back(check + " is " + measured + " (required " + threshold + ")");
    r.findings.push_back({std::move(check), std::move(measured), std::move(threshold), passed});
  };

  int checked = 0;
  for (const auto& d : m.disks) {
    if (d.size_kb <= 0) continue;
    if (!t.mounts.empty() && std::find(t.mounts.begin(), t.mounts.end(), d.mount) == t.mounts.end()) continue;
    ++checked;
    double pct = 100.0 * static_cast<double>(d.avail_kb) / static_cast<double>(d.size_kb);
    add("disk_free_percent:" + d.mount, Fixed(pct, 1) + "%", ">= " + Fixed(t.min_free_disk_percent, 1) + "%",
        pct >= t.min_free_disk_percent);
    double gib = static_cast<double>(d.avail_kb) / (1024.0 * 1024.0);
    add("disk_free_gib:" + d.mount, Gib(d.avail_kb), ">= " + Fixed(t.min_free_disk_gib, 1) + " GiB",
        gib >= t.min_free_disk_gib);
  }
  for (const auto& want : t.mounts) {
    bool seen = std::any_of(m.disks.begin(), m.disks.end(),
                            [&](const DiskMeasurement& d) { return d.mount == want; });
    if (!seen) add("disk:" + want, "not mounted", "mounted", false);
  }
  if (checked == 0 && t.mounts.empty())
    add("disk_free_percent", "no local filesystems reported", "at least one", false);

  if (m.load1 >= 0) {
    double per_cpu = m.load1 / std::max(1, m.cpus);
    add("load_per_cpu", Fixed(per_cpu, 2), "<= " + Fixed(t.max_load_per_cpu, 2),
        per_cpu <= t.max_load_per_cpu);
  } else {
    add("load_per_cpu", "not measured", "<= " + Fixed(t.max_load_per_cpu, 2), false);
  }

  if (m.mem_total_kb > 0) {
    double pct = 100.0 * static_cast<double>(m.mem_available_kb) / static_cast<double>(m.mem_total_kb);
    add("memory_free_percent", Fixed(pct, 1) + "%", ">= " + Fixed(t.min_free_memory_percent, 1) + "%",
        pct >= t.min_free_memory_percent);
    double mib = static_cast<double>(m.mem_available_kb) / 1024.0;
    add("memory_free_mib", Fixed(mib, 0) + " MiB", ">= " + Fixed(t.min_free_memory_mib, 0) + " MiB",
        mib >= t.min_free_memory_mib);
  } else {
    add("memory_free_percent", "not measured", ">= " + Fixed(t.min_free_memory_percent, 1) + "%", false);
  }

  for (const auto& s : t.critical_services) {
    auto it = m.services.find(s);
    std::string state = it == m.services.end() ? "not reported" : it->second;
    add("service:" + s, state, "active", state == "active");
  }

  add("pending_reboot", m.reboot_required ? "yes" : "no", t.fail_on_pending_reboot ? "no" : "any",
      !(t.fail_on_pending_reboot && m.reboot_required));
  add("package_manager_lock", m.pkg_lock ? "held by another process" : "free",
      t.fail_on_package_lock ? "free" : "any", !(t.fail_on_package_lock && m.pkg_lock));

  r.status = r.reasons.empty() ? PrecheckStatus::kReady : PrecheckStatus::kNotReady;
  return r;
}

int CompareVersions(const std::string& a, const std::string& b) {
  // Each dot-separated part compared as a number of any length (a non-digit counts as 0), by its
  // digits without leading zeros: accumulating into a long long overflowed on an agent version
  // (reported by SSM) with 19 or more digits in a part.
  auto part = [](const std::string& s, size_t* i) {
    std::string digits;
    for (; *i < s.size() && s[*i] != '.'; ++*i) {
      char c = std::isdigit(static_cast<unsigned char>(s[*i])) ? s[*i] : '0';
      if (!digits.empty() || c != '0') digits += c;
    }
    if (*i < s.size()) ++*i;
    return digits;
  };
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    std::string x = part(a, &i), y = part(b, &j);
    if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
    if (int c = x.compare(y); c != 0) return c < 0 ? -1 : 1;
  }
  return 0;
}

std::vector<std::string> PrecheckRisks(const InstanceInfo& info, const BackupResult* backup,
                                       const PrecheckMeasurements* m, const std::string& min_agent_version) {
  std::vector<std::string> risks;
  if (!backup || backup->status == BackupStatus::kDisabled) {
    risks.push_back("no backup: backups are turned off for this run");
  } else if (backup->status != BackupStatus::kAvailable && backup->status != BackupStatus::kPending) {
    // (pending: the AMI is still being made alongside, in a pipelined run; no risk to list yet)
    risks.push_back(std::string("no backup: backup is ") + BackupStatusName(backup->status));
  }
  if (info.in_auto_scaling_group) {
    risks.push_back("member of an Auto Scaling group: a failed health check during patching may replace it");
  }
  if (m && m->reboot_required) risks.push_back("a reboot is already pending");
  if (!min_agent_version.empty() && !info.ssm_agent_version.empty() &&
      CompareVersions(info.ssm_agent_version, min_agent_version) < 0) {
    risks.push_back("old SSM agent " + info.ssm_agent_version + " (older than " + min_agent_version + ")");
  }
  return risks;
}

}  // namespace fleetpatch::workflow
