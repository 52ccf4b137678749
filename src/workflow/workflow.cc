#include "workflow/workflow.h"

#include <algorithm>
#include <semaphore>
#include <set>
#include <unordered_map>

#include "workflow/backup_trust.h"
#include "workflow/executor.h"
#include "workflow/interrupt.h"
#include "workflow/rollout.h"

namespace fleetpatch::workflow {
namespace {

constexpr size_t kSsmBatch = 50;       // SendCommand / DescribeInstancePatchStates cap
// Zones whose DescribeInstances pages are fetched and decoded at once. A page of 1000 instances
// costs ~10 MiB while its XML and JSON trees exist, and decoding is CPU-bound anyway, so letting 20
// zones decode together only multiplies the memory (measured: 20 zones of 500 instances peaked
// 55 MiB above one zone at a time). Scanning is seconds of a run that takes hours.
constexpr std::ptrdiff_t kZonesScanningAtOnce = 4;

// A problem as reports show it; an error without an AWS code gets one named after its category.
ProblemInfo ToProblem(const Error& e, std::string code = "") {
  if (code.empty()) code = e.aws_code;
  if (code.empty()) {
    switch (e.category) {
      case ErrorCategory::kAuth: code = "AuthenticationFailed"; break;
      case ErrorCategory::kConnectivity: code = "ConnectionFailed"; break;
      case ErrorCategory::kTimeout: code = "TimedOut"; break;
      case ErrorCategory::kPermission: code = "AccessDenied"; break;
      case ErrorCategory::kThrottled: code = "Throttled"; break;
      case ErrorCategory::kConfig: code = "ConfigurationError"; break;
      default: code = "Error"; break;
    }
  }
  return {CategoryName(e.category), code, e.ToString()};
}

// Names the landing zone in a zone-level error.
Error InZone(Error e, const std::string& zone) {
  e.message = "landing zone '" + zone + "': " + e.message;
  return e;
}

std::string Now(Clock& clock) { return FormatIso8601(clock.Now()); }

bool Terminal(const std::string& s) {
  return s == "Success" || s == "Failed" || s == "Cancelled" || s == "TimedOut" || s == "DeliveryTimedOut" ||
         s == "Undeliverable" || s == "Terminated" || s == "InvalidPlatform" || s == "AccessDenied" ||
         s == "ExecutionTimedOut";
}

bool Unreachable(const std::string& s) { return s == "DeliveryTimedOut" || s == "Undeliverable" || s == "Terminated"; }

template <class T>
std::vector<std::vector<T>> Chunks(const std::vector<T>& v, size_t n) {
  std::vector<std::vector<T>> out;
  for (size_t i = 0; i < v.size(); i += n) out.emplace_back(v.begin() + i, v.begin() + std::min(v.size(), i + n));
  return out;
}

// Moves `runs` into per-zone lists and releases its buffer at once (a by-value parameter would
// live, with its ~1.4 KiB per moved-from instance, until the caller's whole statement ends).
std::map<std::string, std::vector<InstanceRun>> ByZone(std::vector<InstanceRun>&& runs) {
  std::map<std::string, std::vector<InstanceRun>> m;
  for (auto& r : runs) m[r.info.zone].push_back(std::move(r));
  std::vector<InstanceRun>().swap(runs);
  return m;
}

const ZoneSpec* FindZone(const std::vector<ZoneSpec>& zones, const std::string& name) {
  for (const auto& z : zones)
    if (z.info.name == name) return &z;
  return nullptr;
}

}  // namespace

struct Workflow::ZoneConn {
  std::shared_ptr<ZoneApi> api;
  std::optional<Error> error;
};

Workflow::Workflow(WorkflowOptions options, state::StateStore& store, ZoneConnector& connector, Clock& clock,
                   Progress::Options progress)
    : options_(std::move(options)), store_(store), connector_(connector), clock_(clock),
      progress_options_(progress) {}

Workflow::~Workflow() = default;

// Waits one poll interval, in short slices so that Ctrl-C is noticed within a fraction of a second.
void Workflow::PollPause(std::chrono::nanoseconds left) {
  constexpr auto kSlice = std::chrono::milliseconds(100);
  while (left.count() > 0 && !Interrupted()) {
    auto step = std::min<std::chrono::nanoseconds>(left, kSlice);
    clock_.SleepFor(step);
    left -= step;
  }
}

std::vector<std::string> Workflow::Plan() const {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(mu_));
  return plan_;
}

void Workflow::AddPlan(std::string line) {
  std::lock_guard<std::mutex> lock(mu_);
  plan_.push_back(std::move(line));
}

Result<ZoneApi*> Workflow::Api(const ZoneSpec& zone) {
  std::unique_ptr<ZoneConn>* slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slot = &conns_[zone.info.name];
    if (*slot) {
      if ((*slot)->error) return *(*slot)->error;
      return (*slot)->api.get();
    }
  }
  // Connecting (assuming the role) happens outside the lock; each zone is connected by one thread.
  auto conn = std::make_unique<ZoneConn>();
  auto api = connector_.Connect(zone);
  if (api.ok()) {
    conn->api = std::move(api).value();
  } else {
    conn->error = api.error();
  }
  std::lock_guard<std::mutex> lock(mu_);
  *slot = std::move(conn);
  if ((*slot)->error) return *(*slot)->error;
  return (*slot)->api.get();
}

void Workflow::Journal(const std::string& run_id, const std::string& level, const std::string& zone,
                       const std::string& instance_id, Phase phase, const std::string& message) {
  Event e;
  e.level = level;
  e.zone = zone;
  e.instance_id = instance_id;
  e.phase = PhaseName(phase);
  e.message = message;
  (void)store_.AppendEvent(run_id, e);  // the journal is best effort; results are saved separately
}

std::chrono::system_clock::time_point Workflow::RunStart(const std::string& run_id) {
  auto run = store_.GetRun(run_id);
  std::chrono::system_clock::time_point t = clock_.Now();
  if (run.ok()) ParseIso8601(run->created_at, &t);
  return t;
}

Status Workflow::RequirePhase(const std::string& run_id, Phase needed, Phase wanted) {
  FP_ASSIGN_OR_RETURN(RunInfo run, store_.GetRun(run_id));
  const auto& done = run.phases_completed;
  if (std::find(done.begin(), done.end(), PhaseName(needed)) == done.end()) {
    return Error::Validation(std::string("run ") + run_id + " has no " + PhaseName(needed) + " results: run `--workflow " +
                             PhaseName(needed) + "` before `--workflow " + PhaseName(wanted) + "`");
  }
  return OkStatus();
}

Status Workflow::RequireEligible(const std::string& run_id, const std::string& what) {
  FP_ASSIGN_OR_RETURN(auto counts, store_.CountByStatus(run_id, Phase::kScan));
  if (counts["eligible"] == 0) {
    return Error::Validation("nothing to " + what + ": the scan of run " + run_id + " found no eligible instance");
  }
  return OkStatus();
}

