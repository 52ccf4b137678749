// Internals of Emulator shared by the dispatcher's steps and the per-service handler files. Not part of the
// public API. Thread-safety: Zone data is guarded by Zone::mu (shared for reads, exclusive for writes); the
// zone table itself is built once in the constructor and never changes.
#pragma once

#include <atomic>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <shared_mutex>
#include <unordered_map>

#include "emulator/emulator.h"
#include "emulator/wire.h"

namespace fleetpatch::emulator {

struct Route;

// An AWS error answer. Handlers throw it (the dispatcher in emulator.cc catches it and renders the
// protocol's error shape): validation happens deep inside parameter parsing, and unwinding straight
// to the one place that renders errors keeps every handler linear.
struct ApiError {
  int status = 400;
  std::string code;
  std::string message;
};

struct Identity {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for the base IAM user
  std::string account_id;
  std::string arn;
  std::string user_id;
  bool read_only = false;
  std::chrono::system_clock::time_point expires = std::chrono::system_clock::time_point::max();
};

// Who is calling and where: the context each handler gets.
struct CallContext {
  const Identity* identity = nullptr;
  std::string region;
  std::string request_id;
  double now = 0;  // simulated seconds since start
  bool dry_run = false;
};

constexpr double kNever = std::numeric_limits<double>::infinity();

struct PatchCounts {
  int installed = 0;
  int installed_other = 0;
  int installed_pending_reboot = 0;
  int missing = 0;
  int failed = 0;
  std::string operation = "Scan";  // Scan | Install
  std::string reboot_option = "RebootIfNeeded";
  double start = 0;
  double end = 0;
};

// A time the instance is down or degraded: a reboot after a patch or during a root volume
// replacement (instance_health.h reads them).
struct Outage {
  double start = 0;
  double agent_back = 0;  // the SSM agent is Online again (kNever: not until a root volume replacement)
  double status_ok = 0;   // EC2 instance status ok again; "initializing" before (kNever: impaired instead)
};

struct InstanceState {
  const InstanceSpec* spec = nullptr;
  std::map<std::string, std::string> tags;
  std::string state;              // EC2 state at start (the spec's); its group may terminate it later
  double agent_lost_at = kNever;  // simulated time the SSM agent dropped off
  PatchCounts baseline;           // state before any emulated run
  // Patch runs in send order: (command id, invocation index).
  std::vector<std::pair<std::string, size_t>> patch_runs;
  std::vector<Outage> outages;
  double broken_at = kNever;    // post-patch service failures start (spec post_patch_failed_services)
  double restored_at = kNever;  // the last root volume replacement finished
  PatchCounts restored_counts;  // the patch state the replaced root volume carries
  std::string root_volume_id;
  // EC2 Auto Scaling membership (spec auto_scaling_group): lifecycle and a pending replacement.
  std::string lifecycle = "InService";  // settled state: InService | Standby
  std::string transition;               // EnteringStandby | Pending until transition_until
  double transition_until = -1;
  double terminate_at = kNever;  // the group found it unhealthy and terminates it
};

struct AutoScalingGroup {
  const AutoScalingGroupSpec* spec = nullptr;
  int desired = 0;
  std::map<std::string, std::string> suspended;  // process -> reason
};

struct ReplaceRootVolumeTask {
  std::string id;  // replacevol-...
  std::string instance_id;
  std::string image_id;
  std::string snapshot_id;
  bool delete_replaced = false;
  double start = 0;
  double in_progress_at = 0;
  double end = 0;
  bool fails = false;
  std::map<std::string, std::string> tags;
};

struct BlockDevice {
  std::string device;
  std::string snapshot_id;
  int size_gb = 8;
};

struct Image {
  std::string id;
  std::string name;
  std::string description;
  std::string instance_id;
  std::string owner_id;
  bool is_public = false;
  std::string platform;  // linux|windows
  double created = 0;
  double ready = 0;
  bool fails = false;
  bool deregistered = false;
  std::map<std::string, std::string> tags;
  std::vector<BlockDevice> devices;
};

struct Snapshot {
  std::string id;
  std::string volume_id;
  std::string owner_id;
  std::string description;
  std::string image_id;  // the AMI it backs; "" when none
  int size_gb = 8;
  double started = 0;
  double ready = 0;
  bool fails = false;
  bool deleted = false;
  std::map<std::string, std::string> tags;
};

struct Invocation {
  std::string instance_id;
  std::string instance_name;
  double start = 0;     // leaves Pending (simulated)
  double end = 0;       // reaches its terminal status
  std::string status;   // terminal Status: Success|Failed|TimedOut|Cancelled
  std::string details;  // terminal StatusDetails:
                        // Success|Failed|ExecutionTimedOut|DeliveryTimedOut|Cancelled|Undeliverable
  int response_code = 0;
  std::string stdout_text;
  std::string stderr_text;
  bool never_started = false;  // stayed Pending until its end (delivery timeout, cancel, MaxErrors)
  // For AWS-RunPatchBaseline: the counts in effect after a successful end.
  bool is_patch = false;
  PatchCounts patch_after;
};

struct Command {
  std::string id;
  std::string document;
  std::string comment;
  nlohmann::json parameters;                         // name -> [values]
  nlohmann::json targets = nlohmann::json::array();  // as sent
  std::vector<std::string> instance_ids;
  std::string max_concurrency;
  std::string max_errors;
  int timeout_s = 3600;
  double requested = 0;
  double cancelled_at = kNever;
  std::vector<Invocation> invocations;
};

// Everything one account sees in one region.
struct Zone {
  std::string account_id;
  std::string region;
  mutable std::shared_mutex mu;
  std::vector<InstanceState> instances;  // sorted by instance id
  std::unordered_map<std::string, size_t> by_id;
  std::map<std::string, Image> images;                      // by id
  std::map<std::string, Snapshot> snapshots;                // by id
  std::map<std::string, Command> commands;                  // by id
  std::vector<std::string> command_order;                   // send order, newest last
  std::map<std::string, AutoScalingGroup> groups;           // by name
  std::map<std::string, ReplaceRootVolumeTask> root_tasks;  // by id
  std::vector<std::string> sns_topics;                      // topic names

