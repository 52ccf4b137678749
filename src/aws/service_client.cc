#include "aws/service_client.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <utility>

#include "aws/aws_error.h"
#include "aws/protocol/parser.h"
#include "aws/sigv4.h"

namespace fleetpatch::aws {
namespace {

std::string RequestIdFromHeaders(const Headers& headers) {
  for (const char* name : {"x-amzn-RequestId", "x-amz-request-id", "x-amzn-request-id"}) {
    if (const std::string* v = FindHeader(headers, name); v != nullptr && !v->empty()) return *v;
  }
  return "";
}

AwsErrorInfo ToErrorInfo(const protocol::ServiceError& se, const Headers& headers) {
  AwsErrorInfo info;
  // "HttpStatus503" is the engine's stand-in for an undecodable body: classify by status alone.
  info.code = se.code.rfind("HttpStatus", 0) == 0 ? std::string() : se.code;
  info.message = se.message;
  info.request_id = se.request_id.empty() ? RequestIdFromHeaders(headers) : se.request_id;
  info.http_status = se.http_status;
  return info;
}

void DefaultObserver(const AttemptRecord& record) { spdlog::debug("{}", FormatAttempt(record)); }

}  // namespace

std::string FormatAttempt(const AttemptRecord& r) {
  std::string s = "aws " + r.action + " attempt=" + std::to_string(r.attempt) +
                  " status=" + std::to_string(r.http_status) +
                  " duration_ms=" + std::to_string(r.duration.count());
  if (!r.request_id.empty()) s += " request_id=" + r.request_id;
  if (!r.error.empty()) s += " error=" + r.error;
  if (r.will_retry) s += " retry_in_ms=" + std::to_string(r.retry_delay.count());
  return s;
}

ServiceClient::ServiceClient(const protocol::ServiceModel& model, ServiceClientOptions options,
                             HttpTransport& transport, CredentialsProvider& credentials, Clock& clock,
                             RandomSource random)
    : model_(model),
      options_(std::move(options)),
      transport_(transport),
      credentials_(credentials),
      clock_(clock),
      retry_(options_.retry, std::move(random), clock) {
  if (options_.signing_name.empty()) options_.signing_name = model_.endpoint_prefix();
  if (!options_.observer) options_.observer = DefaultObserver;
  if (!options_.idempotency_token) options_.idempotency_token = protocol::RandomIdempotencyToken;
}

ServiceClientOptions ServiceClientOptionsFor(const ResolvedEndpoint& endpoint) {
  ServiceClientOptions o;
  o.endpoint = endpoint.url;
  o.region = endpoint.signing_region;
  o.signing_name = endpoint.signing_name;
  return o;
}

std::string ServiceClient::BuildUrl(const protocol::SerializedRequest& serialized) const {
  std::string base = options_.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!serialized.host_prefix.empty()) {
    if (auto scheme_end = base.find("://"); scheme_end != std::string::npos) {
      base.insert(scheme_end + 3, serialized.host_prefix);
    }
  }
  std::string path = serialized.path.empty() ? "/" : serialized.path;
  if (path.front() != '/') path.insert(path.begin(), '/');
  return base + path;
}

Result<HttpRequest> ServiceClient::BaseRequest(const std::string& operation, const std::string& action,
                                               const nlohmann::json& params) const {
  if (options_.endpoint.empty()) {
    return Error::Config("no endpoint for " + action + ": set a region (or an endpoint URL)");
  }
  if (options_.region.empty())
    return Error::Config("no region for " + action + ": set --region or AWS_REGION");
  FP_ASSIGN_OR_RETURN(protocol::SerializedRequest serialized,
                      protocol::SerializeRequest(model_, operation, params, options_.idempotency_token));
  HttpRequest base;
  base.method = serialized.method.empty() ? "POST" : serialized.method;
  base.url = BuildUrl(serialized);
  base.headers = serialized.headers;
  if (!options_.user_agent.empty()) base.headers.emplace_back("User-Agent", options_.user_agent);
  base.body = std::move(serialized.body);
  return base;
}

Status ServiceClient::Sign(HttpRequest& request) {
  FP_ASSIGN_OR_RETURN(Credentials credentials, credentials_.GetCredentials());
  SigningParams signing;
  signing.region = options_.region;
  signing.service = options_.signing_name;
  signing.time = clock_.Now();
  FP_RETURN_IF_ERROR(SignRequest(request, credentials, signing));
  return OkStatus();
}