Status Workflow::EndPhase(const std::string& run_id, PhaseSummary& summary, Progress& progress) {
  progress.Finish();
  summary.interrupted = Interrupted();
  if (summary.interrupted || options_.dry_run) return OkStatus();  // not done: --resume goes on
  return store_.MarkPhaseCompleted(run_id, summary.phase);
}

void Workflow::ForEachZone(const std::vector<ZoneSpec>& zones, std::map<std::string, std::vector<InstanceRun>> by_zone,
                           PhaseSummary& summary, const ZoneWork& work) {
  std::vector<std::string> names;
  for (auto& [name, _] : by_zone) names.push_back(name);
  std::mutex mu;
  ParallelFor(names.size(), static_cast<size_t>(options_.zone_workers), [&](size_t i) {
    const ZoneSpec* zone = FindZone(zones, names[i]);
    PhaseSummary local;
    Status st = zone ? work(*zone, std::move(by_zone[names[i]]), local)
                     : Status(Error::Config("it is no longer in the inventory"));
    std::lock_guard<std::mutex> lock(mu);
    summary.succeeded += local.succeeded;
    summary.failed += local.failed;
    summary.skipped += local.skipped;
    if (!st.ok()) summary.zone_errors.push_back(InZone(st.error(), names[i]));
  });
}

// ---------------------------------------------------------------------------------------------
// Scan

