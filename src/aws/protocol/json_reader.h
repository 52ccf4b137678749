// ReadJsonOutput: an AWS JSON 1.0/1.1 response body read straight into its output shape's JSON
// (model member names; the same value JsonToShape gives for the parsed document) in one pass over
// nlohmann's SAX events. The wire document is never built as a DOM of its own to be converted
// afterwards, and members the model does not know are skipped as they are read: a page of 50
// DescribeInstancePatchStates costs one tree, not two, and no model lookup per value.
// Thread-safety: pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "aws/protocol/service_model.h"
#include "common/error.h"

namespace fleetpatch::aws::protocol {

// Reads `body` (not blank) as the output `output`. Errors (kAws, "could not parse the AWS
// response: ..."): the body is not JSON (malformed or truncated; this wins over a shape error),
// or a value does not fit its shape (the first one in the body, e.g. "X is not a JSON object").
// kInternal when the model names a shape it does not have. A JSON null body gives null.
Result<nlohmann::json> ReadJsonOutput(const ServiceModel& model, const ShapeRef& output,
                                      std::string_view body);

}  // namespace fleetpatch::aws::protocol
