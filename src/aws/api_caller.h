// ApiCaller: the seam between the typed AWS clients (ec2_client, ssm_client, sts_client) and the
// request pipeline. Executes one AWS operation: params JSON in (model member names), output JSON
// (model member names, as protocol::ParseResponse produces) out; the implementation handles the
// endpoint, signing, retries and error classification. Abstract so typed clients can be tested
// with canned outputs and the pipeline can be tested without them.
// Thread-safety: implementations must be safe to call from many threads.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/error.h"

namespace fleetpatch::aws {

// Reads the body of an operation's successful answer into the caller's own typed result (e.g.
// ssm_pages.h). Its error ends the call; it is not retried (the operation may have taken effect).
using BodyReader = std::function<Status(std::string_view body)>;

class ApiCaller {
 public:
  virtual ~ApiCaller() = default;
  virtual Result<nlohmann::json> Call(const std::string& operation, const nlohmann::json& params) = 0;

  // Runs `operation` like Call, but hands the successful answer's body to `read` instead of
  // parsing it into output JSON, so a typed reader builds no JSON tree per page. Errors: Call's,
  // or read's. The default runs Call and hands `read` the output re-serialised, which is the same
  // document for a JSON-protocol operation whose members carry no wire names of their own (SSM's):
  // what callers that queue canned outputs need. ServiceClient reads the wire body itself.
  virtual Status CallReading(const std::string& operation, const nlohmann::json& params,
                             const BodyReader& read) {
    FP_ASSIGN_OR_RETURN(nlohmann::json output, Call(operation, params));
    return read(output.dump());
  }
};

}  // namespace fleetpatch::aws
