// ServiceClient: the call pipeline behind every AWS operation fleetpatch makes.
//
//   params --serialise (protocol engine, once per call)--> request
//          --[ gate -> credentials -> SigV4 sign -> transport -> classify ]-- per attempt, retried by
//          RetryPolicy
//          --parse (protocol engine)--> JSON result, or a classified Error
//
// One ServiceClient per (service, region, endpoint, credentials); it owns the retry quota that all
// its calls share. Each attempt is reported to an observer (by default a spdlog debug line with the
// action, attempt, HTTP status, duration and request id), and, when an AttemptGate is set, every
// attempt (retries too) first waits at the gate and then tells it whether it was throttled, so a
// client-side rate budget paces requests, not calls. Nothing secret is ever reported: no
// credentials, no headers, no signature, no request or response body.
// Thread-safety: Call() may run concurrently from many threads, given that the transport, the
// credentials provider and the clock are thread-safe (their interfaces require it).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "aws/api_caller.h"
#include "aws/attempt_gate.h"
#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "aws/http.h"
#include "aws/protocol/serializer.h"
#include "aws/protocol/service_model.h"
#include "aws/retry.h"
#include "common/clock.h"
#include "common/error.h"

namespace fleetpatch::aws {

// What happened in one attempt; safe to log.
struct AttemptRecord {
  std::string action;   // "ec2:DescribeInstances"
  int attempt = 1;      // 1-based
  int http_status = 0;  // 0 when no response arrived
  std::chrono::milliseconds duration{0};
  std::string request_id;  // empty when unknown
  std::string error;       // "" on success, else the AWS code or the error category
  bool will_retry = false;
  std::chrono::milliseconds retry_delay{0};
};
using AttemptObserver = std::function<void(const AttemptRecord&)>;
// "aws ec2:DescribeInstances attempt=1 status=503 duration_ms=12 request_id=abc error=... retry_in_ms=500".
std::string FormatAttempt(const AttemptRecord& record);

struct ServiceClientOptions {
  // Base URL, e.g. "https://ec2.us-east-1.amazonaws.com" or "http://127.0.0.1:4566" (an emulator).
  std::string endpoint;
  std::string region;        // signing region, e.g. "us-east-1"
  std::string signing_name;  // e.g. "ec2"; Default: "" (the model's endpointPrefix)
  HttpOptions http;          // connect/total timeouts per attempt
  RetryOptions retry;        // Default: standard mode, 3 attempts
  std::string user_agent = "fleetpatch/0.1.0";
  // Default: a spdlog debug line per attempt.
  AttemptObserver observer;
  // Default: random UUIDs. Tests pass a fixed generator.
  protocol::IdempotencyTokenGenerator idempotency_token;
  // Default: none (attempts are not paced). Consulted before every attempt, told every outcome.
  std::shared_ptr<AttemptGate> gate;
};

// Options for a resolved endpoint (endpoints.h): URL, signing region and signing name set; the
// rest at their defaults.
ServiceClientOptions ServiceClientOptionsFor(const ResolvedEndpoint& endpoint);

class ServiceClient final : public ApiCaller {
 public:
  // model (e.g. protocol::Ec2Model()), transport, credentials and clock must outlive the client.
  // random drives retry jitter (see MakeRandomSource).
  ServiceClient(const protocol::ServiceModel& model, ServiceClientOptions options, HttpTransport& transport,
                CredentialsProvider& credentials, Clock& clock, RandomSource random = MakeRandomSource());

  // Runs `operation` with `params` (botocore-style JSON keyed by member names) and returns the
  // parsed output. Errors: kValidation (bad params, before anything is sent), kAuth (credentials
  // missing or rejected), kPermission, kThrottled, kAws, kConnectivity, kTimeout; retryable errors
  // are returned only after the retry policy gave up, and then say why.
  Result<nlohmann::json> Call(const std::string& operation, const nlohmann::json& params) override;
  // The same pipeline; the successful answer's wire body goes to `read` (api_caller.h).
  Status CallReading(const std::string& operation, const nlohmann::json& params,
                     const BodyReader& read) override;

  // What a successful (2xx) answer of one attempt becomes; its error ends the call. It may set the
  // record's request id (from the body, when the headers had none).
  using SuccessReader = std::function<Status(const HttpResponse& response, AttemptRecord* record)>;

  const ServiceClientOptions& options() const { return options_; }
  RetryPolicy& retry_policy() { return retry_; }

 private:
  // Attempts of one call until `read` accepts an answer or the retry policy gives up.
  Status Attempts(const std::string& operation, const nlohmann::json& params, const SuccessReader& read);
  std::string BuildUrl(const protocol::SerializedRequest& serialized) const;
  // The request every attempt of one call starts from (serialised once: an idempotency token
  // stays the same across retries). kConfig without an endpoint or a region.
  Result<HttpRequest> BaseRequest(const std::string& operation, const std::string& action,
                                  const nlohmann::json& params) const;
  // Signs one attempt with the credentials of the moment (a provider may have refreshed them).
  Status Sign(HttpRequest& request);

  const protocol::ServiceModel& model_;
  ServiceClientOptions options_;
  HttpTransport& transport_;
  CredentialsProvider& credentials_;
  Clock& clock_;
  RetryPolicy retry_;
};

}  // namespace fleetpatch::aws
