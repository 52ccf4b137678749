// How a response's scalar values become output JSON, shared by the XML parser, the JSON DOM parser
// (parser.cc) and the one-pass JSON reader (json_reader.h), so the three never disagree:
// timestamps as epoch seconds, blobs base64-decoded, float specials kept as their names.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "aws/protocol/service_model.h"
#include "common/error.h"

namespace fleetpatch::aws::protocol {

// kAws: "could not parse the AWS response: <what>".
Error BadResponse(const std::string& what);

// Epoch seconds: an integer when whole, else a double.
nlohmann::json TimestampJson(double epoch_seconds);

// A float or double member sent as text: "NaN" / "Infinity" / "-Infinity" kept as they are, else
// the number. BadResponse when it is neither.
Result<nlohmann::json> NumberText(const std::string& text, const Shape& shape);

// A JSON-protocol value `v` read as the non-container `shape`: a timestamp from epoch seconds or
// any known text format (unparseable text kept raw), a blob decoded, a float given as text
// converted; other types kept as they are. BadResponse when `v` cannot be a timestamp or a blob.
Result<nlohmann::json> JsonScalar(nlohmann::json v, const Shape& shape);

}  // namespace fleetpatch::aws::protocol