  InstanceState* Find(const std::string& id) {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &instances[it->second];
  }
  const InstanceState* Find(const std::string& id) const {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &instances[it->second];
  }
};

struct TokenBucket {
  double tokens = 0;
  std::chrono::steady_clock::time_point last;
  bool primed = false;
};

struct Emulator::Impl {
  Impl(Fleet fleet, EmulatorOptions options);

  Fleet fleet;
  EmulatorOptions options;
  Clock* clock;
  std::chrono::system_clock::time_point wall_epoch;
  std::chrono::steady_clock::time_point steady_epoch;

  std::map<std::string, std::unique_ptr<Zone>> zones;  // "account/region"
  Zone empty_zone;                                     // for (account, region) pairs with nothing in them

  mutable std::shared_mutex keys_mu;
  std::unordered_map<std::string, Identity> keys;  // access key id -> identity

  std::mutex faults_mu;
  std::map<std::string, FaultSpec> faults;
  std::mt19937_64 rng;

  std::mutex buckets_mu;
  std::map<std::string, RateLimit> limits;
  std::map<std::string, TokenBucket> buckets;  // "bucket|account|region"
  std::atomic<bool> rate_limits_enabled{true};

  mutable std::mutex log_mu;
  std::vector<RequestLogEntry> log;
  std::map<std::string, int> log_counts;  // exact, even when old entries were dropped
  int log_mutating = 0;

  std::atomic<uint64_t> id_counter{0};

  mutable std::mutex sns_mu;
  std::vector<PublishedMessage> published;

  double SimNow() const;
  std::chrono::system_clock::time_point SimToWall(double sim) const;
  std::string NewId(const std::string& prefix, int hex_digits);
  std::string NewRequestId();
  Zone& ZoneFor(const std::string& account_id, const std::string& region);

  // Returns a uniformly random double in [0,1) (locks faults_mu internally).
  double Random();

  // The dispatcher's steps after routing (emulator.cc).
  Response Dispatch(const Request& req, const Route& route, RequestLogEntry& entry, CallContext& ctx,
                    std::chrono::nanoseconds* delay, bool* drop);
};

// Adds the fleet's Auto Scaling groups, existing AMIs and snapshots and SNS topics to the zones
// (seed.cc). Called once by the constructor.
void SeedZones(Emulator::Impl& im);

// Stable pseudo-random hex derived from a name (role ids, reservation ids), and its upper case.
std::string HashHex(const std::string& s, int digits);
std::string UpperAlnum(const std::string& hex);

}  // namespace fleetpatch::emulator