Result<PhaseSummary> Workflow::Scan(const std::string& run_id, const std::vector<ZoneSpec>& zones) {
  PhaseSummary summary;
  summary.phase = Phase::kScan;
  Progress progress("scan", static_cast<int64_t>(zones.size()), progress_options_, clock_);
  std::vector<LandingZoneInfo> zone_infos(zones.size());
  std::vector<std::optional<Error>> zone_errors(zones.size());
  std::atomic<int64_t> found{0}, eligible{0};
  std::counting_semaphore<> scanning(kZonesScanningAtOnce);

  ParallelFor(zones.size(), static_cast<size_t>(options_.zone_workers), [&](size_t zi) {
    const ZoneSpec& zone = zones[zi];
    zone_infos[zi] = zone.info;
    zone_infos[zi].error = {};
    auto fail = [&](const Error& err) {
      Error e = InZone(err, zone.info.name);
      zone_errors[zi] = e;
      zone_infos[zi].error = ToProblem(e);
      Journal(run_id, "error", zone.info.name, "", Phase::kScan, "zone failed: " + e.ToString());
      progress.Done(Progress::Outcome::kFailed);
    };
    if (Interrupted()) return;
    auto api = Api(zone);
    if (!api.ok()) return fail(api.error());

    std::map<std::string, std::vector<std::string>> filters;
    for (const auto& [k, v] : zone.tag_filters) filters["tag:" + k] = v;
    filters["instance-state-name"] = {"pending", "running", "stopping", "stopped"};

    std::vector<InstanceInfo> instances;
    scanning.acquire();
    Status st = (*api)->ForEachInstancePage(filters, [&](std::vector<Ec2InstanceView>&& page) {
      for (auto& v : page) {
        InstanceInfo i;
        i.zone = zone.info.name;
        i.account_id = zone.info.account_id;
        i.region = zone.info.region;
        i.instance_id = std::move(v.instance_id);
        i.state = std::move(v.state);
        i.platform = v.platform;  // normalised below, once SSM's view is known
        i.instance_type = std::move(v.instance_type);
        i.availability_zone = std::move(v.availability_zone);
        if (auto it = v.tags.find("Name"); it != v.tags.end()) i.name = it->second;
        i.in_auto_scaling_group = v.tags.count("aws:autoscaling:groupName") > 0;
        i.tags = std::move(v.tags);
        instances.push_back(std::move(i));
      }
    });
    scanning.release();
    if (!st.ok()) return fail(st.error());

    auto ssm = (*api)->DescribeInstanceInformation();
    if (!ssm.ok()) return fail(ssm.error());
    std::unordered_map<std::string, const SsmInstanceView*> by_id;
    for (const auto& s : *ssm) by_id[s.instance_id] = &s;
    int64_t zone_eligible = 0;
    EligibilityRules rules = options_.eligibility;
    for (const auto& [k, v] : zone.exclude_tags) rules.exclude_tags[k] = v;
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
      if (i.eligible) ++zone_eligible;
    }
    if (auto s = store_.SaveInstances(run_id, instances); !s.ok()) return fail(s.error());
    found += static_cast<int64_t>(instances.size());
    eligible += zone_eligible;
    Journal(run_id, "info", zone.info.name, "", Phase::kScan,
            "found " + std::to_string(instances.size()) + " instances, " + std::to_string(zone_eligible) + " eligible");
    progress.Done();
  });
  progress.Finish();

  FP_RETURN_IF_ERROR(store_.SaveZones(run_id, zone_infos));
  for (auto& e : zone_errors)
    if (e) summary.zone_errors.push_back(*e);
  summary.succeeded = eligible.load();
  summary.skipped = found.load() - eligible.load();
  if (Interrupted()) {
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

// ---------------------------------------------------------------------------------------------
// Backup

Result<PhaseSummary> Workflow::Backup(const std::string& run_id, const std::vector<ZoneSpec>& zones) {
  FP_RETURN_IF_ERROR(RequirePhase(run_id, Phase::kScan, Phase::kBackup));
  PhaseSummary summary;
  summary.phase = Phase::kBackup;
  FP_RETURN_IF_ERROR(RequireEligible(run_id, "back up"));
  FP_ASSIGN_OR_RETURN(auto todo, store_.PendingBackups(run_id));
  Progress progress("backup", static_cast<int64_t>(todo.size()), progress_options_, clock_);

  if (!options_.backup_enabled) {
    std::vector<state::BackupUpdate> updates;
    for (auto& r : todo) {
      BackupResult b;
      b.status = BackupStatus::kDisabled;
      b.reason = "backups are turned off (workflow.phases.backup: false)";
      updates.push_back({r.info.zone, r.info.instance_id, b});
    }
    FP_RETURN_IF_ERROR(store_.SaveBackups(run_id, updates));
    summary.skipped = static_cast<int64_t>(updates.size());
    progress.Done(Progress::Outcome::kSkipped, summary.skipped);
    if (!options_.dry_run) FP_RETURN_IF_ERROR(store_.MarkPhaseCompleted(run_id, Phase::kBackup));
    return summary;
  }

  ForEachZone(zones, ByZone(std::move(todo)), summary,
              [&](const ZoneSpec& zone, std::vector<InstanceRun> batch, PhaseSummary& local) {
                return BackupZone(run_id, zone, std::move(batch), local, progress);
              });
  FP_RETURN_IF_ERROR(EndPhase(run_id, summary, progress));
  return summary;
}

Status Workflow::BackupZone(const std::string& run_id, const ZoneSpec& zone, std::vector<InstanceRun> todo,
                            PhaseSummary& summary, Progress& progress) {
  auto fail_all = [&](const Error& e) {
    std::vector<state::BackupUpdate> updates;
    for (auto& r : todo) {
      BackupResult b = r.backup.value_or(BackupResult{});
      if (b.status == BackupStatus::kPending && !b.ami_id.empty()) continue;  // resumable later
      b.status = BackupStatus::kFailed;
      b.error = ToProblem(e);
      b.finished_at = Now(clock_);
      updates.push_back({r.info.zone, r.info.instance_id, b});
      ++summary.failed;
      progress.Done(Progress::Outcome::kFailed);
    }
    (void)store_.SaveBackups(run_id, updates);
    Journal(run_id, "error", zone.info.name, "", Phase::kBackup, "zone failed: " + e.ToString());
    return Status(e);
  };
  auto api_r = Api(zone);
  if (!api_r.ok()) return fail_all(api_r.error());
  ZoneApi& api = **api_r;
  auto run_start = RunStart(run_id);

  // AMIs this run may already have started in this zone: an instance whose backup was recorded as
  // intended (pending, with its AMI name) but never got an AMI id back, because the run stopped
  // between recording the intent and CreateImage's answer. Only then is the zone's AMIs looked up
  // by the run's tag (a resumed run reuses them instead of making more); a fresh run knows it has
  // none. AMIs made without an intent record (an older version) are still caught by their
  // duplicate name at CreateImage.
  std::map<std::string, ImageView> existing;
  const bool may_have_amis = std::any_of(todo.begin(), todo.end(), [](const InstanceRun& r) {
    return r.backup && r.backup->status == BackupStatus::kPending && r.backup->ami_id.empty();
  });
  if (may_have_amis) {
    if (auto imgs = api.DescribeImagesByTag(kRunTag, run_id); imgs.ok()) {
      for (auto& img : *imgs) existing[img.name] = std::move(img);
    } else {
      return fail_all(imgs.error());
    }
  }

  std::time_t delete_after = std::chrono::system_clock::to_time_t(
      run_start + std::chrono::hours(24) * std::max(0, options_.retention_days));
  std::tm tm{};
  gmtime_r(&delete_after, &tm);
  char delete_after_s[16];
  std::strftime(delete_after_s, sizeof delete_after_s, "%Y-%m-%d", &tm);

  struct Pending {
    InstanceRun run;
    BackupResult result;
  };
  std::vector<Pending> pending;
  std::vector<state::BackupUpdate> updates;
  auto flush = [&] {
    if (updates.empty()) return Status(OkStatus());
    auto st = store_.SaveBackups(run_id, updates);
    updates.clear();
    return st;
  };
  auto ami_name = [&](const InstanceRun& r) {
    return r.backup && !r.backup->ami_name.empty() ? r.backup->ami_name
                                                   : RenderAmiName(options_.ami_name_template, run_id, r.info, run_start);
  };
  bool created = false;  // an AMI was started by this process: its first poll waits one interval

  // Starts (or, on resume, adopts) the AMI of one instance; it joins `pending` unless creating failed.
  auto start = [&](InstanceRun& r) -> Status {
    BackupResult b = r.backup.value_or(BackupResult{});
    std::string name = ami_name(r);
    b.ami_name = name;
    const BackupIdentity identity{zone.info.account_id, r.info.instance_id, run_id, name};
    if (b.ami_id.empty()) {
      if (auto it = existing.find(name); it != existing.end() && WhyNotOurBackup(it->second, identity).empty()) {
        b.ami_id = it->second.image_id;
        Journal(run_id, "info", zone.info.name, r.info.instance_id, Phase::kBackup,
                "reusing AMI " + b.ami_id + " started earlier in this run");
      }
    }
    if (b.ami_id.empty()) {
      if (options_.dry_run) {
        AddPlan("backup: would create AMI " + name + " of " + r.info.instance_id + " (" + zone.info.name + ")");
        ++summary.skipped;
        progress.Done(Progress::Outcome::kSkipped);
        return OkStatus();
      }
      Tags tags = {{"Name", name},
                   {kRunTag, run_id},
                   {"fleetpatch:instance-id", r.info.instance_id},
                   {"fleetpatch:landing-zone", zone.info.name},
                   {"fleetpatch:created-by", "fleetpatch"},
                   {"fleetpatch:delete-after", delete_after_s},
                   {kBackupNameTag, name}};
      for (const auto& t : options_.extra_tags) tags.push_back(t);
      b.started_at = Now(clock_);
      auto made = api.CreateImage(r.info.instance_id, name, "fleetpatch backup of " + r.info.instance_id + " for run " + run_id,
                                  options_.no_reboot, tags);
      if (!made.ok() && made.error().aws_code == "InvalidAMIName.Duplicate") made = AdoptDuplicate(api, identity, made.error());
      if (!made.ok()) {
        b.status = BackupStatus::kFailed;
        b.error = ToProblem(made.error());
        b.finished_at = Now(clock_);
        updates.push_back({r.info.zone, r.info.instance_id, b});
        ++summary.failed;
        progress.Done(Progress::Outcome::kFailed);
        Journal(run_id, "error", zone.info.name, r.info.instance_id, Phase::kBackup,
                "CreateImage failed: " + made.error().ToString());
        return OkStatus();
      }
      b.ami_id = *made;
      created = true;
    }
    if (b.started_at.empty()) b.started_at = Now(clock_);
    b.status = BackupStatus::kPending;
    updates.push_back({r.info.zone, r.info.instance_id, b});
    if (updates.size() >= 25) FP_RETURN_IF_ERROR(flush());
    pending.push_back({std::move(r), std::move(b)});
    return OkStatus();
  };

  // A finished AMI's result, counted and journalled; saved by the caller (failed ones after cleanup).
  auto finish = [&](Pending& p, BackupStatus status, std::string reason, const ProblemInfo& err) {
    p.result.status = status;
    p.result.finished_at = Now(clock_);
    p.result.duration_s = SecondsBetweenIso8601(p.result.started_at, p.result.finished_at);
    p.result.reason = std::move(reason);
    p.result.error = err;
    if (status == BackupStatus::kAvailable) {
      ++summary.succeeded;
      progress.Done();
    } else {
      ++summary.failed;
      progress.Done(Progress::Outcome::kFailed);
      Journal(run_id, "error", zone.info.name, p.run.info.instance_id, Phase::kBackup,
              "backup " + std::string(BackupStatusName(status)) + ": " + err.message);
    }
  };
  // Failed and timed-out AMIs wait here for one cleanup of the whole zone at the end: one
  // DescribeSnapshots (per 200 AMIs) finds all their snapshots. Their results are saved only then,
  // with cleaned_up as it turned out; a run that stops before leaves them pending, and the resumed
  // run polls them again and cleans them up.
  std::vector<Pending> to_clean;
  auto settle_failed = [&](Pending& p) {
    if (options_.keep_failed_images) {
      updates.push_back({p.run.info.zone, p.run.info.instance_id, p.result});
    } else {
      to_clean.push_back(std::move(p));
    }
  };
  auto clean_up = [&] {
    if (to_clean.empty()) return;
    std::vector<FailedImage> failed;
    for (auto& p : to_clean) failed.push_back({{zone.info.account_id, p.run.info.instance_id, run_id, p.result.ami_name},
                                               p.result.ami_id});
    std::vector<CleanupOutcome> outcomes = CleanUpFailedImages(api, failed);
    for (size_t i = 0; i < to_clean.size(); ++i) {
      Pending& p = to_clean[i];
      p.result.cleaned_up = outcomes[i].problem.empty();
      p.result.snapshot_ids = outcomes[i].deleted_snapshots;
      Journal(run_id, p.result.cleaned_up ? "info" : "warning", zone.info.name, p.run.info.instance_id, Phase::kBackup,
              p.result.cleaned_up ? "deregistered failed AMI " + p.result.ami_id + " and deleted its snapshots"
                                  : "could not fully clean up failed AMI " + p.result.ami_id + ": " + outcomes[i].problem);
      updates.push_back({p.run.info.zone, p.run.info.instance_id, p.result});
    }
    to_clean.clear();
  };

  // AMIs already started (a resumed run) are adopted first; new ones are started as the window of
  // max_pending_images AMIs in flight per zone allows (snapshot creation is throttled by AWS too).
  std::stable_partition(todo.begin(), todo.end(),
                        [](const InstanceRun& r) { return r.backup && !r.backup->ami_id.empty(); });
  size_t next = 0;
  auto top_up = [&]() -> Status {
    if (Interrupted()) return flush();  // no new intent that this process would not act on
    // Which instances start now: every adopted one, then new ones while the window has room.
    const size_t window = static_cast<size_t>(std::max(1, options_.max_pending_images));
    size_t end = next;
    for (size_t slots = pending.size(); end < todo.size(); ++end) {
      bool adopted = todo[end].backup && !todo[end].backup->ami_id.empty();
      if (!adopted && slots >= window) break;
      ++slots;
    }
    // Intent first, in one batch: each instance about to get a CreateImage is saved as pending with
    // its AMI name and no AMI id, so that a run stopped before the answer knows to look for it.
    if (!options_.dry_run) {
      for (size_t i = next; i < end; ++i) {
        InstanceRun& r = todo[i];
        if (r.backup && !r.backup->ami_id.empty()) continue;
        if (r.backup && r.backup->status == BackupStatus::kPending && !r.backup->ami_name.empty()) continue;
        BackupResult intent;
        intent.status = BackupStatus::kPending;
        intent.ami_name = ami_name(r);
        r.backup = intent;
        updates.push_back({r.info.zone, r.info.instance_id, intent});
      }
      FP_RETURN_IF_ERROR(flush());
    }
    while (next < end && !Interrupted()) FP_RETURN_IF_ERROR(start(todo[next++]));
    return flush();
  };

  // Wait for every pending AMI with batched DescribeImages polls, the first one interval after the
  // newest AMIs were started (none is available sooner).
  bool first = true;
  while (true) {
    FP_RETURN_IF_ERROR(top_up());
    if (pending.empty()) break;
    if (!first || created) PollPause(options_.poll_interval);
    first = false;
    if (Interrupted()) break;
    std::vector<std::string> ids;
    for (auto& p : pending) ids.push_back(p.result.ami_id);
    auto images = api.DescribeImagesById(ids);
    if (!images.ok()) {
      if (images.error().retryable) continue;  // the retries inside ran out; keep waiting until the timeout
      for (auto& p : pending) {
        finish(p, BackupStatus::kFailed, "", ToProblem(images.error()));
        settle_failed(p);
      }
      pending.clear();
      FP_RETURN_IF_ERROR(flush());
      continue;
    }
    std::unordered_map<std::string, const ImageView*> by_id;
    for (const auto& img : *images) by_id[img.image_id] = &img;
    std::vector<Pending> still;
    auto now = clock_.Now();
    for (auto& p : pending) {
      auto it = by_id.find(p.result.ami_id);
      std::string state = it == by_id.end() ? "missing" : it->second->state;
      std::chrono::system_clock::time_point started = now;
      ParseIso8601(p.result.started_at, &started);
      if (state == "available") {
        p.result.snapshot_ids = it->second->snapshot_ids;
        finish(p, BackupStatus::kAvailable, "", {});
        updates.push_back({p.run.info.zone, p.run.info.instance_id, p.result});
      } else if (state == "failed" || state == "error" || state == "invalid" || state == "deregistered") {
        std::string why = it->second->state_reason.empty() ? "AMI state " + state : it->second->state_reason;
        finish(p, BackupStatus::kFailed, "", {"aws", "BackupFailed", "AMI " + p.result.ami_id + " " + state + ": " + why});
        settle_failed(p);
      } else if (now - started >= options_.ami_timeout) {
        finish(p, BackupStatus::kTimedOut, "",
               {"timeout", "BackupTimedOut",
                "AMI " + p.result.ami_id + " was not available after " +
                    std::to_string(options_.ami_timeout.count()) + " s (workflow.timeouts.ami_creation)"});
        settle_failed(p);
      } else {
        still.push_back(std::move(p));
      }
    }
    pending = std::move(still);
    FP_RETURN_IF_ERROR(flush());
  }
  clean_up();
  FP_RETURN_IF_ERROR(flush());
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Precheck

Result<PhaseSummary> Workflow::Precheck(const std::string& run_id, const std::vector<ZoneSpec>& zones) {
  FP_RETURN_IF_ERROR(RequirePhase(run_id, Phase::kScan, Phase::kPrecheck));
  PhaseSummary summary;
  summary.phase = Phase::kPrecheck;
  FP_RETURN_IF_ERROR(RequireEligible(run_id, "precheck"));
  FP_ASSIGN_OR_RETURN(auto todo, store_.PendingPrechecks(run_id));
  Progress progress("precheck", static_cast<int64_t>(todo.size()), progress_options_, clock_);
  ForEachZone(zones, ByZone(std::move(todo)), summary,
              [&](const ZoneSpec& zone, std::vector<InstanceRun> batch, PhaseSummary& local) {
                return PrecheckZone(run_id, zone, std::move(batch), local, progress);
              });
  FP_RETURN_IF_ERROR(EndPhase(run_id, summary, progress));
  return summary;
}

Status Workflow::PrecheckZone(const std::string& run_id, const ZoneSpec& zone, std::vector<InstanceRun> todo,
                              PhaseSummary& summary, Progress& progress) {
  std::vector<state::PrecheckUpdate> updates;
  auto save = [&](const InstanceRun& r, PrecheckResult p) {
    if (p.status == PrecheckStatus::kReady) {
      ++summary.succeeded;
      progress.Done();
    } else if (p.status == PrecheckStatus::kSkipped) {
      ++summary.skipped;
      progress.Done(Progress::Outcome::kSkipped);
    } else {
      ++summary.failed;
      progress.Done(Progress::Outcome::kFailed);
    }
    if (p.finished_at.empty()) p.finished_at = Now(clock_);
    updates.push_back({r.info.zone, r.info.instance_id, std::move(p)});
  };
  auto api_r = Api(zone);
  if (!api_r.ok()) {
    for (auto& r : todo) {
      PrecheckResult p;
      p.status = PrecheckStatus::kFailed;
      p.error = ToProblem(api_r.error());
      save(r, p);
    }
    (void)store_.SavePrechecks(run_id, updates);
    return api_r.error();
  }
  ZoneApi& api = **api_r;

  if (options_.dry_run) {
    for (auto& r : todo) {
      AddPlan("precheck: would run the " + r.info.platform + " precheck script on " + r.info.instance_id + " (" +
              zone.info.name + ")");
      ++summary.skipped;
      progress.Done(Progress::Outcome::kSkipped);
    }
    return OkStatus();
  }

  // 1. SSM reachability: instances whose agent is Online are prechecked at once; the others are
  // looked for again each poll round until the ssm_connection timeout, and are prechecked as soon
  // as they come Online (so one lost agent does not hold up the rest of the zone), or are
  // unreachable after it.
  std::unordered_map<std::string, InstanceRun*> waiting;
  for (auto& r : todo) waiting[r.info.instance_id] = &r;
  std::unordered_map<std::string, std::string> last_ping;
  const auto deadline = clock_.SteadyNow() + options_.ssm_timeout;
  const std::string started = Now(clock_);

  struct Sent {
    std::string command_id;
    std::vector<InstanceRun*> targets;
    std::chrono::steady_clock::time_point sent_at;
  };
  struct Batch {
    std::string document;
    std::shared_ptr<const std::string> script;
    std::vector<InstanceRun*> targets;
  };
  std::vector<Batch> queue;
  std::map<std::string, std::shared_ptr<const std::string>> scripts;  // platform -> script
  // 2. One script per platform, sent to at most 50 instances per command.
  auto enqueue = [&](std::vector<InstanceRun*> online) {
    std::map<std::string, std::vector<InstanceRun*>> by_platform;
    for (auto* r : online) by_platform[r->info.platform].push_back(r);
    for (auto& [platform, runs] : by_platform) {
      auto& shared = scripts[platform];
      if (!shared) {
        const PrecheckThresholds& t = platform == "windows" ? options_.windows_thresholds : options_.linux_thresholds;
        auto script = BuildPrecheckScript(platform, t.critical_services);
        if (!script.ok()) {
          for (auto* r : runs) {
            PrecheckResult p;
            p.status = PrecheckStatus::kFailed;
            p.error = ToProblem(script.error());
            save(*r, p);
          }
          continue;
        }
        shared = std::make_shared<const std::string>(std::move(script).value());
      }
      std::string document = platform == "windows" ? "AWS-RunPowerShellScript" : "AWS-RunShellScript";
      for (auto& chunk : Chunks(runs, kSsmBatch)) queue.push_back({document, shared, std::move(chunk)});
    }
  };
  // Looks for the waiting agents (one DescribeInstanceInformation walk); at the deadline, whoever
  // is still not Online is unreachable.
  auto look_for_agents = [&]() -> Status {
    auto info = api.DescribeInstanceInformation();
    if (!info.ok() && !info.error().retryable) return info.error();
    std::vector<InstanceRun*> online;
    if (info.ok()) {
      for (const auto& s : *info) {
        auto it = waiting.find(s.instance_id);
        if (it == waiting.end()) continue;
        last_ping[s.instance_id] = s.ping_status;
        if (s.ping_status == "Online") {
          online.push_back(it->second);
          waiting.erase(it);
        }
      }
    }
    // Keep the instances' own order (the map's is arbitrary): batches stay deterministic.
    std::sort(online.begin(), online.end());
    enqueue(std::move(online));
    if (clock_.SteadyNow() >= deadline) {
      std::vector<std::pair<InstanceRun*, std::string>> lost;
      for (auto& [id, r] : waiting) lost.emplace_back(r, id);
      std::sort(lost.begin(), lost.end());
      for (auto& [r, id] : lost) {
        PrecheckResult p;
        p.status = PrecheckStatus::kUnreachable;
        p.started_at = started;
        std::string ping = last_ping.count(id) ? last_ping[id] : std::string("not registered");
        p.reasons.push_back("SSM agent not reachable: PingStatus " + ping + " after " +
                            std::to_string(options_.ssm_timeout.count()) + " s (workflow.timeouts.ssm_connection)");
        save(*r, p);
      }
      waiting.clear();
    }
    return OkStatus();
  };
  FP_RETURN_IF_ERROR(look_for_agents());

  std::vector<Sent> sent;
  size_t next_batch = 0;
  // Sends queued batches while at most max_commands invocations are in flight in this zone.
  auto top_up = [&] {
    size_t in_flight = 0;
    for (const auto& s : sent) in_flight += s.targets.size();
    while (next_batch < queue.size() && !Interrupted()) {
      Batch& b = queue[next_batch];
      if (in_flight > 0 && in_flight + b.targets.size() > static_cast<size_t>(std::max(1, options_.max_commands))) break;
      ++next_batch;
      std::vector<std::string> ids;
      for (auto* r : b.targets) ids.push_back(r->info.instance_id);
      auto cmd = api.SendCommand(b.document, ids,
                                 {{"commands", {*b.script}},
                                  {"executionTimeout", {std::to_string(options_.precheck_execution_timeout_s)}}},
                                 static_cast<int>(options_.ssm_timeout.count()), "fleetpatch precheck " + run_id);
      if (!cmd.ok()) {
        for (auto* r : b.targets) {
          PrecheckResult p;
          p.status = PrecheckStatus::kFailed;
          p.error = ToProblem(cmd.error());
          save(*r, p);
        }
        continue;
      }
      in_flight += b.targets.size();
      sent.push_back({*cmd, b.targets, clock_.SteadyNow()});
    }
  };

  // 3. Collect results with ListCommandInvocations (details), 50 per page, until all are terminal.
  // Every poll, the first included, comes one interval after the last: a command just sent is
  // never done yet (delivery alone takes seconds).
  auto limit = options_.ssm_timeout + std::chrono::seconds(options_.precheck_execution_timeout_s);
  while (true) {
    top_up();
    if (sent.empty() && waiting.empty() && next_batch >= queue.size()) break;
    // While agents are awaited, the last look happens at the deadline, not one interval before it.
    auto pause = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.poll_interval);
    if (!waiting.empty()) pause = std::max<std::chrono::nanoseconds>(std::chrono::nanoseconds(0), std::min(pause, deadline - clock_.SteadyNow()));
    PollPause(pause);
    if (Interrupted()) break;
    if (!waiting.empty()) FP_RETURN_IF_ERROR(look_for_agents());
    std::vector<Sent> still;
    for (auto& s : sent) {
      auto inv = api.ListInvocations(s.command_id);
      if (!inv.ok() && !inv.error().retryable) {
        for (auto* r : s.targets) {
          PrecheckResult p;
          p.status = PrecheckStatus::kFailed;
          p.command_id = s.command_id;
          p.error = ToProblem(inv.error());
          save(*r, p);
        }
        continue;
      }
      std::unordered_map<std::string, const InvocationView*> by_id;
      if (inv.ok())
        for (const auto& v : *inv) by_id[v.instance_id] = &v;
      bool expired = clock_.SteadyNow() - s.sent_at > limit;
      std::vector<InstanceRun*> left;
      for (auto* r : s.targets) {
        auto it = by_id.find(r->info.instance_id);
        const InvocationView* v = it == by_id.end() ? nullptr : it->second;
        if (v && !Terminal(v->status) && !expired) {
          left.push_back(r);
          continue;
        }
        if (!v && !expired) {
          left.push_back(r);
          continue;
        }
        PrecheckResult p;
        p.command_id = s.command_id;
        p.started_at = started;
        if (v) p.output = v->output.substr(0, 4000);
        if (!v || !Terminal(v->status)) {
          p.status = PrecheckStatus::kFailed;
          p.error = {"timeout", "PrecheckTimedOut", "precheck script did not finish in time"};
        } else if (Unreachable(v->status) || Unreachable(v->status_details)) {
          // SSM reports an undelivered command as Status TimedOut / Failed with the cause in
          // StatusDetails (DeliveryTimedOut, Undeliverable): the agent, not the script, failed.
          p.status = PrecheckStatus::kUnreachable;
          p.reasons.push_back("SSM could not deliver the precheck command (" +
                              (Unreachable(v->status_details) ? v->status_details : v->status) + ")");
        } else if (v->status != "Success") {
          p.status = PrecheckStatus::kFailed;
          p.error = {"validation", "PrecheckScriptFailed",
                     "precheck script ended " + v->status + " (exit code " + std::to_string(v->response_code) + ")"};
        } else {
          auto m = ParsePrecheckOutput(v->output);
          if (!m.ok()) {
            p.status = PrecheckStatus::kFailed;
            p.error = ToProblem(m.error(), "PrecheckOutputInvalid");
          } else {
            const PrecheckThresholds& t =
                r->info.platform == "windows" ? options_.windows_thresholds : options_.linux_thresholds;
            PrecheckResult verdict = EvaluatePrecheck(*m, t);
            p.status = verdict.status;
            p.reasons = std::move(verdict.reasons);
            p.findings = std::move(verdict.findings);
            p.risks = PrecheckRisks(r->info, r->backup ? &*r->backup : nullptr, &*m, options_.min_agent_version);
          }
        }
        save(*r, p);
      }
      if (!left.empty()) still.push_back({s.command_id, std::move(left), s.sent_at});
    }
    sent = std::move(still);
    if (updates.size() >= 50) {
      FP_RETURN_IF_ERROR(store_.SavePrechecks(run_id, updates));
      updates.clear();
    }
  }
  FP_RETURN_IF_ERROR(store_.SavePrechecks(run_id, updates));
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Patch

Result<PhaseSummary> Workflow::Patch(const std::string& run_id, const std::vector<ZoneSpec>& zones) {
  if (options_.dry_run) return PlanPatch(run_id);
  FP_RETURN_IF_ERROR(RequirePhase(run_id, Phase::kPrecheck, Phase::kPatch));
  if (options_.backup_enabled) FP_RETURN_IF_ERROR(RequirePhase(run_id, Phase::kBackup, Phase::kPatch));
  PhaseSummary summary;
  summary.phase = Phase::kPatch;

  state::InstanceQuery q;
  q.eligible = true;
  q.details = false;  // statuses are enough here; 10,000 precheck outputs would cost ~50 MiB
  FP_ASSIGN_OR_RETURN(auto all, store_.QueryInstances(run_id, q));
  const bool any_eligible = !all.empty();

  // Decide targets; everything else eligible is skipped with its reason (once).
  std::vector<InstanceRun> targets;
  std::vector<state::PatchUpdate> skipped;
  for (auto& r : all) {
    if (r.patch && r.patch->status != PatchStatus::kPending && r.patch->status != PatchStatus::kInProgress &&
        r.patch->status != PatchStatus::kSkipped) {
      continue;  // already finished in an earlier attempt: never patch twice
    }
    std::string why;
    if (!r.precheck || r.precheck->status != PrecheckStatus::kReady) {
      why = "precheck " + std::string(r.precheck ? PrecheckStatusName(r.precheck->status) : "not run");
    } else if (options_.backup_enabled && options_.backup_required &&
               (!r.backup || r.backup->status != BackupStatus::kAvailable)) {
      why = "required backup is " + std::string(r.backup ? BackupStatusName(r.backup->status) : "missing") +
            ": never patched without a backup";
    }
    if (!why.empty()) {
      PatchResult p;
      p.status = PatchStatus::kSkipped;
      p.reason = why;
      skipped.push_back({r.info.zone, r.info.instance_id, p});
      continue;
    }
    targets.push_back(std::move(r));
  }
  std::vector<InstanceRun>().swap(all);
  FP_RETURN_IF_ERROR(store_.SavePatches(run_id, skipped));
  summary.skipped = static_cast<int64_t>(skipped.size());
  if (targets.empty()) {
    if (!options_.dry_run) FP_RETURN_IF_ERROR(store_.MarkPhaseCompleted(run_id, Phase::kPatch));
    if (!any_eligible) return Error::Validation("nothing to patch: run " + run_id + " has no eligible instance");
    return summary;
  }

  ErrorBudget budget(static_cast<int>(options_.error_budget.Of(static_cast<int64_t>(targets.size()))));
  // Instances already in flight (a resumed run) form the first wave: they are only monitored.
  std::stable_partition(targets.begin(), targets.end(), [](const InstanceRun& r) {
    return r.patch && r.patch->status == PatchStatus::kInProgress && !r.patch->command_id.empty();
  });
  std::vector<std::string> ids;
  std::unordered_map<std::string, InstanceRun*> by_key;
  for (auto& r : targets) {
    std::string key = r.info.zone + "/" + r.info.instance_id;
    ids.push_back(key);
    by_key[key] = &r;
  }
  auto waves = PlanWaves(ids, options_.canary_size, options_.wave_size);
  Progress progress("patch", static_cast<int64_t>(targets.size()), progress_options_, clock_);

  size_t w = 0;
  for (; w < waves.size(); ++w) {
    if (Interrupted()) break;
    if (budget.Spent()) break;
    std::map<std::string, std::vector<InstanceRun>> zone_batches;
    for (const auto& key : waves[w]) zone_batches[by_key[key]->info.zone].push_back(*by_key[key]);
    const int64_t failed_before = summary.failed;
    ForEachZone(zones, std::move(zone_batches), summary,
                [&](const ZoneSpec& zone, std::vector<InstanceRun> batch, PhaseSummary& local) {
                  return PatchZoneWave(run_id, zone, std::move(batch), static_cast<int>(w), local, progress);
                });
    const int wave_failures = static_cast<int>(summary.failed - failed_before);
    budget.RecordFailure(wave_failures);
    if (w == 0 && options_.canary_size > 0 && options_.canary_must_succeed && wave_failures > 0 &&
        waves.size() > 1) {
      Journal(run_id, "error", "", "", Phase::kPatch, "canary wave failed: stopping the rollout");
      summary.budget_spent = true;
      summary.halt_reason = HaltReason::kCanaryFailed;
      ++w;
      break;
    }
  }
  if (budget.Spent() && w < waves.size()) summary.budget_spent = true;
  // Waves not started: skipped with the reason (unless interrupted: they stay for --resume).
  if (summary.budget_spent && !Interrupted()) {
    std::vector<state::PatchUpdate> rest;
    std::string why = budget.Spent() ? "error budget spent (" + std::to_string(budget.failures()) + " failures, " +
                                           std::to_string(budget.allowed()) + " allowed): rollout stopped"
                                     : "canary wave failed: rollout stopped";
    for (size_t k = w; k < waves.size(); ++k) {
      for (const auto& key : waves[k]) {
        PatchResult p;
        p.status = PatchStatus::kSkipped;
        p.reason = why;
        rest.push_back({by_key[key]->info.zone, by_key[key]->info.instance_id, p});
      }
    }
    FP_RETURN_IF_ERROR(store_.SavePatches(run_id, rest));
    summary.skipped += static_cast<int64_t>(rest.size());
    progress.Done(Progress::Outcome::kSkipped, static_cast<int64_t>(rest.size()));
    Journal(run_id, "error", "", "", Phase::kPatch, why + "; " + std::to_string(rest.size()) + " instance(s) left untouched");
  }
  FP_RETURN_IF_ERROR(EndPhase(run_id, summary, progress));
  return summary;
}

// A dry run never prechecks, so the plan covers every eligible instance whose precheck could pass:
// the waves it would run, in order, each instance marked with what still has to hold.
Result<PhaseSummary> Workflow::PlanPatch(const std::string& run_id) {
  FP_RETURN_IF_ERROR(RequirePhase(run_id, Phase::kScan, Phase::kPatch));
  PhaseSummary summary;
  summary.phase = Phase::kPatch;
  state::InstanceQuery q;
  q.eligible = true;
  q.details = false;  // statuses are enough here; 10,000 precheck outputs would cost ~50 MiB
  FP_ASSIGN_OR_RETURN(auto all, store_.QueryInstances(run_id, q));
  std::vector<std::string> keys;
  std::unordered_map<std::string, const InstanceRun*> by_key;
  for (const auto& r : all) {
    if (r.precheck && r.precheck->status != PrecheckStatus::kReady) continue;
    std::string key = r.info.zone + "/" + r.info.instance_id;
    keys.push_back(key);
    by_key[key] = &r;
  }
  auto waves = PlanWaves(keys, options_.canary_size, options_.wave_size);
  for (size_t w = 0; w < waves.size(); ++w) {
    for (const auto& key : waves[w]) {
      const InstanceRun& r = *by_key[key];
      AddPlan("patch: would run " + options_.patch_document + " (" + options_.patch_operation + ", " +
              options_.reboot_option + ") on " + r.info.instance_id + " (" + r.info.zone + ") in " +
              (w == 0 && options_.canary_size > 0 ? std::string("the canary wave") : "wave " + std::to_string(w)) +
              (options_.backup_enabled && options_.backup_required ? ", once its backup is available and" : ", once") +
              " its precheck passes");
    }
  }
  summary.skipped = static_cast<int64_t>(keys.size());
  return summary;
}

Status Workflow::PatchZoneWave(const std::string& run_id, const ZoneSpec& zone, std::vector<InstanceRun> batch,
                               int wave, PhaseSummary& summary, Progress& progress) {
  std::vector<state::PatchUpdate> updates;
  auto done = [&](const InstanceRun& r, PatchResult p) {
    if (p.finished_at.empty()) p.finished_at = Now(clock_);
    if (!p.started_at.empty()) p.duration_s = SecondsBetweenIso8601(p.started_at, p.finished_at);
    switch (p.status) {
      case PatchStatus::kSuccess:
      case PatchStatus::kPartialSuccess:
        ++summary.succeeded;
        progress.Done();
        break;
      case PatchStatus::kSkipped:
        ++summary.skipped;
        progress.Done(Progress::Outcome::kSkipped);
        break;
      default:
        ++summary.failed;
        progress.Done(Progress::Outcome::kFailed);
        Journal(run_id, "error", zone.info.name, r.info.instance_id, Phase::kPatch,
                std::string("patch ") + PatchStatusName(p.status) + ": " + p.reason + " " + p.error.message);
    }
    updates.push_back({r.info.zone, r.info.instance_id, std::move(p)});
  };
  auto api_r = Api(zone);
  if (!api_r.ok()) {
    for (auto& r : batch) {
      PatchResult p;
      p.status = PatchStatus::kFailed;
      p.wave = wave;
      p.error = ToProblem(api_r.error());
      done(r, p);
    }
    (void)store_.SavePatches(run_id, updates);
    return api_r.error();
  }
  ZoneApi& api = **api_r;

  if (options_.dry_run) {
    for (auto& r : batch) {
      AddPlan("patch: would run " + options_.patch_document + " (" + options_.patch_operation + ", " +
              options_.reboot_option + ") on " + r.info.instance_id + " (" + zone.info.name + ") in wave " +
              std::to_string(wave));
      ++summary.skipped;
      progress.Done(Progress::Outcome::kSkipped);
    }
    return OkStatus();
  }

  struct Flight {
    std::string command_id;
    std::vector<InstanceRun> targets;
    std::chrono::system_clock::time_point started;
  };
  std::vector<Flight> flights;
  std::map<std::string, std::vector<InstanceRun>> resumed;  // command id -> instances in flight
  std::vector<InstanceRun> fresh;
  for (auto& r : batch) {
    if (r.patch && r.patch->status == PatchStatus::kInProgress && !r.patch->command_id.empty()) {
      resumed[r.patch->command_id].push_back(std::move(r));
    } else {
      fresh.push_back(std::move(r));
    }
  }
  for (auto& [cmd, runs] : resumed) {
    std::chrono::system_clock::time_point t = clock_.Now();
    ParseIso8601(runs.front().patch->started_at, &t);
    Journal(run_id, "info", zone.info.name, "", Phase::kPatch, "resuming the monitoring of command " + cmd);
    flights.push_back({cmd, std::move(runs), t});
  }

  std::map<std::string, std::vector<std::string>> params = {{"Operation", {options_.patch_operation}},
                                                            {"RebootOption", {options_.reboot_option}}};
  if (!options_.baseline_override.empty()) params["BaselineOverride"] = {options_.baseline_override};
  bool sent_now = false;  // a command was sent by this process: its first poll waits one interval
  for (auto& chunk : Chunks(fresh, kSsmBatch)) {
    if (Interrupted()) break;
    std::vector<std::string> ids;
    for (auto& r : chunk) ids.push_back(r.info.instance_id);
    auto started = clock_.Now();
    auto cmd = api.SendCommand(options_.patch_document, ids, params, static_cast<int>(options_.ssm_timeout.count()),
                               "fleetpatch patch " + run_id + " wave " + std::to_string(wave));
    if (!cmd.ok()) {
      for (auto& r : chunk) {
        PatchResult p;
        p.status = PatchStatus::kFailed;
        p.wave = wave;
        p.error = ToProblem(cmd.error());
        done(r, p);
      }
      continue;
    }
    // Recorded before waiting, so a crash resumes by watching this command, not by patching again.
    std::vector<state::PatchUpdate> flying;
    for (auto& r : chunk) {
      PatchResult p;
      p.status = PatchStatus::kInProgress;
      p.wave = wave;
      p.command_id = *cmd;
      p.started_at = FormatIso8601(started);
      r.patch = p;
      flying.push_back({r.info.zone, r.info.instance_id, p});
    }
    FP_RETURN_IF_ERROR(store_.SavePatches(run_id, flying));
    flights.push_back({*cmd, std::move(chunk), started});
    sent_now = true;
  }

  // Monitor every command until its invocations are terminal or the patch timeout passes.
  struct Finished {
    InstanceRun run;
    std::string command_id;
    std::string status;
    std::chrono::system_clock::time_point started;
    std::string undelivered;  // DeliveryTimedOut / Undeliverable from StatusDetails, else empty
  };
  std::vector<Finished> finished;
  bool first = true;
  while (!flights.empty()) {
    if (!first || sent_now) PollPause(options_.poll_interval);
    first = false;
    if (Interrupted()) break;  // in-flight instances stay in_progress for --resume
    std::vector<Flight> still;
    for (auto& f : flights) {
      auto inv = api.ListInvocations(f.command_id);
      if (!inv.ok()) {
        if (inv.error().retryable) {
          still.push_back(std::move(f));
          continue;
        }
        for (auto& r : f.targets) {
          PatchResult p = *r.patch;
          p.status = PatchStatus::kFailed;
          p.error = ToProblem(inv.error());
          done(r, p);
        }
        continue;
      }
      std::unordered_map<std::string, std::string> status, details;
      for (const auto& v : *inv) {
        status[v.instance_id] = v.status;
        details[v.instance_id] = v.status_details;
      }
      bool expired = clock_.Now() - f.started >= options_.patch_timeout;
      std::vector<InstanceRun> left;
      std::vector<std::string> to_cancel;
      for (auto& r : f.targets) {
        std::string s = status.count(r.info.instance_id) ? status[r.info.instance_id] : "";
        if (Terminal(s)) {
          std::string why = details.count(r.info.instance_id) ? details[r.info.instance_id] : "";
          finished.push_back({std::move(r), f.command_id, s, f.started, Unreachable(why) ? why : ""});
        } else if (expired) {
          to_cancel.push_back(r.info.instance_id);
          PatchResult p = *r.patch;
          p.status = PatchStatus::kTimedOut;
          p.command_status = s;
          p.reason = "still " + (s.empty() ? std::string("unreported") : s) + " after " +
                     std::to_string(options_.patch_timeout.count()) +
                     " s (workflow.timeouts.patch_execution): command cancelled";
          done(r, p);
        } else {
          left.push_back(std::move(r));
        }
      }
      if (!to_cancel.empty()) {
        if (auto c = api.CancelCommand(f.command_id, to_cancel); !c.ok()) {
          Journal(run_id, "warning", zone.info.name, "", Phase::kPatch,
                  "CancelCommand " + f.command_id + " failed: " + c.error().ToString());
        }
      }
      if (!left.empty()) still.push_back({f.command_id, std::move(left), f.started});
    }
    flights = std::move(still);
  }

  // Verify the finished ones with DescribeInstancePatchStates (50 per call).
  std::vector<std::string> verify_ids;
  for (auto& f : finished)
    if (f.status == "Success") verify_ids.push_back(f.run.info.instance_id);
  std::unordered_map<std::string, PatchStateView> states;
  std::optional<Error> verify_error;
  if (!verify_ids.empty()) {
    auto ps = api.DescribePatchStates(verify_ids);
    if (ps.ok()) {
      for (auto& s : *ps) states[s.instance_id] = s;
    } else {
      verify_error = ps.error();
    }
  }
  for (auto& f : finished) {
    PatchResult p = *f.run.patch;
    std::optional<PatchCounts> counts;
    if (auto it = states.find(f.run.info.instance_id); it != states.end()) {
      PatchCounts c;
      c.installed = it->second.installed + it->second.installed_other;
      c.missing = it->second.missing;
      c.failed = it->second.failed;
      c.installed_pending_reboot = it->second.installed_pending_reboot;
      c.installed_rejected = it->second.installed_rejected;
      c.operation = it->second.operation;
      double started_s = std::chrono::duration<double>(f.started.time_since_epoch()).count();
      c.operation_after_command = it->second.operation_end_time_s + 5 >= started_s;  // 5 s of clock skew
      counts = c;
    }
    ClassifyPatch(f.status, counts, p);
    if (!f.undelivered.empty()) {
      p.reason += " (" + f.undelivered + ": the SSM agent never received the command)";
    }
    if (verify_error && f.status == "Success") p.error = ToProblem(*verify_error);
    done(f.run, p);
  }
  FP_RETURN_IF_ERROR(store_.SavePatches(run_id, updates));
  return OkStatus();
}

}  // namespace fleetpatch::workflow
