#include "testing/faulty_transport.h"

#include <strings.h>

#include <cstdio>

namespace fleetpatch::testing {
namespace {

FaultWire DetectWire(const aws::HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (strcasecmp(name.c_str(), "content-type") == 0 && value.find("json") != std::string::npos) {
      return FaultWire::kJson;
    }
  }
  if (request.body.find("Version=2016-11-15") != std::string::npos) return FaultWire::kEc2Xml;
  return FaultWire::kQueryXml;
}

aws::HttpResponse ErrorResponse(FaultWire wire, int status, const std::string& code, const std::string& message,
                                const std::string& request_id) {
  aws::HttpResponse r;
  r.status = status;
  switch (wire) {
    case FaultWire::kJson:
      r.headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"x-amzn-RequestId", request_id}};
      r.body = R"({"__type":")" + code + R"(","message":")" + message + R"("})";
      break;
    case FaultWire::kEc2Xml:
      r.headers = {{"Content-Type", "text/xml;charset=UTF-8"}};
      r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + code +
               "</Code><Message>" + message + "</Message></Error></Errors><RequestID>" + request_id +
               "</RequestID></Response>";
      break;
    case FaultWire::kQueryXml:
    case FaultWire::kAuto:
      r.headers = {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", request_id}};
      r.body = "<ErrorResponse><Error><Type>" + std::string(status >= 500 ? "Receiver" : "Sender") +
               "</Type><Code>" + code + "</Code><Message>" + message + "</Message></Error><RequestId>" +
               request_id + "</RequestId></ErrorResponse>";
      break;
  }
  return r;
}

}  // namespace

FaultyTransport::FaultyTransport(aws::HttpTransport& inner, FaultOptions options, Clock& clock)
    : inner_(inner), options_(std::move(options)), clock_(clock), rng_(options_.seed) {}

FaultyTransport::Fault FaultyTransport::Draw(bool* use_500) {
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  double x = dist(rng_);
  *use_500 = dist(rng_) < 0.5;
  double edge = options_.throttle_rate;
  if (x < edge) return Fault::kThrottle;
  edge += options_.server_error_rate;
  if (x < edge) return Fault::kServerError;
  edge += options_.reset_rate;
  if (x < edge) return Fault::kReset;
  edge += options_.timeout_rate;
  if (x < edge) return Fault::kTimeout;
  return Fault::kNone;
}

Result<aws::HttpResponse> FaultyTransport::Send(const aws::HttpRequest& request, const aws::HttpOptions& options) {
  if (options_.latency.count() > 0) clock_.SleepFor(options_.latency);
  Fault fault;
  bool use_500 = false;
  std::string request_id;
  {
    std::lock_guard lock(mu_);
    fault = Draw(&use_500);
    char buf[48];
    std::snprintf(buf, sizeof(buf), "faulty-%08llu", static_cast<unsigned long long>(next_request_id_++));
    request_id = buf;
    switch (fault) {
      case Fault::kNone: ++counts_.forwarded; break;
      case Fault::kThrottle: ++counts_.throttled; break;
      case Fault::kServerError: ++counts_.server_errors; break;
      case Fault::kReset: ++counts_.resets; break;
      case Fault::kTimeout: ++counts_.timeouts; break;
    }
  }
  FaultWire wire = options_.wire == FaultWire::kAuto ? DetectWire(request) : options_.wire;
  switch (fault) {
    case Fault::kNone:
      return inner_.Send(request, options);
    case Fault::kThrottle: {
      std::string code = options_.throttle_code;
      if (code.empty()) {
        code = wire == FaultWire::kEc2Xml ? "RequestLimitExceeded"
               : wire == FaultWire::kJson ? "ThrottlingException"
                                          : "Throttling";
      }
      // EC2 answers RequestLimitExceeded with 503; the other services with 400.
      return ErrorResponse(wire, wire == FaultWire::kEc2Xml ? 503 : 400, code, "Rate exceeded (injected)",
                           request_id);
    }
    case Fault::kServerError:
      return use_500 ? ErrorResponse(wire, 500, "InternalError", "An internal error occurred (injected)", request_id)
                     : ErrorResponse(wire, 503, "ServiceUnavailable", "Service unavailable (injected)", request_id);
    case Fault::kReset:
      return Error::Connectivity("connection reset by peer (injected)", /*retryable=*/true);
    case Fault::kTimeout: {
      Error e = Error::Timeout("no complete response within " + std::to_string(options.total_timeout.count()) +
                               " ms (injected)");
      e.retryable = true;
      return e;
    }
  }
  return inner_.Send(request, options);
}

FaultCounts FaultyTransport::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

}  // namespace fleetpatch::testing
