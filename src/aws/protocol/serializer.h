// Request serialisation for the three AWS wire protocols fleetpatch speaks, driven by the service
// model: EC2 Query (ec2), AWS Query (query, e.g. STS) and AWS JSON 1.1 (json, e.g. SSM).
// The output is everything protocol-specific about the request (method, path, headers, body, host
// prefix); endpoint, signing and sending are the caller's job.
// Thread-safety: pure functions of their arguments (the token generator is called from the caller's
// thread).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "aws/http.h"
#include "aws/protocol/service_model.h"
#include "common/error.h"

namespace fleetpatch::aws::protocol {

struct SerializedRequest {
  std::string method;  // "POST"
  std::string path;    // request URI from the model, e.g. "/"
  Headers headers;     // Content-Type, and X-Amz-Target for JSON
  std::string body;
  std::string host_prefix;  // prepend to the endpoint host (endpoint trait); usually empty
};

// Produces a fresh idempotency token for members the caller left unset (ClientToken...).
using IdempotencyTokenGenerator = std::function<std::string()>;
// A random version 4 UUID (the real generator).
std::string RandomIdempotencyToken();

// Serialises `params` (JSON keyed by model member names, as in botocore) for `operation`.
// Timestamps may be given as epoch seconds (number) or ISO 8601 strings; blobs as raw strings (they
// are base64-encoded here); float specials as "NaN", "Infinity", "-Infinity".
// Fails with a kValidation error on an unknown operation, an unknown parameter name or a value of
// the wrong JSON type, naming the offending parameter path.
Result<SerializedRequest> SerializeRequest(
    const ServiceModel& model, std::string_view operation, const nlohmann::json& params,
    const IdempotencyTokenGenerator& token_generator = RandomIdempotencyToken);
// Same, keeping map entries in the order given (nlohmann::json sorts object keys).
Result<SerializedRequest> SerializeRequest(
    const ServiceModel& model, std::string_view operation, const nlohmann::ordered_json& params,
    const IdempotencyTokenGenerator& token_generator = RandomIdempotencyToken);

// The HTTP request for `request` sent to `endpoint` ("https://ec2.eu-west-1.amazonaws.com", or an
// emulator's "http://127.0.0.1:4566", optionally with a base path): the host prefix goes before
// the endpoint's host, the operation path is joined to the endpoint's path. Unsigned: signing adds
// its headers afterwards.
HttpRequest ToHttpRequest(const SerializedRequest& request, std::string_view endpoint);

}  // namespace fleetpatch::aws::protocol
