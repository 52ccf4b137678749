// Response and error parsing for the AWS wire protocols (EC2 Query XML, AWS Query XML, AWS JSON
// 1.1), driven by the service model. Output is JSON keyed by model member names (as botocore
// returns it): lists unwrapped, maps as objects, timestamps as epoch seconds (a double when there
// are sub-second digits), blobs base64-decoded, float specials as "NaN" / "Infinity" /
// "-Infinity" (a timestamp that parses in no known format is kept as its raw string rather than
// failing the response), plus ResponseMetadata.RequestId when the response carries one.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "aws/http.h"
#include "aws/protocol/service_model.h"
#include "common/error.h"

namespace fleetpatch::aws::protocol {

// An error answered by the service, decoded from an error response.
struct ServiceError {
  int http_status = 0;
  std::string code;  // e.g. "InvalidInstanceID.Malformed", namespace and URI parts stripped
  std::string message;
  std::string request_id;
  std::string type;                                   // Query <Type> (Sender/Receiver); empty otherwise
  nlohmann::json members = nlohmann::json::object();  // modeled error members, when the code is modeled
};

// True for the statuses the engine parses as a success (2xx).
inline bool IsSuccessStatus(int status) { return status >= 200 && status < 300; }

// Parses a successful response body for `operation`. Fails (kAws, with the status and request id)
// only when the body is not the XML/JSON the protocol requires.
Result<nlohmann::json> ParseResponse(const ServiceModel& model, std::string_view operation,
                                     const HttpResponse& response);

// `doc`, a JSON protocol document already parsed, read as `ref`'s shape: members the model does not
// know dropped, null members left out, scalars as JsonScalar (shape_values.h) reads them. What
// event-stream payloads and error bodies go through; a success body takes ReadJsonOutput
// (json_reader.h), which gives the same value in one pass. Errors: BadResponse when a value does
// not fit its shape (the first one in model order).
Result<nlohmann::json> JsonToShape(const ServiceModel& model, const ShapeRef& ref, const nlohmann::json& doc);

// Decodes an error response. Never fails: an unparseable body yields code "HttpStatus<N>" and a
// message quoting the start of the body, so the user still sees what the server said.
ServiceError ParseErrorResponse(const ServiceModel& model, std::string_view operation,
                                const HttpResponse& response);

}  // namespace fleetpatch::aws::protocol
