// FakeZoneApi: an in-memory landing zone for the workflow's unit tests. Instances, AMIs and
// commands follow scripted outcomes; every call is counted so tests can prove what was (not) done.
// Thread-safe (one mutex). Test-only: included by *_test.cc files.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "workflow/rate_limiter.h"
#include "workflow/workflow.h"

namespace fleetpatch::workflow::testing {

struct FakeInstance {
  Ec2InstanceView ec2;
  std::optional<SsmInstanceView> ssm;     // nullopt: not registered with SSM
  std::string ami_outcome = "available";  // available | failed | hang
  int ami_pending_polls = 0;              // DescribeImages polls that still see the AMI pending
  std::string precheck_status = "Success";
  std::string precheck_output;           // default: a healthy FLEETPATCH_PRECHECK_V1 line
  std::string patch_status = "Success";  // Success | Failed | hang ...
  PatchStateView patch_state;            // reported after a successful patch
  // After a successful patch: DescribeInstanceStatus checks that see the instance still rebooting
  // (agent ConnectionLost, status checks initializing) before it is back; < 0: it never comes back.
  int reboot_checks = 0;
  std::string system_status = "ok";
  std::string instance_status = "ok";
  std::string asg_group;                // "" : in no Auto Scaling group
  std::string lifecycle = "InService";  // the member's lifecycle state
  // DescribeAutoScalingInstances answers that still see the member EnteringStandby after its
  // EnterStandby (then Standby); < 0: it never gets to Standby.
  int entering_standby_polls = 0;
  // A root-volume replacement: "succeeded" or "failed" after `replace_polls` describes; on success
  // the precheck script measures `restored_output` from then on (empty: unchanged).
  std::string replace_outcome = "succeeded";
  int replace_polls = 0;
  std::string restored_output;
  // What the precheck script measures once a patch succeeded (empty: unchanged), e.g. a service
  // that the patch broke.
  std::string patched_output;
};

// A running, SSM-managed Linux instance tagged Name=web-<id> and Patch=yes (the test zones' filter),
// whose patch installs 5 updates: what most workflow tests start from.
inline FakeInstance HealthyLinux(const std::string& id) {
  FakeInstance i;
  i.ec2.instance_id = id;
  i.ec2.state = "running";
  i.ec2.tags = {{"Name", "web-" + id}, {"Patch", "yes"}};
  i.ssm = SsmInstanceView{id, "Online", "Linux", "Amazon Linux", "3.2.0.0"};
  i.patch_state.installed = 5;
  return i;
}

inline std::string HealthyPrecheckOutput() {
  return "FLEETPATCH_PRECHECK_V1 {\"disks\":[{\"mount\":\"/\",\"size_kb\":20971520,\"avail_kb\":10485760}],"
         "\"cpus\":2,\"load1\":0.2,\"mem_total_kb\":4000000,\"mem_available_kb\":3000000,"
         "\"services\":{\"sshd\":\"active\",\"W32Time\":\"active\"},\"reboot_required\":false,\"pkg_lock\":"
         "false}\n";
}

class FakeZoneApi : public ZoneApi {
 public:
  explicit FakeZoneApi(Clock& clock) : clock_(clock) {}

  // The account the zone's AMIs and snapshots belong to (as the test zones' account id).
  std::string account_id = "111111111111";

  // Called (under the fake's lock) before DescribeInstanceInformation answers, e.g. to bring an
  // agent back Online at some point (instances by id).
  std::function<void(std::map<std::string, FakeInstance>& instances)> on_describe_information;
  // Called (under the fake's lock) after every SendCommand, e.g. to interrupt the run there.
  std::function<void(const std::string& document)> on_send;
  // Called (under the fake's lock) when CreateImage is asked, before the AMI exists.
  std::function<void(const std::string& instance_id, const std::string& name)> on_create;

