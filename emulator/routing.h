// Routing: which service and operation a request is for, and its decoded parameters. The
// credential scope of the Authorization header names the service; without one (an unsigned
// request, answered with the service's authentication error) the X-Amz-Target header or the
// Action parameter decide.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "emulator/service.h"

namespace fleetpatch::emulator {

// Parsed "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, SignedHeaders=...,
// Signature=...".
struct AuthHeader {
  bool present = false;
  bool well_formed = false;
  std::string access_key_id;
  std::string date;
  std::string region;
  std::string service;
};
AuthHeader ParseAuthorization(const std::string& value);

struct Route {
  const Service* service = nullptr;      // set as soon as known, also when routing fails
  const Operation* operation = nullptr;  // nullptr: the service has no such operation
  std::string operation_name;            // as requested; "" when the request names none
  std::string region;                    // the credential scope's region (default us-east-1)
  AuthHeader auth;
  Params params;                                   // Query protocols
  nlohmann::json body = nlohmann::json::object();  // JSON protocol
};

// Fills *route. Throws ApiError for a request that names no operation or has an unreadable body;
// route->service is then the service whose error shape applies (EC2 when none can be told).
void RouteRequest(const Request& request, Route* route);

}  // namespace fleetpatch::emulator
