// Scan: DescribeInstances (with the zone's tag filters, pages of 1000) and SSM's view of each
// instance (DescribeInstanceInformation), then the eligibility of each (decisions.h), saved with
// the instances. The zone itself is saved with its error, if any.
#include <semaphore>
#include <unordered_map>

#include "workflow/executor.h"
#include "workflow/result_sink.h"
#include "workflow/workflow.h"
#include "workflow/zone_context.h"

namespace fleetpatch::workflow {
namespace {

// Zones whose DescribeInstances pages are fetched and decoded at once. A page of 1000 instances
// costs ~10 MiB while its XML and JSON trees exist, and decoding is CPU-bound anyway, so letting 20
// zones decode together only multiplies the memory (measured: 20 zones of 500 instances peaked
// 55 MiB above one zone at a time). Scanning is seconds of a run that takes hours.
constexpr std::ptrdiff_t kZonesScanningAtOnce = 4;

InstanceInfo FromEc2(const ZoneSpec& zone, Ec2InstanceView&& v) {
  InstanceInfo i;
  i.zone = zone.info.name;
  i.account_id = zone.info.account_id;
  i.region = zone.info.region;
  i.instance_id = std::move(v.instance_id);
  i.state = std::move(v.state);
  i.platform = v.platform;  // normalised once SSM's view is known
  i.instance_type = std::move(v.instance_type);
  i.availability_zone = std::move(v.availability_zone);
  if (auto it = v.tags.find("Name"); it != v.tags.end()) i.name = it->second;
  i.in_auto_scaling_group = v.tags.count(kAutoScalingGroupTag) > 0;
  i.tags = std::move(v.tags);
  return i;
}

// SSM's view of each instance, then its eligibility. Returns how many are eligible.
int64_t Decide(std::vector<InstanceInfo>& instances, const std::vector<SsmInstanceView>& ssm,
               EligibilityRules rules, const ZoneSpec& zone) {
  std::unordered_map<std::string, const SsmInstanceView*> by_id;
  for (const auto& s : ssm) by_id[s.instance_id] = &s;
  for (const auto& [k, v] : zone.exclude_tags) rules.exclude_tags[k] = v;
  int64_t eligible = 0;
  for (auto& i : instances) {
    std::string ssm_platform;
    if (auto it = by_id.find(i.instance_id); it != by_id.end()) {
      i.ssm_ping_status = it->second->ping_status;
      i.ssm_agent_version = it->second->agent_version;
      i.platform_name = it->second->platform_name;
      ssm_platform = it->second->platform_type;
    } else {
      i.ssm_ping_status = "NotRegistered";
    }
    i.platform = NormalisePlatform(i.platform, ssm_platform);
    DecideEligibility(i, rules);
    if (i.eligible) ++eligible;
  }
  return eligible;
}

struct ZoneScan {
  int64_t found = 0;
  int64_t eligible = 0;
};

// Scans one zone and saves its instances.
Result<ZoneScan> ScanZone(ZoneApi& api, const ZoneSpec& zone, const WorkflowOptions& options,
                          ResultSink& sink, state::StateStore& store, std::counting_semaphore<>& scanning) {
  std::map<std::string, std::vector<std::string>> filters;
  for (const auto& [k, v] : zone.tag_filters) filters["tag:" + k] = v;
  filters["instance-state-name"] = {"pending", "running", "stopping", "stopped"};
  std::vector<InstanceInfo> instances;
  scanning.acquire();
  Status st = api.ForEachInstancePage(filters, [&](std::vector<Ec2InstanceView>&& page) {
    for (auto& v : page) instances.push_back(FromEc2(zone, std::move(v)));
  });
  scanning.release();
  FP_RETURN_IF_ERROR(st);
  FP_ASSIGN_OR_RETURN(auto ssm, api.DescribeInstanceInformation());
  ZoneScan out;
  out.eligible = Decide(instances, ssm, options.eligibility, zone);
  out.found = static_cast<int64_t>(instances.size());
  FP_RETURN_IF_ERROR(store.SaveInstances(sink.run_id(), instances));
  sink.Journal(
      "info", zone.info.name, "", Phase::kScan,
      "found " + std::to_string(out.found) + " instances, " + std::to_string(out.eligible) + " eligible");
  return out;
}

}  // namespace

Result<PhaseSummary> Workflow::Scan(const std::string& run_id, const std::vector<ZoneSpec>& zones) {
  ResultSink sink(store_, run_id, clock_, progress_options_);
  sink.Open(Phase::kScan, static_cast<int64_t>(zones.size()));
  std::vector<LandingZoneInfo> zone_infos(zones.size());
  std::vector<std::optional<Error>> zone_errors(zones.size());
  std::atomic<int64_t> found{0}, eligible{0};
  std::counting_semaphore<> scanning(kZonesScanningAtOnce);
  ParallelFor(zones.size(), static_cast<size_t>(options_.zone_workers), [&](size_t zi) {
    const ZoneSpec& zone = zones[zi];
    zone_infos[zi] = zone.info;
    zone_infos[zi].error = {};
    if (cancel_.Cancelled()) return;
    auto api = Api(zone);
    auto scanned =
        api.ok() ? ScanZone(**api, zone, options_, sink, store_, scanning) : Result<ZoneScan>(api.error());
    if (!scanned.ok()) {
      Error e = InZone(scanned.error(), zone.info.name);
      zone_errors[zi] = e;
      zone_infos[zi].error = ToProblem(e);
      sink.Journal("error", zone.info.name, "", Phase::kScan, "zone failed: " + e.ToString());
    }
    found += scanned.ok() ? scanned->found : 0;
    eligible += scanned.ok() ? scanned->eligible : 0;
    sink.Tick(Phase::kScan, scanned.ok() ? Progress::Outcome::kOk : Progress::Outcome::kFailed);
  });
  PhaseSummary summary = sink.Close(Phase::kScan);
  FP_RETURN_IF_ERROR(store_.SaveZones(run_id, zone_infos));
  for (auto& e : zone_errors)
    if (e) summary.zone_errors.push_back(*e);
  summary.succeeded = eligible.load();
  summary.skipped = found.load() - eligible.load();
  summary.failed = 0;
  if (cancel_.Cancelled()) {
    summary.interrupted = true;
    return summary;
  }
  if (!zones.empty() && summary.zone_errors.size() == zones.size()) {
    Error e = summary.zone_errors.front();
    e.message = "every landing zone failed; the first: " + e.message;
    return e;
  }
  FP_RETURN_IF_ERROR(store_.MarkPhaseCompleted(run_id, Phase::kScan));
  if (found.load() == 0) {
    return Error::Validation("scan found no instances matching the landing zones' tag filters (" +
                             std::to_string(zones.size() - summary.zone_errors.size()) +
                             " zone(s) searched): check filters.tags in the inventory");
  }
  return summary;
}

}  // namespace fleetpatch::workflow
