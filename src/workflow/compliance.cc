#include "workflow/compliance.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string_view>
#include <unordered_map>

#include "common/chunks.h"
#include "common/clock.h"
#include "common/strings.h"

namespace fleetpatch::workflow {
namespace {

using Clock = std::chrono::system_clock;
using nlohmann::json;

constexpr size_t kPatchStatesPerCall = 50;  // DescribeInstancePatchStates takes at most 50 ids

Clock::time_point FromEpoch(double s) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)));
}

double DaysBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count() / 86400.0;
}

const char* WorstStatus(const ComplianceRow& r) {
  if (!r.state) return "never_scanned";
  if (r.failed) return "failed";
  if (r.missing) return "missing";
  if (r.reboot_debt) return "reboot_pending";
  if (r.stale) return "stale";
  return "compliant";
}

std::string Describe(ComplianceCheck c) {
  switch (c) {
    case ComplianceCheck::kMissing:
      return "missing";
    case ComplianceCheck::kFailed:
      return "failed";
    case ComplianceCheck::kReboot:
      return "reboot";
    case ComplianceCheck::kStale:
      return "stale";
  }
  return "";
}

bool Matches(const ComplianceRow& r, ComplianceCheck c) {
  switch (c) {
    case ComplianceCheck::kMissing:
      return r.missing;
    case ComplianceCheck::kFailed:
      return r.failed;
    case ComplianceCheck::kReboot:
      return r.reboot_debt;
    case ComplianceCheck::kStale:
      return r.stale;
  }
  return false;
}

report::TableSummary Summary(const std::map<std::string, ComplianceTally>& tallies, const std::string& key,
                             const std::string& title, const std::string& group_title) {
  report::TableSummary s{key,
                         title,
                         {{"group", group_title},
                          {"instances", "Instances"},
                          {"compliant", "Compliant"},
                          {"missing", "Missing patches"},
                          {"failed", "Failed patches"},
                          {"reboot_pending", "Reboot pending"},
                          {"stale", "Stale"},
                          {"never_scanned", "Never scanned"}},
                         {}};
  for (const auto& [group, t] : tallies) {
    s.rows.push_back(
        {{group, t.instances, t.compliant, t.missing, t.failed, t.reboot, t.stale, t.never}, ""});
  }
  return s;
}

std::string FlagOf(const ComplianceRow& r, const std::vector<ComplianceCheck>& checks) {
  std::string flag;
  for (ComplianceCheck c : checks) {
    if (Matches(r, c)) flag += (flag.empty() ? "" : ", ") + Describe(c);
  }
  return flag.empty() ? "" : "fails --fail-on: " + flag;
}

report::TableRow RowOf(const ComplianceRow& r, const std::vector<ComplianceCheck>& checks) {
  const PatchStateView empty;
  const PatchStateView& s = r.state ? *r.state : empty;
  std::string last_end = s.operation_end_time_s > 0 ? FormatIso8601(FromEpoch(s.operation_end_time_s)) : "";
  json age = r.age_days < 0 ? json("") : json(std::round(r.age_days * 10) / 10);
  return {{r.zone, r.account_id, r.region, r.instance.instance_id, r.instance.platform_type,
           r.instance.platform_name, s.patch_group, r.instance.ping_status, r.status, s.installed, s.missing,
           s.failed, s.installed_pending_reboot, s.operation, last_end, age, r.reboot_debt, r.reboot_since,
           r.stale},
          FlagOf(r, checks)};
}

std::vector<report::TableColumn> Columns() {
  return {{"zone", "Landing zone"},
          {"account_id", "Account"},
          {"region", "Region"},
          {"instance_id", "Instance"},
          {"platform", "Platform"},
          {"platform_name", "OS"},
          {"patch_group", "Patch group"},
          {"ssm_ping", "SSM agent"},
          {"status", "Status"},
          {"installed", "Installed"},
          {"missing", "Missing"},
          {"failed", "Failed"},
          {"installed_pending_reboot", "Pending reboot"},
          {"last_operation", "Last operation"},
          {"last_operation_end", "Last operation ended"},
          {"age_days", "Age (days)"},
          {"reboot_debt", "Reboot debt"},
          {"reboot_pending_since", "Pending reboot since"},
          {"stale", "Stale"}};
}

