// Emulator: the in-process AWS emulator (STS, EC2, SSM, EC2 Auto Scaling, SNS) over a Fleet. Handle() takes
// one HTTP request as received and returns the response AWS would send, so the same object serves the HTTP
// server (server.h) and tests that drive it directly.
//
// Time: resource state machines (AMIs, snapshots, SSM invocations) run on simulated time, which
// advances `time_scale` times faster than the injected Clock (scale 1000: a 20-minute AMI is ready
// after 1.2 real seconds; every transition still happens in order). Timestamps in responses are
// simulated wall time (start time + simulated elapsed time). Credentials expiry, SigV4 clock-skew
// checks and rate limits use the real (injected) clock.
//
// Thread-safety: Handle and all public methods are safe to call from many threads at once. State is
// partitioned per (account, region) with one reader/writer lock each; credentials, faults, rate
// limits and the request log have their own locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aws/credentials.h"
#include "common/clock.h"
#include "emulator/fleet.h"

namespace fleetpatch::emulator {

// One HTTP request as received.
struct Request {
  std::string method = "POST";
  std::string path = "/";  // as on the request line (percent-encoded)
  std::string query;       // raw query string, without '?'
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Case-insensitive header lookup; "" when absent.
  std::string Header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Fault injection: the server waits `delay` before answering, or drops the connection.
  std::chrono::nanoseconds delay{0};
  bool drop_connection = false;
};

// Faults for one operation ("DescribeInstances") or all ("*"). Rates are probabilities 0..1.
struct FaultSpec {
  std::chrono::milliseconds latency{0};  // added to every response
  std::chrono::milliseconds jitter{0};   // plus uniform 0..jitter
  double throttle_rate = 0;              // answer the service's real throttling error
  double error_5xx_rate = 0;             // answer InternalError / InternalFailure (500)
  double unavailable_rate = 0;           // answer ServiceUnavailable (503)
  double drop_rate = 0;                  // drop the connection without an answer
};

// A token bucket: `burst` tokens, refilled at `per_second`.
struct RateLimit {
  double burst = 0;
  double per_second = 0;
};

struct EmulatorOptions {
  // Simulated seconds per real second. Default: 1 (real time).
  double time_scale = 1.0;
  // Verify SigV4 signatures against issued credentials. Default: true. When false only the
  // Authorization header's access key and scope are read (routing and identity).
  bool strict_sigv4 = true;
  // Enforce the per-account-and-region token buckets. Default: true.
  bool rate_limits = true;
  // Requests whose X-Amz-Date is further than this from the clock are rejected. Default: 15 min.
  std::chrono::seconds max_clock_skew{15 * 60};
  // Clock for real time; nullptr: DefaultClock(). Must outlive the Emulator.
  Clock* clock = nullptr;
  // Seed for fault injection and generated ids. Default: 42.
  uint64_t seed = 42;
  // Simulated delay between SendCommand and an invocation leaving Pending. Default: 2 s.
  double ssm_delivery_s = 2.0;
  // The request log keeps at most this many entries (the oldest half is dropped when full);
  // RequestCounts and CountMutatingRequests stay exact regardless. Default: 1,000,000.
  size_t max_log_entries = 1000000;
};

struct RequestLogEntry {
  std::string service;     // ec2, ssm, sts, autoscaling, sns
  std::string operation;   // e.g. DescribeInstances; "" if it could not be determined
  std::string account_id;  // of the caller; "" when unauthenticated
  std::string region;
  std::string caller_arn;
  std::chrono::system_clock::time_point time;  // real time
  int http_status = 0;
  std::string error_code;  // "" on success
  bool mutating = false;   // the operation changes state (whether or not it succeeded)
  bool dry_run = false;
};

// A message SNS Publish accepted (the emulator delivers nothing; tests read the record).
struct PublishedMessage {
  std::string message_id;
  std::string topic_arn;
  std::string subject;  // "" when none
  std::string message;
  std::string message_structure;                  // "" or "json"
  std::map<std::string, std::string> attributes;  // MessageAttributes: name -> StringValue
  std::string caller_arn;
  std::chrono::system_clock::time_point time;  // real time
};

class Emulator {
 public:
  // `fleet` must have passed ValidateFleet (ParseFleetYaml, DemoFleet and GenerateFleet ensure it).
  explicit Emulator(Fleet fleet, EmulatorOptions options = {});
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  Response Handle(const Request& request);

  // The fleet's base (IAM user) credentials a caller starts from.
  aws::Credentials BaseCredentials() const;
  const Fleet& fleet() const;
  const EmulatorOptions& options() const;

  // Faults: per operation name or "*" for every operation. Replaces any previous spec.
  void SetFault(const std::string& operation, const FaultSpec& spec);
  void ClearFaults();
  // Overrides one rate-limit bucket: "ec2-describe", "ec2-mutate", "ec2-tags", "ssm-read",
  // "ssm-write", "sts", "autoscaling", "sns". Returns false for an unknown bucket name.
  bool SetRateLimit(const std::string& bucket, RateLimit limit);
  void SetRateLimitsEnabled(bool enabled);
  // The bucket `operation` takes its token from and that bucket's limit in force (per account and
  // region: the caller's account and the request's region). False for an operation not served.
  bool RateLimitOf(const std::string& operation, std::string* bucket, RateLimit* limit) const;

  // The request log (a copy of the retained entries), exact counts since the last clear, and the
  // dry-run check: CountMutatingRequests counts mutating operations that were not DryRun probes.
  std::vector<RequestLogEntry> RequestLog() const;
  std::map<std::string, int> RequestCounts() const;  // operation -> count
  int CountMutatingRequests() const;
  void ClearRequestLog();

  // Every message SNS Publish accepted, oldest first.
  std::vector<PublishedMessage> PublishedMessages() const;

  // Simulated seconds since the emulator started.
  double SimulatedSeconds() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetpatch::emulator
