// FaultyTransport: a decorator that injects the failures real AWS traffic sees in front of another
// transport (a FakeTransport, the in-process emulator, even CurlTransport): throttling responses,
// 5xx responses, connection resets, timeouts and added latency. Like leveldb's fault-injecting
// SpecialEnv, it lets retry and error paths run end to end.
// Deterministic: with the same seed and the same sequence of requests it injects the same faults
// (with concurrent callers the order of requests, hence which request gets which fault, may vary).
// Thread-safe: Send may be called concurrently; the wrapped transport must be thread-safe too.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "aws/http.h"
#include "common/clock.h"

namespace fleetpatch::testing {

// Which error body to write; kAuto picks JSON for x-amz-json requests, EC2 XML for EC2 Query
// (Version=2016-11-15) and AWS Query XML otherwise.
enum class FaultWire { kAuto, kEc2Xml, kQueryXml, kJson };

struct FaultOptions {
  // Probabilities per request, checked in this order; their sum should stay <= 1.
  double throttle_rate = 0;      // answer 400 (503 for EC2) with throttle_code
  double server_error_rate = 0;  // answer 503 ServiceUnavailable / 500 InternalError
  double reset_rate = 0;         // fail with a retryable kConnectivity "connection reset" (not forwarded)
  double timeout_rate = 0;       // fail with a retryable kTimeout (not forwarded)
  std::chrono::milliseconds latency{0};  // added before every request, through the clock
  std::uint64_t seed = 1;
  std::string throttle_code;     // Default (empty): RequestLimitExceeded for EC2, Throttling for Query,
                                 // ThrottlingException for JSON
  FaultWire wire = FaultWire::kAuto;
};

struct FaultCounts {
  int forwarded = 0;
  int throttled = 0;
  int server_errors = 0;
  int resets = 0;
  int timeouts = 0;
};

class FaultyTransport final : public aws::HttpTransport {
 public:
  // `inner` and `clock` must outlive this object.
  FaultyTransport(aws::HttpTransport& inner, FaultOptions options, Clock& clock);

  Result<aws::HttpResponse> Send(const aws::HttpRequest& request, const aws::HttpOptions& options) override;

  FaultCounts counts() const;

 private:
  enum class Fault { kNone, kThrottle, kServerError, kReset, kTimeout };
  Fault Draw(bool* use_500);

  aws::HttpTransport& inner_;
  const FaultOptions options_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;  // guarded by mu_
  FaultCounts counts_;   // guarded by mu_
  std::uint64_t next_request_id_ = 1;  // guarded by mu_
};

}  // namespace fleetpatch::testing