// Orders `rows` by zone, then instance (equal keys keep their order). The keys are copied into one
// buffer and sorted as the rows' indexes: comparing the rows themselves chases three heap pointers
// per side, each a cache miss across 100,000 rows, and moves whole rows at every step.
void SortByZoneAndInstance(std::vector<report::TableRow>& rows) {
  std::string keys;
  std::vector<std::array<uint32_t, 3>> at(rows.size());  // zone's offset, instance's offset, end
  for (size_t i = 0; i < rows.size(); ++i) {
    at[i][0] = static_cast<uint32_t>(keys.size());
    keys += rows[i].cells[0].get_ref<const std::string&>();
    at[i][1] = static_cast<uint32_t>(keys.size());
    keys += rows[i].cells[3].get_ref<const std::string&>();
    at[i][2] = static_cast<uint32_t>(keys.size());
  }
  const std::string_view all(keys);
  auto key = [&](uint32_t i) {
    return std::pair(all.substr(at[i][0], at[i][1] - at[i][0]), all.substr(at[i][1], at[i][2] - at[i][1]));
  };
  std::vector<uint32_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
  // Puts rows[order[k]] at k, one cycle of the permutation at a time (a done slot gets order[j] = j).
  for (uint32_t k = 0; k < order.size(); ++k) {
    if (order[k] == k) continue;
    report::TableRow held = std::move(rows[k]);
    for (uint32_t j = k;;) {
      const uint32_t from = order[j];
      order[j] = j;
      if (from == k) {
        rows[j] = std::move(held);
        break;
      }
      rows[j] = std::move(rows[from]);
      j = from;
    }
  }
}

}  // namespace

