// ApiCaller: the seam between the typed AWS clients (ec2_client, ssm_client, sts_client) and the
// request pipeline. Executes one AWS operation: params JSON in (model member names), output JSON
// (model member names, as protocol::ParseResponse produces) out; the implementation handles the
// endpoint, signing, retries and error classification. Abstract so typed clients can be tested
// with canned outputs and the pipeline can be tested without them.
// Thread-safety: implementations must be safe to call from many threads.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"

namespace fleetpatch::aws {

class ApiCaller {
 public:
  virtual ~ApiCaller() = default;
  virtual Result<nlohmann::json> Call(const std::string& operation, const nlohmann::json& params) = 0;
};

}  // namespace fleetpatch::aws
