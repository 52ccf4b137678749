// The service registry and the protocol renderers.
#include "emulator/service.h"

namespace fleetpatch::emulator {

const std::vector<const Service*>& AllServices() {
  static const std::vector<const Service*> kAll = {&Ec2Service(), &SsmService(), &StsService(),
                                                   &AutoScalingService(), &SnsService()};
  return kAll;
}

const Service* ServiceNamed(const std::string& name) {
  for (const Service* s : AllServices())
    if (s->name == name) return s;
  return nullptr;
}

const Operation* FindOperation(const std::string& operation) {
  for (const Service* s : AllServices())
    if (const Operation* op = s->Find(operation)) return op;
  return nullptr;
}

const Operation* Service::Find(const std::string& operation) const {
  for (const Operation& op : operations)
    if (operation == op.name) return &op;
  return nullptr;
}

ApiError Service::UnknownOperation(const std::string& operation) const {
  switch (protocol) {
    case Protocol::kEc2Query:
      return {400, "InvalidAction", "The action " + operation + " is not valid for this web service."};
    case Protocol::kQuery:
      return {400, "InvalidAction", "Could not find operation " + operation + " for version " + api_version};
    case Protocol::kJson:
      break;
  }
  return {400, "UnknownOperationException", "Operation " + operation + " is not supported by this emulator."};
}

ServiceErrors QueryProtocolErrors(const char* internal_code) {
  ServiceErrors e;
  e.missing_auth = {403, "MissingAuthenticationToken", "Request is missing Authentication Token"};
  e.malformed_auth = {400, "IncompleteSignature",
                      "Authorization header requires Credential, SignedHeaders and Signature"};
  e.unknown_key = {403, "InvalidClientTokenId", "The security token included in the request is invalid."};
  e.expired = {403, "ExpiredToken", "The security token included in the request is expired"};
  e.clock_skew = {403, "SignatureDoesNotMatch",
                  "Signature expired: the request time is too far from the server time."};
  e.bad_signature = {
      403, "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS "
      "Secret Access Key and signing method. Consult the service documentation for details."};
  e.throttle = {400, "Throttling", "Rate exceeded"};
  e.internal = {500, internal_code, "An internal error occurred."};
  e.unavailable = {503, "ServiceUnavailable", "Service is unavailable. Please try again later."};
  return e;
}

Response Ec2Xml(const std::string& body) {
  Response r;
  r.content_type = "text/xml;charset=UTF-8";
  r.body = body;
  return r;
}

Response JsonReply(const nlohmann::json& body, const std::string& request_id) {
  return JsonBodyReply(body.dump(), request_id);
}

Response JsonBodyReply(std::string body, const std::string& request_id) {
  Response r;
  r.content_type = "application/x-amz-json-1.1";
  r.body = std::move(body);
  r.headers.push_back({"x-amzn-RequestId", request_id});
  return r;
}

void OpenQueryResult(XmlWriter& x, const Service& service, const std::string& op, bool result) {
  x.OpenNs(op + "Response", service.xml_namespace);
  if (result) x.Open(op + "Result");
}

Response QueryReply(XmlWriter& x, const std::string& op, const CallContext& ctx, bool result) {
  if (result) x.Close(op + "Result");
  x.Open("ResponseMetadata")
      .Leaf("RequestId", ctx.request_id)
      .Close("ResponseMetadata")
      .Close(op + "Response");
  Response r;
  r.content_type = "text/xml";
  r.body = x.str();
  r.headers.push_back({"x-amzn-RequestId", ctx.request_id});
  return r;
}

Response RenderError(const Service& service, const ApiError& e, const std::string& request_id) {
  Response r;
  if (service.protocol == Protocol::kJson) {
    r = JsonReply({{"__type", e.code}, {"message", e.message}}, request_id);
    r.headers.push_back({"X-Amzn-ErrorType", e.code});
  } else if (service.protocol == Protocol::kQuery) {
    XmlWriter x;
    x.OpenNs("ErrorResponse", service.xml_namespace).Open("Error");
    x.Leaf("Type", e.status >= 500 ? "Receiver" : "Sender").Leaf("Code", e.code).Leaf("Message", e.message);
    x.Close("Error").Leaf("RequestId", request_id).Close("ErrorResponse");
    r.content_type = "text/xml";
    r.body = x.str();
    r.headers.push_back({"x-amzn-RequestId", request_id});
  } else {
    XmlWriter x;
    x.Open("Response").Open("Errors").Open("Error").Leaf("Code", e.code).Leaf("Message", e.message);
    x.Close("Error").Close("Errors").Leaf("RequestID", request_id).Close("Response");
    r.content_type = "text/xml;charset=UTF-8";
    r.body = x.str();
  }
  r.status = e.status;
  return r;
}

}  // namespace fleetpatch::emulator