Result<std::vector<ComplianceCheck>> ParseComplianceChecks(const std::string& list) {
  static const std::map<std::string, ComplianceCheck> kNames = {{"missing", ComplianceCheck::kMissing},
                                                                {"failed", ComplianceCheck::kFailed},
                                                                {"reboot", ComplianceCheck::kReboot},
                                                                {"stale", ComplianceCheck::kStale}};
  std::vector<ComplianceCheck> out;
  for (const auto& piece : Split(list, ',')) {
    std::string word(Trim(piece));
    auto it = kNames.find(word);
    if (it == kNames.end()) {
      return Error::Config("--fail-on: '" + word +
                           "' is not a check; allowed: missing, failed, reboot, stale");
    }
    if (std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
  }
  return out;
}

void ClassifyCompliance(ComplianceRow& r, const ComplianceOptions& options, Clock::time_point now) {
  r.missing = r.failed = r.reboot_debt = r.stale = false;
  r.age_days = -1;
  r.reboot_since.clear();
  if (r.state) {
    const PatchStateView& s = *r.state;
    r.missing = s.missing > 0;
    r.failed = s.failed > 0;
    r.reboot_debt = s.installed_pending_reboot > 0;
    if (s.operation_end_time_s > 0) r.age_days = DaysBetween(FromEpoch(s.operation_end_time_s), now);
    if (r.reboot_debt) {
      double since = s.last_no_reboot_install_s > 0 ? s.last_no_reboot_install_s : s.operation_end_time_s;
      if (since > 0) r.reboot_since = FormatIso8601(FromEpoch(since));
    }
    bool recent_install = s.operation == "Install" && r.age_days >= 0 && r.age_days <= options.max_age_days;
    r.stale = !recent_install;
  } else {
    r.stale = true;
  }
  r.status = WorstStatus(r);
}

bool FailsCompliance(const ComplianceRow& r, const std::vector<ComplianceCheck>& checks) {
  return std::any_of(checks.begin(), checks.end(), [&](ComplianceCheck c) { return Matches(r, c); });
}

Status CollectCompliance(ZoneApi& api, const LandingZoneInfo& zone, const ComplianceOptions& options,
                         Clock::time_point now, const std::function<void(const ComplianceRow&)>& on_row) {
  // The listing split into batches, each freed once its rows are handed over: a zone's memory
  // shrinks as its report part grows (all zones of a rate-bound run finish together).
  FP_ASSIGN_OR_RETURN(std::vector<SsmInstanceView> managed, api.DescribeInstanceInformation());
  std::vector<std::vector<SsmInstanceView>> batches = Chunks(std::move(managed), kPatchStatesPerCall);
  std::unordered_map<std::string, PatchStateView> states;  // one batch's
  for (std::vector<SsmInstanceView>& batch : batches) {
    std::vector<std::string> ids;
    ids.reserve(batch.size());
    for (const auto& m : batch) ids.push_back(m.instance_id);
    FP_ASSIGN_OR_RETURN(auto got, api.DescribePatchStates(ids));
    states.clear();
    for (auto& s : got) states.emplace(s.instance_id, std::move(s));
    for (SsmInstanceView& m : batch) {
      ComplianceRow r{zone.name, zone.account_id, zone.region, std::move(m), std::nullopt};
      if (auto it = states.find(r.instance.instance_id); it != states.end()) r.state = std::move(it->second);
      ClassifyCompliance(r, options, now);
      on_row(r);
    }
    std::vector<SsmInstanceView>().swap(batch);
  }
  return OkStatus();
}

void ComplianceTally::Add(const ComplianceRow& r) {
  ++instances;
  compliant += r.status == "compliant";
  missing += r.missing;
  failed += r.failed;
  reboot += r.reboot_debt;
  stale += r.stale;
  never += !r.state;
}

void ComplianceTally::Add(const ComplianceTally& o) {
  instances += o.instances;
  compliant += o.compliant;
  missing += o.missing;
  failed += o.failed;
  reboot += o.reboot;
  stale += o.stale;
  never += o.never;
}

void ComplianceReportBuilder::Merge(ComplianceReportBuilder&& part) {
  rows_.insert(rows_.end(), std::make_move_iterator(part.rows_.begin()),
               std::make_move_iterator(part.rows_.end()));
  total_.Add(part.total_);
  for (auto [mine, theirs] : {std::pair{&by_zone_, &part.by_zone_},
                              {&by_account_, &part.by_account_},
                              {&by_platform_, &part.by_platform_},
                              {&by_patch_group_, &part.by_patch_group_}}) {
    for (const auto& [group, tally] : *theirs) (*mine)[group].Add(tally);
  }
  failing_ += part.failing_;
  part = ComplianceReportBuilder(std::move(part.checks_));
}

void ComplianceReportBuilder::Add(const ComplianceRow& r) {
  total_.Add(r);
  by_zone_[r.zone].Add(r);
  by_account_[r.account_id].Add(r);
  by_platform_[r.instance.platform_type].Add(r);
  by_patch_group_[r.state ? r.state->patch_group : std::string()].Add(r);
  rows_.push_back(RowOf(r, checks_));
  failing_ += !rows_.back().flag.empty();
}

report::TableReport ComplianceReportBuilder::Finish(const std::vector<std::string>& zone_errors,
                                                    const std::string& generated_at) {
  report::TableReport rep;
  rep.kind = "compliance";
  rep.title = "fleetpatch compliance";
  rep.generated_at = generated_at;
  rep.columns = Columns();
  rep.name_columns = {0, 3};
  rep.rows = std::move(rows_);
  SortByZoneAndInstance(rep.rows);
  const ComplianceTally& t = total_;
  rep.facts = {{"instances", t.instances}, {"compliant", t.compliant},   {"missing", t.missing},
               {"failed", t.failed},       {"reboot_pending", t.reboot}, {"stale", t.stale},
               {"never_scanned", t.never}, {"failing_checks", failing_}};
  for (size_t i = 0; i < zone_errors.size(); ++i)
    rep.facts.push_back({"zone_error_" + std::to_string(i + 1), zone_errors[i]});
  rep.summaries = {Summary(by_zone_, "by_zone", "By landing zone", "Landing zone"),
                   Summary(by_account_, "by_account", "By account", "Account"),
                   Summary(by_platform_, "by_platform", "By platform", "Platform"),
                   Summary(by_patch_group_, "by_patch_group", "By patch group", "Patch group")};
  *this = ComplianceReportBuilder(std::move(checks_));
  return rep;
}

report::TableReport ComplianceReport(const std::vector<ComplianceRow>& rows,
                                     const std::vector<ComplianceCheck>& checks,
                                     const std::vector<std::string>& zone_errors,
                                     const std::string& generated_at) {
  ComplianceReportBuilder b(checks);
  for (const auto& r : rows) b.Add(r);
  return b.Finish(zone_errors, generated_at);
}

}  // namespace fleetpatch::workflow
