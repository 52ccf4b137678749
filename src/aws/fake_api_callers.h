// Test doubles for the ApiCaller seam (header-only; used by tests of the typed clients and of
// anything built on them).
//  - FakeApiCaller returns queued outputs per operation and records every call.
//  - EngineApiCaller runs the real protocol engine: it serialises each call with the service model
//    (so a wrong parameter name or type fails as it would against AWS), hands the wire request to a
//    handler that plays the service, and parses the handler's HTTP response or error.
// Thread-safety: both lock internally; safe from many threads.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "aws/api_caller.h"
#include "aws/protocol/parser.h"
#include "aws/protocol/serializer.h"

namespace fleetpatch::aws {

class FakeApiCaller : public ApiCaller {
 public:
  struct RecordedCall {
    std::string operation;
    nlohmann::json params;
  };

  void Queue(const std::string& operation, Result<nlohmann::json> output) {
    std::lock_guard<std::mutex> lock(mu_);
    queued_[operation].push_back(std::move(output));
  }

  Result<nlohmann::json> Call(const std::string& operation, const nlohmann::json& params) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back({operation, params});
    auto& q = queued_[operation];
    if (q.empty()) return Error::Internal("FakeApiCaller: no queued output for " + operation);
    Result<nlohmann::json> out = std::move(q.front());
    q.pop_front();
    return out;
  }

  std::vector<RecordedCall> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::deque<Result<nlohmann::json>>> queued_;
  std::vector<RecordedCall> calls_;
};

class EngineApiCaller : public ApiCaller {
 public:
  using Handler =
      std::function<HttpResponse(const std::string& operation, const protocol::SerializedRequest&)>;

  EngineApiCaller(const protocol::ServiceModel& model, Handler handler)
      : model_(model), handler_(std::move(handler)) {}

  Result<nlohmann::json> Call(const std::string& operation, const nlohmann::json& params) override {
    auto req =
        protocol::SerializeRequest(model_, operation, params, [] { return std::string("test-token"); });
    if (!req.ok()) return req.error();
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.emplace_back(operation, *req);
    }
    HttpResponse resp = handler_(operation, *req);
    if (protocol::IsSuccessStatus(resp.status)) return protocol::ParseResponse(model_, operation, resp);
    protocol::ServiceError se = protocol::ParseErrorResponse(model_, operation, resp);
    Error e{ErrorCategory::kAws, se.message};
    e.aws_code = se.code;
    e.http_status = se.http_status;
    e.request_id = se.request_id;
    return e;
  }

  std::vector<std::pair<std::string, protocol::SerializedRequest>> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  const protocol::ServiceModel& model_;
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, protocol::SerializedRequest>> requests_;
};

}  // namespace fleetpatch::aws