namespace {

// What one attempt's answer means: `final` when the call ends with it (a 2xx that `read` accepted,
// or one it refused, never retried: the operation may have taken effect); otherwise `error`, for
// the retry policy, with the response's headers (Retry-After) when there was a response.
struct Answer {
  std::optional<Status> final;
  bool success = false;
  Error error;
  const Headers* headers = nullptr;
};

Answer Interpret(const protocol::ServiceModel& model, const std::string& operation, const std::string& action,
                 const Result<HttpResponse>& response, const ServiceClient::SuccessReader& read,
                 AttemptRecord* record) {
  Answer a;
  if (!response.ok()) {
    a.error = response.error();
    a.error.message = action + ": " + a.error.message;
    record->error = CategoryName(a.error.category);
    return a;
  }
  record->http_status = response->status;
  record->request_id = RequestIdFromHeaders(response->headers);
  if (protocol::IsSuccessStatus(response->status)) {
    Status read_status = read(*response, record);
    if (!read_status.ok()) {
      Error e = read_status.error();
      e.message = action + ": " + e.message;
      record->error = "unparseable-response";
      a.final = std::move(e);
      return a;
    }
    a.success = true;
    a.final = OkStatus();
    return a;
  }
  AwsErrorInfo info =
      ToErrorInfo(protocol::ParseErrorResponse(model, operation, *response), response->headers);
  if (info.http_status == 0) info.http_status = response->status;
  a.error = ClassifyAwsError(info, action);
  if (record->request_id.empty()) record->request_id = a.error.request_id;
  record->error = a.error.aws_code.empty() ? "HTTP " + std::to_string(response->status) : a.error.aws_code;
  a.headers = &response->headers;
  return a;
}

}  // namespace

Result<nlohmann::json> ServiceClient::Call(const std::string& operation, const nlohmann::json& params) {
  nlohmann::json output;
  FP_RETURN_IF_ERROR(
      Attempts(operation, params, [&](const HttpResponse& response, AttemptRecord* record) -> Status {
        FP_ASSIGN_OR_RETURN(output, protocol::ParseResponse(model_, operation, response));
        if (record->request_id.empty() && output.is_object()) {
          auto meta = output.find("ResponseMetadata");
          if (meta != output.end() && meta->is_object()) record->request_id = meta->value("RequestId", "");
        }
        return OkStatus();
      }));
  return output;
}

Status ServiceClient::CallReading(const std::string& operation, const nlohmann::json& params,
                                  const BodyReader& read) {
  return Attempts(operation, params, [&](const HttpResponse& response, AttemptRecord*) -> Status {
    return read(response.body);
  });
}

// Attempts until an answer ends the call or the retry policy gives up. Every attempt waits at the
// gate, retries included (a retry is one more request against the same server-side budget), before
// signing, so the signature's time stays fresh.
Status ServiceClient::Attempts(const std::string& operation, const nlohmann::json& params,
                               const SuccessReader& read) {
  const std::string action = options_.signing_name + ":" + operation;
  FP_ASSIGN_OR_RETURN(const HttpRequest base, BaseRequest(operation, action, params));
  const protocol::Operation* op = model_.FindOperation(operation);
  const bool sign = !(op && op->unsigned_request);
  RetryPolicy::Call call = retry_.BeginCall();
  for (;;) {
    AttemptRecord record;
    record.action = action;
    record.attempt = call.attempt();
    if (options_.gate) options_.gate->BeforeAttempt(operation, call.attempt());
    auto tell_gate = [&](AttemptOutcome outcome) {
      if (options_.gate) options_.gate->AfterAttempt(operation, call.attempt(), outcome);
    };
    HttpRequest request = base;
    if (Status st = sign ? Sign(request) : OkStatus(); !st.ok()) {
      tell_gate(AttemptOutcome::kFailed);
      return st.error();
    }
    const auto started = clock_.SteadyNow();
    Result<HttpResponse> response = transport_.Send(request, options_.http);
    record.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.SteadyNow() - started);
    Answer answer = Interpret(model_, operation, action, response, read, &record);
    if (answer.final) {
      if (answer.success) retry_.OnSuccess(call);
      tell_gate(answer.success ? AttemptOutcome::kSuccess : AttemptOutcome::kFailed);
      options_.observer(record);
      return std::move(*answer.final);
    }
    Error& error = answer.error;
    tell_gate(error.category == ErrorCategory::kThrottled ? AttemptOutcome::kThrottled
                                                          : AttemptOutcome::kFailed);
    RetryDecision decision = retry_.OnFailure(call, error, answer.headers);
    record.will_retry = decision.retry;
    record.retry_delay = decision.delay;
    options_.observer(record);
    if (!decision.retry) {
      if (!decision.give_up_reason.empty()) error.message += "; " + decision.give_up_reason;
      return error;
    }
    clock_.SleepFor(decision.delay);
  }
}

}  // namespace fleetpatch::aws
