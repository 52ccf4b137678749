// The emulator's services as tables: each service (EC2, SSM, STS, ...) is one Service value naming
// its protocol, its per-service error codes (authentication, throttling, server errors) and its
// operations, each operation one handler function. The dispatcher (emulator.cc) routes a request to
// an Operation through these tables; nothing else in the dispatcher knows a service by name.
// Adding a service: one handler file that defines its table, plus one line in AllServices().
// Thread-safety: the tables are immutable after first use; handlers follow emulator_impl.h's locking.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "emulator/emulator_impl.h"

namespace fleetpatch::emulator {

enum class Protocol {
  kEc2Query,  // EC2's Query dialect: <OpResponse><requestId>, errors as <Response><Errors>
  kQuery,     // AWS Query (STS, Auto Scaling, SNS): <OpResponse><OpResult>, errors as <ErrorResponse>
  kJson,      // JSON 1.1 with X-Amz-Target (SSM)
};

// The decoded request a handler gets: form parameters (Query protocols) or the JSON body.
struct OpInput {
  const Params& params;
  const nlohmann::json& body;
};

// Handlers throw ApiError for every AWS error answer; they lock the zone themselves.
using Handler = Response (*)(Emulator::Impl& im, const OpInput& in, CallContext& ctx);

struct Operation {
  const char* name;  // "DescribeInstances"
  Handler handler;
  bool mutating;       // changes state (counted by CountMutatingRequests unless a DryRun probe)
  const char* bucket;  // rate-limit bucket ("ec2-describe", ...; see Emulator::SetRateLimit)
};

// The errors a service answers for requests that never reach a handler.
struct ServiceErrors {
  ApiError missing_auth;  // no Authorization header
  ApiError malformed_auth;
  ApiError unknown_key;  // access key or session token not issued
  ApiError expired;
  ApiError clock_skew;
  ApiError bad_signature;
  ApiError throttle;
  ApiError internal;
  ApiError unavailable;
};

struct Service {
  std::string name;  // the credential scope's service: "ec2", "ssm", "sts", ...
  Protocol protocol;
  std::string api_version;    // Query protocols: the Version parameter, e.g. "2011-06-15"
  std::string xml_namespace;  // Query protocols
  std::string target_prefix;  // JSON: "AmazonSSM."
  ServiceErrors errors;
  std::vector<Operation> operations;

  // nullptr when the service has no such operation.
  const Operation* Find(const std::string& operation) const;
  // The service's answer to an operation it does not have.
  ApiError UnknownOperation(const std::string& operation) const;
};

// Every service, and lookups by credential-scope name and by operation (nullptr: none).
const std::vector<const Service*>& AllServices();
const Service* ServiceNamed(const std::string& name);
const Operation* FindOperation(const std::string& operation);  // in any service

// The per-service tables (each defined beside its handlers).
const Service& Ec2Service();
const Service& SsmService();
const Service& StsService();
const Service& AutoScalingService();
const Service& SnsService();

// The error shapes of the Query and JSON protocols, shared by services of one protocol.
ServiceErrors QueryProtocolErrors(const char* internal_code);

// Protocol renderers.
Response Ec2Xml(const std::string& body);
Response JsonReply(const nlohmann::json& body, const std::string& request_id);
// The same with the body already written (a JsonWriter's document).
Response JsonBodyReply(std::string body, const std::string& request_id);
// AWS Query: opens "<OpResponse xmlns=...><OpResult>" (no Result element when `result` is false);
// QueryReply closes it with the ResponseMetadata and sets x-amzn-RequestId.
void OpenQueryResult(XmlWriter& x, const Service& service, const std::string& op, bool result = true);
Response QueryReply(XmlWriter& x, const std::string& op, const CallContext& ctx, bool result = true);
// The error answer in `service`'s protocol.
Response RenderError(const Service& service, const ApiError& e, const std::string& request_id);

}  // namespace fleetpatch::emulator