  void Add(FakeInstance i) {
    std::lock_guard<std::mutex> lock(mu_);
    if (i.precheck_output.empty()) i.precheck_output = HealthyPrecheckOutput();
    instances_[i.ec2.instance_id] = std::move(i);
  }
  // An AMI that exists before the workflow starts (e.g. made by an earlier, crashed attempt, or
  // planted by someone else); its snapshots are recorded as owned by `snapshot_owner` ("" for
  // account_id).
  void AddImage(ImageView img, const std::string& outcome = "available",
                const std::string& snapshot_owner = "") {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& sid : img.snapshot_ids)
      snapshots_[sid] = {img.tags, snapshot_owner.empty() ? account_id : snapshot_owner};
    images_[img.image_id] = {img, outcome};
  }
  // A snapshot that belongs to no fleetpatch AMI, with the tags (and owner) given.
  void AddSnapshot(const std::string& id, std::map<std::string, std::string> tags,
                   const std::string& owner = "") {
    std::lock_guard<std::mutex> lock(mu_);
    snapshots_[id] = {std::move(tags), owner.empty() ? account_id : owner};
  }
  // Calls per operation; "DescribeImagesByTag" counts the by-tag lookups (also in "DescribeImages").
  int Calls(const std::string& op) {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[op];
  }
  // When (the fake clock's steady time) each call of `op` was made, in order.
  std::vector<std::chrono::steady_clock::time_point> CallTimes(const std::string& op) {
    std::lock_guard<std::mutex> lock(mu_);
    return call_times_[op];
  }
  // Paces `op` with a client-side budget, as AwsZoneApi's rate limiter does: RoomFor answers from
  // it, and a call made without room waits inside the call (WaitedInside adds those waits up).
  void Pace(const std::string& op, BucketSpec spec) {
    std::lock_guard<std::mutex> lock(mu_);
    budgets_[op] = std::make_unique<TokenBucket>(spec, clock_);
  }
  std::chrono::nanoseconds WaitedInside(const std::string& op) {
    std::lock_guard<std::mutex> lock(mu_);
    return waited_[op];
  }
  CallRoom RoomFor(const std::string&, const std::string& op) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = budgets_.find(op);
    return it == budgets_.end() ? CallRoom{} : it->second->Peek();
  }
  int MaxPendingImages() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_pending_images_;
  }
  int MaxInvocationsInFlight() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_in_flight_;
  }
  int MutatingCalls() {
    return Calls("CreateImage") + Calls("DeregisterImage") + Calls("DeleteSnapshot") + Calls("SendCommand") +
           Calls("CancelCommand");
  }
  std::vector<std::string> PatchedIds() {
    std::lock_guard<std::mutex> lock(mu_);
    return patched_;
  }
  std::set<std::string> Cancelled() {
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled_;
  }
  std::set<std::string> DeregisteredImages() {
    std::lock_guard<std::mutex> lock(mu_);
    return deregistered_;
  }
  std::set<std::string> DeletedSnapshots() {
    std::lock_guard<std::mutex> lock(mu_);
    return deleted_snapshots_;
  }
  std::string Lifecycle(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return instances_.at(id).lifecycle;
  }
  // The member's lifecycle state when its patch command was sent ("" when it was not).
  std::string LifecycleWhenPatched(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = lifecycle_when_patched_.find(id);
    return it == lifecycle_when_patched_.end() ? "" : it->second;
  }
  std::set<std::string> SuspendedGroups() {
    std::lock_guard<std::mutex> lock(mu_);
    return suspended_;
  }
  // Called (under the fake's lock) after every Auto Scaling call that changes something, e.g. to
  // interrupt the run there.
  std::function<void(const std::string& op)> on_asg;
  // At most this many members of one group in Standby at once (as a group's minimum size allows
  // with ShouldDecrementDesiredCapacity); an EnterStandby beyond it is refused whole. -1: no limit.
  int standby_limit = -1;

  void Set(const std::string& id, const std::function<void(FakeInstance&)>& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    fn(instances_.at(id));
  }

  Status ForEachInstancePage(const std::map<std::string, std::vector<std::string>>& filters,
                             const std::function<void(std::vector<Ec2InstanceView>&&)>& on_page) override {
    std::vector<Ec2InstanceView> page;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_["DescribeInstances"];
      for (auto& [id, i] : instances_) {
        bool match = true;
        for (const auto& [name, values] : filters) {
          std::string v;
          if (name == "instance-state-name") {
            v = i.ec2.state;
          } else if (name == "instance-id") {
            v = id;
          } else if (name.rfind("tag:", 0) == 0) {
            auto it = i.ec2.tags.find(name.substr(4));
            if (it == i.ec2.tags.end()) {
              match = false;
              break;
            }
            v = it->second;
          }
          if (std::find(values.begin(), values.end(), v) == values.end()) match = false;
        }
        if (match) page.push_back(i.ec2);
      }
    }
    on_page(std::move(page));
    return OkStatus();
  }

  Result<std::vector<InstanceStatusView>> DescribeInstanceStatus(
      const std::vector<std::string>& ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("DescribeInstanceStatus");
    std::vector<InstanceStatusView> out;
    for (const auto& id : ids) {
      auto it = instances_.find(id);
      if (it == instances_.end()) continue;
      FakeInstance& i = it->second;
      const bool rebooting = Rebooting(id);
      if (rebooting && i.reboot_checks > 0) --i.reboot_checks;
      out.push_back({id, i.ec2.state, rebooting ? "initializing" : i.system_status,
                     rebooting ? "initializing" : i.instance_status});
    }
    return out;
  }

  Result<std::vector<SsmInstanceView>> DescribeInstanceInformation() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_["DescribeInstanceInformation"];
    if (on_describe_information) on_describe_information(instances_);
    std::vector<SsmInstanceView> out;
    for (auto& [id, i] : instances_) {
      if (!i.ssm) continue;
      out.push_back(*i.ssm);
      if (Rebooting(id)) out.back().ping_status = "ConnectionLost";
    }
    return out;
  }

  // One counted call per 50 ids, as AwsZoneApi makes them.
  Result<std::vector<SsmInstanceView>> DescribeInstanceInformation(
      const std::vector<std::string>& ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_["DescribeInstanceInformation"] += static_cast<int>((ids.size() + 49) / 50);
    if (on_describe_information) on_describe_information(instances_);
    std::vector<SsmInstanceView> out;
    for (const auto& id : ids) {
      auto it = instances_.find(id);
      if (it == instances_.end() || !it->second.ssm) continue;
      out.push_back(*it->second.ssm);
      if (Rebooting(id)) out.back().ping_status = "ConnectionLost";
    }
    return out;
  }

  Result<std::vector<ImageView>> DescribeImagesById(const std::vector<std::string>& ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("DescribeImages");
    std::vector<ImageView> out;
    for (const auto& id : ids) {
      auto it = images_.find(id);
      if (it == images_.end()) continue;
      auto& [img, outcome] = it->second;
      if (img.state == "pending" && pending_polls_[id]-- > 0) {
        out.push_back(img);
        continue;
      }
      if (img.state == "pending" && outcome != "hang") img.state = outcome;  // one poll later
      out.push_back(img);
    }
    return out;
  }
  Result<std::vector<ImageView>> DescribeImagesByTag(const std::string& key,
                                                     const std::string& value) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("DescribeImages");
    Count("DescribeImagesByTag");
    std::vector<ImageView> out;
    for (auto& [id, e] : images_) {
      auto it = e.first.tags.find(key);
      if (it != e.first.tags.end() && it->second == value && !deregistered_.count(id)) out.push_back(e.first);
    }
    return out;
  }
  Result<std::string> CreateImage(const std::string& instance_id, const std::string& name, const std::string&,
                                  bool, const Tags& tags) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("CreateImage");
    if (on_create) on_create(instance_id, name);
    for (auto& [id, e] : images_) {
      if (e.first.name == name && !deregistered_.count(id)) {
        Error err = Error::Validation("AMI name " + name + " is already in use");
        err.aws_code = "InvalidAMIName.Duplicate";
        return err;
      }
    }
    ImageView img;
    img.image_id = "ami-" + std::to_string(1000 + images_.size());
    img.name = name;
    img.state = "pending";
    img.owner_id = account_id;
    img.source_instance_id = instance_id;
    img.snapshot_ids = {"snap-" + img.image_id.substr(4)};
    for (const auto& [k, v] : tags) img.tags[k] = v;
    snapshots_[img.snapshot_ids[0]] = {img.tags, account_id};
    images_[img.image_id] = {img, instances_.at(instance_id).ami_outcome};
    pending_polls_[img.image_id] = instances_.at(instance_id).ami_pending_polls;
    int pending = 0;
    for (auto& [id, e] : images_) pending += e.first.state == "pending" ? 1 : 0;
    max_pending_images_ = std::max(max_pending_images_, pending);
    return img.image_id;
  }
  Status DeregisterImage(const std::string& image_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("DeregisterImage");
    deregistered_.insert(image_id);
    return OkStatus();
  }
  Result<std::set<std::string>> DescribeOwnedSnapshotIds(const std::vector<std::string>& ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < ids.size(); i += kSnapshotIdsPerCall) Count("DescribeSnapshots");
    std::set<std::string> out;
    for (const auto& id : ids) {
      auto it = snapshots_.find(id);
      if (it != snapshots_.end() && it->second.owner == account_id && !deleted_snapshots_.count(id))
        out.insert(id);
    }
    return out;
  }
  Status DeleteSnapshot(const std::string& snapshot_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("DeleteSnapshot");
    deleted_snapshots_.insert(snapshot_id);
    return OkStatus();
  }

  Result<std::string> SendCommand(const std::string& document, const std::vector<std::string>& ids,
                                  const std::map<std::string, std::vector<std::string>>&, int,
                                  const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("SendCommand");
    if (ids.size() > 50) return Error::Validation("more than 50 instance ids");
    std::string id = "cmd-" + std::to_string(commands_.size() + 1);
    commands_[id] = {document, ids, 1};
    int in_flight = static_cast<int>(ids.size());
    for (auto& [cid, c] : commands_)
      if (cid != id && c.polls_left > 0) in_flight += static_cast<int>(c.ids.size());
    max_in_flight_ = std::max(max_in_flight_, in_flight);
    if (document == "AWS-RunPatchBaseline")
      for (const auto& i : ids) {
        patched_.push_back(i);
        lifecycle_when_patched_[i] = instances_.count(i) ? instances_.at(i).lifecycle : "";
      }
    if (on_send) on_send(document);
    return id;
  }
  Result<std::string> GetInvocationOutput(const std::string& command_id,
                                          const std::string& instance_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("GetCommandInvocation");
    if (!commands_.count(command_id) || !instances_.count(instance_id)) {
      return Error::NotFound("no invocation of " + command_id + " on " + instance_id);
    }
    return instances_.at(instance_id).precheck_output.substr(0, 24000);
  }

  Result<std::vector<InvocationView>> ListInvocations(const std::string& command_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("ListCommandInvocations");
    auto& c = commands_.at(command_id);
    bool first = c.polls_left-- > 0;
    std::vector<InvocationView> out;
    for (const auto& id : c.ids) {
      auto& inst = instances_.at(id);
      InvocationView v;
      v.command_id = command_id;
      v.instance_id = id;
      bool patch = c.document == "AWS-RunPatchBaseline";
      std::string final_status = patch ? inst.patch_status : inst.precheck_status;
      if (cancelled_.count(command_id + "/" + id)) {
        v.status = "Cancelled";
      } else if (first || final_status == "hang") {
        v.status = "InProgress";
      } else {
        v.status = final_status;
        v.response_code = final_status == "Success" ? 0 : 1;
        if (!patch) v.output = inst.precheck_output.substr(0, 2500);  // SSM's cut (ASCII output)
        if (patch && final_status == "Success") {
          inst.patch_state.instance_id = id;
          inst.patch_state.operation = "Install";
          inst.patch_state.operation_end_time_s =
              std::chrono::duration<double>(clock_.Now().time_since_epoch()).count();
          patch_states_[id] = inst.patch_state;
          if (!inst.patched_output.empty()) inst.precheck_output = std::exchange(inst.patched_output, "");
        }
      }
      out.push_back(v);
    }
    return out;
  }
  Status CancelCommand(const std::string& command_id, const std::vector<std::string>& ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("CancelCommand");
    for (const auto& i : ids) cancelled_.insert(command_id + "/" + i);
    return OkStatus();
  }
  Result<ReplaceTaskView> CreateReplaceRootVolumeTask(const std::string& instance_id,
                                                      const std::string& image_id, bool,
                                                      const std::string& client_token) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("CreateReplaceRootVolumeTask");
    if (!instances_.count(instance_id) || !images_.count(image_id)) {
      Error e{ErrorCategory::kAws, "no such instance or image"};
      e.aws_code = "InvalidParameterValue";
      return e;
    }
    auto [it, fresh] = tasks_.try_emplace(client_token);
    if (fresh) it->second = {"replacevol-" + std::to_string(tasks_.size()), instance_id, "pending"};
    return it->second;
  }
  Result<std::vector<ReplaceTaskView>> DescribeReplaceRootVolumeTasks(
      const std::vector<std::string>& ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("DescribeReplaceRootVolumeTasks");
    std::vector<ReplaceTaskView> out;
    for (auto& [token, t] : tasks_) {
      if (std::find(ids.begin(), ids.end(), t.task_id) == ids.end()) continue;
      FakeInstance& inst = instances_.at(t.instance_id);
      if (t.state == "pending" && inst.replace_polls-- <= 0) {
        t.state = inst.replace_outcome;
        if (t.state == "succeeded" && !inst.restored_output.empty())
          inst.precheck_output = inst.restored_output;
      }
      out.push_back(t);
    }
    return out;
  }
  Result<std::vector<PatchStateView>> DescribePatchStates(const std::vector<std::string>& ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_["DescribeInstancePatchStates"] += static_cast<int>((ids.size() + 49) / 50);
    call_times_["DescribeInstancePatchStates"].push_back(clock_.SteadyNow());
    std::vector<PatchStateView> out;
    for (const auto& id : ids)
      if (patch_states_.count(id)) out.push_back(patch_states_[id]);
    return out;
  }

  Result<std::vector<AsgInstanceView>> DescribeAutoScalingInstances(
      const std::vector<std::string>& ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("DescribeAutoScalingInstances");
    std::vector<AsgInstanceView> out;
    for (const auto& id : ids) {
      auto it = instances_.find(id);
      if (it == instances_.end() || it->second.asg_group.empty()) continue;
      FakeInstance& i = it->second;
      out.push_back({id, i.asg_group, i.lifecycle});
      if (i.lifecycle == "EnteringStandby" && i.entering_standby_polls > 0 && --i.entering_standby_polls == 0)
        i.lifecycle = "Standby";
    }
    return out;
  }
  Status EnterStandby(const std::string& group, const std::vector<std::string>& ids) override {
    return MoveMembers("EnterStandby", group, ids, "InService", "Standby");
  }
  Status ExitStandby(const std::string& group, const std::vector<std::string>& ids) override {
    return MoveMembers("ExitStandby", group, ids, "Standby", "InService");
  }
  Status SuspendProcesses(const std::string& group) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("SuspendProcesses");
    suspended_.insert(group);
    if (on_asg) on_asg("SuspendProcesses");
    return OkStatus();
  }
  Status ResumeProcesses(const std::string& group) override {
    std::lock_guard<std::mutex> lock(mu_);
    Count("ResumeProcesses");
    suspended_.erase(group);
    if (on_asg) on_asg("ResumeProcesses");
    return OkStatus();
  }

 private:
  // As EC2 Auto Scaling: every instance must be a member of `group` in state `from`, else
  // ValidationError and nothing moves.
  Status MoveMembers(const std::string& op, const std::string& group, const std::vector<std::string>& ids,
                     const std::string& from, const std::string& to) {
    std::lock_guard<std::mutex> lock(mu_);
    Count(op);
    for (const auto& id : ids) {
      auto it = instances_.find(id);
      if (it == instances_.end() || it->second.asg_group != group || it->second.lifecycle != from) {
        Error e = Error::Validation("The instance " + id + " is not in " + from + ".");
        e.aws_code = "ValidationError";
        return e;
      }
    }
    int in_standby = 0;
    for (const auto& [id, i] : instances_)
      in_standby += i.asg_group == group && (i.lifecycle == "Standby" || i.lifecycle == "EnteringStandby");
    if (to == "Standby" && standby_limit >= 0 && in_standby + static_cast<int>(ids.size()) > standby_limit) {
      Error e = Error::Validation("AutoScalingGroup " + group + " would fall below its min-size");
      e.aws_code = "ValidationError";
      return e;
    }
    for (const auto& id : ids) {
      FakeInstance& i = instances_[id];
      i.lifecycle = to == "Standby" && i.entering_standby_polls != 0 ? "EnteringStandby" : to;
    }
    if (on_asg) on_asg(op);
    return OkStatus();
  }
  // Patched and still coming back from the patch's reboot (FakeInstance::reboot_checks).
  bool Rebooting(const std::string& id) const {
    auto it = instances_.find(id);
    return it != instances_.end() && patch_states_.count(id) && it->second.reboot_checks != 0;
  }

  void Count(const std::string& op) {  // mu_ held
    if (auto it = budgets_.find(op); it != budgets_.end()) waited_[op] += it->second->Acquire();
    ++calls_[op];
    call_times_[op].push_back(clock_.SteadyNow());
  }
  struct Command {
    std::string document;
    std::vector<std::string> ids;
    int polls_left;
  };
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<TokenBucket>> budgets_;  // by operation (Pace)
  std::map<std::string, std::chrono::nanoseconds> waited_;
  std::map<std::string, FakeInstance> instances_;
  std::map<std::string, std::pair<ImageView, std::string>> images_;
  std::map<std::string, int> pending_polls_;  // image id -> polls still answered pending
  struct SnapshotRecord {
    std::map<std::string, std::string> tags;
    std::string owner;
  };
  std::map<std::string, SnapshotRecord> snapshots_;
  std::map<std::string, Command> commands_;
  std::map<std::string, PatchStateView> patch_states_;
  std::map<std::string, ReplaceTaskView> tasks_;  // by client token
  std::map<std::string, int> calls_;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> call_times_;
  int max_pending_images_ = 0;
  int max_in_flight_ = 0;
  std::vector<std::string> patched_;
  std::map<std::string, std::string> lifecycle_when_patched_;
  std::set<std::string> cancelled_, deregistered_, deleted_snapshots_;
  std::set<std::string> suspended_;  // Auto Scaling groups with suspended processes
};

// Hands out FakeZoneApis by zone name; a zone listed in `auth_failures` fails to connect as a role
// that cannot be assumed does.
class FakeConnector : public ZoneConnector {
 public:
  std::map<std::string, std::shared_ptr<FakeZoneApi>> zones;
  std::set<std::string> auth_failures;

  Result<std::shared_ptr<ZoneApi>> Connect(const ZoneSpec& zone) override {
    if (auth_failures.count(zone.info.name)) {
      Error e = Error::Auth("could not assume role " + zone.info.role_arn + ": access denied");
      e.aws_code = "AccessDenied";
      return e;
    }
    auto it = zones.find(zone.info.name);
    if (it == zones.end()) return Error::Internal("no fake for zone " + zone.info.name);
    return std::shared_ptr<ZoneApi>(it->second);
  }
};

}  // namespace fleetpatch::workflow::testing
