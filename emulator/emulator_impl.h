// Internals of Emulator shared by the per-service handler files (emulator.cc, ec2_handlers.cc,
// ssm_handlers.cc). Not part of the public API.
// Thread-safety: Zone data is guarded by Zone::mu (shared for reads, exclusive for writes); the
// zone table itself is built once in the constructor and never changes.
#pragma once

#include <atomic>
#include <limits>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "emulator/emulator.h"
#include "emulator/wire.h"

namespace fleetpatch::emulator {

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

struct InstanceState {
  const InstanceSpec* spec = nullptr;
  std::map<std::string, std::string> tags;
  double agent_lost_at = kNever;  // simulated time the SSM agent dropped off
  PatchCounts baseline;            // state before any emulated run
  // Patch runs in send order: (command id, invocation index).
  std::vector<std::pair<std::string, size_t>> patch_runs;
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
  std::string details;  // terminal StatusDetails: Success|Failed|ExecutionTimedOut|DeliveryTimedOut|Cancelled|Undeliverable
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
  nlohmann::json parameters;  // name -> [values]
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
  std::map<std::string, Image> images;        // by id
  std::map<std::string, Snapshot> snapshots;  // by id
  std::map<std::string, Command> commands;    // by id
  std::vector<std::string> command_order;     // send order, newest last

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
  Zone empty_zone;                                      // for (account, region) pairs with nothing in them

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

  std::atomic<uint64_t> id_counter{0};

  double SimNow() const;
  std::chrono::system_clock::time_point SimToWall(double sim) const;
  std::string NewId(const std::string& prefix, int hex_digits);
  std::string NewRequestId();
  Zone& ZoneFor(const std::string& account_id, const std::string& region);

  // Returns a uniformly random double in [0,1) (locks faults_mu internally).
  double Random();

  Response HandleSts(const std::string& op, const Params& params, CallContext& ctx);
  Response HandleEc2(const std::string& op, const Params& params, CallContext& ctx);
  Response HandleSsm(const std::string& op, const nlohmann::json& body, CallContext& ctx);
};

// Protocol renderers (emulator.cc).
Response Ec2Xml(const std::string& body);
Response StsXml(const std::string& body);
Response SsmJson(const nlohmann::json& body, const std::string& request_id);

// Operation classification (emulator.cc).
bool IsMutating(const std::string& operation);

}  // namespace fleetpatch::emulator
